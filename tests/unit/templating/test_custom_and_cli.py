"""Custom templates (validation, sandbox escapes), manifest errors, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crisis.cli.templates import templates_app
from crisis.templating import (
    ManifestError,
    TemplateDefinition,
    TemplateRegistry,
    TemplateValidationError,
)
from crisis.templating.manifest import load_manifest


def manifest(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "coupure_eau",
        "version": 1,
        "title": "Coupure d'eau potable",
        "description": "Information sur une coupure d'eau potable.",
        "audiences": ["public"],
        "variants": ["sms", "email_html"],
        "variables": [
            {
                "name": "commune",
                "type": "str",
                "description": "Commune privée d'eau.",
                "example": "Massy",
            }
        ],
    }
    data.update(changes)
    return data


def definition(
    sms: str, *, html: str = "<p>{{ commune }}</p>", **changes: Any
) -> TemplateDefinition:
    return TemplateDefinition(
        name="coupure_eau",
        version=1,
        manifest=manifest(**changes),
        sources={"sms": sms, "email_html.j2": html},
    )


def test_custom_template_registered_and_rendered() -> None:
    registry = TemplateRegistry()
    registry.register_custom(definition("Eau coupée à {{ commune }}."))
    message = registry.render("coupure_eau", variables={"commune": "Massy"}, exercise=True)
    assert message.text("sms") == "EXERCICE EXERCICE EXERCICE\nEau coupée à Massy."
    assert registry.get("coupure_eau").origin.value == "custom"


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("{{ ''.__class__.__mro__ }}", "attribut interne « __mro__ »"),
        ("{{ commune.__class__ }}", "attribut interne « __class__ »"),
        ("{{ commune|attr('__class__') }}", "chaîne interdite « __class__ »"),
        ("{{ cycler.__init__.__globals__ }}", "attribut interne « __globals__ »"),
        ("{{ commune['__class__'] }}", "chaîne interdite"),
        ("{% if false %}{{ ''.__class__ }}{% endif %}", "attribut interne « __class__ »"),
        ("{% include 'x' %}", "include est interdite"),
        ("{{ self }}", "nom interne interdit « self »"),
        ("{% block b %}{{ super() }}{% endblock %}", "nom interne interdit « super »"),
        ("{% macro m() %}{{ caller() }}{{ varargs }}{% endmacro %}", "« caller »"),
        ("{% macro m() %}{{ kwargs }}{% endmacro %}", "« kwargs »"),
        ("{{ secret }}", "variable non déclarée dans le manifeste « secret »"),
        ("{{ commune|inconnu }}", "erreur"),
        ("{{ commune", "erreur de syntaxe"),
    ],
)
def test_sandbox_escapes_refused_at_registration(source: str, problem: str) -> None:
    registry = TemplateRegistry()
    with pytest.raises(TemplateValidationError) as caught:
        registry.register_custom(definition(source))
    assert any(problem in item for item in caught.value.problems), caught.value.problems
    with pytest.raises(Exception, match="inconnu"):
        registry.get("coupure_eau")


def test_runtime_sandbox_refusals_become_registration_errors() -> None:
    registry = TemplateRegistry()
    with pytest.raises(TemplateValidationError) as caught:
        registry.register_custom(definition("{{ 'x' * 100000 }}"))
    assert "répétition trop longue" in caught.value.problems[0]
    with pytest.raises(TemplateValidationError) as caught:
        registry.register_custom(definition("{{ commune.upper.__self__ }}"))
    assert "__self__" in caught.value.problems[0]


def test_custom_template_must_fit() -> None:
    registry = TemplateRegistry()
    with pytest.raises(TemplateValidationError) as caught:
        registry.register_custom(definition("{{ commune }} " + "ê" * 250))
    assert caught.value.problems[0] == (
        "La variante sms dépasse la limite de 1 segment (4 segments pour 3 autorisés) ; "
        "encodage UCS-2 imposé par « ê »"
    )


def test_custom_template_problems_are_listed() -> None:
    registry = TemplateRegistry()
    broken = TemplateDefinition(
        name="coupure_eau",
        version=2,
        manifest=manifest(),
        sources={"sms": "ok", "telegram": "en trop"},
    )
    with pytest.raises(TemplateValidationError) as caught:
        registry.register_custom(broken)
    assert caught.value.problems == (
        "le manifeste annonce « coupure_eau » version 1, la définition « coupure_eau » version 2",
        "variante telegram fournie mais non déclarée",
        "variante email_html déclarée mais sans source",
    )


def test_each_problem_names_the_variant_or_field_it_concerns() -> None:
    registry = TemplateRegistry()
    with pytest.raises(TemplateValidationError) as caught:
        registry.register_custom(definition("{{ commune", html="<p>{{ secret }}</p>"))
    located = [(p.variant, p.field, p.detail) for p in caught.value.details]
    assert located[0][:2] == ("sms", None)
    assert located[0][2].startswith("erreur de syntaxe ligne 1 : ")
    assert located[1] == (
        "email_html",
        None,
        "variable non déclarée dans le manifeste « secret »",
    )
    with pytest.raises(TemplateValidationError) as caught:
        registry.register_custom(definition("ok", title=""))
    (problem,) = caught.value.details
    assert (problem.field, problem.variant) == ("title", None)
    assert problem.text == f"manifeste, champ « title » : {problem.reason}"
    with pytest.raises(TemplateValidationError) as caught:
        registry.register_custom(definition("{{ commune }} " + "ê" * 250))
    assert {p.variant for p in caught.value.details} == {"sms"}
    with pytest.raises(TemplateValidationError) as caught:
        registry.register_custom(definition("{{ commune|date_fr }}"))
    assert caught.value.details[0].variant == "sms"
    assert caught.value.details[0].detail.startswith("avec les valeurs d'exemple : ")


def test_optional_variable_printed_without_test_is_refused() -> None:
    variables = [
        {"name": "commune", "type": "str", "description": "Commune.", "example": "Massy"},
        {
            "name": "heure",
            "type": "datetime",
            "description": "Heure de retour.",
            "required": False,
            "example": "2026-11-28T22:15:00+01:00",
        },
    ]
    registry = TemplateRegistry()
    with pytest.raises(TemplateValidationError) as caught:
        registry.register_custom(definition("{{ commune }} {{ heure }}", variables=variables))
    assert "(variables facultatives omises)" in caught.value.problems[0]
    registry.register_custom(
        definition("{{ commune }}{% if heure %} vers {{ heure }}{% endif %}", variables=variables)
    )
    message = registry.render(
        "coupure_eau",
        variables={"commune": "Massy", "heure": "2026-11-28T22:15:00+01:00"},
        exercise=False,
    )
    assert message.text("sms") == "Massy vers samedi 28 novembre 2026 à 22 h 15"


def test_same_version_twice_refused() -> None:
    registry = TemplateRegistry()
    registry.register_custom(definition("{{ commune }}"))
    with pytest.raises(TemplateValidationError, match="existe déjà"):
        registry.register_custom(definition("{{ commune }}"))


def test_bad_manifest_names_file_and_field() -> None:
    text = (
        "name: test\nversion: 1\ntitle: T\ndescription: D\naudiences: [presse]\nvariants: [sms]\n"
    )
    with pytest.raises(ManifestError) as caught:
        load_manifest(text, source="templates/test/template.yaml")
    message = str(caught.value)
    assert message.startswith("Manifeste de modèle invalide (templates/test/template.yaml) : ")
    assert (
        "champ « audiences[0] » : valeur inconnue ; valeurs possibles : 'elus', 'public' ou 'media'"
        in message
    )
    assert "reçu « presse »" in message


def test_bad_example_in_manifest() -> None:
    bad = manifest(
        variables=[
            {"name": "quand", "type": "datetime", "description": "d", "example": "2026-11-28"}
        ]
    )
    registry = TemplateRegistry()
    with pytest.raises(TemplateValidationError) as caught:
        registry.register_custom(
            TemplateDefinition(name="coupure_eau", version=1, manifest=bad, sources={})
        )
    assert caught.value.problems[0].startswith("manifeste, champ « variables[0] » : exemple ")
    assert "décalage horaire" in caught.value.problems[0]


runner = CliRunner()


def test_cli_render_json_example() -> None:
    result = runner.invoke(
        templates_app, ["render", "alerte_population", "--example", "--channel", "sms", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["template"] == "alerte_population"
    assert data["version"] == 1
    assert [v["channel"] for v in data["variants"]] == ["sms"]
    sms = data["variants"][0]
    assert (sms["length"], sms["limit"], sms["fits"], sms["segments"], sms["encoding"]) == (
        2,
        3,
        True,
        2,
        "GSM-7",
    )
    assert sms["text"].startswith("ALERTE Préfecture de l'Essonne (22 h 15) : incendie")


def test_cli_render_vars_file(tmp_path: Path) -> None:
    path = tmp_path / "vars.yaml"
    path.write_text(
        "evenement: inondation\n"
        "communes: [Étampes]\n"
        "emis_le: 2026-11-28T22:15:00+01:00\n"
        "consigne_courte: Ne prenez pas votre véhicule.\n"
        "consignes: |\n  - Montez dans les étages.\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        templates_app,
        ["render", "alerte_population", "--vars", str(path), "--channel", "x", "--exercise"],
    )
    assert result.exit_code == 0, result.output
    assert "EXERCICE EXERCICE EXERCICE\nALERTE | Inondation – Étampes." in result.output
    assert "--- x : longueur " in result.output


def test_cli_errors_exit_2_in_french(tmp_path: Path) -> None:
    result = runner.invoke(templates_app, ["render", "alerte_population"])
    assert result.exit_code == 2
    assert "indiquer soit --vars FICHIER, soit --example" in result.output
    path = tmp_path / "vars.yaml"
    path.write_text("evenement: inondation\n", encoding="utf-8")
    result = runner.invoke(templates_app, ["render", "alerte_population", "--vars", str(path)])
    assert result.exit_code == 2
    assert "variable(s) manquante(s) : communes, emis_le, consigne_courte, consignes" in (
        result.output
    )


def test_cli_list_json() -> None:
    result = runner.invoke(templates_app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data) == 7
    assert data[0] == {
        "name": "activation_cip",
        "version": 1,
        "title": "Activation de la cellule d'information du public",
        "audiences": ["public", "media", "elus"],
        "internal": False,
        "variants": [
            "sms",
            "x",
            "telegram",
            "email_subject",
            "email_text",
            "email_html",
            "feed",
            "cap_headline",
            "cap_description",
            "cap_instruction",
        ],
        "origin": "bundled",
    }


def test_manifest_audiences_are_the_domain_vocabulary() -> None:
    registry = TemplateRegistry.with_bundled()
    for template in registry.templates():
        assert {a.value for a in template.manifest.audiences} <= {"elus", "public", "media"}
    assert registry.get("appel_cellule").manifest.internal is True
    with pytest.raises(TemplateValidationError, match="audiences"):
        registry.register_custom(
            TemplateDefinition(
                name="coupure_eau",
                version=1,
                manifest=manifest(audiences=["population"]),
                sources={"sms": "Coupure à {{ commune }}", "email_html": "<p>{{ commune }}</p>"},
            )
        )
    with pytest.raises(TemplateValidationError, match="au moins un public"):
        registry.register_custom(
            TemplateDefinition(
                name="coupure_eau",
                version=1,
                manifest=manifest(audiences=[]),
                sources={"sms": "Coupure à {{ commune }}", "email_html": "<p>{{ commune }}</p>"},
            )
        )
