"""The public side, without authentication: the permanent page, its feeds, the CAP alerts.

Exercise publications live under `/public/exercice/…` only: the page and feeds that a
préfecture's website embeds never show a drill message.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, select_autoescape

from channels.cap import CAP_MEDIA_TYPE
from channels.feed import FeedEntry, FeedInfo, atom_feed, json_feed, json_feed_bytes
from crisis.api.auth import CurrentService
from crisis.api.errors import responses
from crisis.domain.errors import NotFound
from crisis.french import long_datetime
from crisis.store.publications_repository import Publication

router = APIRouter(prefix="/public", tags=["public"])

ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"

_PAGE = Environment(autoescape=select_autoescape(default=True)).from_string(
    (resources.files("crisis.api") / "public_page.html.j2").read_text("utf-8")
)


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
    with service.bus.reading() as uow:
        return uow.publications.latest(kind="feed", exercise=exercise)


def _page(request: Request, service: CurrentService, exercise: bool) -> HTMLResponse:
    info = _info(request, exercise)
    items = [
        {
            "title": p.title,
            "text": p.text,
            "exercise": p.exercise,
            "iso": p.published_at.isoformat(),
            "when": long_datetime(p.published_at),
        }
        for p in _feed_entries(service, exercise)
    ]
    html = _PAGE.render(
        title=info.title, items=items, base=_base(request, exercise), exercise=exercise
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
    with service.bus.reading() as uow:
        alerts = uow.publications.latest(kind="cap", exercise=exercise)
    entries = [
        _entry(p, link=f"{base}/cap/{p.identifier}.xml", link_type=CAP_MEDIA_TYPE) for p in alerts
    ]
    document = atom_feed(_info(request, exercise, cap=True), entries, updated=service.clock.now())
    return Response(document, media_type=ATOM)


def _cap(service: CurrentService, identifier: str, exercise: bool) -> Response:
    with service.bus.reading() as uow:
        publication = uow.publications.cap(identifier, exercise=exercise)
    if publication is None or publication.document is None:
        raise NotFound(f"Aucune alerte CAP « {identifier} ».")
    return Response(publication.document.encode("utf-8"), media_type=CAP_MEDIA_TYPE)


Identifier = Annotated[str, Path(max_length=200)]


def served_as(media_type: str, *, with_404: bool = False) -> dict[str, Any]:
    """Route options documenting the media type really served (not the default JSON)."""
    served: dict[int | str, dict[str, Any]] = {
        200: {"description": "Réussi.", "content": {media_type.split(";")[0]: {}}}
    }
    if with_404:
        served.update(responses(404))
    return {"response_class": Response, "responses": served}


@router.get("", response_class=HTMLResponse, summary="La page permanente d'information du public")
def page(request: Request, service: CurrentService) -> HTMLResponse:
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
def cap(identifier: Identifier, service: CurrentService) -> Response:
    return _cap(service, identifier, exercise=False)


@router.get("/exercice", response_class=HTMLResponse, summary="Page d'exercice")
def exercise_page(request: Request, service: CurrentService) -> HTMLResponse:
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
def exercise_cap(identifier: Identifier, service: CurrentService) -> Response:
    return _cap(service, identifier, exercise=True)
