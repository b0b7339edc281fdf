"""The approval rules of prepared messages, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crisis.domain.drafts import (
    Draft,
    DraftOrigin,
    DraftState,
    needs_approval,
    texts_from_template,
)
from crisis.domain.errors import Conflict, InvalidInput
from crisis.domain.vocabulary import Audience

AT = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)


def draft(**changes: object) -> Draft:
    values: dict[str, object] = {
        "id": "d1",
        "crisis_id": "c1",
        "origin": DraftOrigin.TEMPLATE,
        "state": DraftState.DRAFT,
        "audiences": (Audience.ELUS,),
        "lists": (),
        "channels": None,
        "msg_type": "alert",
        "references_id": None,
        "exercise": False,
        "needs_approval": True,
        "texts": {"default": "Texte"},
        "created_by": "cellule",
        "created_at": AT,
        "updated_by": "cellule",
        "updated_at": AT,
    }
    values.update(changes)
    return Draft(**values)  # type: ignore[arg-type]


def test_the_approval_rules() -> None:
    d = draft()
    with pytest.raises(Conflict, match="validé par le préfet"):
        d.ensure_sendable()
    d.submit(by="cellule", at=AT)
    with pytest.raises(Conflict, match="ne peut plus être modifié"):
        d.ensure_editable()
    with pytest.raises(Conflict, match="que vous avez rédigé"):
        d.approve(by="cellule", at=AT)
    with pytest.raises(InvalidInput):
        d.reject(by="préfet", at=AT, reason="  ")
    d.approve(by="préfet", at=AT)
    with pytest.raises(Conflict, match="déjà été validé par préfet"):
        d.approve(by="préfet", at=AT)
    with pytest.raises(Conflict):
        d.reject(by="préfet", at=AT, reason="trop tard")
    d.mark_sent(by="cellule", at=AT, message_id="m1")
    with pytest.raises(Conflict, match="déjà parti"):
        d.ensure_sendable()


def test_an_editor_may_not_approve_either() -> None:
    d = draft(updated_by="rédacteur")
    d.submit(by="cellule", at=AT)
    with pytest.raises(Conflict):
        d.approve(by="rédacteur", at=AT)


def test_which_messages_need_approval() -> None:
    assert needs_approval([Audience.PUBLIC], [], [Audience.PUBLIC])
    assert not needs_approval([Audience.PUBLIC], [], [Audience.ELUS])
    assert needs_approval([], ["maires"], [Audience.ELUS])
    assert not needs_approval([], ["maires"], [Audience.PUBLIC])
    assert not needs_approval([Audience.ELUS], ["maires"], [])


def test_template_variants_become_message_texts() -> None:
    texts = texts_from_template({"email_text": "Courriel", "email_subject": "Objet", "sms": "S"})
    assert texts == {
        "default": "Courriel",
        "email_text": "Courriel",
        "email_subject": "Objet",
        "feed_title": "Objet",
        "sms": "S",
    }
