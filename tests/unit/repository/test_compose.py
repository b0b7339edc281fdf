"""docker-compose.yml is checked against the Compose specification's schema (no engine here)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import REPO_ROOT, TEST_DATA

SCHEMA_PATH = TEST_DATA / "compose-spec.json"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text("utf-8"))
    return loaded


def test_compose_file_is_valid_against_the_compose_spec(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose), key=str)
    assert errors == []


def test_an_invalid_compose_file_would_be_caught(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    broken = compose | {"services": {"app": {"ports": "8000"}}}  # ports must be a list
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_the_service_runs_on_postgresql_built_from_the_dockerfile(compose: dict[str, Any]) -> None:
    app = compose["services"]["app"]
    assert app["build"]["dockerfile"] == "Dockerfile"
    assert (REPO_ROOT / app["build"]["dockerfile"]).is_file()
    assert app["environment"]["CRISIS_DATABASE_URL"].startswith("postgresql://")
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert compose["services"]["db"]["image"].startswith("postgres:")
    # The password comes from the environment, never from the file.
    assert "${POSTGRES_PASSWORD" in compose["services"]["db"]["environment"]["POSTGRES_PASSWORD"]


def test_one_extra_worker_on_the_same_image_and_secrets_from_an_env_file(
    compose: dict[str, Any],
) -> None:
    app, worker = compose["services"]["app"], compose["services"]["worker"]
    assert worker["image"] == app["image"]
    assert worker["command"] == ["worker"]
    assert worker["environment"]["CRISIS_WORKER_NAME"] != app["environment"]["CRISIS_WORKER_NAME"]
    assert worker["environment"]["CRISIS_MIGRATE_AT_START"] == "0"
    assert worker["depends_on"]["app"]["condition"] == "service_healthy"
    assert app["env_file"] == worker["env_file"] == ["crisis.env"]
    example = (REPO_ROOT / "deploy" / "crisis.env.example").read_text("utf-8")
    assert "# CRISIS_METRICS_TOKEN=" in example
    # No setting shipped empty: an empty secret would be taken for one (it is refused now).
    settings = [line for line in example.splitlines() if line and not line.startswith("#")]
    assert all(line.split("=", 1)[1].strip() for line in settings), settings
    # Acknowledgement links need no key any more (random tokens, stored hashed).
    assert "CRISIS_ACK_SECRET" not in example


def test_the_image_runs_unprivileged_migrates_at_start_and_checks_its_health() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text("utf-8")
    assert "COPY deploy/runtime-packages.txt" in dockerfile
    assert "xargs apt-get install" in dockerfile
    assert "\nUSER crisis\n" in dockerfile
    assert "/healthz" in dockerfile.split("HEALTHCHECK", 1)[1]
    entrypoint = (REPO_ROOT / "deploy" / "docker-entrypoint.sh").read_text("utf-8")
    assert "crisis db upgrade" in entrypoint
    assert 'ENTRYPOINT ["crisis-entrypoint"]' in dockerfile
