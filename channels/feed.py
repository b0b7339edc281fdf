"""Public feeds of the préfecture's messages: Atom 1.0 (RFC 4287) and JSON Feed 1.1.

Pure functions: data in, document out. Exercise messages are marked EXERCICE in their title
and carry the category/tag `exercice`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from crisis.clock import PARIS, ensure_utc

ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
EXERCISE_TITLE_PREFIX = "EXERCICE – "
EXERCISE_TAG = "exercice"


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """The feed itself. `id` is a permanent IRI, e.g. `tag:loiret.gouv.fr,2025:messages`."""

    id: str
    title: str
    home_url: str
    self_url: str  # where this document is published
    author: str = "Préfecture"
    subtitle: str | None = None


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One public message. `id` is a permanent IRI, or a local id appended to the feed id."""

    id: str
    title: str
    text: str
    published: datetime
    updated: datetime
    exercise: bool
    html: str | None = None
    link: str | None = None
    link_type: str = "text/html"


def _instant(value: datetime) -> str:
    """RFC 3339 with seconds and the Paris offset (what readers in France expect)."""
    return ensure_utc(value).astimezone(PARIS).replace(microsecond=0).isoformat()


def _entry_id(feed: FeedInfo, entry: FeedEntry) -> str:
    return entry.id if ":" in entry.id else f"{feed.id}:{entry.id}"


def _title(entry: FeedEntry) -> str:
    if entry.exercise and not entry.title.upper().startswith("EXERCICE"):
        return EXERCISE_TITLE_PREFIX + entry.title
    return entry.title


def _newest_first(entries: Sequence[FeedEntry]) -> list[FeedEntry]:
    return sorted(entries, key=lambda e: (ensure_utc(e.updated), e.id), reverse=True)


def _feed_updated(entries: Sequence[FeedEntry], updated: datetime | None) -> datetime:
    if updated is not None:
        return updated
    if not entries:
        raise ValueError("an empty feed needs an explicit `updated` instant")
    return max(ensure_utc(e.updated) for e in entries)


def atom_feed(
    feed: FeedInfo, entries: Sequence[FeedEntry], *, updated: datetime | None = None
) -> bytes:
    """An Atom 1.0 document (UTF-8 bytes with an XML declaration)."""

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, tag, attrs)
        if text is not None:
            element.text = text
        return element

    # Unqualified tags under a literal default xmlns: ElementTree refuses unprefixed
    # attributes (rel, href) with its default_namespace option.
    root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "fr"})
    sub(root, "id", feed.id)
    sub(root, "title", feed.title)
    if feed.subtitle:
        sub(root, "subtitle", feed.subtitle)
    sub(root, "updated", _instant(_feed_updated(entries, updated)))
    author = sub(root, "author")
    sub(author, "name", feed.author)
    sub(root, "link", rel="self", type="application/atom+xml", href=feed.self_url)
    sub(root, "link", rel="alternate", type="text/html", href=feed.home_url)
    for entry in _newest_first(entries):
        item = sub(root, "entry")
        sub(item, "id", _entry_id(feed, entry))
        sub(item, "title", _title(entry))
        sub(item, "published", _instant(entry.published))
        sub(item, "updated", _instant(entry.updated))
        if entry.link:
            sub(item, "link", rel="alternate", type=entry.link_type, href=entry.link)
        if entry.exercise:
            sub(item, "category", term=EXERCISE_TAG, label="Exercice")
        sub(item, "summary", entry.text, type="text")
        if entry.html:
            sub(item, "content", entry.html, type="html")
        else:
            sub(item, "content", entry.text, type="text")
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def json_feed(
    feed: FeedInfo,
    entries: Sequence[FeedEntry],
    *,
    json_url: str,
    updated: datetime | None = None,
) -> dict[str, Any]:
    """A JSON Feed 1.1 document as a dict (`json_feed_bytes` serialises it)."""
    del updated  # JSON Feed has no feed-level date; kept for symmetry with atom_feed
    items: list[dict[str, Any]] = []
    for entry in _newest_first(entries):
        item: dict[str, Any] = {
            "id": _entry_id(feed, entry),
            "title": _title(entry),
            "content_text": entry.text,
            "date_published": _instant(entry.published),
            "date_modified": _instant(entry.updated),
        }
        if entry.html:
            item["content_html"] = entry.html
        if entry.link:
            item["url"] = entry.link
        if entry.exercise:
            item["tags"] = [EXERCISE_TAG]
        items.append(item)
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.home_url,
        "feed_url": json_url,
        "language": "fr-FR",
        "authors": [{"name": feed.author}],
        "items": items,
    }
    if feed.subtitle:
        document["description"] = feed.subtitle
    return document


def json_feed_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
