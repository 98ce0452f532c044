"""`harness run`: task -> prompt -> backend -> parse -> score -> run dir, with resume.

Samples stream through a bounded queue to `concurrency` workers, so memory stays flat however big
the task. Every finished sample is appended to samples.jsonl before the next is counted.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from harness import __version__, results
from harness.backends.openai_backend import BackendError, OpenAIBackend, RequestError, \
    env_base_url
from harness.backends.hf_classifier import PREFIX, class_result, is_classifier
from harness.backends.server import ManagedServer, ServerError, free_port, vllm_available, \
    vllm_command
from harness.models import alias_help, resolve
from harness.labels import parser_for_space
from harness.parse import Parser
from harness.progress import Progress, note
from harness.choices import option_names, options, read_choice
from harness.images import ImageError, image_data_url
from harness.prompts import Prompt, load_prompt
from harness.records import RunConfig, Sample, error_record
from harness.scoring import score
from harness.store import RunDir, now_iso
from harness.registry import get_task
from harness.wordnet import BUILTIN_SPACES, LabelSpace, custom_space, label_space


class RunError(Exception):
    """The run cannot start or go on; what was done is kept in the run dir."""


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


def run(opts: RunOptions) -> tuple[RunDir, dict]:
    """Evaluate and write the run dir; returns it with results.json's content."""
    rundir, config = _open_run(opts)
    task = get_task(config.task)
    selection = task.select(config.data_dir, config.limit, config.seed)
    if opts.resume and selection.fingerprint != config.data_fingerprint:
        raise RunError(f"{rundir.path}: the task's data changed since this run started "
                       "(fingerprint differs); start a new run instead of resuming")
    done = rundir.done_ids()
    if done:
        note(f"resuming {rundir.path}: {len(done)} of {config.n_samples} samples already done")
    if config.backend == "hf-classifier":
        return _run_classifier(rundir, config, selection, done)
    server = None
    base_url = config.base_url
    try:
        if base_url is None:
            server = _start_vllm(config, rundir, opts.server_args)
            base_url = server.base_url
        backend = OpenAIBackend(base_url, config.model_id, max_tokens=config.max_tokens,
                                temperature=config.temperature, seed=config.seed,
                                timeout=config.timeout_s, max_retries=config.max_retries)
        if opts.resume or server is not None:
            asyncio.run(_check(OpenAIBackend(base_url, config.model_id, timeout=config.timeout_s)))
        prompt = load_prompt(config.prompt)
        parser = parser_for_space(task.space())
        asyncio.run(_evaluate(selection.samples, done, backend, prompt, parser, rundir, config,
                              opts.max_consecutive_failures))
    finally:
        if server is not None:
            server.stop()
        rundir.close()
        if rundir.samples.exists():
            finalize(rundir, config)
    return rundir, json_results(rundir)


def _run_classifier(rundir: RunDir, config: RunConfig, selection, done: set[str]):
    from harness.backends.hf_classifier import HFClassifier, evaluate

    try:
        evaluate(HFClassifier(config.model_id), selection.samples, done, rundir,
                 config.n_samples)
    finally:
        rundir.close()
        finalize(rundir, config)
    return rundir, json_results(rundir)


def _open_run(opts: RunOptions) -> tuple[RunDir, RunConfig]:
    if opts.resume:
        rundir = RunDir(opts.resume)
        return rundir, rundir.config()
    task = get_task(opts.task)
    prompt = load_prompt(opts.prompt or task.prompt)
    model_id, _ = resolve(opts.model)
    classifier = is_classifier(opts.model)
    if classifier:
        model_id = opts.model[len(PREFIX):]
    base_url = None if classifier else (opts.base_url or env_base_url())
    if base_url is None and not classifier and not vllm_available():
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
        harness_version=__version__, created=now_iso(),
        managed_server=base_url is None and not classifier,
        backend="hf-classifier" if classifier else "openai", machine=machine_summary())
    if base_url is not None:
        backend = OpenAIBackend(base_url, model_id, timeout=config.timeout_s)
        try:
            asyncio.run(_check(backend))  # fail fast, before anything is written
        except BackendError as e:
            hint = "" if "reach" in str(e) else f" (model aliases: {alias_help()})"
            raise BackendError(f"{e}{hint}") from None
    return RunDir.create(config, opts.runs_dir), config


def machine_summary() -> str:
    """Where the harness ran (the model's hardware is the server's): for leaderboard labels."""
    import os
    import platform

    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python " \
           f"{platform.python_version()}"


async def _check(backend: OpenAIBackend) -> None:
    try:
        await backend.check()
    finally:
        await backend.close()


def _start_vllm(config: RunConfig, rundir: RunDir, extra: tuple[str, ...]) -> ManagedServer:
    if not vllm_available():
        raise RunError("this run was started with a managed vLLM server, but `vllm` is not on "
                       "PATH; install it or resume with HARNESS_BASE_URL set")
    _, profile = resolve(config.model)
    port = free_port()
    args = list(profile.vllm_args if profile else ()) + list(extra)
    cmd = vllm_command(config.model_id, port, extra=args)
    note(f"starting vLLM: {' '.join(cmd)} (log: {rundir.path / 'server.log'})")
    server = ManagedServer(cmd, port, rundir.path / "server.log")
    try:
        server.start()
    except ServerError as e:
        (rundir.path / "FAILED").write_text(f"{e}\n")
        raise RunError(str(e)) from None
    return server


async def _evaluate(samples: Iterable[Sample], done: set[str], backend: OpenAIBackend,
                    prompt: Prompt, parser: Parser, rundir: RunDir, config: RunConfig,
                    max_fail: int) -> None:
    progress = Progress(config.n_samples, done=len(done))
    queue: asyncio.Queue[Sample | None] = asyncio.Queue(maxsize=2 * config.concurrency)
    state: dict = {"consecutive": 0, "abort": None}

    async def produce() -> None:
        for s in samples:
            if state["abort"]:
                break
            if s.id not in done:
                done.add(s.id)
                await queue.put(s)
        for _ in range(config.concurrency):
            await queue.put(None)

    async def work() -> None:
        while (s := await queue.get()) is not None:
            if state["abort"]:
                continue
            try:
                rec = await _one(s, backend, prompt, parser, config)
            except RequestError as e:
                if e.fatal:
                    state["abort"] = f"{e} (at sample {s.id})"
                    continue
                rec = error_record(s, str(e))
            transient = rec["error"] is not None and not rec["error"].startswith("image:")
            state["consecutive"] = state["consecutive"] + 1 if transient else 0
            if state["consecutive"] >= max_fail:
                state["abort"] = f"{max_fail} requests in a row failed; last: {rec['error']}"
            rundir.append(rec)
            progress.update(error=rec["error"] is not None)

    try:
        await asyncio.gather(produce(), *(work() for _ in range(config.concurrency)))
    finally:
        progress.close()
        await backend.close()
    if state["abort"]:
        raise RunError(f"stopped: {state['abort']}; finished samples are kept, continue with "
                       f"`harness run --resume {rundir.path}`")


async def _one(s: Sample, backend: OpenAIBackend, prompt: Prompt, parser: Parser,
               config: RunConfig) -> dict:
    try:
        url, digest = image_data_url(s.read_bytes(), config.image_size)
    except ImageError as e:
        return error_record(s, str(e))
    except OSError as e:
        return error_record(s, f"image: cannot read ({e.strerror or e})")
    shown = _options(s, prompt, parser, config)
    variables = {"sample_id": s.id}
    if shown is not None:
        variables.update(options=option_names(shown, parser.space), k=len(shown))
    text, latency = await backend.complete(prompt.render(url, **variables), prompt.extra_body)
    pred = read_choice(text, shown, parser) if shown is not None else parser.parse(text)
    rec = {"id": s.id, "gold_wnid": s.gold_wnid, "response": text,
           **score(s.gold_wnid, text, pred, parser.space),
           "latency_s": round(latency, 4), "error": None, "image_sha256": digest}
    if shown is not None:
        rec["options"] = shown
    return rec


def _options(s: Sample, prompt: Prompt, parser: Parser, config: RunConfig) -> list[str] | None:
    if not prompt.choices:
        return None
    return options(s.gold_wnid, s.id, parser.space, int(prompt.choices.get("k", 4)),
                   prompt.choices.get("distractors", "nearest"), config.seed)


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
