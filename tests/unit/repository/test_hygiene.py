"""Repository hygiene: nothing git-ignored is committed, the image installs the locked
dependencies with their hashes, and its build context leaves out what it does not copy."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import REPO_ROOT


def test_no_committed_file_is_one_gitignore_leaves_out() -> None:
    if not (REPO_ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.fail("la suite tourne dans un clone git (git et .git sont nécessaires)")
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--ignored", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == []


def test_the_image_installs_the_locked_dependencies_then_the_service_alone() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text("utf-8")
    locked = "pip install --no-cache-dir --require-hashes -r requirements/runtime.txt"
    alone = "pip install --no-cache-dir --no-deps --no-build-isolation ."
    assert locked in dockerfile
    assert alone in dockerfile
    assert dockerfile.index(locked) < dockerfile.index(alone)
    setup = (REPO_ROOT / "scripts" / "setup-venv").read_text("utf-8")
    assert '--require-hashes -r "$lock"' in setup
    assert "lock=requirements/dev.txt" in setup


def test_the_build_context_leaves_out_the_repository_s_own_state() -> None:
    lines = (REPO_ROOT / ".dockerignore").read_text("utf-8").splitlines()
    ignored = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for entry in [".git", ".venv", "data", ".env", "crisis.env", "tests"]:
        assert entry in ignored, entry
    # What the image copies stays in.
    dockerfile = (REPO_ROOT / "Dockerfile").read_text("utf-8")
    for copied in ["crisis", "channels", "templates", "drills", "deploy", "requirements"]:
        assert f"COPY {copied}" in dockerfile, copied
        assert copied not in ignored, copied
