"""What a report may believe about a saved run: the manifest (run.json), the samples, and the
identity used to pair runs. Shared by `harness report` and the leaderboard so both pair the same
way. Old run dirs lack newer manifest fields; those read as None ("unknown")."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError, ReportError
from harness.manifest import RunOptions
from harness.scoring.record import SampleRecord
from harness.store.rundir import RunDir


# The result-changing options that are not the task's own (its data, subset and shard differ
# between the ImageNet and V2 runs of one model by design), plus what the harness resolved.
SETTINGS = tuple(sorted({n for n in RunOptions.model_fields if RunOptions.affects_result(n)}
                        - {"task", "model", "prompt", "limit", "shard"}
                        | {"backend", "label_space"}))


@dataclass
class RunFacts:
    """One run as read from disk; `manifest` and `results` are the raw JSON objects."""

    path: Path
    manifest: dict
    results: dict | None
    records: list[dict]

    @property
    def task(self) -> str:
        return str(self.manifest.get("task", ""))

    @property
    def model(self) -> str:
        return str(self.manifest.get("model", ""))

    @property
    def model_id(self) -> str:
        """The resolved model (served name, checkpoint path); the alias when not recorded."""
        return str(self.manifest.get("model_id") or self.model)

    @property
    def prompt(self) -> str:
        return str(self.manifest.get("prompt", ""))

    @property
    def prompt_sha(self) -> str | None:
        content = self.manifest.get("prompt_content")
        return content.get("sha256") if isinstance(content, dict) else None

    @property
    def identity(self) -> tuple[str, str]:
        """(model, how it was asked) identity: two runs pair, or replace one another, only when
        both agree. The second part is the prompt's content hash (without one, the prompt name,
        marked so it never equals a real hash) plus every other setting that can change an
        answer (sampling, image size, backend, server arguments, label space): a greedy
        ImageNet run never pairs with a temperature-1 V2 run of the same model."""
        settings = {k: self.manifest.get(k) for k in SETTINGS}
        digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str)
                                .encode()).hexdigest()[:12]
        return self.model_id, f"{self.prompt_sha or 'name:' + self.prompt}|{digest}"

    @property
    def created(self) -> str:
        return str((self.results or {}).get("created") or self.manifest.get("created") or "")


def load_json(path: Path) -> dict:
    """A JSON object from `path`; ReportError (one line, naming the file) otherwise."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ReportError(f"{path}: missing") from None
    except (OSError, ValueError) as e:
        raise ReportError(f"{path}: unreadable ({str(e).splitlines()[0][:120]})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: not a JSON object")
    return data


def load_run(path: Path, need_results: bool = False) -> RunFacts:
    run = RunDir(path)
    if not run.run_json.exists():
        raise ReportError(f"{path}: not a run directory (no run.json)")
    manifest = load_json(run.run_json)
    results = load_json(run.results) if need_results or run.results.exists() else None
    try:
        records = run.read_dicts()
    except (OSError, ValueError, HarnessError) as e:
        raise ReportError(f"{run.samples}: unreadable ({str(e).splitlines()[0][:120]})") from None
    return RunFacts(run.path, manifest, results, records)


def error_kind(record: dict) -> str | None:
    """image | transport | server | parse, or None (older records: as SampleRecord reads them)."""
    return SampleRecord.from_dict(record).error_kind


def n_failed(records: list[dict]) -> int:
    """Samples that were never measured (what a resume retries), as the run itself counts."""
    return sum(SampleRecord.from_dict(r).failed for r in records)
