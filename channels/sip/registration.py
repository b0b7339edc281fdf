"""REGISTER (with digest authentication) and OPTIONS towards the trunk (RFC 3261 §10, §11)."""

from __future__ import annotations

import secrets

from channels.sip.call import USER_AGENT, Trunk
from channels.sip.digest import DigestError, authorization, parse_challenge
from channels.sip.endpoint import SipEndpoint
from channels.sip.message import SipMessage, new_tag


def _request(
    endpoint: SipEndpoint, trunk: Trunk, method: str, *, call_id: str, cseq: int, tag: str
) -> SipMessage:
    aor = trunk.from_uri()
    headers = [
        ("Via", endpoint.via()),
        ("Max-Forwards", "70"),
        ("From", f"<{aor}>;tag={tag}"),
        ("To", f"<{aor}>" if method == "REGISTER" else f"<sip:{trunk.domain}>"),
        ("Call-ID", call_id),
        ("CSeq", f"{cseq} {method}"),
        ("Contact", f"<sip:{trunk.username or trunk.caller_id}@{endpoint.host}:{endpoint.port}>"),
        ("User-Agent", USER_AGENT),
    ]
    uri = f"sip:{trunk.domain}"
    return SipMessage(headers=headers, method=method, uri=uri)


async def send_with_auth(
    endpoint: SipEndpoint, trunk: Trunk, method: str, *, expires: int | None = None
) -> SipMessage:
    """Send REGISTER or OPTIONS, answering one digest challenge; return the final response."""
    call_id, tag = secrets.token_hex(12), new_tag()
    request = _request(endpoint, trunk, method, call_id=call_id, cseq=1, tag=tag)
    if expires is not None:
        request.headers.append(("Expires", str(expires)))
    response = await endpoint.request(request, trunk.proxy, give_up_after=10.0)
    if response.status in (401, 407) and trunk.username and trunk.password:
        proxy = response.status == 407
        challenge = response.header("proxy-authenticate" if proxy else "www-authenticate") or ""
        try:
            answer = authorization(
                parse_challenge(challenge),
                method=method,
                uri=request.uri,
                username=trunk.username,
                password=trunk.password,
            )
        except DigestError:
            return response
        retry = _request(endpoint, trunk, method, call_id=call_id, cseq=2, tag=tag)
        if expires is not None:
            retry.headers.append(("Expires", str(expires)))
        retry.headers.append(("Proxy-Authorization" if proxy else "Authorization", answer))
        response = await endpoint.request(retry, trunk.proxy, give_up_after=10.0)
    return response
