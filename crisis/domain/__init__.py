"""The pure model: no framework is imported here."""
