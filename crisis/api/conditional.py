"""Conditional GET for the public page and feeds: ETag, Last-Modified and 304 answers.

Feed readers and préfecture websites poll these addresses every minute or so; a poll that
finds nothing new gets an empty 304 instead of the whole feed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request
from fastapi.responses import Response

from crisis.clock import ensure_utc
from crisis.entity_tags import tag_matches

# What a feed that never published anything says it was last changed at.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def entity_tag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _not_modified_since(header: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= since


def conditional_response(
    request: Request, body: bytes, *, media_type: str, last_modified: datetime | None
) -> Response:
    """The body with its validators, or 304 when the client already holds this version."""
    changed = ensure_utc(last_modified) if last_modified is not None else NEVER
    headers = {
        "ETag": entity_tag(body),
        "Last-Modified": format_datetime(changed, usegmt=True),
        # Always ask again: during an event, a stale page is worse than a short request.
        "Cache-Control": "no-cache",
    }
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        fresh = tag_matches(if_none_match, headers["ETag"])
    else:
        if_modified_since = request.headers.get("if-modified-since")
        fresh = if_modified_since is not None and _not_modified_since(if_modified_since, changed)
    if fresh:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
