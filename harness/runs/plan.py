"""Planning a run: options -> manifest, task, selection and prompt; or a resumed run's own.

A new run resolves everything once and writes run.json before the first request. A resumed run
reads its manifest back: options that cannot change a result (URL, concurrency, timeouts, cache)
are taken from the command line and the change is recorded; an option that would change a
result is refused in one line, and so is a prompt whose file changed since the run started.
"""
from __future__ import annotations

import logging
import os
import platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Sequence

from harness.backends.classifier import PREFIX, is_classifier
from harness.backends.models import resolve
from harness.backends.openai_compat import env_base_url
from harness.errors import HarnessError, OptionError, RunError
from harness.manifest import PromptContent, RunManifest, RunOptions, flag
from harness.prompts.prompt import Prompt, load_prompt, parse_prompt
from harness.resources import version
from harness.runs.shard import apply_shard
from harness.secrets import check_base_url
from harness.store import RunDir, now_iso
from harness.tasks.registry import get_task
from harness.tasks.task import Selection, Task
from harness.wordnet import BUILTIN_SPACES, LabelSpace, custom_space, label_space

log = logging.getLogger("harness")
VERSIONED = ("openai", "transformers", "vllm", "torch")


@dataclass(frozen=True)
class Registry:
    """Where plugins are looked for (besides $HARNESS_TASKS_PATH / $HARNESS_PROMPTS_PATH, entry
    points and the shipped folders): passed explicitly, never kept in module globals."""

    task_dirs: Sequence[str | Path] = ()
    prompt_dirs: Sequence[str | Path] = ()

    def task(self, name: str) -> Task:
        return get_task(name, self.task_dirs)

    def prompt(self, name_or_path: str) -> Prompt:
        return load_prompt(name_or_path, self.prompt_dirs)


@dataclass
class Plan:
    rundir: RunDir
    manifest: RunManifest
    task: Task
    selection: Selection
    prompt: Prompt | None  # None for classifiers
    space: LabelSpace
    fresh: bool = True
    notes: list[str] = field(default_factory=list)


def content_of(p: Prompt) -> PromptContent:
    c = PromptContent(name=p.name, source=str(p.path) if p.path else None, text=p.text,
                      system=p.system, image_position=p.image_position, choices=p.choices,
                      chat_template=p.chat_template)
    return c.model_copy(update={"sha256": c.digest()})


def prompt_of(c: PromptContent) -> Prompt:
    return Prompt(name=c.name, text=c.text, system=c.system, image_position=c.image_position,
                  choices=c.choices, chat_template=c.chat_template,
                  path=Path(c.source) if c.source else None)


def space_of(m: RunManifest) -> LabelSpace:
    """The run's label space: built-in by name, else the wnids saved in run.json."""
    if m.label_space_wnids:
        return custom_space(m.label_space, m.label_space_wnids)
    return label_space(m.label_space)


def new_run(opts: RunOptions, registry: Registry, root: Path | None = None) -> Plan:
    task = registry.task(opts.task)
    classifier = is_classifier(opts.model)
    prompt = None if classifier else registry.prompt(opts.prompt or task.prompt)
    if opts.engine == "ray" and (classifier or opts.backend != "openai"):
        raise OptionError("--engine ray sends requests to an OpenAI-compatible server; it "
                          "cannot run an in-process model (--backend transformers, hf:...)")
    urls = _base_urls(opts, classifier)
    base_url = urls[0] if urls else None
    if opts.engine == "ray" and not urls and prompt is not None and prompt.chat_template:
        raise OptionError(f"--engine ray without a server runs vLLM engines that take no chat "
                          f"template per request, and prompt {prompt.name!r} sets one; serve the "
                          "model and pass --base-url, or use another prompt")
    space = task.space()
    selection = apply_shard(task.select(opts.data_dir, opts.limit, opts.seed), opts.shard)
    model_id = opts.model[len(PREFIX):] if classifier else resolve(opts.model)[0]
    values = opts.model_dump()
    values.update(_launch_options(opts, bool(urls) or classifier or opts.backend != "openai"))
    values.update(task=task.name, base_url=base_url, base_urls=urls,
                  prompt=prompt.name if prompt else None,
                  backend="hf-classifier" if classifier else opts.backend,
                  data_dir=str(Path(opts.data_dir).resolve()) if opts.data_dir else None)
    manifest = RunManifest(
        **values, model_id=model_id, label_space=space.name,
        label_space_wnids=None if task.space_name in BUILTIN_SPACES else list(space.wnids),
        prompt_content=content_of(prompt) if prompt else None,
        data_fingerprint=selection.fingerprint, n_samples=selection.total,
        managed_server=base_url is None and not classifier and opts.backend == "openai",
        versions=versions(), machine=machine(), harness_version=version(), created=now_iso())
    _hint_unfinished(manifest, root)
    return Plan(RunDir.create(manifest, root), manifest, task, selection, prompt, space)




def _hint_unfinished(m: RunManifest, root: Path | None) -> None:
    """Point at an unfinished run of the same configuration instead of silently starting over."""
    import json

    from harness.runs.merge import same_run_fields
    from harness.store import iter_runs, runs_root

    if not runs_root(root).is_dir():
        return
    for run in iter_runs(runs_root(root)):
        try:
            other = run.manifest()
            done = json.loads(run.results.read_text()).get("complete", False) \
                if run.results.exists() else False
        except (OSError, ValueError, HarnessError):
            continue
        if not done and all(getattr(other, k, None) == getattr(m, k, None)
                            for k in (*same_run_fields(), "shard")):
            log.warning(f"an unfinished run with the same configuration exists; to continue it "
                        f"instead: harness run --resume {run.path}")
            return


def _base_urls(opts: RunOptions, classifier: bool) -> list[str]:
    """Every replica's checked URL; [] for in-process backends and a launched server."""
    if classifier or opts.backend == "transformers":
        return []
    if opts.base_urls:
        return _checked(opts.base_urls)
    url = env_base_url()
    if url is None and opts.engine == "ray":
        return []  # no server: vLLM engines as Ray actors (checked before the first sample)
    if url is None:
        from harness.backends.server import vllm_available

        if not vllm_available():
            raise RunError("no server to talk to: pass --base-url http://HOST:PORT/v1 (or set "
                           "HARNESS_BASE_URL) to attach, or `pip install 'harness-vlm[vllm]'` "
                           f"on a GPU box to let the harness launch vLLM for {opts.model!r} "
                           f"({resolve(opts.model)[0]})")
        return []
    return [check_base_url(url, "HARNESS_BASE_URL")]


LAUNCH = ("tensor_parallel_size", "data_parallel_size", "replicas")
SECRET_ARGS = ("--api-key", "--hf-token", "--token")


def _launch_options(opts: RunOptions, attached: bool) -> dict[str, Any]:
    """Launch options only where the harness launches vLLM; there, a default --concurrency
    grows with the engines it starts (each batches many requests)."""
    if any(a.split("=")[0] in SECRET_ARGS for a in opts.server_args.split()):
        raise OptionError("--server-args: pass the server's key in HARNESS_API_KEY (it is never "
                          "written anywhere), not as an argument that run.json would record")
    if attached:
        if opts.server_args:
            raise OptionError("--server-args configures a vLLM the harness launches, and this "
                              "run attaches to a server or needs none; drop it (run.json would "
                              "record arguments that were never applied)")
        wrong = [name for name in LAUNCH if getattr(opts, name) != 1]
        if wrong:
            raise OptionError(f"{flag(wrong[0])} sets up a vLLM the harness launches, and this "
                              "run attaches to a server (--base-url / HARNESS_BASE_URL) or "
                              "needs none; give each running replica with --base-url instead")
        return {}
    if "concurrency" in opts.model_fields_set:
        return {}
    return {"concurrency": min(4096, opts.concurrency * opts.replicas *
                               opts.data_parallel_size)}


def _checked(urls: Sequence[str]) -> list[str]:
    out = [check_base_url(u) for u in urls]
    twice = sorted({u for u in out if out.count(u) > 1})
    if twice:
        raise OptionError(f"--base-url {twice[0]} is given twice; give each replica once")
    return out


def resume_run(path: Path, opts: RunOptions, registry: Registry) -> Plan:
    rundir = RunDir(path)
    m = rundir.manifest()
    given = opts.given()
    task = registry.task(m.task)
    prompt = None if m.backend == "hf-classifier" else _resumed_prompt(m, given.pop("prompt",
                                                                                  None), registry)
    m = _merge(m, given)
    selection = apply_shard(task.select(m.data_dir, m.limit, m.seed), m.shard)
    if selection.fingerprint != m.data_fingerprint:
        raise RunError(f"{rundir.path}: the task's data changed since this run started "
                       "(fingerprint differs); start a new run instead of resuming")
    return Plan(rundir, m, task, selection, prompt, space_of(m), fresh=False)


def _merge(m: RunManifest, given: dict[str, Any]) -> RunManifest:
    """Take the new values of options that cannot change a result; refuse the others."""
    changed: dict[str, list] = {}
    for name, new in given.items():
        old = getattr(m, name)
        if name == "base_url" and new is not None:
            new = check_base_url(new)
        if name == "base_urls":
            new = _checked(new)
        if name == "data_dir" and new is not None:
            new = str(Path(new).resolve())
        if new == old:
            continue
        if RunOptions.affects_result(name):
            raise OptionError(f"{flag(name)} {new!r}: this run was started with {flag(name)} "
                              f"{old!r}, and a resumed run cannot change what it measures; "
                              "resume without it, or start a new run")
        changed[name] = [old, new]
    if not changed:
        return m
    update = {k: v[1] for k, v in changed.items()}
    if m.managed_server and ({"base_url", "base_urls"} & set(changed)):
        update["managed_server"] = False  # the run goes on against the server given now
    m = m.model_copy(update=update)
    m.resumes = [*m.resumes, {"at": now_iso(), "changed": changed}]
    return m


def _resumed_prompt(m: RunManifest, given: str | None, registry: Registry) -> Prompt:
    """The prompt the run started with; refused if `--prompt` or its file now says otherwise."""
    stored = m.prompt_content
    if stored is None:  # a run.json from before prompts were recorded: reload by name
        return registry.prompt(given or m.prompt)
    if given is not None:
        other = content_of(registry.prompt(given))
        if other.sha256 != stored.sha256:
            raise OptionError(f"--prompt {given!r}: this run was started with prompt "
                              f"{stored.name!r} (sha256 {stored.sha256[:12]}), and a resumed "
                              "run cannot change it; resume without --prompt, or start a new "
                              "run")
    source = Path(stored.source) if stored.source else None
    if source is not None and source.is_file():
        now = content_of(parse_prompt(source))
        if now.sha256 != stored.sha256:
            raise RunError(f"{source}: the prompt file changed since this run started (sha256 "
                           f"{stored.sha256[:12]} -> {now.sha256[:12]}); restore it, or start "
                           "a new run")
    return prompt_of(stored)


def versions() -> dict[str, str]:
    """Versions of the libraries that shape answers, read from package metadata (no import)."""
    out = {}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def machine() -> str:
    """Where the harness ran (the model's hardware is the server's): for leaderboard labels."""
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python " \
           f"{platform.python_version()}"
