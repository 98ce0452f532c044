"""`harness run`: plan -> backend -> the one loop -> results.json, with resume.

The backend is checked before the first sample (reachable, model served, a probe accepted) and
the identity it reports goes to run.json and into the cache key. The run dir is locked for the
whole run. An interrupted or stopped run keeps every finished sample; `--resume` continues it.
"""
from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path
from typing import Any, Callable

from harness.backends.base import stable_identity
from harness.backends.cache import ResponseCache
from harness.backends.classifier import HFClassifier
from harness.backends.models import resolve
from harness.backends.openai_compat import OpenAIBackend, health_url
from harness.backends.replicas import ReplicaPool
from harness.backends.resilience import Resilience
from harness.errors import BackendError, RunError, ServerError, StoreError
from harness.manifest import RunManifest, RunOptions
from harness.parse.parser import parser_for
from harness.runs.loop import Context, Progress, _Silent, evaluate
from harness.runs.plan import Plan, Registry, new_run, resume_run
from harness.scoring import aggregate
from harness.store import RunDir, now_iso

log = logging.getLogger("harness")
ProgressFactory = Callable[[int, int], Progress]  # (total, already done) -> sink


def run(opts: RunOptions, *, registry: Registry = Registry(), runs_dir: Path | None = None,
        resume: Path | None = None, progress: ProgressFactory | None = None,
        on_start: Callable[[RunDir], None] | None = None) -> tuple[RunDir, dict]:
    """Evaluate and write the run dir; returns it with results.json's content."""
    if resume is not None:
        RunDir(resume).manifest()  # a clear error before taking the lock of a non-run
        with RunDir(resume).lock():
            return _execute(resume_run(resume, opts, registry), progress, on_start)
    plan = new_run(opts, registry, runs_dir)
    with plan.rundir.lock():
        return _execute(plan, progress, on_start)


def _execute(plan: Plan, progress: ProgressFactory | None,
             on_start: Callable[[RunDir], None] | None) -> tuple[RunDir, dict]:
    rundir, m = plan.rundir, plan.manifest
    done = rundir.done_ids()  # a corrupt samples.jsonl stops here, before anything is written
    if not plan.fresh:
        rundir.write_manifest(m)  # the options this resume changed are on record
    if done:
        log.warning(f"resuming {rundir.path}: {len(done)} of {m.n_samples} samples already done")
    server, results = None, None
    try:
        if m.managed_server and m.engine != "ray":  # with Ray, engines run as Ray actors
            server = _start_vllm(m, rundir)
        urls = server.base_urls if server else m.base_urls
        backend = _backend(plan, urls)
        ctx = _context(plan, backend, urls, progress, len(done))
        try:
            asyncio.run(_session(plan, ctx, done, on_start, urls))
        finally:
            if ctx.cache is not None:
                if ctx.cache.hits:
                    log.warning(f"cache: {ctx.cache.hits} answers from {ctx.cache.path}, "
                                f"{ctx.requests} requests sent")
                ctx.cache.close()
    except BackendError:
        if plan.fresh and not rundir.read_records():
            _discard(rundir)  # nothing was evaluated: leave no empty run dir behind
            rundir = None
        raise
    finally:
        if server is not None:
            server.stop()
        if rundir is not None:
            rundir.close()
            if rundir.samples.exists():
                rundir.compact()
                results = finalize(rundir)
    if results is None:
        raise StoreError(f"{rundir.path}: samples.jsonl disappeared during the run")
    return rundir, results


async def _session(plan: Plan, ctx: Context, done: set[str],
                   on_start: Callable[[RunDir], None] | None, urls: list[str]) -> None:
    """Check the backend, record what it reports, evaluate; one event loop for all of it (an
    HTTP client's connections belong to the loop that opened them)."""
    try:
        identity = await ctx.backend.check()
        _same_model(plan, identity)
        ctx.endpoint["identity"] = stable_identity(identity)
        plan.manifest.server = identity
        plan.rundir.write_manifest(plan.manifest)
        if on_start:
            on_start(plan.rundir)
        if plan.manifest.engine == "ray":
            from harness.runs.ray_engine import evaluate_ray

            await evaluate_ray(plan.selection.samples, done, ctx, plan.rundir, urls)
        else:
            await evaluate(plan.selection.samples, done, ctx, plan.rundir)
    finally:
        await ctx.backend.close()


def _same_model(plan: Plan, identity: dict) -> None:
    """A resumed run must talk to the model it started with: a new checkpoint or server version
    under the same name would make one run of two models."""
    before, now = stable_identity(plan.manifest.server), stable_identity(identity)
    if plan.fresh or not before.get("model") or not now.get("model") or before == now:
        return
    raise RunError(f"{plan.rundir.path}: the server now reports {now}, and this run started "
                   f"with {before}; resuming would mix two models' answers in one run: serve "
                   "the original model, or start a new run")


def _backend(plan: Plan, urls: list[str]) -> Any:
    m = plan.manifest
    if m.backend == "hf-classifier":
        return HFClassifier(m.model_id, plan.space)
    if m.backend == "transformers":
        from harness.backends.local import TransformersBackend

        return TransformersBackend(m.model_id, max_tokens=m.max_tokens, seed=m.seed,
                                   temperature=m.temperature)
    sampling = {"max_tokens": m.max_tokens, "temperature": m.temperature, "seed": m.seed,
                "timeout": m.timeout_s}
    if not urls:  # --engine ray with no server: vLLM engines as Ray actors
        from harness.runs.ray_engine import RayEngines

        return RayEngines(m.model_id, {k: sampling[k] for k in ("max_tokens", "temperature",
                                                                 "seed")})
    if len(urls) > 1:
        per = m.replica_concurrency or -(-m.concurrency // len(urls))
        return ReplicaPool(urls, m.model_id, per_replica=per, **sampling)
    return OpenAIBackend(urls[0], m.model_id, **sampling)


def _context(plan: Plan, backend: Any, urls: list[str],
             progress: ProgressFactory | None, done: int) -> Context:
    m = plan.manifest
    base_url = urls[0] if urls else None
    resilience = Resilience([health_url(u) for u in urls] or None, m.max_retries,
                            m.retry_budget, m.max_outage_s)
    sink = progress(m.n_samples, done) if progress else _Silent()
    return Context(backend, plan.prompt, parser_for(plan.space), m, resilience,
                   ResponseCache() if m.cache else None,
                   {"base_url": None if m.managed_server else base_url, "kind": m.backend},
                   sink)


def _discard(rundir: RunDir) -> None:
    """Remove a run dir that holds no sample, and the <task>/<model> folders if left empty."""
    rundir.close()
    shutil.rmtree(rundir.path, ignore_errors=True)
    for parent in (rundir.path.parent, rundir.path.parent.parent):
        try:
            parent.rmdir()
        except OSError:
            break


def managed_vllm(model: str, log_path: Path, extra: tuple[str, ...] = (),
                 port: int | None = None, *, tensor_parallel: int = 1, data_parallel: int = 1,
                 gpus: str | None = None):
    """A ManagedServer running `vllm serve` with the model's profile (not started yet); `gpus`:
    its CUDA_VISIBLE_DEVICES (None: inherited)."""
    from harness.backends.server import ManagedServer, free_port, vllm_available, vllm_command

    if not vllm_available():
        raise RunError("`vllm` is not on PATH: install it (`pip install 'harness-vlm[vllm]'` on "
                       "a GPU box) or attach to a running server with --base-url")
    model_id, profile = resolve(model)
    port = port or free_port()
    args = list(profile.vllm_args if profile else ()) + list(extra)
    cmd = vllm_command(model_id, port, extra=args, tensor_parallel=tensor_parallel,
                       data_parallel=data_parallel)
    on = f" on GPUs {gpus}" if gpus is not None else ""
    log.warning(f"starting vLLM{on}: {' '.join(cmd)} (log: {log_path})")
    return ManagedServer(cmd, port, log_path, env={"CUDA_VISIBLE_DEVICES": gpus}
                         if gpus is not None else None)


def managed_replicas(m: RunManifest, folder: Path):
    """`--replicas` vLLM servers (not started), each on its own group of GPUs, logs in folder
    (server.log, server-2.log, ...)."""
    from harness.backends.server import ManagedGroup, gpu_groups, visible_gpus

    per = m.tensor_parallel_size * m.data_parallel_size
    groups = gpu_groups(m.replicas, per, visible_gpus() if m.replicas > 1 else None)
    return ManagedGroup([
        managed_vllm(m.model, folder / ("server.log" if i == 0 else f"server-{i + 1}.log"),
                     tuple(m.server_args.split()), tensor_parallel=m.tensor_parallel_size,
                     data_parallel=m.data_parallel_size, gpus=g)
        for i, g in enumerate(groups)])


def _start_vllm(m: RunManifest, rundir: RunDir):
    try:
        group = managed_replicas(m, rundir.path)
        group.start()
    except ServerError as e:
        (rundir.path / "FAILED").write_text(f"{e}\n")
        raise RunError(str(e)) from None
    return group


def finalize(rundir: RunDir) -> dict:
    res = aggregate.build(rundir.manifest(), rundir.read_records(), rundir.samples_sha256(),
                          now_iso())
    return rundir.write_results(res)
