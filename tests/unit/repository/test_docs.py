"""The README fits on a screen, the documentation site builds with no broken link, its
reference says what the code says (settings, channels file, commands, labels), and the lock
files follow pyproject.toml."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from channels.config import ChannelsConfig
from crisis.delivery.config import DeliveryConfig, load_delivery_config
from crisis.settings import Settings
from tests.conftest import REPO_ROOT

DOCS = REPO_ROOT / "docs"
# Pages the site's build writes from the code (scripts/mkdocs_hooks.py).
GENERATED_PAGES = {DOCS / "reference" / "commandes.md"}
TOP_LEVEL_PAGES = ["README.md", "CHANGELOG.md", "CONTRIBUTING.md", "SECURITY.md"]

# [text](target) and ![alt](target), outside code; the target ends at a space or ")".
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_FENCE = re.compile(r"^```.*?^```", re.M | re.S)
_CODE_SPAN = re.compile(r"`[^`\n]+`")


def _relative_links(page: Path) -> Iterator[str]:
    text = _CODE_SPAN.sub("", _FENCE.sub("", page.read_text("utf-8")))
    for target in _LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # http:, https:, mailto:, or an anchor of the same page
        yield target.split("#", 1)[0]


def test_the_readme_fits_on_a_screen_and_starts_with_the_two_commands() -> None:
    lines = (REPO_ROOT / "README.md").read_text("utf-8").splitlines()
    assert len(lines) <= 150, f"README.md : {len(lines)} lignes (150 au plus)"
    opening = "\n".join(lines[:6])
    assert "make run" in opening
    assert "make test" in opening
    # The suite's size and duration belong to the CHANGELOG, not to the first screen.
    assert not re.search(r"\d[\d  ]* tests en", "\n".join(lines))


def test_every_relative_link_of_the_readme_and_the_site_resolves() -> None:
    pages = [REPO_ROOT / name for name in TOP_LEVEL_PAGES] + sorted(DOCS.rglob("*.md"))
    broken = []
    checked = 0
    for page in pages:
        for target in _relative_links(page):
            checked += 1
            resolved = (page.parent / target).resolve()
            if not resolved.exists() and resolved not in GENERATED_PAGES:
                broken.append(f"{page.relative_to(REPO_ROOT)} → {target}")
    assert checked > 50
    assert not broken, broken


def test_the_settings_reference_lists_every_setting_with_its_default() -> None:
    page = (DOCS / "reference" / "reglages.md").read_text("utf-8")
    own, elsewhere = page.split("## Variables lues ailleurs")
    rows = {
        name: line
        for line in own.splitlines()
        if line.startswith("| `CRISIS_")
        for name in re.findall(r"`(CRISIS_[A-Z0-9_]+)`", line.split("|")[1])
    }
    fields = Settings.model_fields
    documented = set(rows)
    expected = {f"CRISIS_{name.upper()}" for name in fields}
    assert documented == expected, (
        f"manquants : {sorted(expected - documented)} ; disparus : {sorted(documented - expected)}"
    )
    for name, field in fields.items():
        default = field.get_default(call_default_factory=True)
        if default is None or name == "log_level":
            continue
        if isinstance(default, bool):
            shown = "true" if default else "false"
        elif isinstance(default, float):
            shown = f"{default:g}"
        elif isinstance(default, list | dict):
            shown = json.dumps(default, separators=(",", ":"), ensure_ascii=False)
        else:
            shown = str(default)
        default_cell = rows[f"CRISIS_{name.upper()}"].split("|")[2]
        assert f"`{shown}`" in default_cell, (name, shown, default_cell)
    assert "CRISIS_ACK_SECRET" in elsewhere


def test_the_channels_file_example_is_one_the_service_loads(tmp_path: Path) -> None:
    page = (DOCS / "reference" / "fichier-des-canaux.md").read_text("utf-8")
    (example,) = re.findall(r"^```yaml\n(.*?)^```", page, re.M | re.S)
    channels_file = tmp_path / "canaux.yaml"
    channels_file.write_text(example, "utf-8")
    names = set(re.findall(r"\$\{([A-Z_]+)\}", example))
    environ = {name: "x" * 40 for name in names}
    environ["WEBHOOK_SECRET"] = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    config = load_delivery_config(channels_file, environ=environ)
    # Every section of the file is shown, each channel of production among them.
    assert set(yaml.safe_load(example)) == set(DeliveryConfig.model_fields)
    production = config.production
    assert all(getattr(production, key) is not None for key in ChannelsConfig.model_fields)
    assert config.exercise.telegram is not None
    assert config.exercise.telegram.production is False


def _declared(extras: list[str]) -> list[Requirement]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    declared = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        declared += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return declared


def _locked(path: Path) -> dict[str, set[str]]:
    """Each locked package and its versions (a universal lock may pin two, under markers)."""
    text = path.read_text("utf-8")
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", text, re.M)
    # Every pin carries its hashes: pip installs it with --require-hashes.
    hashed = re.findall(r"^[A-Za-z0-9_.\-]+==\S+.*\\\n\s+--hash=sha256:", text, re.M)
    assert len(hashed) == len(pins) > 10
    versions: dict[str, set[str]] = {}
    for name, version in pins:
        versions.setdefault(canonicalize_name(name), set()).add(version)
    return versions


@pytest.mark.parametrize(
    ("lock", "extras"),
    [("runtime.txt", []), ("dev.txt", ["dev", "docs"])],
)
def test_the_lock_files_follow_pyproject(lock: str, extras: list[str]) -> None:
    locked = _locked(REPO_ROOT / "requirements" / lock)
    for requirement in _declared(extras):
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} absent de requirements/{lock} : scripts/lock"
        for version in locked[name]:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{requirement} ne permet pas {name}=={version} : scripts/lock"
            )


def test_the_site_builds_strictly_with_its_generated_reference(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(site)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    commands = (site / "reference" / "commandes" / "index.html").read_text("utf-8")
    for command in ["crisis serve", "crisis user add", "crisis messages compose", "crisis cip"]:
        assert f"<code>{command}</code>" in commands, command
    # The choices of an option, its pipes not shown escaped.
    assert "<code>--kind &lt;inondation&#124;accident_industriel&#124;" in commands
    assert "\\|" not in commands
    vocabulary = (site / "reference" / "vocabulaire" / "index.html").read_text("utf-8")
    assert "<code>duty_officer</code>" in vocabulary
    assert "cadre de permanence" in vocabulary
    assert (site / "console" / "tableau-1280.png").exists()
