"""Many replicas of one model behind one `Generator`: least-loaded routing with failover.

Each request goes to the healthy replica with the fewest requests in flight that is below its
own concurrency limit (ties: the one that has served least), so replicas of different speeds
each get what they can take. A replica whose request gets no HTTP answer (connection refused or
reset) or times out is taken out of rotation and that request is sent again at once to another
replica; the retry is not counted against the run's retry budget (no server refused anything).
A background check polls the replica's /health and puts it back when it answers. Only when
every replica is out does the request fail as `down`, so the run-wide breaker
(harness/backends/resilience.py) pauses the run exactly as for one server. HTTP errors (4xx,
5xx, malformed replies) are the server's answer, not a dead replica, and go to the resilience
policy unchanged.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Sequence

from harness.backends.base import Answer, RequestError
from harness.backends.openai_compat import OpenAIBackend, health_url
from harness.backends.resilience import answers_health

log = logging.getLogger("harness")


@dataclass
class Replica:
    backend: OpenAIBackend
    limit: int
    in_flight: int = 0
    healthy: bool = True
    served: int = 0
    failures: int = 0
    identity: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.backend.base_url

    def answers_health(self) -> bool:
        return answers_health(health_url(self.url), timeout=2)


def failed_replica(e: RequestError) -> bool:
    """No HTTP answer at all, or none in time: the replica, not the request, is the problem."""
    return e.down or (e.kind == "transport" and e.retryable)


class ReplicaPool:
    """A `Generator` over OpenAI-compatible replicas serving the same model."""

    kind = "generate"

    def __init__(self, base_urls: Sequence[str], model: str, *, per_replica: int,
                 max_tokens: int, temperature: float, seed: int | None, timeout: float,
                 recheck_s: float = 1.0) -> None:
        self.replicas = [Replica(OpenAIBackend(u, model, max_tokens=max_tokens,
                                               temperature=temperature, seed=seed,
                                               timeout=timeout), per_replica)
                         for u in base_urls]
        self.params: dict[str, Any] = dict(self.replicas[0].backend.params)
        self.recheck_s = recheck_s
        self._free: asyncio.Condition | None = None
        self._watchers: set[asyncio.Task] = set()

    @property
    def health_urls(self) -> list[str]:
        return [health_url(r.url) for r in self.replicas]

    async def check(self) -> dict[str, Any]:
        """Every replica checked (reachable, model served, probe accepted); the identity is the
        first replica's, with each replica's under "replicas"."""
        identities = await asyncio.gather(*(r.backend.check() for r in self.replicas))
        for r, ident in zip(self.replicas, identities):
            r.identity = ident
        return {**identities[0], "replicas": list(identities)}

    async def complete(self, messages: list[dict], extra_body: dict | None = None) -> Answer:
        """At most one failover per replica for one call: a request that every replica fails
        (a slow model times out everywhere) goes back to the retry policy, which counts it,
        instead of bouncing between replicas for ever."""
        tried: set[int] = set()
        while True:
            replica = await self._acquire()
            try:
                answer = await replica.backend.complete(messages, extra_body)
            except RequestError as e:
                if not failed_replica(e):
                    raise
                self._take_out(replica, e)
                tried.add(id(replica))
                if len(tried) >= len(self.replicas) or not any(r.healthy
                                                               for r in self.replicas):
                    raise
                continue  # sent again at once to a replica that still answers
            finally:
                await self._release(replica)
            replica.served += 1
            return answer

    async def _acquire(self) -> Replica:
        """The least-loaded healthy replica with a free slot; waits for a slot. When every
        replica is out, looks once more at their /health before failing as `down`."""
        self._free = self._free or asyncio.Condition()
        async with self._free:
            while True:
                healthy = [r for r in self.replicas if r.healthy]
                if not healthy:
                    healthy = await self._recheck_all()
                if not healthy:
                    raise RequestError("connection: no replica answers (" +
                                       ", ".join(r.url for r in self.replicas) + ")",
                                       kind="transport", retryable=True, down=True)
                free = [r for r in healthy if r.in_flight < r.limit]
                if free:
                    best = min(free, key=lambda r: (r.in_flight, r.served))
                    best.in_flight += 1
                    return best
                await self._free.wait()

    async def _release(self, replica: Replica) -> None:
        replica.in_flight -= 1
        assert self._free is not None
        async with self._free:
            self._free.notify_all()

    async def _recheck_all(self) -> list[Replica]:
        answers = await asyncio.gather(*(asyncio.to_thread(r.answers_health)
                                         for r in self.replicas))
        for r, ok in zip(self.replicas, answers):
            if ok:
                self._rejoin(r)
        return [r for r in self.replicas if r.healthy]

    def _take_out(self, replica: Replica, e: RequestError) -> None:
        replica.failures += 1
        if not replica.healthy:
            return
        replica.healthy = False
        log.warning(f"replica {replica.url} taken out ({e}); its requests go to the others "
                    "until its /health answers")
        task = asyncio.get_running_loop().create_task(self._watch(replica))
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    async def _watch(self, replica: Replica) -> None:
        while not replica.healthy:
            await asyncio.sleep(self.recheck_s)
            if await asyncio.to_thread(replica.answers_health):
                self._rejoin(replica)
        if self._free is not None:
            async with self._free:
                self._free.notify_all()

    def _rejoin(self, replica: Replica) -> None:
        if not replica.healthy:
            replica.healthy = True
            log.warning(f"replica {replica.url} answers /health again; back in rotation")

    def stats(self) -> list[dict]:
        """Per replica: URL, requests answered, failures seen, whether in rotation now."""
        return [{"base_url": r.url, "served": r.served, "failures": r.failures,
                 "healthy": r.healthy} for r in self.replicas]

    async def close(self) -> None:
        for task in list(self._watchers):
            task.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)
        await asyncio.gather(*(r.backend.close() for r in self.replicas))
