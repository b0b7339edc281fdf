"""The OpenID Connect provider of the tests: npm `oidc-provider` (tests/peers/oidc), run with
the machine's Node.js on 127.0.0.1, configured like ProConnect."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from tests.conftest import REPO_ROOT

PEER_DIR = REPO_ROOT / "tests" / "peers" / "oidc"
CONSOLE = "https://console.test"
CLIENT_ID = "console-de-crise"


@dataclass
class OidcPeer:
    issuer: str
    client_secret: str
    # One client for the whole run: each new one loads the CA bundle (0.1 s).
    http: httpx.Client

    def set_identity(self, **claims: Any) -> None:
        self.http.post(f"{self.issuer}/test/identity", json=claims).raise_for_status()

    def rotate_keys(self) -> None:
        self.http.post(f"{self.issuer}/test/rotate").raise_for_status()

    def tamper(self, *, id_token: bool = False, userinfo: bool = False) -> None:
        """Alter (or stop altering) what the provider signed: its ID token, its userinfo."""
        mode = {"tamper": id_token, "tamperUserinfo": userinfo}
        self.http.post(f"{self.issuer}/test/mode", json=mode).raise_for_status()

    def key_fetches(self) -> int:
        count: int = self.http.get(f"{self.issuer}/test/stats").json()["keyFetches"]
        return count

    def authorize(self, browser: httpx.Client, url: str) -> str:
        """Follow the provider's redirects as a browser would, up to the one back to the
        console; that address (the callback, with its code and state)."""
        for _ in range(10):
            answer = browser.get(url, follow_redirects=False)
            assert answer.status_code in (302, 303), answer.text[:2000]
            url = urljoin(url, answer.headers["location"])
            if url.startswith(CONSOLE):
                return url
        raise AssertionError("the provider never sent the browser back")


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the OpenID Connect peer must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def oidc_peer() -> Iterator[OidcPeer]:
    node = shutil.which("node")
    if node is None:
        _missing("node is not installed")
    if not (PEER_DIR / "node_modules" / "oidc-provider").is_dir():
        _missing("tests/peers/oidc/node_modules is missing: npm ci --prefix tests/peers/oidc")
    secret = secrets.token_urlsafe(32)
    environment = {
        **os.environ,
        "PEER_REDIRECT_URI": f"{CONSOLE}/connexion/proconnect/retour",
        "PEER_POST_LOGOUT_URI": f"{CONSOLE}/connexion/proconnect/deconnexion",
        "PEER_CLIENT_ID": CLIENT_ID,
        "PEER_CLIENT_SECRET": secret,
    }
    process = subprocess.Popen(
        [str(node), "server.js"],
        cwd=PEER_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("ready "), f"the peer did not start: {line!r}"
        with httpx.Client() as http:
            yield OidcPeer(
                issuer=f"http://127.0.0.1:{int(line.split()[1])}", client_secret=secret, http=http
            )
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
