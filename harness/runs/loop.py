"""The one evaluation loop: samples -> (prompt -> generator -> parse | classifier) -> record.

Samples stream through a bounded queue to `concurrency` workers, so memory stays flat however big
the task. Each finished sample is appended (and flushed) before it is counted. Generators and
classifiers share everything but the middle step: resume, cache, disk-full handling, progress and
the record format. Per-sample problems become records with an error kind; only what would fail
every sample the same way (auth, a spent retry budget, a full disk) stops the run.
"""
from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any, Iterable, Protocol

from harness.backends.base import Answer, RequestError
from harness.backends.cache import ResponseCache, cacheable, request_key
from harness.backends.resilience import Resilience, StopRun
from harness.errors import HarnessError, RunError
from harness.manifest import RunManifest
from harness.parse.parser import ParseResult, Parser
from harness.prompts.choices import option_names, options, read_choice
from harness.prompts.images import ImageError, image_data_url
from harness.prompts.prompt import Prompt
from harness.scoring.record import SampleRecord
from harness.scoring.score import class_result, score
from harness.store import RunDir
from harness.store.rundir import write_error
from harness.tasks.sample import Sample
from harness.wordnet import clip_names

LONG_ANSWER = 2000  # characters; longer answers are parsed off the event loop


class Progress(Protocol):
    def update(self, error: bool = False) -> None: ...

    def close(self) -> None: ...


class _Silent:
    def update(self, error: bool = False) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class Context:
    backend: Any  # a Generator or a Classifier (harness/backends/base.py)
    prompt: Prompt | None
    parser: Parser
    manifest: RunManifest
    resilience: Resilience
    cache: ResponseCache | None
    endpoint: dict  # base URL + identity: where answers come from (part of the cache key)
    progress: Progress
    requests: int = 0

    @property
    def classify(self) -> bool:
        return self.backend.kind == "classify"


@dataclass
class _Prepared:
    sample: Sample
    data: bytes | None = None  # classifiers: the image file
    url: str | None = None  # generators: the image as sent
    sent_sha256: str = ""
    variables: dict | None = None
    shown: list[str] | None = None
    key: str | None = None


async def evaluate(samples: Iterable[Sample], done: set[str], ctx: Context,
                   rundir: RunDir) -> None:
    """Evaluate every sample not in `done`; raises RunError when the run has to stop."""
    m = ctx.manifest
    queue: asyncio.Queue[_Prepared | None] = asyncio.Queue(maxsize=2 * m.concurrency)
    state: dict[str, Any] = {"consecutive": 0, "abort": None}

    def record(rec: SampleRecord, flush: bool = True) -> None:
        state["abort"] = write_record(rundir, ctx, rec, flush) or state["abort"]

    async def produce() -> None:
        inline = 0
        for s in samples:
            if state["abort"]:
                break
            if s.id in done:
                continue
            done.add(s.id)
            prep = await asyncio.to_thread(_prepare, s, ctx) if _slow(s, ctx) else _prepare(s, ctx)
            if isinstance(prep, SampleRecord):
                record(prep)
                continue
            hit = _from_cache(prep, ctx)
            if hit is None:
                rundir.flush()
                await queue.put(prep)
                continue
            record(await _finish(prep, ctx, hit, 0.0, None, cached=True), flush=False)
            inline += 1
            if inline % 256 == 0:  # cache hits never wait for a worker; let others run
                rundir.flush()
                await asyncio.sleep(0)
        rundir.flush()
        for _ in range(m.concurrency):
            await queue.put(None)

    async def work() -> None:
        while (prep := await queue.get()) is not None:
            if state["abort"]:
                continue
            try:
                rec = await _ask(prep, ctx)
            except StopRun as e:
                state["abort"] = str(e)
                continue
            except RequestError as e:
                if e.fatal:
                    state["abort"] = f"{e} (at sample {prep.sample.id})"
                    continue
                rec = SampleRecord.failure(prep.sample.id, prep.sample.gold_wnid, e.kind,
                                           str(e))
            state["consecutive"] = state["consecutive"] + 1 if rec.failed else 0
            if state["consecutive"] >= m.max_consecutive_failures:
                state["abort"] = (f"{m.max_consecutive_failures} requests in a row failed; "
                                  f"last: {rec.error}")
            record(rec)

    try:
        await asyncio.gather(produce(), *(work() for _ in range(m.concurrency)))
    finally:
        ctx.progress.close()
    if state["abort"]:
        raise RunError(f"stopped: {state['abort']}; finished samples are kept, continue with "
                       f"`harness run --resume {rundir.path}`")


def write_record(rundir: RunDir, ctx: Context, rec: SampleRecord,
                 flush: bool = True) -> str | None:
    """Append one record and count it; returns why the run must stop when it cannot be
    written (disk full, unwritable), else None."""
    try:
        rundir.append(rec, flush)
    except HarnessError as e:
        return str(e)
    except OSError as e:  # a write that failed below the store's own handling
        return str(write_error(rundir.samples, e))
    ctx.progress.update(error=rec.error is not None)
    return None


def _slow(s: Sample, ctx: "Context") -> bool:
    """Work that may take long goes to a thread, so the event loop keeps serving the workers:
    lazy loaders (streamed datasets) and images that are decoded to be resized."""
    return s.loader is not None or ctx.manifest.image_size is not None


def _prepare(s: Sample, ctx: Context) -> _Prepared | SampleRecord:
    """Read the image and build what will be sent, or an image error record."""
    try:
        data = s.read_bytes()
    except OSError as e:
        return SampleRecord.failure(s.id, s.gold_wnid, "image",
                                    f"image: cannot read ({e.strerror or e})")
    if ctx.classify:
        return _Prepared(s, data=data, sent_sha256=hashlib.sha256(data).hexdigest())
    try:
        url, _ = image_data_url(data, ctx.manifest.image_size)
    except ImageError as e:
        return SampleRecord.failure(s.id, s.gold_wnid, "image", str(e))
    prep = _Prepared(s, url=url, sent_sha256=hashlib.sha256(url.encode()).hexdigest(),
                     variables={"sample_id": s.id})
    prompt = ctx.prompt
    if prompt is not None and prompt.choices:
        prep.shown = options(s.gold_wnid, s.id, ctx.parser.space,
                             int(prompt.choices.get("k", 4)),
                             prompt.choices.get("distractors", "nearest"), ctx.manifest.seed)
        prep.variables.update(options=option_names(prep.shown, ctx.parser.space),
                              k=len(prep.shown))
    return prep


def _from_cache(prep: _Prepared, ctx: Context) -> str | None:
    if ctx.cache is None or ctx.classify:
        return None
    p = ctx.prompt
    assert p is not None
    prompt = {"text": p.text, "system": p.system, "image_position": p.image_position,
              "variables": prep.variables}
    params = getattr(ctx.backend, "params", {})
    prep.key = request_key(ctx.endpoint, prompt, params, p.extra_body, prep.sent_sha256)
    return ctx.cache.get(prep.key)


async def _ask(prep: _Prepared, ctx: Context) -> SampleRecord:
    """One request to the backend (retried by the resilience policy)."""
    ctx.requests += 1
    if ctx.classify:
        pred = await ctx.resilience.call(lambda: ctx.backend.classify(prep.data))
        s = prep.sample
        space = ctx.parser.space
        rec = SampleRecord(s.id, s.gold_wnid, response=clip_names().get(pred.top[0], ""),
                           **score(s.gold_wnid, "", class_result(pred.top[0], space), space,
                                   contains_rule=False),
                           latency_s=round(pred.latency_s, 4), image_sha256=prep.sent_sha256,
                           top5=pred.top)
        return rec
    assert ctx.prompt is not None and prep.url is not None
    messages = ctx.prompt.render(prep.url, **(prep.variables or {}))
    answer = await ctx.resilience.call(
        lambda: ctx.backend.complete(messages, ctx.prompt.extra_body))
    return await answered(prep, ctx, answer)


async def answered(prep: _Prepared, ctx: Context, answer: Answer) -> SampleRecord:
    """A fresh answer: into the cache (when worth keeping), then parsed and scored."""
    if ctx.cache is not None and prep.key and cacheable(answer.text, answer.finish_reason):
        ctx.cache.put(prep.key, ctx.manifest.model_id, answer.text)
    return await _finish(prep, ctx, answer.text, answer.latency_s, answer.finish_reason)


async def _finish(prep: _Prepared, ctx: Context, text: str, latency: float,
                  finish_reason: str | None, cached: bool = False) -> SampleRecord:
    """Parse and score an answer into the sample's record."""
    s, parser = prep.sample, ctx.parser
    if len(text) > LONG_ANSWER:
        pred = await asyncio.to_thread(_read, text, prep.shown, parser)
    else:
        pred = _read(text, prep.shown, parser)
    return SampleRecord(s.id, s.gold_wnid, response=text,
                        **score(s.gold_wnid, text, pred, parser.space),
                        latency_s=round(latency, 4), image_sha256=prep.sent_sha256,
                        cached=cached, finish_reason=finish_reason, options=prep.shown)


def _read(text: str, shown: list[str] | None, parser: Parser) -> ParseResult:
    return read_choice(text, shown, parser) if shown is not None else parser.parse(text)
