"""The service layer: one handler per command, the message bus, the unit of work."""
