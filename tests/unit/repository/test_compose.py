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
