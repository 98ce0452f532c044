"""What every backend is to the evaluation loop, and the errors they share.

Two kinds, one loop (harness/runs/loop.py):
- a `Generator` answers chat messages with text (an OpenAI-compatible server, or a model loaded
  in-process) and the answer is parsed into a synset;
- a `Classifier` scores an image over the task's label space and its top-5 classes are recorded.
Both report an identity (what answered: the server's model entry, versions) that goes to run.json
and into the cache key, and both close cleanly.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, TypeVar, runtime_checkable

from harness.errors import BackendError  # noqa: F401  (re-exported: the backends' error)

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Answer:
    """A generator's reply: the text, how long it took, and why generation stopped."""

    text: str
    latency_s: float
    finish_reason: str | None = None


@dataclass(frozen=True)
class Prediction:
    """A classifier's top classes (best first) over the task's label space."""

    top: list[str]
    latency_s: float


@runtime_checkable
class Generator(Protocol):
    kind: str  # "generate"
    params: dict[str, Any]  # everything that shapes the answer (part of the cache key)

    async def check(self) -> dict[str, Any]: ...

    async def complete(self, messages: list[dict],
                       extra_body: dict | None = None) -> Answer: ...

    async def close(self) -> None: ...


@runtime_checkable
class Classifier(Protocol):
    kind: str  # "classify"
    params: dict[str, Any]

    async def check(self) -> dict[str, Any]: ...

    async def classify(self, image: bytes) -> Prediction: ...

    async def close(self) -> None: ...


class RequestError(Exception):
    """One request failed. `kind`: transport (no usable HTTP exchange: reset, timeout) or server
    (an answer that is an error or not a chat completion). `fatal`: every other request would
    fail the same way (auth, URL); `retryable`: worth asking again (429, 5xx, timeouts,
    resets); `down`: no HTTP answer at all; `retry_after`: seconds the server asked to wait."""

    def __init__(self, message: str, *, kind: str = "server", fatal: bool = False,
                 retryable: bool = False, down: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind, self.fatal, self.retryable = kind, fatal, retryable
        self.down, self.retry_after = down, retry_after


@dataclass
class Batcher:
    """Gathers concurrent calls into batches for one blocking `run_batch` call each.

    In-process models are fastest when fed batches; the loop's workers each await one item.
    Whoever finds the model idle runs everything queued (up to `max_batch`) in a thread, so the
    event loop keeps serving the other workers meanwhile."""

    run_batch: Callable[[list[Any]], list[Any]]
    max_batch: int = 8
    _pending: list[tuple[Any, asyncio.Future]] = field(default_factory=list)
    _lock: asyncio.Lock | None = None

    async def submit(self, item: Any) -> Any:
        future = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if not future.done():
                batch = self._pending[:self.max_batch]
                self._pending = self._pending[self.max_batch:]
                try:
                    results = await asyncio.to_thread(self.run_batch, [i for i, _ in batch])
                    if len(results) != len(batch):
                        raise AssertionError(f"run_batch gave {len(results)} results for "
                                             f"{len(batch)} inputs")
                except (RuntimeError, ValueError, OSError, MemoryError) as e:
                    # the model failed on this batch (torch raises RuntimeError, out of memory
                    # included): its requests fail, the run goes on
                    for _, f in batch:
                        f.set_exception(RequestError(f"local: {type(e).__name__}: {e}"))
                except BaseException as e:  # a bug in the harness: every waiter sees it
                    for _, f in batch:
                        f.set_exception(e)
                else:
                    for (_, f), res in zip(batch, results):
                        f.set_result(res)
        return await future


STABLE_MODEL_FIELDS = ("id", "root", "parent", "max_model_len", "class", "num_labels")


def stable_identity(identity: dict | None) -> dict:
    """The parts of a backend's identity that name what answers (model id, checkpoint root,
    context length, server version, device), without what changes on every call (vLLM's
    `created` timestamp, permission ids) or with the port (a launched server gets a new one):
    for cache keys and for checking that a resumed run talks to the same model."""
    if not identity:
        return {}
    if identity.get("replicas"):
        identity = identity["replicas"][0]
    model = identity.get("model") or {}
    out = {"model": {k: model[k] for k in STABLE_MODEL_FIELDS if k in model},
           "version": identity.get("version")}
    if identity.get("device"):
        out["device"] = identity["device"]
    return out


def to_device(model: Any, device: str | None = None) -> str:
    """Move an in-process model to `device`, by default the GPU when there is one."""
    import torch

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device)
    return device
