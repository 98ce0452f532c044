"""The async evaluation loop: samples -> prompt -> (cache | server) -> parse -> score -> record.

Samples stream through a bounded queue to `concurrency` workers, so memory stays flat however big
the task. Each finished sample is appended (and fsync'd) before it is counted. The server is
checked lazily, before the first request that the cache cannot answer: a fully cached re-run
sends nothing at all.
"""
from __future__ import annotations

import asyncio
import errno
import hashlib
from dataclasses import dataclass, field
from typing import Iterable

from harness.backends.openai_compat import OpenAIBackend, RequestError
from harness.backends.cache import ResponseCache, request_key
from harness.prompts.choices import option_names, options, read_choice
from harness.prompts.images import ImageError, image_data_url
from harness.parse.parser import Parser
from harness.cli.progress import Progress
from harness.prompts.prompt import Prompt
from harness.records import RunConfig, Sample, error_record
from harness.backends.resilience import Resilience, StopRun
from harness.scoring.score import score
from harness.store.rundir import RunDir


class Abort(Exception):
    """Stop the run; finished samples are kept and `--resume` continues."""


@dataclass
class Context:
    backend: OpenAIBackend
    prompt: Prompt
    parser: Parser
    config: RunConfig
    resilience: Resilience
    cache: ResponseCache | None
    checked: bool = False
    check_error: Exception | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    requests: int = 0


async def evaluate(samples: Iterable[Sample], done: set[str], ctx: Context, rundir: RunDir,
                   max_fail: int = 20) -> None:
    config = ctx.config
    progress = Progress(config.n_samples, done=len(done))
    # (sample, what _prepare made of it): the image is read and hashed once, by the producer
    queue: asyncio.Queue[tuple | None] = asyncio.Queue(maxsize=2 * config.concurrency)
    state: dict = {"consecutive": 0, "abort": None}

    def record(rec: dict, flush: bool = True) -> bool:
        try:
            rundir.append(rec, flush)
        except OSError as e:
            why = "disk full" if e.errno == errno.ENOSPC else "cannot write"
            state["abort"] = f"{why}: {rundir.samples}: {e.strerror or e}"
            return False
        progress.update(error=rec["error"] is not None)
        return True

    async def produce() -> None:
        inline = 0
        for s in samples:
            if state["abort"]:
                break
            if s.id in done:
                continue
            done.add(s.id)
            prep = _prepare(s, ctx)
            rec = _from_cache(s, ctx, prep)
            if rec is None:
                rundir.flush()
                await queue.put((s, prep))
            elif record(rec, flush=False):  # cache hits never wait for a worker
                inline += 1
                if inline % 256 == 0:
                    rundir.flush()
                    await asyncio.sleep(0)
        rundir.flush()
        for _ in range(config.concurrency):
            await queue.put(None)

    async def work() -> None:
        while (item := await queue.get()) is not None:
            s, prep = item
            if state["abort"]:
                continue
            try:
                rec = await one(s, ctx, prep)
            except StopRun as e:
                state["abort"] = str(e)
                continue
            except RequestError as e:
                if e.fatal:
                    state["abort"] = f"{e} (at sample {s.id})"
                    continue
                rec = error_record(s, str(e))
            transient = rec["error"] is not None and not rec["error"].startswith("image:")
            state["consecutive"] = state["consecutive"] + 1 if transient else 0
            if state["consecutive"] >= max_fail:
                state["abort"] = f"{max_fail} requests in a row failed; last: {rec['error']}"
            record(rec)

    try:
        await asyncio.gather(produce(), *(work() for _ in range(config.concurrency)))
    finally:
        progress.close()
        await ctx.backend.close()
    if state["abort"]:
        raise Abort(f"stopped: {state['abort']}; finished samples are kept, continue with "
                    f"`harness run --resume {rundir.path}`")


def _prepare(s: Sample, ctx: Context) -> tuple[bytes, str, dict, list[str] | None] | dict:
    """(image bytes, sha256, template variables, options shown) or an error record."""
    prompt, parser = ctx.prompt, ctx.parser
    try:
        data = s.read_bytes()
    except OSError as e:
        return error_record(s, f"image: cannot read ({e.strerror or e})")
    shown = None
    variables: dict = {"sample_id": s.id}
    if prompt.choices:
        shown = options(s.gold_wnid, s.id, parser.space, int(prompt.choices.get("k", 4)),
                        prompt.choices.get("distractors", "nearest"), ctx.config.seed)
        variables.update(options=option_names(shown, parser.space), k=len(shown))
    return data, hashlib.sha256(data).hexdigest(), variables, shown


def _from_cache(s: Sample, ctx: Context, prep: tuple | dict) -> dict | None:
    """The sample's record if its answer is cached (looked up before the image is encoded)."""
    if ctx.cache is None or isinstance(prep, dict):
        return None  # no cache, or an error record the worker reports
    _, digest, variables, shown = prep
    text = ctx.cache.get(_key(ctx, variables, digest))
    return None if text is None else _record(s, ctx, text, 0.0, digest, shown)


async def one(s: Sample, ctx: Context, prep: tuple | dict) -> dict:
    """Ask the model about one prepared sample; per-sample problems become the record's
    `error`."""
    if isinstance(prep, dict):
        return prep
    data, digest, variables, shown = prep
    try:
        url, _ = image_data_url(data, ctx.config.image_size, digest)
    except ImageError as e:
        return error_record(s, str(e))
    text, latency = await ask(ctx, ctx.prompt.render(url, **variables), variables, digest)
    return _record(s, ctx, text, latency, digest, shown)


def _record(s: Sample, ctx: Context, text: str, latency: float, digest: str,
            shown: list[str] | None) -> dict:
    parser = ctx.parser
    pred = read_choice(text, shown, parser) if shown is not None else parser.parse(text)
    rec = {"id": s.id, "gold_wnid": s.gold_wnid, "response": text,
           **score(s.gold_wnid, text, pred, parser.space),
           "latency_s": round(latency, 4), "error": None, "image_sha256": digest}
    if shown is not None:
        rec["options"] = shown
    return rec


def _key(ctx: Context, variables: dict, image_sha256: str) -> str:
    """The prompt as sent is a pure function of its template and variables, so those (with the
    image's sha256) identify the request without rendering it."""
    p = ctx.prompt
    prompt = {"text": p.text, "system": p.system, "image_position": p.image_position,
              "variables": variables}
    return request_key(ctx.config.model_id, prompt, ctx.backend.params, p.extra_body,
                       image_sha256)


async def ask(ctx: Context, messages: list[dict], variables: dict,
              image_sha256: str) -> tuple[str, float]:
    """The answer from the server (checked first, retried), stored in the cache."""
    if not ctx.checked:
        async with ctx.lock:  # one check for all workers; a failure is final for all
            if ctx.check_error is not None:
                raise ctx.check_error
            if not ctx.checked:
                try:
                    await ctx.backend.check()
                except Exception as e:
                    ctx.check_error = e
                    raise
                ctx.checked = True
    ctx.requests += 1
    text, latency = await ctx.resilience.call(
        lambda: ctx.backend.complete(messages, ctx.prompt.extra_body))
    if ctx.cache is not None:
        ctx.cache.put(_key(ctx, variables, image_sha256), ctx.config.model_id, text)
    return text, latency
