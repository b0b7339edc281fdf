"""Behind a reverse proxy: `X-Forwarded-Proto: https` is believed only from the addresses in
CRISIS_FORWARDED_ALLOW_IPS, and then the session cookies carry `Secure`."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest

from tests.integration.ops.processes import crisis_env, run_cli, start_serve


def set_cookie_of_the_sign_in_page(port: int) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/connexion", headers={"X-Forwarded-Proto": "https"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        return "; ".join(response.headers.get_all("set-cookie") or [])


@pytest.mark.parametrize(
    ("trusted", "secure"), [("127.0.0.1", True), ("192.0.2.10", False), ("10.0.0.0/8", False)]
)
def test_the_forwarded_scheme_is_believed_only_from_the_trusted_proxies(
    tmp_path: Path, trusted: str, secure: bool
) -> None:
    env = crisis_env(
        f"sqlite:///{tmp_path / 'crisis.sqlite3'}",
        tmp_path / "donnees",
        CRISIS_FORWARDED_ALLOW_IPS=trusted,
    )
    assert run_cli(env, "db", "upgrade").returncode == 0
    server = start_serve(env, tmp_path / "serve.log")
    try:
        server.wait_for_role("leader")
        cookies = ""
        for _ in range(50):
            try:
                cookies = set_cookie_of_the_sign_in_page(server.port)
                break
            except OSError:
                time.sleep(0.1)
        assert "crisis_" in cookies
        assert ("Secure" in cookies) is secure, cookies
    finally:
        server.stop()
