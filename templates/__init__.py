"""Bundled French message templates: one folder per message kind (package data)."""
