"""Retries, a run-wide retry budget and a circuit breaker around one backend call.

- Retryable failures (429, 408/409, 5xx, timeouts, connection resets) are retried with
  exponential backoff and full jitter, waiting at least what Retry-After asks for.
- Every retry draws on one budget for the whole run; when it is spent the run stops with a clear
  message instead of hammering a broken server for hours.
- When requests get no HTTP answer at all (server down or restarting), the breaker opens: all
  workers pause while one of them polls the server; work resumes when it answers, and the run
  stops cleanly if it stays down longer than `max_outage_s`.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Sequence, TypeVar

from harness.backends.base import RequestError

log = logging.getLogger("harness")

T = TypeVar("T")


class StopRun(Exception):
    """The run cannot go on (budget spent, server gone); finished samples are kept (internal:
    the loop turns it into a RunError)."""


@dataclass
class Resilience:
    health_url: str | Sequence[str] | None  # several: replicas; any one answering will do
    max_retries: int  # per request
    retry_budget: int  # whole run
    max_outage_s: float
    base_delay: float = 0.5
    max_delay: float = 30.0
    retries: int = 0
    outages: int = 0
    _open: asyncio.Event | None = field(default=None, repr=False)
    _probing: bool = field(default=False, repr=False)
    _stopped: str | None = field(default=None, repr=False)

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            await self._wait_closed()
            if self._stopped:
                raise StopRun(self._stopped)
            try:
                return await fn()
            except RequestError as e:
                if not e.retryable or attempt >= self.max_retries:
                    raise
                attempt += 1  # timeouts and resets count too: a slow server cannot loop
                if e.down:
                    await self._trip(str(e))  # waiting out an outage is not a retry
                    continue
                self._spend(e)
                await asyncio.sleep(self._delay(attempt, e.retry_after))

    def _spend(self, e: RequestError) -> None:
        self.retries += 1
        if self.retries > self.retry_budget:
            self._stop(f"retry budget of {self.retry_budget} spent (last error: {e})")

    def _stop(self, reason: str) -> None:
        self._stopped = reason
        raise StopRun(reason)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        backoff = random.uniform(0, min(self.max_delay, self.base_delay * 2 ** attempt))
        return max(backoff, retry_after or 0.0)

    async def _wait_closed(self) -> None:
        if self._open is not None and not self._open.is_set():
            await self._open.wait()

    async def _trip(self, reason: str) -> None:
        """Pause everyone; the first caller polls the server until it answers or time is up."""
        if self._open is None:
            self._open = asyncio.Event()
            self._open.set()
        if self._probing:
            await self._open.wait()
            return
        self._spend(RequestError(reason))
        self._probing = True
        self._open.clear()
        self.outages += 1
        log.warning(f"server not answering ({reason}); pausing, checking every few seconds for up to "
             f"{self.max_outage_s:.0f}s")
        try:
            deadline = time.monotonic() + self.max_outage_s
            delay = 0.25
            while not await asyncio.to_thread(self._healthy):
                if time.monotonic() > deadline:
                    self._stop(f"server down for more than {self.max_outage_s:.0f}s "
                               f"(last error: {reason})")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            log.warning("server is back; resuming")
        finally:
            self._probing = False
            self._open.set()

    def _healthy(self) -> bool:  # runs in a thread; plain urllib keeps it independent of the client
        if self.health_url is None:
            return True
        urls = [self.health_url] if isinstance(self.health_url, str) else self.health_url
        return any(answers_health(u) for u in urls)


def answers_health(url: str, timeout: float = 3) -> bool:
    """GET url answers with any status below 500 (even a 404: the server is up)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status < 500
    except urllib.error.HTTPError as e:
        return e.code < 500
    except (urllib.error.URLError, OSError):
        return False
