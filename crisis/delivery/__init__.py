"""Delivering messages: channel configuration, recipients, the outbox and its dispatcher."""
