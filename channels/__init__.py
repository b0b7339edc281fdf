"""Delivery channels: the contract, one module per channel, the outbox dispatcher."""
