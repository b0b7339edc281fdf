"""Contacts and audiences: import, lists, CLI."""
