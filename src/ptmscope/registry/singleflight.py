"""One computation per key at a time: concurrent requests for the same revision wait for
the first one and reuse what it stored, instead of each loading or judging it again."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class SingleFlight:
    """Runs one computation per key at a time (see the module docstring)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[Hashable, threading.Lock] = {}

    def run(
        self, key: Hashable, lookup: Callable[[], tuple[bool, T]], compute: Callable[[], T]
    ) -> T:
        """``lookup()`` if it hits, else ``compute()`` (which must store what it returns)
        by one thread while the others for ``key`` wait and then look up again."""
        hit, value = lookup()
        if hit:
            return value
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            hit, value = lookup()
            if hit:
                return value
            try:
                return compute()
            finally:
                with self._guard:  # stored by now: a later caller's lookup hits
                    self._locks.pop(key, None)
