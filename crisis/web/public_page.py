"""The population's page (`/public`, `/public/exercice`): a State web page on the console's DSFR.

The routes and the feeds stay in `crisis.api.public`; this module turns what they read into the
page: the messages (newest first, dated in Paris time), the numéro unique of every CIP that
answers the public now, the links to the feeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from crisis.bootstrap import Service
from crisis.domain.oncall import numero_unique_link
from crisis.domain.vocabulary import CRISIS_KIND_LABELS
from crisis.french import long_datetime
from crisis.store.publications_repository import Publication
from crisis.templating.filters import communes
from crisis.web.rendering import environment, keep_time_together


@dataclass(frozen=True, slots=True)
class PublicMessage:
    title: str
    text: str
    iso: str
    when: str  # « dimanche 29 novembre 2026 à 15 h 42 »


@dataclass(frozen=True, slots=True)
class PublicCip:
    numero: str  # « 01 69 91 91 91 »
    link: str  # « tel:+33-1-69-91-91-91 »
    kind: str  # « Inondation »
    place: str  # « Corbeil-Essonnes et Évry-Courcouronnes », or empty
    since: str
    hours: str
    opened_at: datetime  # when it became operational


def _message(publication: Publication) -> PublicMessage:
    return PublicMessage(
        title=publication.title,
        text=publication.text,
        iso=publication.published_at.isoformat(),
        when=keep_time_together(long_datetime(publication.published_at)),
    )


def open_cips(service: Service, *, exercise: bool) -> list[PublicCip]:
    found: list[PublicCip] = []
    with service.bus.reading() as uow:
        for cip in uow.oncall.open_cips(exercise=exercise):
            assert cip.operational_at is not None
            crisis = uow.crises.get(cip.crisis_id)
            found.append(
                PublicCip(
                    numero=cip.numero_unique,
                    link=numero_unique_link(cip.numero_unique),
                    kind=CRISIS_KIND_LABELS[crisis.kind],
                    place=communes(crisis.communes) if crisis.communes else "",
                    since=keep_time_together(long_datetime(cip.operational_at)),
                    hours=service.settings.cip_hours,
                    opened_at=cip.operational_at,
                )
            )
    return found


def public_page_html(
    service: Service,
    *,
    title: str,
    publications: Sequence[Publication],
    cips: Sequence[PublicCip],
    exercise: bool,
    stale: bool = False,
) -> str:
    """The page; `stale` when it is served as last read, the database being away."""
    home = "/public/exercice" if exercise else "/public"
    return (
        environment()
        .get_template("public.html.j2")
        .render(
            title=title,
            prefecture=service.settings.prefecture_name,
            exercise=exercise,
            home=home,
            messages=[_message(p) for p in publications],
            cips=cips,
            stale=stale,
            demonstration=service.demonstration,
        )
    )
