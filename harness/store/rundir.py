"""The run directory: run.json, an append-only samples.jsonl, and results.json.

samples.jsonl is flushed line by line (a killed process loses at most the line being written;
the OS has everything else) and fsync'd at least once a second and on close (a power cut loses
at most that second). A torn last line is detected on resume, cut off, and that sample redone.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from harness.records import RunConfig, is_permanent
from harness.errors import StoreError

FSYNC_EVERY_S = 1.0
RUNS_ROOT = Path(os.environ.get("HARNESS_RUNS_DIR", "runs"))


def safe_name(text: str) -> str:
    """A path component from a model or task name (no slashes, no leading dots)."""
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text.strip("/")).lstrip(".") or "_"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RunDir:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.run_json = self.path / "run.json"
        self.samples = self.path / "samples.jsonl"
        self.results = self.path / "results.json"
        self._fh = None
        self._synced = 0.0

    @classmethod
    def create(cls, config: RunConfig, root: Path | None = None) -> "RunDir":
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        path = (root or RUNS_ROOT) / safe_name(config.task) / safe_name(config.model) / stamp
        path.mkdir(parents=True, exist_ok=False)
        run = cls(path)
        _atomic_write(run.run_json, json.dumps(config.to_dict(), indent=2) + "\n")
        run.samples.touch()
        return run

    def config(self) -> RunConfig:
        try:
            return RunConfig.from_dict(json.loads(self.run_json.read_text()))
        except FileNotFoundError:
            raise StoreError(f"{self.run_json}: not a run directory (no run.json)") from None
        except (ValueError, TypeError) as e:
            raise StoreError(f"{self.run_json}: unreadable run config ({e})") from None

    def read_records(self, repair: bool = False) -> list[dict]:
        """Last record per id. With repair=True a torn final line is cut off the file."""
        records: dict[str, dict] = {}
        if not self.samples.exists():
            return []
        data = self.samples.read_bytes()
        lines = data.splitlines(keepends=True)
        good_end = 0
        for i, line in enumerate(lines):
            if not line.strip():
                good_end += len(line)
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict) or "id" not in rec:
                    raise ValueError("not a sample record")
            except ValueError:
                if i == len(lines) - 1:
                    break  # torn by a crash mid-write: cut off and redo
                raise StoreError(f"{self.samples}: line {i + 1} is not a sample record; "
                                 "fix or delete that line, then resume") from None
            records[str(rec["id"])] = rec
            good_end += len(line)
        if repair and good_end < len(data):
            with self.samples.open("r+b") as f:
                f.truncate(good_end)
        elif repair and data and not data.endswith(b"\n"):
            with self.samples.open("ab") as f:
                f.write(b"\n")
        return list(records.values())

    def done_ids(self) -> set[str]:
        return {r["id"] for r in self.read_records(repair=True) if is_permanent(r)}

    def append(self, record: dict, flush: bool = True) -> None:
        """Append one record; flush=False only where losing the line costs nothing (an answer
        taken from the cache is found there again on resume): call flush() soon after."""
        if self._fh is None:
            self._fh = self.samples.open("a", encoding="utf-8")
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        if flush:
            self.flush()

    def flush(self) -> None:
        if self._fh is None:
            return
        self._fh.flush()
        now = time.monotonic()
        if now - self._synced >= FSYNC_EVERY_S:
            os.fsync(self._fh.fileno())
            self._synced = now

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None

    def samples_sha256(self) -> str:
        return hashlib.sha256(self.samples.read_bytes()).hexdigest()

    def write_results(self, results: dict) -> None:
        _atomic_write(self.results, json.dumps(results, indent=2) + "\n")

    def rewrite_samples(self, records: list[dict]) -> None:
        """Replace samples.jsonl atomically (used by `harness score`)."""
        self.close()
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        _atomic_write(self.samples, body)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def iter_runs(root: Path | None = None) -> Iterator[RunDir]:
    for run_json in sorted((root or RUNS_ROOT).glob("**/run.json")):
        yield RunDir(run_json.parent)
