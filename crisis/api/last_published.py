"""What each public address last answered, kept in this process, to be served while the
database is away: the population, the media and the sites that relay the feeds keep the last
information published rather than an error."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

# The public addresses: two pages, four feeds, and one document per CAP alert.
CAPACITY = 256


@dataclass(frozen=True)
class PublicAnswer:
    body: bytes
    media_type: str
    last_modified: datetime | None
    # The page says it is not up to date: rendered from the same content, only when needed.
    with_notice: Callable[[], bytes] | None = None


class LastPublished:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._answers: OrderedDict[str, PublicAnswer] = OrderedDict()
        self._lock = threading.Lock()  # request threads share it

    def keep(self, address: str, answer: PublicAnswer) -> None:
        with self._lock:
            self._answers[address] = answer
            self._answers.move_to_end(address)
            while len(self._answers) > self._capacity:
                self._answers.popitem(last=False)

    def find(self, address: str) -> PublicAnswer | None:
        with self._lock:
            return self._answers.get(address)
