"""The public side, without authentication: the permanent page, its feeds, the CAP alerts.

Exercise publications live under `/public/exercice/…` only: the page and feeds that a
préfecture's website embeds never show a drill message.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response

from channels.cap import CAP_MEDIA_TYPE
from channels.feed import FeedEntry, FeedInfo, atom_feed, json_feed, json_feed_bytes
from crisis.api.auth import CurrentService
from crisis.api.errors import responses
from crisis.domain.errors import NotFound
from crisis.store.publications_repository import Publication
from crisis.web.public_page import public_page_html
from crisis.web.security import mark_console

router = APIRouter(prefix="/public", tags=["public"])

ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"


def _base(request: Request, exercise: bool) -> str:
    service = request.app.state.service
    root = service.catalog.config.public.base_url.rstrip("/")
    return f"{root}/public/exercice" if exercise else f"{root}/public"


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
    with service.bus.unit_of_work() as uow:
        return uow.publications.latest(kind="feed", exercise=exercise)


def _page(request: Request, service: CurrentService, exercise: bool) -> HTMLResponse:
    html = public_page_html(
        service,
        title=_info(request, exercise).title,
        publications=_feed_entries(service, exercise),
        exercise=exercise,
    )
    return HTMLResponse(html)


def _atom(request: Request, service: CurrentService, exercise: bool) -> Response:
    entries = [_entry(p) for p in _feed_entries(service, exercise)]
    return Response(
        atom_feed(_info(request, exercise), entries, updated=service.clock.now()), media_type=ATOM
    )


def _json(request: Request, service: CurrentService, exercise: bool) -> Response:
    entries = [_entry(p) for p in _feed_entries(service, exercise)]
    document = json_feed(
        _info(request, exercise), entries, json_url=f"{_base(request, exercise)}/feed.json"
    )
    return Response(json_feed_bytes(document), media_type=JSON_FEED)


def _cap_index(request: Request, service: CurrentService, exercise: bool) -> Response:
    base = _base(request, exercise)
    with service.bus.unit_of_work() as uow:
        alerts = uow.publications.latest(kind="cap", exercise=exercise)
    entries = [
        _entry(p, link=f"{base}/cap/{p.identifier}.xml", link_type=CAP_MEDIA_TYPE) for p in alerts
    ]
    document = atom_feed(_info(request, exercise, cap=True), entries, updated=service.clock.now())
    return Response(document, media_type=ATOM)


def _cap(service: CurrentService, identifier: str, exercise: bool) -> Response:
    with service.bus.unit_of_work() as uow:
        publication = uow.publications.cap(identifier, exercise=exercise)
    if publication is None or publication.document is None:
        raise NotFound(f"Aucune alerte CAP « {identifier} ».")
    return Response(publication.document.encode("utf-8"), media_type=CAP_MEDIA_TYPE)


Identifier = Annotated[str, Path(max_length=200)]


# The pages carry no inline script or style: they get the console's strict policy.
STRICT_CSP = [Depends(mark_console)]


@router.get(
    "",
    response_class=HTMLResponse,
    dependencies=STRICT_CSP,
    summary="La page permanente d'information du public",
)
def page(request: Request, service: CurrentService) -> HTMLResponse:
    return _page(request, service, exercise=False)


@router.get("/feed.atom", summary="Flux Atom des messages publics")
def atom(request: Request, service: CurrentService) -> Response:
    return _atom(request, service, exercise=False)


@router.get("/feed.json", summary="JSON Feed des messages publics")
def json_view(request: Request, service: CurrentService) -> Response:
    return _json(request, service, exercise=False)


@router.get("/cap.atom", summary="Index Atom des alertes CAP en cours")
def cap_index(request: Request, service: CurrentService) -> Response:
    return _cap_index(request, service, exercise=False)


@router.get("/cap/{identifier}.xml", responses=responses(404), summary="Une alerte CAP 1.2")
def cap(identifier: Identifier, service: CurrentService) -> Response:
    return _cap(service, identifier, exercise=False)


@router.get(
    "/exercice", response_class=HTMLResponse, dependencies=STRICT_CSP, summary="Page d'exercice"
)
def exercise_page(request: Request, service: CurrentService) -> HTMLResponse:
    return _page(request, service, exercise=True)


@router.get("/exercice/feed.atom", summary="Flux Atom des messages d'exercice")
def exercise_atom(request: Request, service: CurrentService) -> Response:
    return _atom(request, service, exercise=True)


@router.get("/exercice/feed.json", summary="JSON Feed des messages d'exercice")
def exercise_json(request: Request, service: CurrentService) -> Response:
    return _json(request, service, exercise=True)


@router.get("/exercice/cap.atom", summary="Index Atom des alertes CAP d'exercice")
def exercise_cap_index(request: Request, service: CurrentService) -> Response:
    return _cap_index(request, service, exercise=True)


@router.get(
    "/exercice/cap/{identifier}.xml", responses=responses(404), summary="Une alerte CAP d'exercice"
)
def exercise_cap(identifier: Identifier, service: CurrentService) -> Response:
    return _cap(service, identifier, exercise=True)
