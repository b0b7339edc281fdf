"""`crisis serve` refuses to start with a missing, empty or weak secret, naming the setting in
French before anything opens; `crisis secrets generate` prints values it accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from crisis.cli import app
from crisis.secret_strength import weakness
from tests.integration.ops.processes import crisis_env, free_port, run_cli

SHORT = "jeton-court"
REPEATED = "a" * 80
WEBHOOK_URL = "https://crise.prefecture.example.gouv.fr/telegram/webhook"


@pytest.mark.parametrize(
    ("variables", "refusal"),
    [
        ({"CRISIS_METRICS_TOKEN": ""}, "CRISIS_METRICS_TOKEN : absent ou vide"),
        ({"CRISIS_METRICS_TOKEN": SHORT}, "CRISIS_METRICS_TOKEN : trop faible"),
        ({"CRISIS_METRICS_TOKEN": REPEATED}, "CRISIS_METRICS_TOKEN : trop faible"),
        (
            {"CRISIS_TELEGRAM_WEBHOOK_URL": WEBHOOK_URL},
            "CRISIS_TELEGRAM_WEBHOOK_SECRET : absent ou vide",
        ),
        (
            {"CRISIS_TELEGRAM_WEBHOOK_URL": WEBHOOK_URL, "CRISIS_TELEGRAM_WEBHOOK_SECRET": SHORT},
            "CRISIS_TELEGRAM_WEBHOOK_SECRET : trop faible",
        ),
    ],
)
def test_serve_refuses_a_missing_or_weak_secret(
    tmp_path: Path, variables: dict[str, str], refusal: str
) -> None:
    database = tmp_path / "crisis.sqlite3"
    env = crisis_env(f"sqlite:///{database}", tmp_path / "donnees", **variables)
    result = run_cli(env, "serve", "--port", str(free_port()))
    assert result.returncode == 2
    assert refusal in result.stderr
    assert "crisis secrets generate" in result.stderr
    assert "Traceback" not in result.stderr
    assert not database.exists()  # nothing opened


def test_generated_secrets_are_accepted_and_differ_each_time() -> None:
    runner = CliRunner()
    first, second = (
        runner.invoke(app, ["secrets", "generate"]),
        runner.invoke(app, ["secrets", "generate"]),
    )
    assert first.exit_code == 0
    values = dict(re.findall(r"^(CRISIS_[A-Z_]+)=(\S+)$", first.stdout, re.MULTILINE))
    assert set(values) == {"CRISIS_METRICS_TOKEN", "CRISIS_TELEGRAM_WEBHOOK_SECRET"}
    assert all(weakness(v) is None for v in values.values())
    assert first.stdout != second.stdout
    webhook = re.search(r"WEBHOOK_SECRET: (whsec_\S+)", first.stdout)
    assert webhook is not None
    from channels.config import secret_key

    assert len(secret_key(webhook.group(1))) == 32
    sms = re.search(r"SMS_CALLBACK_TOKEN: (\S+)", first.stdout)
    assert sms is not None
    from channels.config import callback_token

    callback_token(SecretStr(sms.group(1)))  # accepted as a callback token
