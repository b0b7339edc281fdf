"""CAP 1.2 documents validated against the OASIS schema, and their Atom index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import feedparser
import pytest
import xmlschema

from channels.cap import (
    CAP_NS,
    CapAlert,
    CapArea,
    CapCategory,
    CapCertainty,
    CapInfo,
    CapMsgType,
    CapSeverity,
    CapStatus,
    CapUrgency,
    cap_atom_index,
    cap_xml,
    reference_to,
)
from channels.feed import FeedInfo

REPO_ROOT = Path(__file__).resolve().parents[3]
XSD = REPO_ROOT / "crisis" / "publishing" / "schemas" / "CAP-v1.2.xsd"
SENT = datetime(2025, 1, 20, 2, 15, 30, 123456, tzinfo=UTC)
NS = {"cap": CAP_NS}


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def info(**overrides: object) -> CapInfo:
    values: dict[str, object] = {
        "categories": (CapCategory.MET, CapCategory.SAFETY),
        "event": "Crue de la Loire",
        "urgency": CapUrgency.IMMEDIATE,
        "severity": CapSeverity.SEVERE,
        "certainty": CapCertainty.OBSERVED,
        "headline": "Crue majeure de la Loire : évacuation des quartiers bas",
        "description": "La Loire dépasse 6 m à l'échelle d'Orléans ; la montée continue.",
        "instruction": "Quittez les rez-de-chaussée, n'empruntez pas les routes inondées.",
        "web": "https://www.loiret.gouv.fr/crue",
        "contact": "Numéro unique : 0 800 45 45 45",
        "sender_name": "Préfecture du Loiret",
        "areas": (
            CapArea("Orléans, Saint-Jean-de-Braye", ("45234", "45284")),
            CapArea("Jargeau"),
        ),
        "expires": SENT + timedelta(hours=12),
    }
    values.update(overrides)
    return CapInfo(**values)  # type: ignore[arg-type]


def alert(**overrides: object) -> CapAlert:
    values: dict[str, object] = {
        "identifier": "PREF45-2025-0001",
        "sender": "sidpc@loiret.gouv.fr",
        "sent": SENT,
        "status": CapStatus.ACTUAL,
        "msg_type": CapMsgType.ALERT,
        "info": info(),
    }
    values.update(overrides)
    return CapAlert(**values)  # type: ignore[arg-type]


def text(document: bytes, path: str) -> str:
    element = ET.fromstring(document).find(path, NS)  # noqa: S314 (our own output)
    assert element is not None, path
    return element.text or ""


def test_xsd_is_found_from_the_repository() -> None:
    assert XSD.is_file(), XSD


def test_alert_is_valid_cap(schema: xmlschema.XMLSchema) -> None:
    document = cap_xml(alert())
    schema.validate(document.decode("utf-8"))
    assert document.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert text(document, "cap:sent") == "2025-01-20T03:15:30+01:00"  # Paris, no fraction
    assert text(document, "cap:info/cap:language") == "fr-FR"
    codes = ET.fromstring(document).findall(  # noqa: S314 (our own output)
        ".//cap:geocode/cap:value", NS
    )
    assert [c.text for c in codes] == ["45234", "45284"]
    assert text(document, "cap:info/cap:expires") == "2025-01-20T15:15:30+01:00"


def test_summer_time_offset() -> None:
    summer = alert(sent=datetime(2025, 7, 1, 10, 0, tzinfo=UTC))
    assert text(cap_xml(summer), "cap:sent") == "2025-07-01T12:00:00+02:00"


def test_update_and_cancel_reference_the_chain(schema: xmlschema.XMLSchema) -> None:
    first = alert()
    update = alert(
        identifier="PREF45-2025-0002",
        sent=SENT + timedelta(hours=1),
        msg_type=CapMsgType.UPDATE,
        references=(reference_to(first),),
    )
    cancel = alert(
        identifier="PREF45-2025-0003",
        sent=SENT + timedelta(hours=5),
        msg_type=CapMsgType.CANCEL,
        references=(reference_to(first), reference_to(update)),
    )
    for document in (cap_xml(update), cap_xml(cancel)):
        schema.validate(document.decode("utf-8"))
    assert text(cap_xml(update), "cap:references") == (
        "sidpc@loiret.gouv.fr,PREF45-2025-0001,2025-01-20T03:15:30+01:00"
    )
    assert text(cap_xml(cancel), "cap:references").count(" ") == 1
    assert text(cap_xml(cancel), "cap:msgType") == "Cancel"


def test_update_without_reference_is_refused() -> None:
    with pytest.raises(ValueError, match="reference"):
        alert(msg_type=CapMsgType.UPDATE)


def test_identifier_with_a_comma_is_refused() -> None:
    with pytest.raises(ValueError, match="identifier"):
        alert(identifier="a,b")


def test_exercise_status_note_and_headline(schema: xmlschema.XMLSchema) -> None:
    document = cap_xml(alert(status=CapStatus.EXERCISE))
    schema.validate(document.decode("utf-8"))
    assert text(document, "cap:status") == "Exercise"
    assert text(document, "cap:note").startswith("EXERCICE")
    assert text(document, "cap:info/cap:headline").startswith("EXERCICE – ")


def test_minimal_info_is_valid(schema: xmlschema.XMLSchema) -> None:
    minimal = alert(
        info=info(
            instruction=None,
            web=None,
            contact=None,
            sender_name=None,
            expires=None,
            areas=(CapArea("Département du Loiret"),),
        )
    )
    schema.validate(cap_xml(minimal).decode("utf-8"))


def test_atom_index_of_current_alerts() -> None:
    feed = FeedInfo(
        id="tag:loiret.gouv.fr,2025:cap",
        title="Alertes CAP de la préfecture du Loiret",
        home_url="https://www.loiret.gouv.fr/",
        self_url="https://www.loiret.gouv.fr/cap/index.atom",
        author="Préfecture du Loiret",
    )
    alerts = [alert(), alert(identifier="PREF45-2025-0009", status=CapStatus.EXERCISE)]
    document = cap_atom_index(
        feed,
        alerts,
        url_for=lambda a: f"https://www.loiret.gouv.fr/cap/{a.identifier}.xml",
        updated=SENT,
    )
    parsed = feedparser.parse(document)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    links = {e.links[0].href: e.links[0].type for e in parsed.entries}
    assert links == {
        "https://www.loiret.gouv.fr/cap/PREF45-2025-0001.xml": "application/cap+xml",
        "https://www.loiret.gouv.fr/cap/PREF45-2025-0009.xml": "application/cap+xml",
    }
    assert any(e.title.startswith("EXERCICE") for e in parsed.entries)
