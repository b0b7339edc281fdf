"""Schemathesis against the OpenAPI document, bounded: no 5xx, answers as documented.

A fixed number of examples per operation and a derandomized generator keep the run short and
the same on every machine; a signed-in admin runs it on PostgreSQL and a comm_cell user on
SQLite (each pair costs about 30 s: the other two cells repeated what these two cover).
"""

from __future__ import annotations

from typing import Any, cast

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from crisis.api.app import create_app
from crisis.bootstrap import Service
from tests.integration.api.conftest import auth

EXAMPLES_PER_OPERATION = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _seed_crisis(client: TestClient, token: str) -> str:
    body = {"title": "Crue de l’Orge", "kind": "inondation", "exercise": True}
    response = client.post("/api/v1/crises", json=body, headers=auth(token))
    assert response.status_code == 201, response.text
    crisis_id: str = response.json()["crisis_id"]
    return crisis_id


ROLE_BY_DATABASE = {"postgresql": "admin", "sqlite": "comm_cell"}


def test_no_server_error_and_documented_answers(service: Service, tokens: dict[str, str]) -> None:
    role = ROLE_BY_DATABASE[service.engine.dialect.name]
    app = create_app(service)
    client = TestClient(app)
    crisis_id = _seed_crisis(client, tokens["duty_officer"])
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = auth(tokens[role])
    failures: list[str] = []
    for result in schema.get_all_operations():
        _exercise(cast(Any, result).ok(), headers=headers, crisis_id=crisis_id, failures=failures)
    assert not failures, "\n".join(_summary(f) for f in failures)


def _exercise(
    operation: Any, *, headers: dict[str, str], crisis_id: str, failures: list[str]
) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        # Half the cases reach a real event, the others an unknown one.
        parameters = case.path_parameters or {}
        if "crisis_id" in parameters and len(str(parameters["crisis_id"])) % 2 == 0:
            parameters["crisis_id"] = crisis_id
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (AssertionError, BaseExceptionGroup) as failure:
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}"[:1500])
            raise

    try:
        run()
    except (AssertionError, BaseExceptionGroup):  # listed by the caller
        return


def _summary(failure: str) -> str:
    lines = failure.splitlines()
    kept = [
        line.strip()
        for line in lines
        if line.strip().startswith(("- ", "Received", "Documented", "[", "curl"))
    ]
    return " | ".join([lines[0].split(":")[0], *kept])
