"""Signing in through an OpenID Connect federation (ProConnect)."""
