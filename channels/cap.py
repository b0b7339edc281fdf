"""CAP 1.2 alerts (OASIS Common Alerting Protocol) built from plain data, plus an Atom index.

Pure functions: `cap_xml(alert)` gives the XML document; `reference_to(alert)` the
"sender,identifier,sent" triple an Update or a Cancel must cite; `cap_atom_index` lists the
current alerts for aggregators.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from xml.etree import ElementTree as ET

from channels.feed import FeedEntry, FeedInfo, atom_feed
from crisis.clock import PARIS, ensure_utc

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_MEDIA_TYPE = "application/cap+xml"
INSEE_VALUE_NAME = "INSEE"  # geocode: the commune's code officiel géographique
_FORBIDDEN_IN_IDS = set(" ,<&")


class CapStatus(StrEnum):
    ACTUAL = "Actual"
    EXERCISE = "Exercise"


class CapMsgType(StrEnum):
    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"


class CapCategory(StrEnum):
    GEO = "Geo"
    MET = "Met"
    SAFETY = "Safety"
    SECURITY = "Security"
    RESCUE = "Rescue"
    FIRE = "Fire"
    HEALTH = "Health"
    ENV = "Env"
    TRANSPORT = "Transport"
    INFRA = "Infra"
    CBRNE = "CBRNE"
    OTHER = "Other"


class CapUrgency(StrEnum):
    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class CapSeverity(StrEnum):
    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class CapCertainty(StrEnum):
    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


@dataclass(frozen=True, slots=True)
class CapReference:
    sender: str
    identifier: str
    sent: datetime

    def render(self) -> str:
        return f"{self.sender},{self.identifier},{cap_instant(self.sent)}"


@dataclass(frozen=True, slots=True)
class CapArea:
    description: str  # areaDesc: the communes, in words
    insee_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CapInfo:
    categories: tuple[CapCategory, ...]
    event: str
    urgency: CapUrgency
    severity: CapSeverity
    certainty: CapCertainty
    headline: str
    description: str
    areas: tuple[CapArea, ...]
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    sender_name: str | None = None
    expires: datetime | None = None
    language: str = "fr-FR"


@dataclass(frozen=True, slots=True)
class CapAlert:
    identifier: str
    sender: str
    sent: datetime
    status: CapStatus
    msg_type: CapMsgType
    info: CapInfo
    references: tuple[CapReference, ...] = ()
    note: str | None = None
    incidents: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for name, value in (("identifier", self.identifier), ("sender", self.sender)):
            if not value or _FORBIDDEN_IN_IDS & set(value):
                raise ValueError(f"CAP {name} must be non-empty, without space, comma, < or &")
        if self.msg_type is not CapMsgType.ALERT and not self.references:
            raise ValueError(f"a CAP {self.msg_type.value} must reference the earlier message")
        if not self.info.categories:
            raise ValueError("CAP info needs at least one category")
        if not self.info.areas:
            raise ValueError("CAP info needs at least one area")
        ensure_utc(self.sent)


def cap_instant(value: datetime) -> str:
    """CAP dateTime: seconds, no fraction, explicit offset (Paris time), e.g. +01:00."""
    return ensure_utc(value).astimezone(PARIS).replace(microsecond=0).isoformat()


def reference_to(alert: CapAlert) -> CapReference:
    return CapReference(alert.sender, alert.identifier, alert.sent)


def _headline(alert: CapAlert) -> str:
    headline = alert.info.headline
    if alert.status is CapStatus.EXERCISE and "EXERCICE" not in headline.upper():
        headline = f"EXERCICE – {headline}"
    return headline


def cap_element(alert: CapAlert) -> ET.Element:
    """The <alert> element, children in the order the CAP 1.2 schema requires."""

    def sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
        element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
        if text is not None:
            element.text = text
        return element

    root = ET.Element(f"{{{CAP_NS}}}alert")
    sub(root, "identifier", alert.identifier)
    sub(root, "sender", alert.sender)
    sub(root, "sent", cap_instant(alert.sent))
    sub(root, "status", alert.status.value)
    sub(root, "msgType", alert.msg_type.value)
    sub(root, "scope", "Public")
    note = alert.note
    if alert.status is CapStatus.EXERCISE and not note:
        note = "EXERCICE – message d'exercice, aucune action réelle n'est demandée."
    if note:
        sub(root, "note", note)
    if alert.references:
        sub(root, "references", " ".join(r.render() for r in alert.references))
    if alert.incidents:
        sub(root, "incidents", " ".join(alert.incidents))

    info = alert.info
    element = sub(root, "info")
    sub(element, "language", info.language)
    for category in info.categories:
        sub(element, "category", category.value)
    sub(element, "event", info.event)
    sub(element, "urgency", info.urgency.value)
    sub(element, "severity", info.severity.value)
    sub(element, "certainty", info.certainty.value)
    if info.expires is not None:
        sub(element, "expires", cap_instant(info.expires))
    if info.sender_name:
        sub(element, "senderName", info.sender_name)
    sub(element, "headline", _headline(alert))
    sub(element, "description", info.description)
    if info.instruction:
        sub(element, "instruction", info.instruction)
    if info.web:
        sub(element, "web", info.web)
    if info.contact:
        sub(element, "contact", info.contact)
    for area in info.areas:
        area_element = sub(element, "area")
        sub(area_element, "areaDesc", area.description)
        for code in area.insee_codes:
            geocode = sub(area_element, "geocode")
            sub(geocode, "valueName", INSEE_VALUE_NAME)
            sub(geocode, "value", code)
    return root


def cap_xml(alert: CapAlert) -> bytes:
    """The CAP 1.2 document, UTF-8 with an XML declaration."""
    root = cap_element(alert)
    ET.indent(root)
    document: bytes = ET.tostring(
        root, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NS
    )
    return document


def cap_atom_index(
    feed: FeedInfo,
    alerts: Sequence[CapAlert],
    *,
    url_for: Callable[[CapAlert], str],
    updated: datetime,
) -> bytes:
    """An Atom index of the current alerts, each entry linking to its CAP document."""
    entries = [
        FeedEntry(
            id=f"{feed.id}:{alert.sender}:{alert.identifier}",
            title=_headline(alert),
            text=alert.info.description,
            published=alert.sent,
            updated=alert.sent,
            exercise=alert.status is CapStatus.EXERCISE,
            link=url_for(alert),
            link_type=CAP_MEDIA_TYPE,
        )
        for alert in alerts
    ]
    return atom_feed(feed, entries, updated=updated)
