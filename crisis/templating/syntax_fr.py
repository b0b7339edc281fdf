"""Jinja2's syntax errors said in French: the person who writes a template reads no English.

The common messages are translated; one Jinja2 words differently is kept as it is, after the
French « erreur de syntaxe ligne N » that the sandbox puts before every one of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

_TOKENS: Final = {
    "end of print statement": "« }} »",
    "end of statement block": "« %} »",
    "end of template": "la fin du texte",
}


def _token(name: str) -> str:
    return _TOKENS.get(name, f"« {name} »")


def _block(block: str) -> str:
    return f"le bloc « {{% {block} %}} » n'est pas fermé : « {{% end{block} %}} » attendu"


_RULES: Final[list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]]] = [
    (
        re.compile(r"^Unexpected end of template\..*needs to be closed is '(\w+)'\.$"),
        lambda m: _block(m.group(1)),
    ),
    (
        re.compile(r"^Encountered unknown tag '(\w+)'\..*needs to be closed is '(\w+)'\.$"),
        lambda m: f"instruction « {m.group(1)} » inattendue ; " + _block(m.group(2)),
    ),
    (
        re.compile(r"^Encountered unknown tag '(\w+)'\.$"),
        lambda m: f"instruction inconnue « {m.group(1)} »",
    ),
    (re.compile(r"^No filter named '(\w+)'\.$"), lambda m: f"filtre inconnu « {m.group(1)} »"),
    (re.compile(r"^No test named '(\w+)'\.$"), lambda m: f"test inconnu « {m.group(1)} »"),
    (
        re.compile(r"^unexpected end of template, expected '(.+)'\.$"),
        lambda m: f"le texte se termine trop tôt : {_token(m.group(1))} attendu",
    ),
    (
        re.compile(r"^[Uu]nexpected end of template"),
        lambda _: "le texte se termine au milieu d'une instruction",
    ),
    (
        re.compile(r"^expected token '(.+)', got '(.+)'$"),
        lambda m: f"{_token(m.group(1))} attendu, {_token(m.group(2))} trouvé",
    ),
    (
        re.compile(r"^Expected an expression, got '(.+)'$"),
        lambda m: f"expression attendue, {_token(m.group(1))} trouvé",
    ),
    (
        re.compile(r"^unexpected '(.+)', expected '(.+)'$"),
        lambda m: f"{_token(m.group(1))} inattendu, {_token(m.group(2))} attendu",
    ),
    (
        re.compile(r"^unexpected char '(.+)' at \d+$"),
        lambda m: f"caractère inattendu « {m.group(1)} » (guillemet non fermé ?)",
    ),
    (re.compile(r"^unexpected '(.+)'$"), lambda m: f"{_token(m.group(1))} inattendu"),
]


def french_syntax(message: str) -> str:
    for pattern, say in _RULES:
        found = pattern.search(message)
        if found:
            return say(found)
    return message
