"""The cell on call: rota import, acknowledgement links, the Telegram bot, the CLI."""
