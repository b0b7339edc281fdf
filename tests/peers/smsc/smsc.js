// The SMSC of the SMS tests: an SMPP 3.4 server on the npm package `smpp` (node-smpp).
//
// It checks what an operator's SMSC checks (credentials, bind state, addresses and their
// TON/NPI, data_coding, the length of each part), answers each submit_sm with a message id,
// reassembles concatenated messages (UDH 8-bit or 16-bit reference), and sends delivery
// receipts (text form and TLVs) after a delay. The test drives it through a small HTTP
// control port on 127.0.0.1:
//   GET  /state                      what it received (submits, messages, binds, receipts)
//   POST /reset                      forget everything, back to the defaults
//   POST /config {…}                 receipt_mode (delivered|expired|undeliverable|none),
//                                    receipt_delay_ms, invalid_numbers
//   POST /throttle {count, status}   answer the next `count` submits with `status`
//                                    (default ESME_RTHROTTLED)
//   POST /drop {after}               close every link abruptly when the `after`-th next
//                                    submit arrives (that submit gets no answer)
//   POST /receipt {message_id, stat, system_id}   send one receipt now (an unknown id…)
//   POST /unbind {}                  the SMSC asks every bound ESME to unbind
// Its first line on stdout is {"smpp": port, "control": port}. With SMSC_TLS_CERT and
// SMSC_TLS_KEY (PEM files), SMPP is spoken inside TLS.
'use strict';

const fs = require('fs');
const http = require('http');
const smpp = require('smpp');

const accounts = JSON.parse(process.env.SMSC_ACCOUNTS || '{"crisis": "secret"}');

const GSM_SINGLE = 160;
const GSM_PART = 153;
const UCS2_OCTETS = 140;
const STATES = {
  delivered: { stat: 'DELIVRD', state: 2, err: '000' },
  expired: { stat: 'EXPIRED', state: 3, err: '000' },
  undeliverable: { stat: 'UNDELIV', state: 5, err: '001' },
  rejected: { stat: 'REJECTD', state: 8, err: '002' },
};

let state;
let generation = 0; // receipts scheduled before a reset are not sent after it
function reset() {
  generation += 1;
  state = {
    binds: [],
    unbinds: 0,
    enquire_links: 0,
    submits: [],
    messages: [],
    receipts_sent: [],
    refused: [],
    config: { receipt_mode: 'delivered', receipt_delay_ms: 50, invalid_numbers: [] },
    throttle: { count: 0, status: smpp.ESME_RTHROTTLED },
    drop_after: null,
    next_id: 1,
    partial: {},
    waiting_receipts: [],
  };
}
reset();

const sessions = new Set();

function bound(system_id) {
  return [...sessions].filter((s) => s.bound_as === system_id && s.receives);
}

function sendReceipt(receipt) {
  const targets = bound(receipt.system_id);
  if (targets.length === 0) {
    state.waiting_receipts.push(receipt); // sent when an ESME binds again
    return;
  }
  const session = targets[0];
  const text =
    `id:${receipt.message_id} sub:001 dlvrd:${receipt.stat === 'DELIVRD' ? '001' : '000'} ` +
    `submit date:${receipt.date} done date:${receipt.date} stat:${receipt.stat} ` +
    `err:${receipt.err} text:`;
  const fields = {
    source_addr: receipt.destination,
    source_addr_ton: 1,
    source_addr_npi: 1,
    destination_addr: receipt.source,
    esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
    short_message: Buffer.from(text, 'ascii'),
  };
  if (receipt.tlv) {
    fields.receipted_message_id = receipt.message_id;
    fields.message_state = receipt.state;
  }
  session.deliver_sm(fields, (resp) => {
    state.receipts_sent.push({ ...receipt, answer: resp.command_status });
  });
}

function smppDate(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return (
    pad(date.getUTCFullYear() % 100) + pad(date.getUTCMonth() + 1) + pad(date.getUTCDate()) +
    pad(date.getUTCHours()) + pad(date.getUTCMinutes())
  );
}

function scheduleReceipt(session, submit) {
  const mode = state.config.receipt_mode;
  if (mode === 'none' || !(submit.registered_delivery & 0x01)) {
    return;
  }
  const outcome = STATES[mode];
  const receipt = {
    system_id: session.bound_as,
    message_id: submit.message_id,
    source: submit.source_addr,
    destination: submit.destination_addr,
    stat: outcome.stat,
    state: outcome.state,
    err: outcome.err,
    date: smppDate(new Date()),
    tlv: true,
  };
  const scheduled = generation;
  setTimeout(() => {
    if (scheduled === generation) sendReceipt(receipt);
  }, state.config.receipt_delay_ms);
}

function messageOf(pdu) {
  const field = pdu.message_payload !== undefined ? pdu.message_payload : pdu.short_message;
  if (field && typeof field === 'object' && !Buffer.isBuffer(field)) {
    return { text: field.message, udh: field.udh || [] };
  }
  return { text: String(field || ''), udh: [] };
}

function concatenation(udh) {
  for (const ie of udh) {
    if (ie[0] === 0x00 && ie.length === 5) {
      return { ref: ie[2], total: ie[3], seq: ie[4] };
    }
    if (ie[0] === 0x08 && ie.length === 6) {
      return { ref: ie.readUInt16BE(2), total: ie[4], seq: ie[5] };
    }
  }
  return null;
}

// The length of a part's text as it travels: septets in GSM-7 (an extension character takes
// an escape and its own septet), octets in UCS-2.
const GSM_EXTENSION = '\f^{}\\[~]|€';
function units(text, dataCoding) {
  if (dataCoding === 8) return Buffer.byteLength(text, 'utf16le');
  let septets = 0;
  for (const char of text) septets += GSM_EXTENSION.includes(char) ? 2 : 1;
  return septets;
}

// What an SMSC checks before it takes a submit_sm; a non-zero status refuses it.
function check(pdu, text, udhOctets) {
  if (!/^[0-9]{6,15}$/.test(pdu.destination_addr)) return smpp.ESME_RINVDSTADR;
  if (pdu.dest_addr_ton !== 1) return smpp.ESME_RINVDSTTON;
  if (pdu.dest_addr_npi !== 1) return smpp.ESME_RINVDSTNPI;
  if (state.config.invalid_numbers.includes(pdu.destination_addr)) return smpp.ESME_RINVDSTADR;
  const numeric = /^[0-9]+$/.test(pdu.source_addr);
  if (numeric && ![1, 2, 3].includes(pdu.source_addr_ton)) return smpp.ESME_RINVSRCTON;
  if (!numeric && (pdu.source_addr_ton !== 5 || pdu.source_addr.length > 11)) {
    return smpp.ESME_RINVSRCTON;
  }
  if (![0, 8].includes(pdu.data_coding)) return smpp.ESME_RINVDCS;
  if (pdu.message_payload !== undefined) {
    return pdu.short_message && pdu.short_message.message ? smpp.ESME_RINVMSGLEN : 0;
  }
  const length = units(text, pdu.data_coding);
  if (pdu.data_coding === 0) {
    if (length > (udhOctets ? GSM_PART : GSM_SINGLE)) return smpp.ESME_RINVMSGLEN;
  } else if (length + udhOctets > UCS2_OCTETS) {
    return smpp.ESME_RINVMSGLEN;
  }
  return 0;
}

function onSubmit(session, pdu) {
  // A receiver may not submit (SMPP 3.4 §2.2.1): only a transmitter or a transceiver.
  if (!session.bound_as || !session.transmits) {
    session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
    return;
  }
  if (state.drop_after !== null) {
    state.drop_after -= 1;
    if (state.drop_after <= 0) {
      state.drop_after = null;
      for (const s of sessions) s.destroy();
      return;
    }
  }
  if (state.throttle.count > 0) {
    state.throttle.count -= 1;
    session.send(pdu.response({ command_status: state.throttle.status }));
    return;
  }
  const { text, udh } = messageOf(pdu);
  const udhOctets = udh.reduce((sum, ie) => sum + ie.length, 0) + (udh.length ? 1 : 0);
  const status = check(pdu, text, udhOctets);
  if (status !== 0) {
    state.refused.push({ destination_addr: pdu.destination_addr, status });
    session.send(pdu.response({ command_status: status }));
    return;
  }
  const message_id = `M${String(state.next_id++).padStart(8, '0')}`;
  const concat = concatenation(udh);
  const submit = {
    at: Date.now(),
    system_id: session.bound_as,
    message_id,
    source_addr: pdu.source_addr,
    source_addr_ton: pdu.source_addr_ton,
    source_addr_npi: pdu.source_addr_npi,
    destination_addr: pdu.destination_addr,
    dest_addr_ton: pdu.dest_addr_ton,
    dest_addr_npi: pdu.dest_addr_npi,
    esm_class: pdu.esm_class,
    data_coding: pdu.data_coding,
    registered_delivery: pdu.registered_delivery,
    units: units(text, pdu.data_coding),
    payload: pdu.message_payload !== undefined,
    udh_octets: udhOctets,
    concat,
    text,
  };
  state.submits.push(submit);
  session.send(pdu.response({ message_id }));
  scheduleReceipt(session, submit);
  if (!concat) {
    state.messages.push({ destination_addr: pdu.destination_addr, text, parts: 1 });
    return;
  }
  const key = `${session.bound_as}|${pdu.destination_addr}|${concat.ref}|${concat.total}`;
  const parts = (state.partial[key] = state.partial[key] || {});
  parts[concat.seq] = text;
  if (Object.keys(parts).length === concat.total) {
    let whole = '';
    for (let i = 1; i <= concat.total; i++) whole += parts[i];
    delete state.partial[key];
    state.messages.push({ destination_addr: pdu.destination_addr, text: whole, parts: concat.total });
  }
}

function onBind(session, pdu, receives, transmits) {
  if (session.bound_as) {
    session.send(pdu.response({ command_status: smpp.ESME_RALYBND }));
    return;
  }
  const expected = accounts[pdu.system_id];
  if (expected === undefined) {
    session.send(pdu.response({ command_status: smpp.ESME_RINVSYSID }));
    return;
  }
  if (expected !== pdu.password) {
    session.send(pdu.response({ command_status: smpp.ESME_RINVPASWD }));
    return;
  }
  session.bound_as = pdu.system_id;
  session.receives = receives;
  session.transmits = transmits;
  state.binds.push({ system_id: pdu.system_id, command: pdu.command, at: Date.now() });
  session.send(pdu.response({ system_id: 'TESTSMSC' }));
  const waiting = state.waiting_receipts.filter((r) => r.system_id === pdu.system_id);
  state.waiting_receipts = state.waiting_receipts.filter((r) => r.system_id !== pdu.system_id);
  for (const receipt of waiting) sendReceipt(receipt);
}

// SMPP over TLS when the test gives a certificate (SMSC_TLS_CERT, SMSC_TLS_KEY: PEM files).
const tlsOptions = process.env.SMSC_TLS_CERT
  ? { cert: fs.readFileSync(process.env.SMSC_TLS_CERT), key: fs.readFileSync(process.env.SMSC_TLS_KEY) }
  : {};

const server = smpp.createServer(tlsOptions, (session) => {
  sessions.add(session);
  session.on('close', () => sessions.delete(session));
  session.on('error', () => sessions.delete(session));
  session.on('bind_transceiver', (pdu) => onBind(session, pdu, true, true));
  session.on('bind_transmitter', (pdu) => onBind(session, pdu, false, true));
  session.on('bind_receiver', (pdu) => onBind(session, pdu, true, false));
  session.on('submit_sm', (pdu) => onSubmit(session, pdu));
  session.on('enquire_link', (pdu) => {
    state.enquire_links += 1;
    session.send(pdu.response());
  });
  session.on('unbind', (pdu) => {
    state.unbinds += 1;
    session.bound_as = undefined;
    session.send(pdu.response());
    session.close();
  });
});

function readBody(req) {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => resolve(body ? JSON.parse(body) : {}));
  });
}

const control = http.createServer(async (req, res) => {
  const body = await readBody(req);
  const answer = (value) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  if (req.method === 'GET' && req.url === '/state') {
    const { partial, ...visible } = state;
    return answer({ ...visible, sessions: sessions.size });
  }
  if (req.method === 'POST' && req.url === '/reset') {
    reset();
    return answer({});
  }
  if (req.method === 'POST' && req.url === '/config') {
    Object.assign(state.config, body);
    return answer(state.config);
  }
  if (req.method === 'POST' && req.url === '/throttle') {
    state.throttle = { count: body.count || 1, status: body.status || smpp.ESME_RTHROTTLED };
    return answer({});
  }
  if (req.method === 'POST' && req.url === '/drop') {
    state.drop_after = body.after || 1;
    return answer({});
  }
  if (req.method === 'POST' && req.url === '/receipt') {
    const outcome = STATES[body.outcome || 'delivered'];
    sendReceipt({
      system_id: body.system_id,
      message_id: body.message_id,
      source: body.source || 'PREF',
      destination: body.destination || '33600000000',
      stat: outcome.stat,
      state: outcome.state,
      err: outcome.err,
      date: smppDate(new Date()),
      tlv: body.tlv !== false,
    });
    return answer({});
  }
  if (req.method === 'POST' && req.url === '/unbind') {
    for (const s of sessions) if (s.bound_as) s.unbind();
    return answer({});
  }
  res.writeHead(404);
  res.end();
});

server.listen(0, '127.0.0.1', () => {
  control.listen(0, '127.0.0.1', () => {
    const ports = { smpp: server.address().port, control: control.address().port };
    process.stdout.write(JSON.stringify(ports) + '\n');
  });
});

// The test's end closes stdin: the SMSC ends with it.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
