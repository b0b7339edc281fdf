"""A plain, non-editable build ships the code, the templates, the scenarios and the migrations."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build_dir = tmp_path_factory.mktemp("build")
    # Build from a copy: setuptools writes build/ and *.egg-info/ beside the sources.
    source = tmp_path_factory.mktemp("source") / "crisis-comm"
    shutil.copytree(
        REPO_ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "data", "*.egg-info", "__pycache__", ".*_cache"
        ),
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "TMPDIR": str(build_dir), "HOME": str(build_dir)},
    )
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_ships_every_package_and_typed_marker(wheel_names: set[str]) -> None:
    for package in ("crisis", "channels", "templates", "drills"):
        assert f"{package}/__init__.py" in wheel_names
    assert "crisis/py.typed" in wheel_names


def test_wheel_ships_templates_and_migrations(wheel_names: set[str]) -> None:
    bundled = sorted(p.parent.name for p in (REPO_ROOT / "templates").glob("*/template.yaml"))
    assert bundled
    for name in bundled:
        assert f"templates/{name}/template.yaml" in wheel_names
        for source in (REPO_ROOT / "templates" / name).glob("*.j2"):
            assert f"templates/{name}/{source.name}" in wheel_names
    assert "crisis/store/migrations/env.py" in wheel_names
    assert "crisis/store/migrations/versions/0001_initial.py" in wheel_names


def test_wheel_ships_drill_scenarios(wheel_names: set[str]) -> None:
    for scenario in (REPO_ROOT / "drills" / "scenarios").glob("*.yaml"):
        assert f"drills/scenarios/{scenario.name}" in wheel_names


def test_console_script_is_declared(wheel: Path, wheel_names: set[str]) -> None:
    (entry_points,) = [n for n in wheel_names if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as archive:
        declared = archive.read(entry_points).decode("utf-8")
    assert "crisis = crisis.cli:main" in declared
