"""The CLI starts without the libraries only some of its commands use (each cost 0.1 to
0.3 s to import, paid by every command), and without hashing a password."""

from __future__ import annotations

import subprocess
import sys

DEFERRED = ("twitter_text", "xmlschema", "elementpath", "openpyxl")

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
        [sys.executable, "-c", PROBE, *DEFERRED], capture_output=True, text=True, check=True
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
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert warmed == str(sorted(("twitter_text", "xmlschema", "elementpath")))
