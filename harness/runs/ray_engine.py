"""`--engine ray`: the samples become Ray Datasets and Ray workers send the requests.

Requests go through `ray.data.llm` (`HttpRequestProcessorConfig`, one processor per replica URL,
the samples dealt round-robin over them) to the OpenAI-compatible server(s); Ray schedules the
HTTP workers over the cluster and retries a task whose worker dies. The driver (this process)
does everything else exactly as the local engine does, with the same functions: it reads and
encodes each image, renders the prompt, looks up the cache, and parses, scores and appends every
answer, so it stays the single writer of samples.jsonl. Finished ids are skipped before any
dataset is built (resume), an id answered twice (a retried task) is written once, and samples
go to Ray in chunks so the driver's memory stays flat however big the task.

Not measured here: per-request latency (Ray's HTTP stage does not report it; records carry 0).
The GPU path with no server at all (`vLLMEngineProcessorConfig`) is `vllm_processor` below,
checked by scripts/ray_vllm_check.py on a GPU box.
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any, Iterable, Iterator

from harness.backends.openai_compat import answer_from_json
from harness.backends.base import RequestError
from harness.errors import BackendError, MissingExtra, RunError
from harness.runs.loop import (Context, _finish, _from_cache, _prepare, _Prepared, answered,
                               write_record)
from harness.scoring.record import SampleRecord
from harness.secrets import api_key
from harness.store import RunDir
from harness.tasks.sample import Sample

log = logging.getLogger("harness")
CHUNK = 2048  # samples per Ray Dataset
BATCH = 4  # rows per HTTP worker call (small: a batch's requests are sent one by one)
HTTP_WORKER_CPUS = 0.1  # an HTTP worker mostly waits on the network


def import_ray() -> Any:
    try:
        import ray
        import ray.data.llm  # noqa: F401
    except ImportError:
        raise MissingExtra("ray[data]", "ray", "--engine ray") from None
    return ray


def connect(address: str | None) -> bool:
    """Join the cluster at `address` ($RAY_ADDRESS), or start a local one; an already
    initialised Ray (a test's, a notebook's) is used as it is. True if we started it."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    quiet()
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise RunError(f"--ray-address {address}: cannot join the Ray cluster "
                       f"({str(e).splitlines()[0]})") from None
    return True


def quiet() -> None:
    """Ray Data's progress bars and per-operator log lines would drown the harness's own."""
    from ray.data import DataContext

    data = DataContext.get_current()
    data.enable_progress_bars = False
    data.print_on_execution_start = False
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.WARNING)


async def evaluate_ray(samples: Iterable[Sample], done: set[str], ctx: Context,
                       rundir: RunDir, urls: list[str]) -> None:
    """The Ray engine's counterpart of loop.evaluate (same arguments, plus the replica URLs)."""
    processors = [_http_processor(u, ctx) for u in urls] or [_engine_processor(ctx)]
    started = connect(ctx.manifest.ray_address)
    quiet()
    try:
        for chunk in _chunks(samples, done, ctx, rundir):
            await _run_chunk(chunk, processors, ctx, rundir, done)
    finally:
        ctx.progress.close()
        if started:
            import_ray().shutdown()


def _chunks(samples: Iterable[Sample], done: set[str], ctx: Context,
            rundir: RunDir) -> Iterator[dict[str, _Prepared]]:
    """Samples still to do, prepared on the driver; image errors are recorded on the way."""
    chunk: dict[str, _Prepared] = {}
    for s in samples:
        if s.id in done or s.id in chunk:
            continue
        prep = _prepare(s, ctx)
        if isinstance(prep, SampleRecord):
            _write(rundir, ctx, prep, done)
            continue
        chunk[s.id] = prep
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = {}
    if chunk:
        yield chunk


async def _run_chunk(chunk: dict[str, _Prepared], processors: list[Any], ctx: Context,
                     rundir: RunDir, done: set[str]) -> None:
    ask = []
    for prep in chunk.values():
        hit = _from_cache(prep, ctx)
        if hit is None:
            ask.append(prep)
            continue
        _write(rundir, ctx, await _finish(prep, ctx, hit, 0.0, None, cached=True), done)
    if not ask:
        return
    ctx.requests += len(ask)
    try:
        for row in _dataset(ask, processors, ctx).iter_rows():
            sid = row["id"]
            if sid in done or sid not in chunk:
                continue  # a retried task answered this id again: written once
            _write(rundir, ctx, await _record(chunk[sid], ctx, row["response"]), done)
    except RunError:
        raise
    except Exception as e:  # the dataset failed (a replica down past the retries, ...)
        raise RunError(f"stopped: the Ray dataset failed ({type(e).__name__}: "
                       f"{str(e).splitlines()[0][:300]}); finished samples are kept, continue "
                       f"with `harness run --resume {rundir.path}`") from None


async def _record(prep: _Prepared, ctx: Context, response: str) -> SampleRecord:
    try:
        answer = answer_from_json(json.loads(response), 0.0)
    except (RequestError, ValueError) as e:
        kind = getattr(e, "kind", "server")
        return SampleRecord.failure(prep.sample.id, prep.sample.gold_wnid, kind, str(e))
    return await answered(prep, ctx, answer)


def _write(rundir: RunDir, ctx: Context, rec: SampleRecord, done: set[str]) -> None:
    done.add(rec.id)
    stop = write_record(rundir, ctx, rec)
    if stop:
        raise RunError(f"stopped: {stop}")


def _dataset(ask: list[_Prepared], processors: list[Any], ctx: Context) -> Any:
    """One dataset per replica (the samples dealt round-robin), each through its processor."""
    ray = import_ray()
    parts = []
    for i, proc in enumerate(processors):
        rows = [{"id": p.sample.id, "body": json.dumps(_payload(p, ctx))}
                for p in ask[i::len(processors)]]
        if rows:
            blocks = -(-len(rows) // BATCH)  # one block per batch: every worker gets work
            parts.append(proc(ray.data.from_items(rows, override_num_blocks=blocks)))
    return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]


def _payload(prep: _Prepared, ctx: Context) -> dict:
    """The request body the local engine's client sends for this sample."""
    assert ctx.prompt is not None and prep.url is not None
    body = {"model": ctx.manifest.model_id, "messages": ctx.prompt.render(
        prep.url, **(prep.variables or {})), **ctx.backend.params}
    return {**body, **(ctx.prompt.extra_body or {})}


def _http_processor(base_url: str, ctx: Context) -> Any:
    from ray.data.llm import HttpRequestProcessorConfig, build_processor

    m = ctx.manifest
    # Ray's HTTP stage awaits the requests of one batch one after another, so requests in
    # flight = HTTP workers: --concurrency of them over the replicas, each a light actor.
    workers = max(1, m.concurrency // max(1, len(m.base_urls)))
    config = HttpRequestProcessorConfig(
        url=f"{base_url}/chat/completions", headers={"Authorization": f"Bearer {api_key()}"},
        batch_size=BATCH, concurrency=workers, max_retries=m.max_retries,
        base_retry_wait_time_in_s=0.5,
        http_request_stage={"num_cpus": HTTP_WORKER_CPUS, "concurrency": (workers, workers)})
    return build_processor(config, preprocess=to_request, postprocess=from_response)


def to_request(row: dict) -> dict:
    """In a Ray worker: the stage's `payload` column (rows carry JSON text, so Arrow never
    reshapes the messages)."""
    return {"id": row["id"], "payload": json.loads(row["body"])}


def from_response(row: dict) -> dict:
    """In a Ray worker: the reply as JSON text, checked and scored on the driver."""
    return {"id": row["id"], "response": json.dumps(row.get("http_response"), default=str)}


class RayEngines:
    """The backend of `--engine ray` with no --base-url: no server, vLLM engines run as Ray
    actors on the cluster's GPUs (`vllm_processor`). It only reports what answers and the
    sampling parameters (for run.json and the cache key); Ray sends the requests."""

    kind = "generate"

    def __init__(self, model_id: str, params: dict[str, Any]) -> None:
        self.model_id, self.params = model_id, params

    async def check(self) -> dict[str, Any]:
        from importlib import metadata, util

        if util.find_spec("vllm") is None:
            raise BackendError("--engine ray with no --base-url runs vLLM engines as Ray "
                               "actors and needs `vllm` installed (pip install "
                               "'harness-vlm[vllm,ray]' on the GPU nodes), or give the "
                               "servers with --base-url")
        return {"engine": "ray.data.llm vLLMEngineProcessorConfig",
                "model": {"id": self.model_id}, "version": metadata.version("vllm")}

    async def complete(self, messages: list[dict], extra_body: dict | None = None) -> Any:
        raise RunError("--engine ray: requests are sent by Ray workers, not by this process")

    async def close(self) -> None:
        pass


def _engine_processor(ctx: Context) -> Any:
    m, p = ctx.manifest, ctx.backend.params
    return vllm_processor(m.model_id, max_tokens=p["max_tokens"], temperature=p["temperature"],
                          seed=p.get("seed", m.seed), engines=m.replicas,
                          tensor_parallel=m.tensor_parallel_size)


def vllm_processor(model_id: str, *, max_tokens: int, temperature: float, seed: int,
                   engines: int, tensor_parallel: int, batch_size: int = 16,
                   engine_kwargs: dict | None = None) -> Any:
    """GPU path, no server: vLLM engines as Ray actors on the cluster's GPUs. Rows carry the
    same JSON `body` as the HTTP path; answers come back in the same `response` shape (a chat
    completion), so the driver's checking, parsing and scoring are unchanged. Checked by
    scripts/ray_vllm_check.py (needs a GPU; not tested on CPU)."""
    from ray.data.llm import build_processor, vLLMEngineProcessorConfig

    config = vLLMEngineProcessorConfig(  # prepare_multimodal_stage: ray 2.60's has_image
        model_source=model_id, prepare_multimodal_stage=True, batch_size=batch_size,
        concurrency=engines,
        engine_kwargs={"tensor_parallel_size": tensor_parallel, "max_model_len": 4096,
                       "limit_mm_per_prompt": {"image": 1}, **(engine_kwargs or {})})
    sampling = {"max_tokens": max_tokens, "temperature": temperature, "seed": seed}

    def to_engine(row: dict) -> dict:
        body = json.loads(row["body"])
        return {"id": row["id"], "messages": body["messages"], "sampling_params": sampling}

    def from_engine(row: dict) -> dict:
        reply = {"object": "chat.completion", "choices": [{
            "index": 0, "finish_reason": "length" if row.get("num_generated_tokens", 0)
            >= max_tokens else "stop",
            "message": {"role": "assistant", "content": row.get("generated_text", "")}}]}
        return {"id": row["id"], "response": json.dumps(reply)}

    return build_processor(config, preprocess=to_engine, postprocess=from_engine)
