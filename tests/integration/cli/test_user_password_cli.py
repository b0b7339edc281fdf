"""`crisis user add --password-stdin` and `crisis user passwd`: console passwords from scripts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Engine
from typer.testing import CliRunner

from crisis.cli import app
from crisis.services import accounts
from crisis.settings import Settings
from crisis.store.journal import SYSTEM_STREAM
from crisis.store.unit_of_work import UnitOfWork
from tests.integration.cli.test_cli import database_url as database_url  # the fixture


def _invoke(url: str, stdin: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin, env={"CRISIS_DATABASE_URL": url})
    return result.exit_code, result.stdout, result.stderr


def _signs_in(engine: Engine, name: str, password: str) -> bool:
    with UnitOfWork(engine, now=datetime.now(UTC)) as uow:
        outcome = accounts.sign_in(
            uow, Settings(), name=name, password=password, address="127.0.0.1"
        )
    return outcome.user is not None


def test_a_password_from_standard_input_then_changed(database_url: str, engine: Engine) -> None:
    code, out, err = _invoke(
        database_url,
        "premier-mot-de-passe\nignoré\n",
        "user", "add", "Claire Martin", "--role", "duty_officer", "--password-stdin", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["name"] == "Claire Martin"
    assert _signs_in(engine, "Claire Martin", "premier-mot-de-passe")
    code, out, err = _invoke(
        database_url, "second-mot-de-passe\n", "user", "passwd", "Claire Martin", "--password-stdin"
    )
    assert code == 0, err
    assert (
        "Mot de passe de « Claire Martin » enregistré ; ses sessions ouvertes sont fermées." in out
    )
    assert _signs_in(engine, "Claire Martin", "second-mot-de-passe")
    assert not _signs_in(engine, "Claire Martin", "premier-mot-de-passe")
    with UnitOfWork(engine, now=datetime.now(UTC)) as uow:
        entries = uow.journal.entries(SYSTEM_STREAM)
    written = json.dumps([e.payload for e in entries])
    assert "mot-de-passe" not in written  # the journal knows who, never the password


def test_a_short_password_or_an_unknown_user_is_refused(database_url: str) -> None:
    code, _, err = _invoke(
        database_url, "court\n", "user", "add", "Bob", "--role", "auditor", "--password-stdin"
    )
    assert code == 2
    assert "au moins 12 caractères" in err
    code, _, err = _invoke(
        database_url, "assez-long-pour-passer\n", "user", "passwd", "Personne", "--password-stdin"
    )
    assert code != 0
    assert "Aucun utilisateur ne s'appelle « Personne »" in err


def test_a_password_typed_twice_is_asked_again_in_french_until_both_match(
    database_url: str, engine: Engine
) -> None:
    typed = "mot-de-passe-tape\nune-faute-de-frappe\nmot-de-passe-tape\nmot-de-passe-tape\n"
    code, out, err = _invoke(
        database_url, typed, "user", "add", "Hugo", "--role", "comm_cell", "--password"
    )
    assert code == 0, err
    assert "Erreur : les deux saisies diffèrent ; recommencez." in err
    assert out.count("Confirmez-le") == 2 and "Repeat" not in out + err
    assert _signs_in(engine, "Hugo", "mot-de-passe-tape")
