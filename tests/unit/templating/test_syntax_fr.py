"""Jinja2's syntax errors, as the sandbox reports them: in French, naming what is expected."""

from __future__ import annotations

import pytest

from crisis.templating.sandbox import make_environment, static_problems


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ("{{ commune", "le texte se termine trop tôt : « }} » attendu"),
        ("{% if commune %}x", "le bloc « {% if %} » n'est pas fermé : « {% endif %} » attendu"),
        ("{% iff commune %}", "instruction inconnue « iff »"),
        ("{{ commune|inconnu }}", "filtre inconnu « inconnu »"),
        ("{{ commune b }}", "« }} » attendu, « b » trouvé"),
        ("{{ }}", "expression attendue, « }} » trouvé"),
        ("{{ commune }", "« } » inattendu"),
        ('{{ "Massy }}', 'caractère inattendu « " » (guillemet non fermé ?)'),
    ],
)
def test_syntax_errors_are_said_in_french(source: str, said: str) -> None:
    (problem,) = static_problems(
        make_environment(html=False), source, declared={"commune"}, label="variante sms"
    )
    assert problem.startswith("variante sms : erreur")
    assert problem.endswith(f"ligne 1 : {said}")
