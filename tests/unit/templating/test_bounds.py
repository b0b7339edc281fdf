"""Templates bounded in size and time: every operation that builds text, the output, loops,
the rendering's duration. Each bomb is refused (or cut) within a second and a few MB."""

from __future__ import annotations

import threading
import time
import tracemalloc
from typing import Any

import pytest

from crisis.templating import RenderError, TemplateDefinition, TemplateRegistry
from crisis.templating.bounds import (
    RenderBudget,
    RenderLimitError,
    RenderLimits,
    TimeAllowance,
    rendering_with,
)
from crisis.templating.errors import TemplateValidationError

TOO_LONG = "le modèle produit un texte trop long (plus de 100 000 caractères)"
TOO_MUCH = "le modèle construit trop de texte (plus de 1 000 000 caractères en tout)"
TOO_SLOW = "le rendu du modèle a dépassé 0,5 seconde"
TOO_MANY_TURNS = "le modèle fait trop de tours de boucle (plus de 10 000)"
MAX_SECONDS = 1.0
MAX_BYTES = 5_000_000

BOMBS: list[tuple[str, str]] = [
    ("{{ 'x'|center(300000000) }}", TOO_LONG),
    ("{{ '%300000000d' % 1 }}", TOO_LONG),
    ("{{ '%.300000000f' % 1.5 }}", TOO_LONG),
    ("{{ '%*d' % (300000000, 1) }}", "largeur « * » refusée"),
    ("{{ '%300000000d'|format(1) }}", TOO_LONG),
    ("{{ 'x'|indent(300000000, true) }}", TOO_LONG),
    ("{{ ('x\n' * 5000)|indent('y' * 5000) }}", TOO_LONG),
    ("{{ '{:300000000}'.format(1) }}", TOO_LONG),
    ("{{ '{:>{w}}'.format(1, w=300000000) }}", "format imbriqué refusé"),
    ("{{ '{x:300000000}'.format_map({'x': 1}) }}", TOO_LONG),
    ("{{ 'x'.center(300000000) }}", TOO_LONG),
    ("{{ 'x'.ljust(300000000) }}", TOO_LONG),
    ("{{ 'x'.rjust(300000000) }}", TOO_LONG),
    ("{{ 'x'.zfill(300000000) }}", TOO_LONG),
    ("{{ ('\t' * 9999).expandtabs(9999) }}", TOO_LONG),
    ("{{ ('y' * 10000).join(['a'] * 10000) }}", TOO_LONG),
    ("{{ (['a' * 10000] * 10000)|join }}", TOO_LONG),
    ("{{ ('a' * 10000)|join('y' * 10000) }}", TOO_LONG),
    ("{{ ('x' * 10000)|replace('', 'y' * 10000) }}", TOO_LONG),
    ("{{ ('x' * 10000).replace('x', 'y' * 10000) }}", TOO_LONG),
    ("{{ ('x ' * 5000)|wordwrap(1, wrapstring='y' * 10000) }}", TOO_LONG),
    (
        "{% set e = 'y' * 9999 %}"
        "{{ ('x' * 9999)|truncate(5, end=e ~ e ~ e ~ e ~ e ~ e ~ e ~ e ~ e ~ e) }}",
        TOO_LONG,
    ),
    ("{{ [1]|batch(300000000, 'x')|list|length }}", TOO_LONG),
    ("{{ range(10)|slice(300000000)|list|length }}", TOO_LONG),
    ("{{ 'x' * 300000000 }}", "répétition trop longue"),
    ("{{ ['x'] * 300000000 }}", "répétition trop longue"),
    ("{{ ('x' * 9999 + 'y' * 9999) * 5 }}", "répétition trop longue"),
    ("{% set a = 'x' * 9999 %}{{ (a + a + a + a + a + a + a + a + a + a + a)|length }}", TOO_LONG),
    ("{% set a = 'x' * 9999 %}{{ (a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a)|length }}", TOO_LONG),
    ("{{ range(300000000)|list|length }}", "range() est limité à 1 000 valeurs"),
    ("{{ (9 ** 64) ** 64 }}", "nombre trop grand"),
    ("{{ 1e400 }}", "nombre trop grand (au-delà de 1e308)"),
    ("{% set a = 9 ** 64 %}{% set b = a ** 60 %}{{ (b * b * b) % 7 }}", "nombre trop grand"),
    ("{{ 'abc'.translate({97: 'y' * 10000}) }}", "translate() est refusée"),
    ("{{ range(1000)|map('center', 99999)|list|length }}", TOO_MUCH),
    ("{% filter center(300000000) %}x{% endfilter %}", TOO_LONG),
    ("{{ [1]|tojson(indent=300000000) }}", TOO_LONG),
    ("{% set w = ' ' * 9999 %}{{ [[[[1, 2, 3]]]]|tojson(indent=w) }}", TOO_LONG),
    ("{% set u = 'http://a.fr ' * 800 %}{{ u|urlize(target='x' * 9999) }}", TOO_LONG),
    ("{% set u = 'www.a.fr ' * 1000 %}{{ u|urlize(rel='x' * 9999) }}", TOO_LONG),
    (
        "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
        TOO_MANY_TURNS,
    ),
    ("{% for i in range(1000) %}{{ 'x' * 9999 }}{% endfor %}", TOO_LONG),
    (
        "{% macro m() %}{% for i in range(1000) %}{{ 'x' * 9999 }}{% endfor %}{% endmacro %}"
        "{{ m()|length }}",
        TOO_LONG,
    ),
    (
        "{% set s %}{% for i in range(999) %}" + "x" * 9000 + "{% endfor %}{% endset %}"
        "{{ s|length }}",
        TOO_LONG,
    ),
    (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(60) }}",
        TOO_SLOW,
    ),
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "s'appelle lui-même"),
]


def definition(
    source: str, *, name: str = "bombe", version: int = 1, variant: str = "sms"
) -> TemplateDefinition:
    return TemplateDefinition(
        name=name,
        version=version,
        manifest={
            "name": name,
            "version": version,
            "title": "Essai",
            "description": "Un modèle d'essai.",
            "audiences": ["public"],
            "variants": [variant],
            "variables": [
                {"name": "commune", "type": "str", "description": "Une commune.", "example": "Évry"}
            ],
        },
        sources={variant: source},
    )


@pytest.mark.parametrize(("source", "reason"), BOMBS, ids=[b[0][:60] for b in BOMBS])
def test_bomb_refused_quickly_and_cheaply(source: str, reason: str) -> None:
    registry = TemplateRegistry()
    tracemalloc.start()
    started = time.thread_time()  # the processor time the limit counts, whatever the load
    try:
        with pytest.raises(TemplateValidationError) as caught:
            registry.register_custom(definition(source))
        seconds = time.thread_time() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reason in caught.value.problems[0], caught.value.problems
    assert seconds < MAX_SECONDS
    assert peak < MAX_BYTES


def test_output_cut_as_it_is_produced() -> None:
    """A sound template fed long values: the text is cut once past the limit."""
    registry = TemplateRegistry()
    loop = "{% for i in range(1000) %}{{ commune }}{% endfor %}"
    registry.register_custom(definition(loop, variant="feed"))
    tracemalloc.start()
    started = time.thread_time()  # the processor time the limit counts, whatever the load
    try:
        with pytest.raises(RenderError) as caught:
            registry.render_unchecked("bombe", variables={"commune": "É" * 500}, exercise=False)
        seconds = time.thread_time() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert TOO_LONG in caught.value.message
    assert seconds < MAX_SECONDS
    assert peak < MAX_BYTES


def test_renderings_that_go_together_share_one_time_allowance() -> None:
    """The variants of one message (or the example runs of a template) render within one
    allowance; time spent between them (measuring a text) is not counted."""
    now = [100.0]
    allowance = TimeAllowance(0.5)
    first = RenderBudget(RenderLimits(), allowance=allowance, timer=lambda: now[0])
    now[0] += 0.3
    first.tick()
    with rendering_with(first):
        pass  # closing takes the 0.3 s it used
    now[0] += 10.0  # not rendering: not counted
    second = RenderBudget(RenderLimits(), allowance=allowance, timer=lambda: now[0])
    now[0] += 0.15
    second.tick()
    now[0] += 0.1
    with pytest.raises(RenderLimitError, match="le rendu du modèle a dépassé 0,5 seconde"):
        second.tick()


def test_ordinary_uses_still_work() -> None:
    source = (
        "[{{ 'ab'|center(6) }}|{{ 'a\nb'|indent(2) }}|{{ '%05d'|format(42) }}|"
        "{{ '%-4s' % 'ab' }}|{{ ['a', 'b']|join(', ') }}|{{ 'aXb'|replace('X', '-') }}|"
        "{{ 'un deux trois'|wordwrap(5, wrapstring='/') }}|{{ 'abcdefghij'|truncate(6, true, '…', 0) }}|"
        "{{ '{:>4}'.format('ab') }}|{{ '{0}-{1}'.format(1, 2) }}|{{ 'x'.ljust(3, '.') }}|"
        "{% for i in range(3) %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}|"
        "{{ commune ~ '!' }}|{{ 'ab' + 'cd' }}|{{ 2 ** 10 }}|{{ [1, 2]|batch(1)|list|length }}"
    )
    registry = TemplateRegistry()
    registry.register_custom(definition(source))
    text = registry.render_unchecked("bombe", variables={"commune": "Évry"}, exercise=False).text(
        "sms"
    )
    assert text == (
        "[  ab  |a\n  b|00042|ab  |a, b|a-b|un/deux/trois|abcde…|  ab|1-2|x..|0,1,2|Évry!|abcd|"
        "1024|2"
    )


@pytest.mark.parametrize(
    "value",
    [
        "[]",
        "{'a': [1, 2], 'b': {'c': 'd', 'e': []}, 'f': [[1, [2, {}]], 'x']}",
        "[[[[[[1]]]]], {'k': {'l': {'m': [1, 2, 3]}}}]",
        "range(40)|list",
    ],
)
@pytest.mark.parametrize("indent", ["2", "0", "'\t'", "'--'", "-3"])
def test_indented_json_is_never_refused_below_its_real_size(value: str, indent: str) -> None:
    """The estimate made before ``tojson`` runs is the exact size of the result or more,
    and an ordinary indented dump goes through."""
    registry = TemplateRegistry()
    registry.register_custom(
        definition(f"{{{{ ({value})|tojson(indent={indent})|length }}}}|{{{{ commune }}}}")
    )
    text = registry.render_unchecked("bombe", variables={"commune": "Évry"}, exercise=False).text(
        "sms"
    )
    assert int(text.split("|")[0]) > 0


def test_links_of_an_ordinary_text_are_made() -> None:
    registry = TemplateRegistry()
    base = definition("{{ commune }}")
    manifest: dict[str, Any] = {**base.manifest, "variants": ["email_html"]}
    source = (
        "<p>{{ ('Voir www.essonne.gouv.fr ou écrire à ' ~ commune)|urlize(target='_blank') }}</p>"
    )
    registry.register_custom(
        TemplateDefinition(
            name="bombe", version=1, manifest=manifest, sources={"email_html": source}
        )
    )
    text = registry.render_unchecked(
        "bombe", variables={"commune": "cip@essonne.gouv.fr"}, exercise=False
    ).text("email_html")
    assert 'href="https://www.essonne.gouv.fr"' in text
    assert 'href="mailto:cip@essonne.gouv.fr"' in text


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{ 1 / 0 }}", "division par zéro"),
        ("{{ [1, 'a']|sort|join }}", "opération impossible sur ce type de valeur"),
        ("{{ 'x'|filesizeformat }}", "valeur impossible à convertir ou à traiter"),
        ("{{ ('x' * 10)|xmlattr }}", "cette valeur n'a pas l'attribut demandé"),
        ("{{ (9 ** 64) ** 6 / 3 }}", "nombre trop grand"),
    ],
)
def test_a_failing_operation_is_refused_in_french(source: str, reason: str) -> None:
    """Python's own errors (English, or not caught at all for some) said in French."""
    with pytest.raises(TemplateValidationError) as caught:
        TemplateRegistry().register_custom(definition(source))
    assert caught.value.problems[0].endswith(reason), caught.value.problems


def test_html_concatenation_still_escapes() -> None:
    registry = TemplateRegistry()
    html = "<p>{{ commune ~ ' & ' ~ commune }}</p>"
    base = definition("{{ commune }}")
    manifest: dict[str, Any] = {**base.manifest, "variants": ["sms", "email_html"]}
    registry.register_custom(
        TemplateDefinition(
            name="bombe",
            version=1,
            manifest=manifest,
            sources={"sms": "{{ commune }}", "email_html": html},
        )
    )
    text = registry.render_unchecked("bombe", variables={"commune": "<b>"}, exercise=False).text(
        "email_html"
    )
    assert text == "<p>&lt;b&gt; &amp; &lt;b&gt;</p>"


def test_a_compiled_template_does_not_render_without_limits() -> None:
    registry = TemplateRegistry()
    registry.register_custom(definition("{{ commune }}"))
    with pytest.raises(RenderLimitError, match="aucune limite"):
        registry.get("bombe").compiled[next(iter(registry.get("bombe").compiled))].render(
            commune="Évry"
        )


def test_budgets_of_concurrent_renderings_are_their_own() -> None:
    """A slow rendering in one thread does not spend another thread's budget."""
    registry = TemplateRegistry()
    registry.register_custom(definition("{{ commune }}"))
    slow = (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(60 if commune == 'lent' else 0) }}"
    )
    registry.register_custom(definition(slow, name="lente"))
    outcome: list[str] = []

    def render_slow() -> None:
        try:
            registry.render_unchecked("lente", variables={"commune": "lent"}, exercise=False)
        except RenderError as error:
            outcome.append(error.reason)

    worker = threading.Thread(target=render_slow)
    worker.start()
    for _ in range(50):
        assert (
            registry.render_unchecked("bombe", variables={"commune": "Évry"}, exercise=False).text(
                "sms"
            )
            == "Évry"
        )
    worker.join()
    assert outcome == [TOO_SLOW]


def test_source_too_long_is_refused() -> None:
    with pytest.raises(TemplateValidationError, match="plus de 20 000 caractères"):
        TemplateRegistry().register_custom(definition("x" * 20_001))
