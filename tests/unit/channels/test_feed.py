"""Atom and JSON Feed documents of public messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import feedparser
import pytest

from channels.feed import (
    ATOM_NS,
    JSON_FEED_VERSION,
    FeedEntry,
    FeedInfo,
    atom_feed,
    json_feed,
    json_feed_bytes,
)

T0 = datetime(2025, 1, 20, 2, 15, tzinfo=UTC)
FEED = FeedInfo(
    id="tag:loiret.gouv.fr,2025:messages",
    title="Messages de la préfecture du Loiret",
    home_url="https://www.loiret.gouv.fr/",
    self_url="https://www.loiret.gouv.fr/messages.atom",
    author="Préfecture du Loiret",
    subtitle="Informations à la population en cas d'événement majeur",
)
ENTRIES = [
    FeedEntry(
        id="m-1",
        title="Crue de la Loire : le COD est activé",
        text="La préfète a activé le centre opérationnel départemental à 3 h 15.",
        html="<p>La préfète a activé le <abbr>COD</abbr> à 3 h 15 &amp; informe.</p>",
        published=T0,
        updated=T0 + timedelta(minutes=5),
        exercise=False,
        link="https://www.loiret.gouv.fr/m-1",
    ),
    FeedEntry(
        id="m-2",
        title="Évacuation de Jargeau",
        text="Rejoignez le gymnase municipal.",
        published=T0 + timedelta(minutes=30),
        updated=T0 + timedelta(minutes=30),
        exercise=True,
    ),
]


def test_atom_parses_cleanly_with_french_titles() -> None:
    document = atom_feed(FEED, ENTRIES)
    parsed = feedparser.parse(document)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Messages de la préfecture du Loiret"
    assert parsed.feed.updated == "2025-01-20T03:45:00+01:00"
    titles = [e.title for e in parsed.entries]
    assert titles == ["EXERCICE – Évacuation de Jargeau", "Crue de la Loire : le COD est activé"]
    first = parsed.entries[1]
    assert first.id == "tag:loiret.gouv.fr,2025:messages:m-1"
    assert first.link == "https://www.loiret.gouv.fr/m-1"
    assert "<abbr>COD</abbr>" in first.content[0].value
    assert parsed.entries[0].tags[0].term == "exercice"


def test_atom_structure_is_namespaced_and_required_elements_present() -> None:
    root = ET.fromstring(atom_feed(FEED, ENTRIES))  # noqa: S314 (our own output)
    ns = {"a": ATOM_NS}
    assert root.tag == f"{{{ATOM_NS}}}feed"
    for path in ("a:id", "a:title", "a:updated", "a:author/a:name", "a:link[@rel='self']"):
        assert root.find(path, ns) is not None, path
    for entry in root.findall("a:entry", ns):
        for path in ("a:id", "a:title", "a:updated", "a:content"):
            assert entry.find(path, ns) is not None, path


def test_empty_feed_needs_an_instant() -> None:
    with pytest.raises(ValueError, match="updated"):
        atom_feed(FEED, [])
    assert not feedparser.parse(atom_feed(FEED, [], updated=T0)).bozo


def test_json_feed_1_1() -> None:
    document = json_feed(FEED, ENTRIES, json_url="https://www.loiret.gouv.fr/messages.json")
    assert document["version"] == JSON_FEED_VERSION
    assert document["language"] == "fr-FR"
    assert document["authors"] == [{"name": "Préfecture du Loiret"}]
    newest, oldest = document["items"]
    assert newest["title"] == "EXERCICE – Évacuation de Jargeau"
    assert newest["tags"] == ["exercice"]
    assert "content_html" not in newest
    assert oldest["content_html"].startswith("<p>")
    assert oldest["url"] == "https://www.loiret.gouv.fr/m-1"
    assert oldest["date_published"] == "2025-01-20T03:15:00+01:00"
    assert json.loads(json_feed_bytes(document)) == document
    assert "Évacuation".encode() in json_feed_bytes(document)
