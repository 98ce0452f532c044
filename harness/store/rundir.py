"""The run directory: run.json (the manifest), an append-only samples.jsonl, and results.json.

samples.jsonl is flushed line by line (a killed process loses at most the line being written)
and fsync'd at least once a second and on close (a power cut loses at most that second). A torn
last line is detected on resume, cut off, and that sample redone. One writer at a time: `lock()`
holds an flock on `.lock` for the life of the writer, so a second `--resume` or a `harness score`
of a run still being written is refused instead of duplicating or losing lines. Every line
written has its strings passed through `secrets.scrub`.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import socket
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Iterator

from harness.errors import StoreError
from harness.scoring.record import SampleRecord
from harness.secrets import scrub_values

if TYPE_CHECKING:  # pydantic costs ~0.1 s to import: `harness ls` reads run.json lazily
    from harness.manifest import RunManifest

FSYNC_EVERY_S = 1.0


def runs_root(root: Path | None = None) -> Path:
    """Where run dirs go: the given folder, else $HARNESS_RUNS_DIR, else ./runs (read now)."""
    return Path(root or os.environ.get("HARNESS_RUNS_DIR") or "runs")


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
        self._fh: IO[str] | None = None
        self._lock_fh: IO[str] | None = None
        self._synced = 0.0

    @classmethod
    def create(cls, manifest: "RunManifest", root: Path | None = None) -> "RunDir":
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        base = runs_root(root)
        if base.exists() and not base.is_dir():
            raise StoreError(f"--output-dir {base}: not a directory")
        path = base / safe_name(manifest.task) / safe_name(manifest.model) / stamp
        try:
            path.mkdir(parents=True, exist_ok=False)
        except OSError as e:
            raise StoreError(f"cannot create run dir {path}: {e.strerror or e}") from None
        run = cls(path)
        run.write_manifest(manifest)
        run.samples.touch()
        return run

    def manifest(self) -> "RunManifest":
        from harness.manifest import RunManifest

        try:
            return RunManifest.from_json(self.run_json.read_text())
        except FileNotFoundError:
            raise StoreError(f"{self.run_json}: not a run directory (no run.json)") from None
        except (OSError, ValueError, TypeError) as e:
            raise StoreError(f"{self.run_json}: unreadable run manifest "
                             f"({str(e).splitlines()[0]})") from None

    def write_manifest(self, manifest: "RunManifest") -> None:
        body = scrub_values(manifest.model_dump(mode="json", by_alias=True))
        _atomic_write(self.run_json, json.dumps(body, indent=2) + "\n")

    @contextmanager
    def lock(self) -> Iterator["RunDir"]:
        """Be the only writer of this run dir for the duration, or fail at once naming the
        process that holds it."""
        path = self.path / ".lock"
        fh = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise StoreError(f"{self.path} is being written by {holder}; wait for it to finish "
                             "(or stop it) before resuming or re-scoring") from None
        fh.seek(0)
        fh.truncate()
        command = " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:2]])  # no options:
        fh.write(f"process {os.getpid()} on {socket.gethostname()} ({command})")  # no secrets
        fh.flush()
        self._lock_fh = fh
        try:
            yield self
        finally:
            self.close()
            fh.truncate(0)  # no stale holder named after release
            fh.close()  # closing releases the flock
            self._lock_fh = None

    def read_records(self, repair: bool = False) -> list[SampleRecord]:
        """Last record per id. With repair=True a torn final line is cut off the file."""
        records: dict[str, SampleRecord] = {}
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
                raw = json.loads(line)
                if not isinstance(raw, dict) or "id" not in raw or "gold_wnid" not in raw:
                    raise ValueError("not a sample record")
                rec = SampleRecord.from_dict(raw)
            except (ValueError, TypeError):
                if i == len(lines) - 1 and not line.endswith(b"\n"):
                    break  # torn by a crash mid-write (no newline yet): cut off and redo
                raise StoreError(f"{self.samples}: line {i + 1} is not a sample record; "
                                 "fix or delete that line, then resume") from None
            records[rec.id] = rec
            good_end += len(line)
        if repair and good_end < len(data):
            with self.samples.open("r+b") as f:
                f.truncate(good_end)
        elif repair and data and not data.endswith(b"\n"):
            with self.samples.open("ab") as f:
                f.write(b"\n")
        return list(records.values())

    def read_dicts(self) -> list[dict]:
        """The records as plain dicts, as they are on disk (for tools and tests)."""
        return [r.to_dict() for r in self.read_records()]

    def done_ids(self) -> set[str]:
        return {r.id for r in self.read_records(repair=True) if r.permanent}

    def append(self, record: SampleRecord, flush: bool = True) -> None:
        """Append one record; flush=False only where losing the line costs nothing (an answer
        taken from the cache is found there again on resume): call flush() soon after.
        Raises StoreError (disk full, unwritable) naming the file."""
        try:
            if self._fh is None:
                self._fh = self.samples.open("a", encoding="utf-8")
            self._fh.write(_line(record))
            if flush:
                self.flush()
        except OSError as e:
            raise write_error(self.samples, e) from None

    def flush(self) -> None:
        if self._fh is None:
            return
        try:
            self._fh.flush()
            now = time.monotonic()
            if now - self._synced >= FSYNC_EVERY_S:
                os.fsync(self._fh.fileno())
                self._synced = now
        except OSError as e:
            raise write_error(self.samples, e) from None

    def close(self) -> None:
        if self._fh is not None:
            fh, self._fh = self._fh, None
            try:
                fh.flush()
                os.fsync(fh.fileno())
            except OSError:
                pass  # the error was reported when the write failed
            finally:
                try:
                    fh.close()
                except OSError:
                    pass

    def compact(self) -> None:
        """One line per sample: drop the lines that later records of the same id replaced
        (failures that a resume retried). Atomic; call it under the lock."""
        records = self.read_records()
        with self.samples.open("rb") as f:
            lines = sum(1 for line in f if line.strip())
        if lines > len(records):
            self.rewrite_samples(records)

    def samples_sha256(self) -> str:
        return hashlib.sha256(self.samples.read_bytes()).hexdigest()

    def write_results(self, results: dict) -> dict:
        """Write results.json; returns what was written (secrets masked)."""
        written = scrub_values(results)
        try:
            _atomic_write(self.results, json.dumps(written, indent=2) + "\n")
        except OSError as e:
            raise write_error(self.results, e) from None
        return written

    def rewrite_samples(self, records: list[SampleRecord]) -> None:
        """Replace samples.jsonl atomically (used by `harness score`, under the lock)."""
        self.close()
        body = "".join(_line(r) for r in records)
        try:
            _atomic_write(self.samples, body)
        except OSError as e:
            raise write_error(self.samples, e) from None


def _line(record: SampleRecord) -> str:
    return json.dumps(scrub_values(record.to_dict()), ensure_ascii=False) + "\n"


def write_error(path: Path, e: OSError) -> StoreError:
    why = "disk full" if e.errno == errno.ENOSPC else "cannot write"
    return StoreError(f"{why}: {path}: {e.strerror or e}; finished samples are kept, free "
                      f"space and continue with `harness run --resume {path.parent}`")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def iter_runs(root: Path | None = None) -> Iterator[RunDir]:
    base = runs_root(root)
    if root is not None and not base.is_dir():
        raise StoreError(f"--output-dir {base}: no such directory")
    for run_json in sorted(base.glob("**/run.json")):
        yield RunDir(run_json.parent)
