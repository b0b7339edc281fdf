"""Acknowledgement links never reach the access log in a usable form."""

from __future__ import annotations

import logging

import pytest

from crisis.api.access_log import ACCESS_LOGGER, MaskTokens, install_access_log_masking


def _record(path: str) -> logging.LogRecord:
    # The arguments uvicorn gives its access logger: client, method, path, version, status.
    return logging.LogRecord(
        ACCESS_LOGGER,
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/ack/eyJwYWdl.c2lnbmF0dXJl", "/ack/***"),
        ("/ack/eyJwYWdl.c2lnbmF0dXJl?x=1", "/ack/***?x=1"),
        ("/telegram/bind?code=483920&x=1", "/telegram/bind?code=***&x=1"),
        ("/api/v1/crises?token=abc", "/api/v1/crises?token=***"),
        ("/api/v1/crises/c-1/journal?after=3", "/api/v1/crises/c-1/journal?after=3"),
    ],
)
def test_tokens_are_masked_in_access_lines(path: str, logged: str) -> None:
    record = _record(path)
    assert MaskTokens().filter(record)
    assert record.getMessage() == f'127.0.0.1:5000 - "GET {logged} HTTP/1.1" 200'


def test_the_filter_is_installed_once() -> None:
    install_access_log_masking()
    install_access_log_masking()
    filters = logging.getLogger(ACCESS_LOGGER).filters
    assert sum(isinstance(f, MaskTokens) for f in filters) == 1
