"""The scheduler's alert rules of deploy/ fire, evaluated by Prometheus's own `promtool` (Debian
package prometheus): « contrôle des échéances en panne » while a job is failing and for five
minutes after a failure of the deadline sweep, « en retard » once the leader's sweep heartbeat
is a minute old; neither fires on a healthy leader nor on a standby."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT

RULES = REPO_ROOT / "deploy" / "prometheus-alerts.yml"
PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(PROMTOOL is None, reason="promtool absent (paquet prometheus)")


def rule(name: str) -> dict[str, Any]:
    groups = yaml.safe_load(RULES.read_text("utf-8"))["groups"]
    found: list[dict[str, Any]] = [r for g in groups for r in g["rules"] if r.get("alert") == name]
    return found[0]


def alert(name: str, **annotations: str) -> dict[str, Any]:
    return {"exp_labels": rule(name)["labels"], "exp_annotations": annotations}


def promtool_test(tmp_path: Path, series: list[dict[str, str]], checks: list[Any]) -> None:
    test = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "15s",
        "tests": [{"interval": "15s", "input_series": series, "alert_rule_test": checks}],
    }
    path = tmp_path / "regles-test.yml"
    path.write_text(yaml.safe_dump(test, allow_unicode=True), "utf-8")
    assert PROMTOOL is not None
    done = subprocess.run(
        [PROMTOOL, "test", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_failing_deadline_sweep_fires_at_once_and_for_five_minutes(tmp_path: Path) -> None:
    panne = rule("ControleDesEcheancesEnPanne")["annotations"]
    firing = alert("ControleDesEcheancesEnPanne", **panne)
    series = [
        # In failure from 45 s to 1 min 15 (the gauge), three failed sweeps counted.
        {"series": 'crisis_scheduler_jobs_failing{instance="a"}', "values": "0x2 1x2 0x40"},
        {
            "series": 'crisis_scheduler_job_failures_total{instance="a",task="deadlines"}',
            "values": "0x2 1 2 3 3x40",
        },
        # A standby process exposes its own series, all at rest.
        {"series": 'crisis_scheduler_jobs_failing{instance="b"}', "values": "0x45"},
    ]
    name = "ControleDesEcheancesEnPanne"
    checks = [
        {"eval_time": "30s", "alertname": name, "exp_alerts": []},
        {"eval_time": "1m", "alertname": name, "exp_alerts": [firing]},
        # The job succeeds again at 1 min 30; the failure still shows for five minutes.
        {"eval_time": "4m", "alertname": name, "exp_alerts": [firing]},
        {"eval_time": "8m", "alertname": name, "exp_alerts": []},
    ]
    promtool_test(tmp_path, series, checks)


def test_a_stale_sweep_heartbeat_of_the_leader_fires(tmp_path: Path) -> None:
    name = "ControleDesEcheancesEnRetard"
    series = [
        # The sweep succeeds every 15 s until 2 min 30, then never again.
        {
            "series": 'crisis_deadline_sweep_last_success_timestamp_seconds{instance="a"}',
            "values": "0+15x10 150x30",
        },
        {"series": 'crisis_scheduler_leader{instance="a"}', "values": "1x40"},
        # The standby: no leadership, no heartbeat.
        {
            "series": 'crisis_deadline_sweep_last_success_timestamp_seconds{instance="b"}',
            "values": "0x40",
        },
        {"series": 'crisis_scheduler_leader{instance="b"}', "values": "0x40"},
    ]
    late = rule(name)["annotations"]
    checks = [
        {"eval_time": "2m", "alertname": name, "exp_alerts": []},
        # 60 s without success at 3 min 30, held for 30 s.
        {"eval_time": "3m30s", "alertname": name, "exp_alerts": []},
        {
            "eval_time": "4m30s",
            "alertname": name,
            "exp_alerts": [
                alert(
                    name,
                    summary=late["summary"],
                    description=late["description"].replace(
                        "{{ $value | humanizeDuration }}", "2m 0s"
                    ),
                )
            ],
        },
    ]
    promtool_test(tmp_path, series, checks)
