// A certified OpenID Connect provider (npm oidc-provider) configured like ProConnect, for the
// tests: its claims (given_name, usual_name, email, uid, siret, idp_id), signed userinfo, acr.
// Started by tests/integration/web/proconnect_peer.py on 127.0.0.1; prints "ready <port>".
//
// Routes of its own for the tests, under /test/:
//   POST /test/identity  {sub, email, ...}  who the next sign-in is (no login form to fill)
//   POST /test/rotate                       new signing key (the old one leaves the key set)
//   POST /test/mode      {tamper, tamperUserinfo}  alter the ID token the token endpoint
//                                          returns, or the signed userinfo
//   GET  /test/stats                        how often the key set was fetched
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const redirectUri = process.env.PEER_REDIRECT_URI;
const logoutUri = process.env.PEER_POST_LOGOUT_URI;
const clientId = process.env.PEER_CLIENT_ID;
const clientSecret = process.env.PEER_CLIENT_SECRET;

let identity = { sub: 'agent-1', email: 'agent@example.gouv.fr' };
let tamper = false;
let tamperUserinfo = false;
let keyFetches = 0;
let provider;
let issuer;

function newKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };
}

const PROCONNECT_CLAIMS = ['given_name', 'usual_name', 'email', 'uid', 'siret', 'idp_id'];

function forged(jwt) {
  const [header, payload, signature] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  claims.email = 'someone-else@example.gouv.fr';
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

function makeProvider(key) {
  const made = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [logoutUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
      userinfo_signed_response_alg: 'RS256',
    }],
    jwks: { keys: [key] },
    // ProConnect's scopes are the names of its claims.
    scopes: ['openid', ...PROCONNECT_CLAIMS],
    claims: Object.fromEntries([['openid', ['sub']], ...PROCONNECT_CLAIMS.map((c) => [c, [c]])]),
    acrValues: ['eidas1'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    ttl: { IdToken: 60, AccessToken: 600, AuthorizationCode: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (ctx, id) => ({
      accountId: id,
      claims: async () => ({ ...identity, sub: id }),
    }),
    cookies: { keys: ['peer-cookie-key-used-by-the-tests-only'] },
  });
  made.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/jwks') keyFetches += 1;
    if (tamper && ctx.path === '/token' && ctx.body && ctx.body.id_token) {
      ctx.body = { ...ctx.body, id_token: forged(ctx.body.id_token) };
    }
    if (tamperUserinfo && ctx.path === '/me' && typeof ctx.body === 'string') {
      ctx.body = forged(ctx.body);
    }
  });
  return made;
}

async function signInNow(req, res) {
  // Every sign-in succeeds as the identity the test set, at ProConnect's eIDAS level 1.
  const details = await provider.interactionDetails(req, res);
  const accountId = identity.sub;
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, {
    login: { accountId, acr: 'eidas1' },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

function body(req) {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (chunk) => { text += chunk; });
    req.on('end', () => resolve(text ? JSON.parse(text) : {}));
  });
}

function json(res, value) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

async function handle(req, res) {
  const path = req.url.split('?')[0];
  if (path.startsWith('/interaction/')) return signInNow(req, res);
  if (req.method === 'POST' && path === '/test/identity') {
    identity = await body(req);
    return json(res, identity);
  }
  if (req.method === 'POST' && path === '/test/rotate') {
    provider = makeProvider(newKey());
    return json(res, { rotated: true });
  }
  if (req.method === 'POST' && path === '/test/mode') {
    const mode = await body(req);
    tamper = Boolean(mode.tamper);
    tamperUserinfo = Boolean(mode.tamperUserinfo);
    return json(res, { tamper, tamperUserinfo });
  }
  if (path === '/test/stats') return json(res, { keyFetches });
  return provider.callback()(req, res);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(error));
  });
});
server.listen(0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  provider = makeProvider(newKey());
  process.stdout.write(`ready ${server.address().port}\n`);
});
