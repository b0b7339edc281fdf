"""`crisis channels …`: checking the configured delivery channels without publishing."""

from __future__ import annotations

from typing import Annotated

import typer

from crisis.cli.support import EXIT_FAILURE, JsonOption, open_service, print_json

channels_app = typer.Typer(help="Canaux de diffusion.", no_args_is_help=True)


TestCallOption = Annotated[
    bool,
    typer.Option(
        "--appel-test",
        help="Appeler aussi le numéro d'essai (test_number) de chaque canal voix configuré.",
    ),
]


@channels_app.command("check")
def channels_check(as_json: JsonOption = False, test_call: TestCallOption = False) -> None:
    """Vérifier chaque canal configuré, sans rien publier ; code 1 si l'un ne répond pas.

    Le canal voix envoie au relais SIP un REGISTER (identifiants configurés) ou un OPTIONS ;
    avec --appel-test, il appelle en plus son numéro d'essai et y lit un message d'essai."""
    import asyncio

    from channels.contract import SendError
    from channels.registry import close_channels
    from crisis.bootstrap import Service

    async def check_all(service: Service) -> list[dict[str, object]]:
        report: list[dict[str, object]] = []
        for mode, channels in (
            ("réel", service.catalog.production),
            ("exercice", service.catalog.exercise),
        ):
            for name, channel in sorted(channels.items()):
                try:
                    detail = await channel.check()
                    ok = True
                except SendError as error:
                    detail, ok = error.reason, False
                report.append({"mode": mode, "channel": name, "ok": ok, "detail": detail})
                place_test_call = getattr(channel, "test_call", None)
                if test_call and ok and place_test_call is not None:
                    try:
                        detail, ok = await place_test_call(), True
                    except SendError as error:
                        detail, ok = error.reason, False
                    report.append(
                        {
                            "mode": mode,
                            "channel": f"{name} (appel d'essai)",
                            "ok": ok,
                            "detail": detail,
                        }
                    )
            await close_channels(channels)
        return report

    with open_service() as service:
        report = asyncio.run(check_all(service))
    if as_json:
        print_json(report)
    else:
        for line in report:
            mark = "OK" if line["ok"] else "ÉCHEC"
            typer.echo(f"[{line['mode']}] {line['channel']} : {mark} — {line['detail']}")
    if not all(line["ok"] for line in report):
        raise typer.Exit(EXIT_FAILURE)
