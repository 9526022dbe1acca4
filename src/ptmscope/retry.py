"""One retry policy for every request ptmscope repeats: Hub calls, listing crawls, clones.

A server that answers 429 (too many requests) or 503 (unavailable) is asked
again after the time its ``Retry-After`` header names (seconds or an HTTP date),
never longer than :data:`MAX_RETRY_AFTER_S`; without the header the wait doubles
from :data:`BASE_DELAY_S` up to :data:`MAX_DELAY_S`. The number of tries is
bounded (:data:`ATTEMPTS`), so a hostile or broken server cannot keep a command
busy forever. Before this module the Hub source, the crawler and the cloner each
had their own loop with different limits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

ATTEMPTS = 5
"""Tries in all (the first one included) before giving up."""
BASE_DELAY_S = 0.5
"""Wait after the first failed try without ``Retry-After``; doubled after each further one."""
MAX_DELAY_S = 30.0
"""The longest back-off wait without ``Retry-After``."""
MAX_RETRY_AFTER_S = 60.0
"""The longest wait a server's ``Retry-After`` can ask for; a larger value is capped to this."""
RETRY_STATUSES = frozenset({429, 503})
"""HTTP statuses that mean "ask again later" rather than "no"."""

T = TypeVar("T")


@dataclass(frozen=True)
class Again:
    """What a try returns to ask for another one: why, and the server's ``Retry-After``."""

    reason: str
    retry_after: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before asking again (see the module docstring)."""

    attempts: int = ATTEMPTS
    base_delay_s: float = BASE_DELAY_S
    max_delay_s: float = MAX_DELAY_S
    max_retry_after_s: float = MAX_RETRY_AFTER_S
    statuses: frozenset[int] = RETRY_STATUSES
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    """How to wait (a test passes a recorder)."""

    def retries(self, status: int | None) -> bool:
        """Whether a response with this status is worth asking again."""
        return status in self.statuses

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait after failed try number ``attempt`` (0 is the first try)."""
        asked = retry_after_seconds(retry_after)
        if asked is not None:
            return min(self.max_retry_after_s, asked)
        return float(min(self.max_delay_s, self.base_delay_s * 2**attempt))

    def run(self, attempt: Callable[[], T | Again]) -> T | Again:
        """Call ``attempt`` until it returns something other than :class:`Again`, at most
        :attr:`attempts` times; the last :class:`Again` comes back when every try asked for
        another. Exceptions from ``attempt`` pass through untouched (they are not retried)."""
        outcome: T | Again = Again("not attempted")
        for number in range(max(1, self.attempts)):
            outcome = attempt()
            if not isinstance(outcome, Again):
                return outcome
            if number + 1 < self.attempts:
                self.sleep(self.delay(number, outcome.retry_after))
        return outcome


DEFAULT = RetryPolicy()
"""The policy every caller uses unless a test (or an option) passes another."""


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header as seconds from now (``None`` when absent or unreadable)."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)
