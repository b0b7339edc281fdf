"""The image's runtime packages (deploy/runtime-packages.txt, installed by the Dockerfile) are
enough to render a PDF report: installed here, the only fonts fontconfig may use, and the
owners of the Pango and HarfBuzz libraries WeasyPrint loads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.integration.ops.processes import crisis_env, run_cli

PACKAGES_FILE = REPO_ROOT / "deploy" / "runtime-packages.txt"

# Run in a process of its own: report the font families WeasyPrint embedded and the shared
# libraries loaded to render the report.
SPY = """
import json, sys
import weasyprint
families = []
original = weasyprint.Document.write_pdf
def spy(self, *args, **kwargs):
    pdf = original(self, *args, **kwargs)
    families.extend(font.family for font in self.fonts.values())
    return pdf
weasyprint.Document.write_pdf = spy
from crisis.cli import app
try:
    app(["report", sys.argv[1], "--format", "pdf", "--out", sys.argv[2]])
except SystemExit as end:
    assert not end.code, end.code
with open("/proc/self/maps") as maps:
    libraries = sorted({line.split()[-1] for line in maps if ".so" in line})
print(json.dumps({"families": families, "libraries": libraries}))
"""


def runtime_packages() -> list[str]:
    lines = PACKAGES_FILE.read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def dpkg(*args: str) -> str:
    return subprocess.run(["dpkg-query", *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def debian() -> None:
    if shutil.which("dpkg-query") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs on Debian: dpkg-query is missing")
        pytest.skip("not a Debian system")


def fontconfig_limited_to(packages: list[str], tmp_path: Path) -> Path:
    """A fontconfig file that knows only the font files of the listed packages (linked into a
    folder of their own: other packages may install fonts into the same system folder)."""
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    for package in packages:
        for path in dpkg("-L", package).splitlines():
            if path.endswith((".ttf", ".otf")):
                (fonts / Path(path).name).symlink_to(path)
    assert any(fonts.iterdir()), "no font package in the runtime list"
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">'
        f"<fontconfig><dir>{fonts}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>",
        "utf-8",
    )
    return config


@pytest.mark.usefixtures("debian")
def test_a_pdf_report_renders_with_the_image_runtime_packages(tmp_path: Path) -> None:
    packages = runtime_packages()
    for package in packages:
        status = dpkg("-W", "-f=${Status}", package)
        assert status == "install ok installed", f"{package} is in the image, not here"

    data = tmp_path / "data"
    data.mkdir()
    env = crisis_env(f"sqlite:///{data / 'crisis.sqlite3'}", data)
    env["FONTCONFIG_FILE"] = str(fontconfig_limited_to(packages, tmp_path))
    assert run_cli(env, "db", "upgrade").returncode == 0  # as the image's entry point does
    activated = run_cli(
        env, "activate", "--title", "Crue de l'Orge", "--kind", "inondation", "--exercise", "--json"
    )
    assert activated.returncode == 0, activated.stderr
    crisis_id = json.loads(activated.stdout)["crisis_id"]
    pdf = tmp_path / "rapport.pdf"
    result = subprocess.run(
        [sys.executable, "-c", SPY, crisis_id, str(pdf)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    seen = json.loads(result.stdout.splitlines()[-1])
    # fontconfig knew only the fonts of the listed packages.
    assert "DejaVu Sans" in seen["families"]
    assert set(seen["families"]) <= {"DejaVu Sans", "DejaVu Sans Mono", "DejaVu Serif"}
    text_libraries = [
        path
        for path in seen["libraries"]
        if Path(path).name.startswith(("libpango", "libharfbuzz")) and path.startswith("/usr/")
    ]
    assert any("libpango-1.0" in path for path in text_libraries)
    owners = {line.split(":")[0] for line in dpkg("-S", *text_libraries).splitlines()}
    assert owners <= set(packages), owners - set(packages)
