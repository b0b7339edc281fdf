"""Every secret value the service was given, so that no log line can carry one."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, SecretStr
from sqlalchemy import Engine

from crisis.delivery.config import DeliveryConfig
from crisis.settings import Settings


def _secret_values(value: object) -> Iterator[str]:
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secret_values(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _secret_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secret_values(item)


def known_secrets(settings: Settings, delivery: DeliveryConfig, engine: Engine) -> list[str]:
    found = [*_secret_values(settings), *_secret_values(delivery)]
    if engine.url.password:
        found.append(str(engine.url.password))
    return found
