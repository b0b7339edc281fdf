"""A CAP document's <web> link leads to the page that carries its message: the exercise page
for a drill, the population's page for a real event."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import Engine, select

from channels.cap import CAP_NS
from crisis.bootstrap import Service
from crisis.domain.vocabulary import Audience
from crisis.store.tables import publications
from tests.integration.delivery.conftest import Fakes, open_active
from tests.integration.delivery.test_broadcast import dispatch, send


def _web_links(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        documents = connection.execute(
            select(publications.c.document).where(publications.c.kind == "cap")
        ).scalars()
        roots = [ET.fromstring(d) for d in documents]  # noqa: S314 (our own output)
    links = [root.find(f"{{{CAP_NS}}}info/{{{CAP_NS}}}web") for root in roots]
    return [link.text or "" for link in links if link is not None]


@pytest.mark.parametrize(("exercise", "page"), [(True, "/public/exercice"), (False, "/public")])
def test_the_cap_web_link_is_the_page_that_shows_the_message(
    service: Service, fakes: Fakes, engine: Engine, exercise: bool, page: str
) -> None:
    crisis_id = open_active(service, exercise=exercise)
    send(service, crisis_id, audiences=(Audience.PUBLIC,), channels=("cap",))
    dispatch(service)
    base = service.catalog.config.public.base_url.rstrip("/")
    assert _web_links(engine) == [base + page]
