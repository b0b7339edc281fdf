"""The `crisis` command: one module per command group, sharing `crisis.cli.support`."""

from crisis.cli.app import app, main

__all__ = ["app", "main"]
