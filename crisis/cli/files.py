"""Files the CLI reads and writes: a system error becomes a French sentence and exit code 2,
never a traceback; an output folder is made (or refused) before the work it will hold."""

from __future__ import annotations

import os
from pathlib import Path

from crisis.cli.support import EXIT_INVALID, fail
from crisis.french import os_reason


def read_bytes(path: Path, *, what: str = "le fichier") -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        fail(f"impossible de lire {what} {path} ({os_reason(error)})", EXIT_INVALID)


def read_text(path: Path, *, what: str = "le fichier") -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{what} {path} n'est pas un texte UTF-8", EXIT_INVALID)
    except OSError as error:
        fail(f"impossible de lire {what} {path} ({os_reason(error)})", EXIT_INVALID)


def write_bytes(path: Path, data: bytes) -> None:
    """Write a whole file, making its folder if needed (as `--out` of a backup does)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as error:
        fail(f"impossible d'écrire {path} ({os_reason(error)})", EXIT_INVALID)


def output_folder(path: Path) -> Path:
    """The folder that will hold a run's files, made now: a folder that cannot be written
    is refused before the run, not after it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        fail(f"impossible de créer le dossier {path} ({os_reason(error)})", EXIT_INVALID)
    if not os.access(path, os.W_OK | os.X_OK):
        fail(f"impossible d'écrire dans le dossier {path} (permission refusée)", EXIT_INVALID)
    return path
