"""`If-None-Match` against an entity tag (RFC 9110 §13.1.2), for the API and the console."""

from __future__ import annotations


def tag_matches(if_none_match: str | None, tag: str) -> bool:
    """The header names this tag (weakly or strongly compared), or any (`*`)."""
    if not if_none_match:
        return False
    candidates = [c.strip() for c in if_none_match.split(",")]
    return "*" in candidates or any(c.removeprefix("W/") == tag for c in candidates)
