"""French speech for phone calls: espeak-ng's French voice, resampled by SoX to 8 kHz G.711.

Each text is rendered once per synthesizer (and kept on disk when a cache folder is given):
a call-out that rings twenty people renders its message once. Both programs are Debian
packages (`espeak-ng`, `sox`); the text goes through standard input, never the command line.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Final, Literal

Law = Literal["pcmu", "pcma"]
SAMPLE_RATE: Final = 8000  # G.711: one byte per sample
_SOX_ENCODING: Final = {"pcmu": "u-law", "pcma": "a-law"}
_TIMEOUT_SECONDS: Final = 30.0
_KEPT_IN_MEMORY: Final = 64
_PAUSE: Final = re.compile(r"[.!?;:]")


class SpeechError(Exception):
    """The synthesis could not run; the reason is in French."""


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SpeechError(
            f"synthèse vocale impossible : le programme « {name} » est absent "
            "(paquets Debian espeak-ng et sox)"
        )
    return found


def synthesize(text: str, *, voice: str, words_per_minute: int, law: Law) -> bytes:
    """The text spoken, as raw G.711 samples at 8 kHz (no header)."""
    espeak = subprocess.run(  # noqa: S603 - fixed programs, text on stdin
        [_program("espeak-ng"), "-v", voice, "-s", str(words_per_minute), "--stdin", "--stdout"],
        input=text.encode("utf-8"),
        capture_output=True,
        timeout=_TIMEOUT_SECONDS,
        check=False,
    )
    if espeak.returncode != 0 or not espeak.stdout:
        raise SpeechError("synthèse vocale impossible : espeak-ng a échoué")
    sox = subprocess.run(  # noqa: S603
        [
            _program("sox"),
            "-t",
            "wav",
            "-",
            "-r",
            str(SAMPLE_RATE),
            "-c",
            "1",
            "-e",
            _SOX_ENCODING[law],
            "-t",
            "raw",
            "-",
        ],
        input=espeak.stdout,
        capture_output=True,
        timeout=_TIMEOUT_SECONDS,
        check=False,
    )
    if sox.returncode != 0:
        raise SpeechError("synthèse vocale impossible : la conversion G.711 (sox) a échoué")
    return sox.stdout


def seconds_of(audio: bytes) -> float:
    return len(audio) / SAMPLE_RATE


@functools.lru_cache(maxsize=512)
def spoken_seconds(text: str, *, voice: str = "fr", words_per_minute: int = 150) -> float:
    """How long the text lasts once spoken (a pure function of its arguments, hence cached):
    what a voice variant is measured by when it is composed.

    Where the synthesis cannot run (espeak-ng or sox not installed: a service with no voice
    channel need not have them), the duration is estimated instead, so that composing a message
    never depends on the voice channel's programs; a call itself still needs them."""
    try:
        audio = synthesize(text, voice=voice, words_per_minute=words_per_minute, law="pcmu")
    except SpeechError:
        return estimated_spoken_seconds(text, words_per_minute=words_per_minute)
    return seconds_of(audio)


def estimated_spoken_seconds(text: str, *, words_per_minute: int = 150) -> float:
    """espeak-ng's French voice at 150 words a minute reads about 16 characters a second and
    pauses at each sentence's end; this errs on the long side (measured on the bundled voice
    texts: 0–20 % over), so that a text it admits also fits once really spoken."""
    characters_per_second = 16.0 * words_per_minute / 150
    pauses = len(_PAUSE.findall(text))
    return len(text) / characters_per_second + 0.5 * pauses


class Synthesizer:
    """Renders texts with one voice, keeping the latest ones in memory and, if a folder is
    given, every one on disk (named by the SHA-256 of voice, pace, law and text)."""

    def __init__(
        self, *, voice: str, words_per_minute: int, law: Law, cache_dir: Path | None = None
    ) -> None:
        self.voice = voice
        self.words_per_minute = words_per_minute
        self.law = law
        self._cache_dir = cache_dir
        self._memory: collections.OrderedDict[str, bytes] = collections.OrderedDict()
        self._lock = threading.Lock()

    def _key(self, text: str) -> str:
        spec = f"{self.voice}\n{self.words_per_minute}\n{self.law}\n{text}"
        return hashlib.sha256(spec.encode("utf-8")).hexdigest()

    def render(self, text: str) -> bytes:
        key = self._key(text)
        with self._lock:
            cached = self._memory.get(key)
            if cached is not None:
                self._memory.move_to_end(key)
                return cached
        audio = self._from_disk(key)
        if audio is None:
            audio = synthesize(
                text, voice=self.voice, words_per_minute=self.words_per_minute, law=self.law
            )
            self._to_disk(key, audio)
        with self._lock:
            self._memory[key] = audio
            while len(self._memory) > _KEPT_IN_MEMORY:
                self._memory.popitem(last=False)
        return audio

    def _path(self, key: str) -> Path | None:
        return None if self._cache_dir is None else self._cache_dir / f"{key}.{self.law}"

    def _from_disk(self, key: str) -> bytes | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        return path.read_bytes()

    def _to_disk(self, key: str, audio: bytes) -> None:
        path = self._path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(audio)
        partial.replace(path)  # whole files only, even with two processes rendering at once


# -- what a text becomes before it is spoken ------------------------------------------------

# Acronyms read letter by letter (« C O D »); others (ORSEC, SAMU) are read as words.
SPELLED: Final = frozenset(
    {"COD", "CIP", "NU", "NUC", "SIDPC", "PCS", "SDIS", "ARS", "DDT", "PC", "RN", "SMS", "CMIC"}
)
LONG_SENTENCE_WORDS: Final = 20
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")
_LONG_NUMBER = re.compile(r"\d(?:[\d  .]*\d)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def speakable(text: str) -> str:
    """The rules of a text read on the phone: acronyms of the préfecture spelled (« C O D »),
    numbers of three digits or more (phone numbers, references) read digit by digit, and
    sentences of more than LONG_SENTENCE_WORDS words cut at their commas. Applying it twice
    changes nothing."""
    spelled = _ACRONYM.sub(lambda m: " ".join(m[0]) if m[0] in SPELLED else m[0], text)
    digits = _LONG_NUMBER.sub(_digit_by_digit, spelled)
    lines = [_short_sentences(line) for line in digits.splitlines()]
    return "\n".join(line for line in lines if line.strip())


def _digit_by_digit(match: re.Match[str]) -> str:
    only = re.sub(r"\D", "", match[0])
    if len(only) < 3:
        return match[0]
    return " ".join(only)


def _short_sentences(line: str) -> str:
    sentences = []
    for sentence in _SENTENCE_END.split(line.strip()):
        if len(sentence.split()) <= LONG_SENTENCE_WORDS:
            sentences.append(sentence)
            continue
        parts = [p.strip() for p in re.split(r"[,;:]\s+", sentence) if p.strip()]
        ended = [p if p[-1] in ".!?" else p + "." for p in parts]
        sentences.append(" ".join(p[0].upper() + p[1:] for p in ended))
    return " ".join(sentences)
