"""``crisis templates``: list the templates and preview their rendering."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crisis.cli.files import read_text
from crisis.cli.support import EXIT_INVALID, JsonOption, print_json
from crisis.defaults import EXERCISE_MARKER as DEFAULT_MARKER
from crisis.defaults import SMS_MAX_SEGMENTS as DEFAULT_SMS_MAX_SEGMENTS

if TYPE_CHECKING:
    from crisis.templating.registry import TemplateRegistry

templates_app = typer.Typer(
    name="templates",
    help="Modèles de messages : liste et aperçu du rendu par canal.",
    no_args_is_help=True,
    add_completion=False,
)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Erreur : {message}", err=True)
    return typer.Exit(code=EXIT_INVALID)


def _registry(sms_max_segments: int) -> TemplateRegistry:
    from crisis.templating.limits import default_variant_limits
    from crisis.templating.registry import TemplateRegistry

    return TemplateRegistry.with_bundled(
        limits=default_variant_limits(sms_max_segments=sms_max_segments)
    )


@templates_app.command("list")
def list_templates(
    as_json: JsonOption = False,
) -> None:
    """Lister les modèles disponibles."""
    from crisis.templating.errors import TemplateError

    try:
        registry = _registry(DEFAULT_SMS_MAX_SEGMENTS)
    except TemplateError as error:
        raise _fail(str(error)) from error
    items: list[dict[str, Any]] = [
        {
            "name": template.name,
            "version": template.version,
            "title": template.manifest.title,
            "audiences": [audience.value for audience in template.manifest.audiences],
            "internal": template.manifest.internal,
            "variants": [variant.value for variant in template.variants],
            "origin": template.origin.value,
        }
        for template in registry.templates()
    ]
    if as_json:
        print_json(items)
        return
    for item in items:
        typer.echo(f"{item['name']} (version {item['version']}) : {item['title']}")
        publics = ", ".join(item["audiences"]) or "appel interne (aucun public)"
        typer.echo(f"    publics : {publics}")
        typer.echo(f"    variantes : {', '.join(item['variants'])}")


def _read_vars(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(read_text(path, what="le fichier de variables"))
    except yaml.YAMLError as error:
        raise _fail(f"fichier de variables {path} illisible : {error}") from error
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise _fail(f"le fichier de variables {path} doit associer des noms à des valeurs")
    return data


@templates_app.command("render")
def render(
    name: Annotated[str, typer.Argument(help="Nom du modèle.")],
    vars_file: Annotated[
        Path | None,
        typer.Option("--vars", help="Fichier YAML (ou JSON) des variables.", dir_okay=False),
    ] = None,
    example: Annotated[
        bool, typer.Option("--example", help="Utiliser les valeurs d'exemple du modèle.")
    ] = False,
    channel: Annotated[
        list[str] | None,
        typer.Option("--channel", help="Variante ou canal à produire (répétable)."),
    ] = None,
    exercise: Annotated[
        bool, typer.Option("--exercise", help="Ajouter la mention d'exercice.")
    ] = False,
    marker: Annotated[str, typer.Option("--marker", help="Mention d'exercice.")] = DEFAULT_MARKER,
    sms_max_segments: Annotated[
        int, typer.Option("--sms-max-segments", min=1, help="Segments SMS autorisés.")
    ] = DEFAULT_SMS_MAX_SEGMENTS,
    as_json: JsonOption = False,
) -> None:
    """Afficher le rendu d'un modèle pour chaque canal, avec sa longueur et sa limite."""
    from crisis.templating.errors import TemplateError

    if (vars_file is None) == (not example):
        raise _fail("indiquer soit --vars FICHIER, soit --example")
    try:
        registry = _registry(sms_max_segments)
        if vars_file is not None:
            variables = _read_vars(vars_file)
        else:
            variables = registry.get(name).manifest.examples()
        rendered = registry.render_unchecked(
            name, variables=variables, exercise=exercise, marker=marker, variants=channel
        )
    except TemplateError as error:
        raise _fail(str(error)) from error
    preview = rendered.as_dict()
    if as_json:
        print_json(preview)
        return
    typer.echo(f"Modèle {rendered.template}, version {rendered.version}")
    for variant in rendered.variants:
        typer.echo("")
        typer.echo(f"--- {variant.variant.value} : {_verdict(variant.as_dict())}")
        typer.echo(variant.text)


def _verdict(variant: dict[str, Any]) -> str:
    status = "tient dans la limite" if variant["fits"] else "DÉPASSE LA LIMITE"
    if "segments" in variant:
        return (
            f"{variant['segments']} segment(s) {variant['encoding']} pour "
            f"{variant['limit']} autorisé(s), {variant['units']} unités ; {status}"
        )
    if variant["limit"] is None:
        return f"{variant['length']} caractères, sans limite"
    return f"longueur {variant['length']} pour {variant['limit']} ({variant['unit']}) ; {status}"
