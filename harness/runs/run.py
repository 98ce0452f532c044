"""`harness run`: task -> prompt -> backend -> parse -> score -> run dir, with resume.

Samples stream through a bounded queue to `concurrency` workers, so memory stays flat however big
the task. Every finished sample is appended to samples.jsonl before the next is counted.
"""
from __future__ import annotations

import asyncio
import json
import shutil
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from harness import __version__
from harness.scoring import aggregate as results
from harness.backends.openai_compat import BackendError, OpenAIBackend, env_base_url
from harness.backends.classifier import PREFIX, class_result, is_classifier
from harness.backends.server import ManagedServer, ServerError, free_port, vllm_available, \
    vllm_command
from harness.backends.models import alias_help, resolve
from harness.tasks.labels import parser_for_space
from harness.cli.progress import note
from harness.backends.cache import ResponseCache
from harness.prompts.choices import read_choice
from harness.runs.loop import Abort, Context, evaluate
from harness.prompts.prompt import load_prompt
from harness.records import RunConfig
from harness.scoring.score import score
from harness.backends.resilience import Resilience
from harness.store.rundir import RunDir, iter_runs, now_iso
from harness.tasks.registry import get_task
from harness.tasks.task import Selection, Task
from harness.wordnet.graph import BUILTIN_SPACES, LabelSpace, custom_space, label_space
from harness.errors import RunError




@dataclass
class RunOptions:
    task: str = "imagenet-sample"
    model: str = "llava"
    base_url: str | None = None
    prompt: str | None = None
    data_dir: str | None = None
    limit: int | None = None
    seed: int = 0
    max_tokens: int = 64
    temperature: float = 0.0
    concurrency: int = 32
    timeout_s: float = 120.0
    max_retries: int = 4
    image_size: int | None = None
    runs_dir: Path | None = None
    resume: Path | None = None
    server_args: tuple[str, ...] = ()
    max_consecutive_failures: int = 20
    cache: bool = True
    backend: str = "openai"  # or "transformers": the model in-process, no server
    retry_budget: int = 1000
    max_outage_s: float = 300.0


def run(opts: RunOptions) -> tuple[RunDir, dict]:
    """Evaluate and write the run dir; returns it with results.json's content."""
    rundir, config, task, selection = _open_run(opts)
    if opts.resume and selection.fingerprint != config.data_fingerprint:
        raise RunError(f"{rundir.path}: the task's data changed since this run started "
                       "(fingerprint differs); start a new run instead of resuming")
    done = rundir.done_ids()
    if done:
        note(f"resuming {rundir.path}: {len(done)} of {config.n_samples} samples already done")
    if config.backend == "hf-classifier":
        return _run_classifier(rundir, config, selection, done, fresh=not opts.resume)
    server = None
    base_url = config.base_url
    fresh = not opts.resume
    try:
        if config.backend == "transformers":
            backend = _local_backend(config)
        else:
            if base_url is None:
                server = _start_vllm(config, rundir, opts.server_args)
                base_url = server.base_url
            backend = OpenAIBackend(base_url, config.model_id, max_tokens=config.max_tokens,
                                    temperature=config.temperature, seed=config.seed,
                                    timeout=config.timeout_s)
        ctx = Context(backend, load_prompt(config.prompt), parser_for_space(task.space()),
                      config, Resilience(base_url and _health_url(base_url), config.max_retries,
                                         config.retry_budget, config.max_outage_s),
                      ResponseCache() if config.cache else None)
        asyncio.run(evaluate(selection.samples, done, ctx, rundir,
                             opts.max_consecutive_failures))
        if ctx.cache is not None and ctx.cache.hits:
            note(f"cache: {ctx.cache.hits} answers from {ctx.cache.path}, "
                 f"{ctx.requests} requests sent")
    except BackendError as e:
        if fresh and not rundir.read_records():
            _discard(rundir)  # nothing was evaluated: leave no empty run dir behind
            rundir = None
        hint = "" if "reach" in str(e) or "load" in str(e) else \
            f" (model aliases: {alias_help()})"
        raise BackendError(f"{e}{hint}") from None
    except Abort as e:
        raise RunError(str(e)) from None
    finally:
        if server is not None:
            server.stop()
        if rundir is not None:
            rundir.close()
            if rundir.samples.exists():
                finalize(rundir, config)
    return rundir, json_results(rundir)


def _local_backend(config: RunConfig):
    from harness.backends.local import LocalModelError, TransformersBackend

    try:
        return TransformersBackend(config.model_id, max_tokens=config.max_tokens,
                                   seed=config.seed, temperature=config.temperature)
    except LocalModelError as e:
        raise BackendError(str(e)) from None  # like a server that cannot serve the model


def _health_url(base_url: str) -> str:
    parts = urllib.parse.urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/health"


def _discard(rundir: RunDir) -> None:
    """Remove a run dir that holds no sample, and the <task>/<model> folders if left empty."""
    rundir.close()
    shutil.rmtree(rundir.path, ignore_errors=True)
    for parent in (rundir.path.parent, rundir.path.parent.parent):
        try:
            parent.rmdir()
        except OSError:
            break


def _run_classifier(rundir: RunDir, config: RunConfig, selection: Selection, done: set[str],
                    fresh: bool):
    from harness.backends.classifier import ClassifierError, HFClassifier, evaluate

    try:
        clf = HFClassifier(config.model_id)
    except ClassifierError:
        if fresh:
            _discard(rundir)  # the model never loaded: no run happened
        raise
    try:
        evaluate(clf, selection.samples, done, rundir, config.n_samples)
    finally:
        rundir.close()
        finalize(rundir, config)
    return rundir, json_results(rundir)


def _open_run(opts: RunOptions) -> tuple[RunDir, RunConfig, Task, Selection]:
    """The run dir, its config, task and samples (each found once: task discovery reads every
    plugin, and a 50k-file listing is not free)."""
    if opts.resume:
        rundir = RunDir(opts.resume)
        config = rundir.config()
        task = get_task(config.task)
        return rundir, config, task, task.select(config.data_dir, config.limit, config.seed)
    task = get_task(opts.task)
    prompt = load_prompt(opts.prompt or task.prompt)
    model_id, _ = resolve(opts.model)
    classifier = is_classifier(opts.model)
    local = opts.backend == "transformers"
    if classifier:
        model_id = opts.model[len(PREFIX):]
    base_url = None if classifier or local else (opts.base_url or env_base_url())
    if base_url and urllib.parse.urlsplit(base_url).password:
        raise RunError("the base URL carries credentials; pass the key in HARNESS_API_KEY (or "
                       "OPENAI_API_KEY) instead, so it is never written to run.json")
    if base_url is None and not classifier and not local and not vllm_available():
        raise RunError("no server to talk to: pass --base-url http://HOST:PORT/v1 (or set "
                       "HARNESS_BASE_URL) to attach, or `pip install 'harness-vlm[vllm]'` on a GPU "
                       f"box to let the harness launch vLLM. Model aliases: {alias_help()}")
    selection = task.select(opts.data_dir, opts.limit, opts.seed)
    config = RunConfig(
        task=task.name, model=opts.model, model_id=model_id, base_url=base_url,
        prompt=prompt.name, label_space=task.space_name, label_space_wnids=_custom_wnids(task), max_tokens=opts.max_tokens,
        temperature=opts.temperature, seed=opts.seed, limit=opts.limit,
        concurrency=opts.concurrency, timeout_s=opts.timeout_s, image_size=opts.image_size,
        max_retries=opts.max_retries,
        data_dir=str(Path(opts.data_dir).resolve()) if opts.data_dir else None,
        data_fingerprint=selection.fingerprint, n_samples=selection.total,
        harness_version=__version__, created=now_iso(), cache=opts.cache,
        retry_budget=opts.retry_budget, max_outage_s=opts.max_outage_s,
        managed_server=base_url is None and not classifier and not local,
        backend="hf-classifier" if classifier else opts.backend, machine=machine_summary())
    _hint_unfinished(config, opts.runs_dir)
    return RunDir.create(config, opts.runs_dir), config, task, selection


def _hint_unfinished(config: RunConfig, root: Path | None) -> None:
    """Point at an unfinished run of the same configuration instead of silently starting over."""
    same = ("task", "model_id", "prompt", "data_fingerprint", "max_tokens", "temperature",
            "seed", "image_size")
    for run in iter_runs(root):
        try:
            other = run.config()
            finished = json.loads(run.results.read_text()).get("complete", False) \
                if run.results.exists() else False
        except (OSError, ValueError):
            continue
        if not finished and all(getattr(other, k) == getattr(config, k) for k in same):
            note(f"an unfinished run with the same configuration exists; to continue it "
                 f"instead: harness run --resume {run.path}")
            return


def machine_summary() -> str:
    """Where the harness ran (the model's hardware is the server's): for leaderboard labels."""
    import os
    import platform

    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python " \
           f"{platform.python_version()}"


def managed_vllm(model: str, log: Path, extra: tuple[str, ...] = (),
                 port: int | None = None) -> ManagedServer:
    """A ManagedServer running `vllm serve` with the model's profile (not started yet)."""
    if not vllm_available():
        raise RunError("`vllm` is not on PATH: install it (`pip install 'harness-vlm[vllm]'` on "
                       "a GPU box) or attach to a running server with --base-url")
    model_id, profile = resolve(model)
    port = port or free_port()
    args = list(profile.vllm_args if profile else ()) + list(extra)
    cmd = vllm_command(model_id, port, extra=args)
    note(f"starting vLLM: {' '.join(cmd)} (log: {log})")
    return ManagedServer(cmd, port, log)


def _start_vllm(config: RunConfig, rundir: RunDir, extra: tuple[str, ...]) -> ManagedServer:
    server = managed_vllm(config.model, rundir.path / "server.log", extra)
    try:
        server.start()
    except ServerError as e:
        (rundir.path / "FAILED").write_text(f"{e}\n")
        raise RunError(str(e)) from None
    return server


def _custom_wnids(task) -> list[str] | None:
    return None if task.space_name in BUILTIN_SPACES else list(task.space().wnids)


def _space_for(config: RunConfig) -> LabelSpace:
    """The run's label space: built-in by name, else the wnids saved in run.json."""
    if config.label_space_wnids:
        return custom_space(config.label_space, config.label_space_wnids)
    return label_space(config.label_space)


def finalize(rundir: RunDir, config: RunConfig) -> dict:
    records = rundir.read_records()
    res = results.build(config, records, rundir.samples_sha256())
    rundir.write_results(res)
    return res


def json_results(rundir: RunDir) -> dict:
    return json.loads(rundir.results.read_text())


def rescore(rundir: RunDir) -> dict:
    """Re-parse and re-score a saved run without calling any model; rewrites both files."""
    config = rundir.config()
    space = _space_for(config)
    parser = parser_for_space(space)
    records = rundir.read_records()
    for rec in records:
        if rec.get("error") is None:
            text = rec.get("response") or ""
            if config.backend == "hf-classifier":
                pred = class_result(rec["pred_wnid"])
            elif rec.get("options"):
                pred = read_choice(text, rec["options"], parser)
            else:
                pred = parser.parse(text)
            rec.update(score(rec["gold_wnid"], text, pred, space))
    rundir.rewrite_samples(records)
    return finalize(rundir, config)
