"""SIP digest authentication (RFC 3261 §22, RFC 2617 and RFC 8760: MD5, SHA-256, qop=auth)."""

from __future__ import annotations

import hashlib
import re
import secrets

_PARAM = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]+)')
_HASHES = {"MD5": "md5", "SHA-256": "sha256"}


class DigestError(ValueError):
    """A challenge this client cannot answer."""


def parse_challenge(value: str) -> dict[str, str]:
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        raise DigestError(f"schéma d'authentification non pris en charge : {scheme}")
    params = {k.lower(): v.strip('"') for k, v in _PARAM.findall(rest)}
    if "realm" not in params or "nonce" not in params:
        raise DigestError("défi d'authentification incomplet (realm, nonce)")
    return params


def authorization(
    challenge: dict[str, str],
    *,
    method: str,
    uri: str,
    username: str,
    password: str,
    nonce_count: int = 1,
) -> str:
    """The Authorization (or Proxy-Authorization) value answering a parsed challenge."""
    algorithm = challenge.get("algorithm", "MD5").upper()
    if algorithm not in _HASHES:
        raise DigestError(f"algorithme d'authentification non pris en charge : {algorithm}")

    def h(text: str) -> str:
        return hashlib.new(_HASHES[algorithm], text.encode("utf-8")).hexdigest()

    realm, nonce = challenge["realm"], challenge["nonce"]
    ha1 = h(f"{username}:{realm}:{password}")
    ha2 = h(f"{method}:{uri}")
    qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    fields = [
        f'username="{username}"',
        f'realm="{realm}"',
        f'nonce="{nonce}"',
        f'uri="{uri}"',
        f"algorithm={algorithm}",
    ]
    if "auth" in qops:
        cnonce = secrets.token_hex(8)
        nc = f"{nonce_count:08x}"
        response = h(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        fields += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
    elif qops:
        raise DigestError("seule la protection qop=auth est prise en charge")
    else:
        response = h(f"{ha1}:{nonce}:{ha2}")
    fields.append(f'response="{response}"')
    if "opaque" in challenge:
        fields.append(f'opaque="{challenge["opaque"]}"')
    return "Digest " + ", ".join(fields)
