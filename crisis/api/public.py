"""The public side, without authentication: the permanent page, its feeds, the CAP alerts.

Exercise publications live under `/public/exercice/…` only: the page and feeds that a
préfecture's website embeds never show a drill message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import OperationalError

from channels.cap import CAP_MEDIA_TYPE
from channels.feed import FeedEntry, FeedInfo, atom_feed, json_feed, json_feed_bytes
from crisis.api.auth import CurrentService
from crisis.api.conditional import NEVER, conditional_response
from crisis.api.errors import responses
from crisis.api.last_published import LastPublished, PublicAnswer
from crisis.domain.errors import NotFound
from crisis.store.publications_repository import Publication
from crisis.web.public_page import open_cips, public_page_html
from crisis.web.security import console_dependency

log = logging.getLogger(__name__)

router = APIRouter(prefix="/public", tags=["public"])

HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"


def _base(request: Request, exercise: bool) -> str:
    page: str = request.app.state.service.catalog.config.public.page_url(exercise=exercise)
    return page


def _info(request: Request, exercise: bool, *, cap: bool = False) -> FeedInfo:
    public = request.app.state.service.catalog.config.public
    base = _base(request, exercise)
    suffix = ":exercice" if exercise else ""
    title = public.title + (" — EXERCICE" if exercise else "")
    return FeedInfo(
        id=f"{public.feed_id}{suffix}{':cap' if cap else ''}",
        title=title + (" — alertes CAP" if cap else ""),
        home_url=base,
        self_url=f"{base}/{'cap' if cap else 'feed'}.atom",
        author=public.author,
    )


def _entry(
    publication: Publication, *, link: str | None = None, link_type: str = "text/html"
) -> FeedEntry:
    return FeedEntry(
        id=publication.identifier,
        title=publication.title,
        text=publication.text,
        html=publication.html,
        published=publication.published_at,
        updated=publication.published_at,
        exercise=publication.exercise,
        link=link,
        link_type=link_type,
    )


def _feed_entries(service: CurrentService, exercise: bool) -> list[Publication]:
    with service.bus.reading() as uow:
        return uow.publications.latest(kind="feed", exercise=exercise)


def _latest(publications: list[Publication]) -> datetime | None:
    return max((p.published_at for p in publications), default=None)


def _page(request: Request, service: CurrentService, exercise: bool) -> Response:
    def build() -> PublicAnswer:
        publications = _feed_entries(service, exercise)
        cips = open_cips(service, exercise=exercise)
        title = _info(request, exercise).title

        def render(*, stale: bool) -> bytes:
            return public_page_html(
                service,
                title=title,
                publications=publications,
                cips=cips,
                exercise=exercise,
                stale=stale,
            ).encode("utf-8")

        # The numéro unique opening changes the page without a publication: it counts too.
        changed = max(
            [p.published_at for p in publications] + [c.opened_at for c in cips], default=None
        )
        return PublicAnswer(
            render(stale=False), HTML, changed, with_notice=lambda: render(stale=True)
        )

    return _answer(request, build)


def _answer(request: Request, build: Callable[[], PublicAnswer]) -> Response:
    """The answer built now, kept; with the database away, the last one kept for this address
    (the page saying it is not up to date), or the service's 503 if there is none."""
    kept: LastPublished = request.app.state.last_published
    address = request.url.path
    try:
        answer = build()
    except OperationalError:
        answer_kept = kept.find(address)
        if answer_kept is None:
            raise
        log.warning("base de données injoignable : %s servi tel que lu en dernier", address)
        body = answer_kept.with_notice() if answer_kept.with_notice else answer_kept.body
        return conditional_response(
            request,
            body,
            media_type=answer_kept.media_type,
            last_modified=answer_kept.last_modified,
        )
    kept.keep(address, answer)
    return conditional_response(
        request, answer.body, media_type=answer.media_type, last_modified=answer.last_modified
    )


def _atom(request: Request, service: CurrentService, exercise: bool) -> Response:
    def build() -> PublicAnswer:
        publications = _feed_entries(service, exercise)
        entries = [_entry(p) for p in publications]
        # The feed changed when its latest entry did, not when someone asked for it.
        updated = _latest(publications) or NEVER
        return PublicAnswer(
            atom_feed(_info(request, exercise), entries, updated=updated), ATOM, updated
        )

    return _answer(request, build)


def _json(request: Request, service: CurrentService, exercise: bool) -> Response:
    def build() -> PublicAnswer:
        publications = _feed_entries(service, exercise)
        entries = [_entry(p) for p in publications]
        document = json_feed(
            _info(request, exercise), entries, json_url=f"{_base(request, exercise)}/feed.json"
        )
        return PublicAnswer(json_feed_bytes(document), JSON_FEED, _latest(publications))

    return _answer(request, build)


def _cap_index(request: Request, service: CurrentService, exercise: bool) -> Response:
    def build() -> PublicAnswer:
        base = _base(request, exercise)
        with service.bus.reading() as uow:
            alerts = uow.publications.latest(kind="cap", exercise=exercise)
        entries = [
            _entry(p, link=f"{base}/cap/{p.identifier}.xml", link_type=CAP_MEDIA_TYPE)
            for p in alerts
        ]
        updated = _latest(alerts) or NEVER
        document = atom_feed(_info(request, exercise, cap=True), entries, updated=updated)
        return PublicAnswer(document, ATOM, updated)

    return _answer(request, build)


def _cap(request: Request, service: CurrentService, identifier: str, exercise: bool) -> Response:
    def build() -> PublicAnswer:
        with service.bus.reading() as uow:
            publication = uow.publications.cap(identifier, exercise=exercise)
        if publication is None or publication.document is None:
            raise NotFound(f"Aucune alerte CAP « {identifier} ».")
        return PublicAnswer(
            publication.document.encode("utf-8"), CAP_MEDIA_TYPE, publication.published_at
        )

    return _answer(request, build)


Identifier = Annotated[str, Path(max_length=200)]


def served_as(media_type: str, *, with_404: bool = False) -> dict[str, Any]:
    """Route options documenting the media type really served (not the default JSON)."""
    served: dict[int | str, dict[str, Any]] = {
        200: {"description": "Réussi.", "content": {media_type.split(";")[0]: {}}}
    }
    if with_404:
        served.update(responses(404))
    return {"response_class": Response, "responses": served}


# The pages carry no inline script or style: they get the console's strict policy.
STRICT_CSP = [Depends(console_dependency)]


@router.get(
    "",
    response_class=HTMLResponse,
    dependencies=STRICT_CSP,
    summary="La page permanente d'information du public",
)
def page(request: Request, service: CurrentService) -> Response:
    return _page(request, service, exercise=False)


@router.get("/feed.atom", **served_as(ATOM), summary="Flux Atom des messages publics")
def atom(request: Request, service: CurrentService) -> Response:
    return _atom(request, service, exercise=False)


@router.get("/feed.json", **served_as(JSON_FEED), summary="JSON Feed des messages publics")
def json_view(request: Request, service: CurrentService) -> Response:
    return _json(request, service, exercise=False)


@router.get("/cap.atom", **served_as(ATOM), summary="Index Atom des alertes CAP en cours")
def cap_index(request: Request, service: CurrentService) -> Response:
    return _cap_index(request, service, exercise=False)


@router.get(
    "/cap/{identifier}.xml",
    **served_as(CAP_MEDIA_TYPE, with_404=True),
    summary="Une alerte CAP 1.2",
)
def cap(request: Request, identifier: Identifier, service: CurrentService) -> Response:
    return _cap(request, service, identifier, exercise=False)


@router.get(
    "/exercice", response_class=HTMLResponse, dependencies=STRICT_CSP, summary="Page d'exercice"
)
def exercise_page(request: Request, service: CurrentService) -> Response:
    return _page(request, service, exercise=True)


@router.get("/exercice/feed.atom", **served_as(ATOM), summary="Flux Atom des messages d'exercice")
def exercise_atom(request: Request, service: CurrentService) -> Response:
    return _atom(request, service, exercise=True)


@router.get(
    "/exercice/feed.json", **served_as(JSON_FEED), summary="JSON Feed des messages d'exercice"
)
def exercise_json(request: Request, service: CurrentService) -> Response:
    return _json(request, service, exercise=True)


@router.get(
    "/exercice/cap.atom", **served_as(ATOM), summary="Index Atom des alertes CAP d'exercice"
)
def exercise_cap_index(request: Request, service: CurrentService) -> Response:
    return _cap_index(request, service, exercise=True)


@router.get(
    "/exercice/cap/{identifier}.xml",
    **served_as(CAP_MEDIA_TYPE, with_404=True),
    summary="Une alerte CAP d'exercice",
)
def exercise_cap(request: Request, identifier: Identifier, service: CurrentService) -> Response:
    return _cap(request, service, identifier, exercise=True)
