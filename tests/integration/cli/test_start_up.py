"""The CLI starts without the libraries only some of its commands use (each cost 0.1 to
0.3 s to import, paid by every command), and without hashing a password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEFERRED = ("twitter_text", "xmlschema", "elementpath", "openpyxl")
# The channels' provider libraries: built at first use (`channels.registry.LazyChannels`).
PROVIDERS = ("telegram", "aiohttp", "tweepy", "requests")

PROBE = """
import sys
from argon2 import PasswordHasher
hashes = []
original = PasswordHasher.hash
PasswordHasher.hash = lambda self, *a, **k: hashes.append(1) or original(self, *a, **k)
import crisis.cli.app
print(sorted(set(sys.argv[1:]) & set(sys.modules)), len(hashes))
"""


def test_importing_the_cli_loads_no_deferred_library_and_hashes_nothing() -> None:
    shown = subprocess.run(
        [sys.executable, "-c", PROBE, *DEFERRED, *PROVIDERS],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shown == "[] 0"


def test_a_long_running_process_warms_them_up() -> None:
    warmed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from crisis.ops.process import warm_up; warm_up();"
            " print(sorted(set(sys.argv[1:]) & set(sys.modules)))",
            *DEFERRED,
            *PROVIDERS,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert warmed == str(sorted(("twitter_text", "xmlschema", "elementpath", *PROVIDERS)))


COMMAND_PROBE = """
import sys
from typer.testing import CliRunner
from crisis.cli import app
result = CliRunner().invoke(app, ["user", "list"])  # the whole service, built
assert result.exit_code == 0, result.output
print(sorted(set(sys.argv[1:]) & set(sys.modules)))
"""

EVERY_CHANNEL = """
production:
  telegram: {token: "111:jeton", base_url: "http://127.0.0.1:9/bot", public_chat: "@public"}
  x: {user_access_token: "jeton-x", api_base_url: "http://127.0.0.1:9"}
  email: {host: 127.0.0.1, port: 9, security: none, from_address: "com@prefecture.gouv.fr"}
  sms: {base_url: "http://127.0.0.1:9", api_key: "cle-sms"}
  webhook: {secret: "whsec_0eulSCXHeBbe7qp83t4UXxBZvoFgoZr9ZbC1g7wCR9I=", url: "http://127.0.0.1:9/hook"}
exercise:
  telegram: {token: "111:jeton", base_url: "http://127.0.0.1:9/bot", production: false}
"""


def test_a_command_that_sends_nothing_builds_no_channel(tmp_path: Path) -> None:
    """Every channel configured, `crisis user list` (which opens the service): no provider
    library is loaded."""
    channels = tmp_path / "canaux.yaml"
    channels.write_text(EVERY_CHANNEL, "utf-8")
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CRISIS_")},
        "CRISIS_DATA_DIR": str(tmp_path),
        "CRISIS_CHANNELS_FILE": str(channels),
    }
    subprocess.run([sys.executable, "-m", "crisis", "db", "upgrade"], env=environment, check=True)
    loaded = subprocess.run(
        [sys.executable, "-c", COMMAND_PROBE, *PROVIDERS],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    ).stdout.strip()
    assert loaded == "[]"
