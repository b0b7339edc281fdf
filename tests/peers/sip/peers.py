"""Real SIP software from Debian, started on 127.0.0.1 for the voice tests.

- baresip, the callee: one account per test number, answering at once (`auto`) or letting
  it ring (`manual`); it records what it hears to WAV (module sndfile) and presses keys on
  command (module ctrl_tcp, netstring JSON).
- kamailio, the trunk: digest authentication of REGISTER and INVITE, « 486 Busy Here » for
  the busy number, every other call relayed to baresip (record-routed, CANCEL relayed).

Missing programs skip the tests, or fail them under CI (scripts/test installs them).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import wave
from array import array
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from threading import Thread

import pytest

ANSWERING = "+33612345601"
RINGING_ONLY = "+33612345602"  # never picks up
BUSY = "+33612345686"  # kamailio answers 486
TRUNK_USER = "prefecture"
TRUNK_PASSWORD = "mot-de-passe-du-trunk"


def require(program: str) -> str:
    found = shutil.which(program) or (
        f"/usr/sbin/{program}" if os.path.exists(f"/usr/sbin/{program}") else None
    )
    if found is None:
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"{program} is missing: CI must run the voice tests")
        pytest.skip(f"{program} is not installed (Debian package {program})")
    return found


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def free_sip_port() -> int:
    """A port baresip can listen on: SIP over UDP and TCP on it, SIP over TLS on the next one
    (baresip opens all three, and stops with code 98 if one is taken)."""
    while True:
        port = free_udp_port()
        if port >= 65535:
            continue
        with ExitStack() as held:
            try:
                for kind, number in (
                    (socket.SOCK_DGRAM, port),
                    (socket.SOCK_STREAM, port),
                    (socket.SOCK_STREAM, port + 1),
                ):
                    probe = held.enter_context(socket.socket(socket.AF_INET, kind))
                    probe.bind(("127.0.0.1", number))
            except OSError:
                continue
        return port


@dataclass
class Baresip:
    process: subprocess.Popen[bytes]
    sip_port: int
    control_port: int
    recordings: Path
    log: Path

    def command(self, name: str, params: str = "") -> dict[str, object]:
        """Run a command through ctrl_tcp (netstrings of JSON) and return its response; the
        events baresip pushes on the same connection are passed over."""
        payload = json.dumps({"command": name, "params": params, "token": "t"}).encode()
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=5) as link:
            link.sendall(str(len(payload)).encode() + b":" + payload + b",")
            buffer = b""
            while True:
                length, colon, rest = buffer.partition(b":")
                if colon and len(rest) > int(length):
                    message: dict[str, object] = json.loads(rest[: int(length)])
                    buffer = rest[int(length) + 1 :]
                    if message.get("response"):
                        return message
                    continue
                chunk = link.recv(4096)
                if not chunk:
                    raise ConnectionError(f"baresip closed ctrl_tcp before answering {name}")
                buffer += chunk

    def answered(self) -> int:
        """How many calls baresip has answered so far."""
        return self.log.read_bytes().count(b"Call established")

    def when_answered(self, action: Callable[[], object], *, after: float = 0.5) -> Thread:
        """In a thread: wait for the next call to be answered, `after` seconds more, then act
        (a key, a hang-up), however long the call took to come."""
        seen = self.answered()

        def wait_then_act() -> None:
            deadline = time.monotonic() + 15
            while self.answered() == seen and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(after)
            action()

        thread = Thread(target=wait_then_act, daemon=True)
        thread.start()
        return thread

    def press(self, key: str, *, number: str = ANSWERING) -> None:
        """Press a key in the call of that number's account (sent as an RFC 4733 event)."""
        self.command("uafind", f"sip:{number}@127.0.0.1")
        self.command("sndcode", key)

    def hang_up(self, *, number: str = ANSWERING) -> None:
        self.command("uafind", f"sip:{number}@127.0.0.1")
        self.command("hangup")

    def heard(self) -> list[Path]:
        """The WAV files of what baresip heard (decoded audio), oldest first."""
        return sorted(self.recordings.glob("dump-*-dec.wav"))

    def clear(self) -> None:
        for path in self.recordings.glob("*.wav"):
            path.unlink()


# A port found free can be taken by another process before baresip binds it: start again.
BARESIP_ATTEMPTS = 4
ADDRESS_IN_USE = 98


@contextmanager
def baresip(folder: Path) -> Iterator[Baresip]:
    for attempt in range(1, BARESIP_ATTEMPTS + 1):
        try:
            peer = _start_baresip(folder)
        except _AddressTakenError:
            if attempt == BARESIP_ATTEMPTS:
                raise
            continue
        try:
            yield peer
        finally:
            _stop(peer.process)
        return


class _AddressTakenError(RuntimeError):
    """baresip stopped at start: one of its ports was taken meanwhile."""


def _start_baresip(folder: Path) -> Baresip:
    program = require("baresip")
    sip_port, control_port = free_sip_port(), free_tcp_port()
    recordings = folder / "recordings"
    shutil.rmtree(recordings, ignore_errors=True)
    recordings.mkdir(parents=True)
    (folder / "config").write_text(
        "\n".join(
            [
                "poll_method epoll",
                f"sip_listen 127.0.0.1:{sip_port}",
                "audio_player aubridge,nil",
                "audio_source aubridge,nil",
                "audio_alert aubridge,nil",
                "module_path /usr/lib/baresip/modules",
                "module g711.so",
                "module aubridge.so",
                "module sndfile.so",
                "module account.so",
                "module_app menu.so",
                "module_app ctrl_tcp.so",
                f"ctrl_tcp_listen 127.0.0.1:{control_port}",
                f"snd_path {recordings}",
                "call_max_calls 16",
                "",
            ]
        )
    )
    (folder / "accounts").write_text(
        f"<sip:{ANSWERING}@127.0.0.1>;regint=0;answermode=auto\n"
        f"<sip:{RINGING_ONLY}@127.0.0.1>;regint=0;answermode=manual\n"
    )
    (folder / "contacts").write_text("")
    log = folder / "baresip.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [program, "-f", str(folder)], stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
    try:
        _wait_for(lambda: b"baresip is ready" in log.read_bytes(), process, "baresip")
    except RuntimeError as error:
        _stop(process)
        if process.returncode == ADDRESS_IN_USE:
            raise _AddressTakenError(str(error)) from error
        raise
    return Baresip(process, sip_port, control_port, recordings, log)


_KAMAILIO_CFG = """#!KAMAILIO
debug=1
log_stderror=yes
children=2
listen=udp:127.0.0.1:{port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "pv.so"
loadmodule "auth.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"

request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (has_totag()) {{
        if (loose_route()) {{ t_relay(); exit; }}
        if (is_method("ACK")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
        sl_send_reply("404", "Not here");
        exit;
    }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    if (is_method("OPTIONS")) {{ sl_send_reply("200", "OK"); exit; }}
    if (is_method("REGISTER|INVITE")) {{
        if (!pv_auth_check("$fd", "{password}", "0", "0")) {{
            auth_challenge("$fd", "1");
            exit;
        }}
        if ($au != "{user}") {{ sl_send_reply("403", "Forbidden"); exit; }}
        consume_credentials();
    }}
    if (is_method("REGISTER")) {{ save("location"); exit; }}
    if ($rU == "{busy}") {{ sl_send_reply("486", "Busy Here"); exit; }}
    record_route();
    $du = "sip:127.0.0.1:{callee}";
    t_relay();
}}
"""


@dataclass
class Kamailio:
    process: subprocess.Popen[bytes]
    port: int
    log: Path


@contextmanager
def kamailio(folder: Path, *, callee_port: int) -> Iterator[Kamailio]:
    program = require("kamailio")
    port = free_udp_port()
    config = folder / "kamailio.cfg"
    config.write_text(
        _KAMAILIO_CFG.format(
            port=port, password=TRUNK_PASSWORD, user=TRUNK_USER, busy=BUSY, callee=callee_port
        )
    )
    log = folder / "kamailio.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                program,
                "-f",
                str(config),
                "-DD",
                "-E",
                "-Y",
                str(folder),
                "-P",
                str(folder / "k.pid"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
        )
    peer = Kamailio(process, port, log)
    try:
        _wait_for(lambda: _answers_options(port), process, "kamailio")
        yield peer
    finally:
        _stop(process)


@contextmanager
def callee_behind_trunk(folder: Path) -> Iterator[tuple[Baresip, Kamailio]]:
    """baresip, and kamailio in front of it as the trunk, in two folders of `folder`."""
    (folder / "baresip").mkdir()
    (folder / "kamailio").mkdir()
    with (
        baresip(folder / "baresip") as callee,
        kamailio(folder / "kamailio", callee_port=callee.sip_port) as trunk,
    ):
        yield callee, trunk


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def _answers_options(port: int) -> bool:
    request = (
        f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKp\r\n"
        "From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: probe\r\n"
        "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.settimeout(0.2)
        probe.bind(("127.0.0.1", 0))
        probe.sendto(request, ("127.0.0.1", port))
        try:
            return probe.recv(4096).startswith(b"SIP/2.0 200")
        except OSError:
            return False


def _wait_for(ready: object, process: subprocess.Popen[bytes], name: str) -> None:
    assert callable(ready)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} stopped at start (code {process.returncode})")
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not start within 15 s")


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as recording:
        frames: int = recording.getnframes()
        rate: int = recording.getframerate()
    return frames / rate


def wav_loudness(path: Path) -> float:
    """Root mean square of the samples (16-bit): 0 for silence."""
    with wave.open(str(path)) as recording:
        samples = array("h", recording.readframes(recording.getnframes()))
    if not samples:
        return 0.0
    return float((sum(s * s for s in samples) / len(samples)) ** 0.5)
