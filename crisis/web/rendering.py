"""Rendering a console page: the Jinja2 environment, its filters, and what every page is given."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

import crisis
from crisis.clock import PARIS, ensure_utc
from crisis.domain.commands import Command
from crisis.french import compact_datetime, long_datetime, short_time
from crisis.labels import (
    ack_via_label,
    audience_label,
    channel_label,
    delivery_status_label,
    purpose_label,
    sms_encoding_label,
    variant_label,
)
from crisis.labels import role_label as any_role_label
from crisis.reporting.chronology import entry_numbers
from crisis.reporting.citations import entry_list
from crisis.reporting.document import minutes, publication
from crisis.services.registry import COMMANDS, may_run
from crisis.services.roles import ROLE_LABELS, Role
from crisis.web.sessions import SignedIn, service_of

# The command table's own rules (`may_run`), looked up by command name from the templates.
_COMMANDS: dict[str, type[Command]] = {c.__name__: c for c in COMMANDS}


def _paris_input(instant: datetime) -> str:
    """The value of a datetime-local field, in Paris time."""
    return ensure_utc(instant).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


_HOUR_AND_MINUTES = re.compile(r"(\d{1,2}) h (\d{2})")
_NUMBER_AND_UNIT = re.compile(r"(\d) (h|min|s)\b")


_Value = TypeVar("_Value")


def keep_time_together(text: str) -> str:
    """« 17 h 36 », « 24 min », « 1 h » kept on one line: on a phone, « 17 h » and « 36 »,
    or « 1 » and « h », must not part."""
    text = _HOUR_AND_MINUTES.sub("\\1\u00a0h\u00a0\\2", text)
    return _NUMBER_AND_UNIT.sub("\\1\u00a0\\2", text)


def _unbroken(render: Callable[[_Value], str]) -> Callable[[_Value], str]:
    def rendered(value: _Value) -> str:
        return keep_time_together(render(value))

    return rendered


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("crisis.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["heure"] = _unbroken(short_time)
    env.filters["date_longue"] = _unbroken(long_datetime)
    env.filters["instant"] = _unbroken(compact_datetime)
    env.filters["numeros"] = entry_numbers
    env.filters["entrees"] = entry_list
    env.filters["publication"] = publication
    env.filters["minutes"] = _unbroken(minutes)
    env.filters["insecable"] = keep_time_together
    env.filters["variante"] = variant_label
    # Codes a person must never read raw: the words of crisis.labels.
    env.filters["canal"] = channel_label
    env.filters["statut_diffusion"] = delivery_status_label
    env.filters["public"] = audience_label
    env.filters["objet_message"] = purpose_label
    env.filters["accuse_via"] = ack_via_label
    env.filters["role"] = any_role_label
    env.filters["codage"] = sms_encoding_label
    env.filters["champ_date"] = _paris_input
    env.globals["version"] = crisis.__version__
    return env


def role_label(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


def page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    session: SignedIn | None,
    status_code: int = 200,
) -> HTMLResponse:
    service = service_of(request)
    settings = service.settings

    def can(command: str) -> bool:
        return session is not None and may_run(session.user.role, _COMMANDS[command])

    values: dict[str, Any] = {
        "request_path": request.url.path,
        "prefecture": settings.prefecture_name,
        "session": session,
        "user": session.user if session else None,
        "role_label": role_label(session.user.role) if session else "",
        "csrf_token": session.csrf_token if session else "",
        "can": can,
        "demonstration": service.demonstration,
        **(context or {}),
    }
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
