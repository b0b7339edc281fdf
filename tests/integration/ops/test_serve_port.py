"""`crisis serve` on a port already taken stops before anything starts: a second service on
the same database would otherwise start a dispatcher that hands back the running one's
deliveries."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.integration.ops.processes import crisis_env, free_port, run_cli


def test_a_taken_port_is_refused_before_the_service_opens(tmp_path: Path) -> None:
    data = tmp_path / "donnees"
    database = tmp_path / "crisis.sqlite3"
    env = crisis_env(f"sqlite:///{database}", data)
    with socket.create_server(("127.0.0.1", free_port())) as taken:
        port = taken.getsockname()[1]
        result = run_cli(env, "serve", "--host", "127.0.0.1", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        f"Erreur : le port {port} de 127.0.0.1 est déjà pris : un autre service tourne-t-il ? "
        "(--port pour en choisir un autre)"
    )
    assert not database.exists()  # not even opened: no schema, no dispatcher


def test_an_address_of_another_machine_is_refused(tmp_path: Path) -> None:
    env = crisis_env(f"sqlite:///{tmp_path / 'crisis.sqlite3'}", tmp_path / "donnees")
    result = run_cli(env, "serve", "--host", "192.0.2.1", "--port", str(free_port()))
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "Erreur : 192.0.2.1 n'est pas une adresse de cette machine "
        "(--host pour en donner une autre)"
    )


def test_make_run_listens_on_the_port_given_by_port(tmp_path: Path) -> None:
    # `make run PORT=…` is scripts/serve with PORT in its environment: the port reaches
    # `crisis serve` (a taken one, so that the service stops at once and says which).
    env = crisis_env(f"sqlite:///{tmp_path / 'crisis.sqlite3'}", tmp_path / "donnees")
    with socket.create_server(("127.0.0.1", free_port())) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(REPO_ROOT / "scripts" / "serve")],
            env={**env, "PORT": str(port), "CRISIS_PORT": str(free_port())},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert result.returncode == 2, result.stderr
    assert f"Erreur : le port {port} de 127.0.0.1 est déjà pris" in result.stderr
