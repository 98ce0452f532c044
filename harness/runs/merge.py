"""`harness merge SHARD_DIR...`: join the run dirs of `--shard K/N` runs into one run dir.

The shards must be one run cut N ways: every option and resolved value that can change a result
equal (task, model id, prompt content, data fingerprint, sampling, seed, limit, ...), the same N,
each K exactly once, 1..N all present, no sample id in two shards, and every shard finished (a
sample that failed past its retries is kept, as in an unsharded run, and makes the result
incomplete). What may differ is where and when each shard ran (URLs, server identity, machine,
timestamps, timeouts, resumes); the merged run.json lists every shard's. Each shard dir is
locked while it is read, so a shard still being written is refused. Anything else is refused in
one line naming the shard dir.
"""
from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Sequence

from harness.errors import RunError
from harness.manifest import RunManifest, RunOptions, flag, shard_parts
from harness.runs.run import finalize
from harness.scoring.record import SampleRecord
from harness.store import RunDir, now_iso

RESOLVED = ("backend", "model_id", "label_space", "label_space_wnids", "data_fingerprint")


def same_run_fields() -> list[str]:
    """What must be equal across shards: result options (but the shard) and resolved values."""
    opts = [k for k in RunOptions.model_fields if RunOptions.affects_result(k) and k != "shard"]
    return opts + list(RESOLVED)


def merge(paths: Sequence[Path], root: Path | None = None) -> tuple[RunDir, dict]:
    """Write the merged run dir under `root` (like `harness run --output-dir`); returns it and
    its results.json content."""
    if not paths:
        raise RunError("harness merge: give the run dirs of the shards")
    with ExitStack() as stack:
        shards = [stack.enter_context(RunDir(p).lock()) for p in _as_run_dirs(paths)]
        manifests = [s.manifest() for s in shards]
        _check_shards(shards, manifests)
        records = _disjoint_records(shards, manifests)
    first = min(zip(manifests, shards), key=lambda ms: shard_parts(ms[0].shard)[0])
    merged = _merged_manifest(first[0], manifests, shards, len(records))
    out = RunDir.create(merged, root)
    out.rewrite_samples(records)
    return out, finalize(out)


def _as_run_dirs(paths: Sequence[Path]) -> list[Path]:
    seen: set[Path] = set()
    for p in paths:
        RunDir(p).manifest()  # a clear error for a folder that is not a run dir
        if Path(p).resolve() in seen:
            raise RunError(f"{p} is given twice; give each shard's run dir once")
        seen.add(Path(p).resolve())
    return [Path(p) for p in paths]


def _check_shards(shards: list[RunDir], manifests: list[RunManifest]) -> None:
    by_k: dict[int, Path] = {}
    ref, ref_dir = manifests[0], shards[0].path
    for rd, m in zip(shards, manifests):
        if m.shard is None:
            raise RunError(f"{rd.path}: not a shard (run without --shard); merge joins the run "
                           "dirs of `harness run --shard K/N`")
        k, n = shard_parts(m.shard)
        if n != shard_parts(ref.shard or "1/1")[1]:
            raise RunError(f"{rd.path}: shard {m.shard} is not of the same split as {ref_dir} "
                           f"(shard {ref.shard})")
        if k in by_k:
            raise RunError(f"shard {m.shard} given twice ({by_k[k]} and {rd.path}): the shards "
                           "overlap; give each shard's run dir once")
        by_k[k] = rd.path
        _check_same_run(rd.path, m, ref_dir, ref)
        _check_finished(rd, m)
    n = shard_parts(ref.shard or "1/1")[1]
    missing = [f"{k}/{n}" for k in range(1, n + 1) if k not in by_k]
    if missing:
        raise RunError(f"missing shard(s) {', '.join(missing)} of {n}: run them with "
                       f"`harness run ... --shard K/{n}` and merge all {n} run dirs")


def _check_same_run(path: Path, m: RunManifest, ref_path: Path, ref: RunManifest) -> None:
    for name in same_run_fields():
        if getattr(m, name) != getattr(ref, name):
            shown = flag(name) if name in RunOptions.model_fields else name
            raise RunError(f"{path}: not a shard of the same run as {ref_path}: {shown} is "
                           f"{getattr(m, name)!r} there, {getattr(ref, name)!r} here")
    digest = (m.prompt_content.sha256 if m.prompt_content else None,
              ref.prompt_content.sha256 if ref.prompt_content else None)
    if digest[0] != digest[1]:
        raise RunError(f"{path}: not a shard of the same run as {ref_path}: the prompt's "
                       "content differs")


def _check_finished(rd: RunDir, m: RunManifest) -> None:
    n = len(rd.read_records())
    if n < m.n_samples:
        raise RunError(f"{rd.path}: shard {m.shard} is unfinished ({n} of {m.n_samples} "
                       f"samples); finish it with `harness run --resume {rd.path}`, then merge")


def _disjoint_records(shards: list[RunDir], manifests: list[RunManifest]) -> list[SampleRecord]:
    seen: dict[str, Path] = {}
    out: list[SampleRecord] = []
    order = sorted(zip(manifests, shards), key=lambda ms: shard_parts(ms[0].shard)[0])
    for _, rd in order:
        for rec in rd.read_records():
            if rec.id in seen:
                raise RunError(f"sample {rec.id!r} is in two shards ({seen[rec.id]} and "
                               f"{rd.path}): these shards overlap and cannot be merged")
            seen[rec.id] = rd.path
            out.append(rec)
    return out


def _merged_manifest(first: RunManifest, manifests: list[RunManifest], shards: list[RunDir],
                     n: int) -> RunManifest:
    """The first shard's manifest as an unsharded run's, with every shard on record."""
    merged = first.model_copy(deep=True)
    merged.shard, merged.n_samples, merged.created, merged.resumes = None, n, now_iso(), []
    merged.merged_from = [
        {"run_dir": str(rd.path.resolve()), "shard": m.shard, "created": m.created,
         "base_url": m.base_url, "server": m.server, "machine": m.machine,
         "versions": m.versions, "resumes": m.resumes}
        for m, rd in sorted(zip(manifests, shards), key=lambda ms: shard_parts(ms[0].shard)[0])]
    return merged
