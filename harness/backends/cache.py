"""Response cache: SQLite (WAL) keyed by a content hash of everything that shapes an answer.

The key covers where the request went (base URL, without credentials), what answered it (the
served model's identity as the server reports it: model entry, version; in-process: model and
device), the prompt as sent (template, per-sample variables), the sha256 of the image bytes as
sent (after any resize), the sampling parameters and extra request fields. Empty, truncated
(`finish_reason: length`) and error answers are never stored, so a broken server's output cannot
come back on a later run. API keys are never part of the key nor stored.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from pathlib import Path

from harness.errors import StoreError
from harness.resources import cache_dir

SCHEMA = 2
log = logging.getLogger("harness")


def cache_path() -> Path:
    return cache_dir() / "responses.sqlite"


def request_key(endpoint: dict, prompt: dict, params: dict, extra: dict | None,
                image_sha256: str) -> str:
    """sha256 over the endpoint (base URL + reported identity), the prompt (template +
    variables: what the messages are made from), the sent image's sha256, sampling parameters
    and extra fields."""
    blob = json.dumps({"schema": SCHEMA, "endpoint": endpoint, "prompt": prompt,
                       "image": image_sha256, "params": params, "extra": extra},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def cacheable(text: str | None, finish_reason: str | None) -> bool:
    """Only complete, non-empty answers are worth keeping."""
    return bool(text and text.strip()) and finish_reason != "length"


class ResponseCache:
    """The cache is an optimisation: if it cannot be read or written (disk full, read-only,
    corrupt file) the run goes on without it after one warning, never a traceback."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path or cache_path())
        self._lock = threading.Lock()
        self.hits = self.misses = 0
        self.broken: str | None = None
        self.db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, "
                            "model TEXT, response TEXT NOT NULL, created REAL)")
        except (OSError, sqlite3.Error) as e:
            self._fail(e)

    def _fail(self, e: Exception) -> None:
        if self.broken is None:
            self.broken = f"{type(e).__name__}: {e}"
            log.warning(f"response cache {self.path} unusable ({self.broken}); going on without "
                        "it")

    def get(self, key: str) -> str | None:
        if self.broken or self.db is None:
            return None
        try:
            with self._lock:
                row = self.db.execute("SELECT response FROM responses WHERE key = ?",
                                      (key,)).fetchone()
        except sqlite3.Error as e:
            self._fail(e)
            return None
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return row[0]

    def put(self, key: str, model: str, response: str) -> None:
        if self.broken or self.db is None:
            return
        try:
            with self._lock:
                self.db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)",
                                (key, model, response, time.time()))
        except sqlite3.Error as e:
            self._fail(e)

    def _usable(self) -> sqlite3.Connection:
        if self.db is None:
            raise StoreError(f"response cache {self.path}: {self.broken}")
        return self.db

    def info(self) -> dict:
        db = self._usable()
        with self._lock:
            n, models = db.execute(
                "SELECT COUNT(*), COUNT(DISTINCT model) FROM responses").fetchone()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
        return {"path": str(self.path), "entries": n, "models": models, "bytes": size}

    def clear(self) -> int:
        db = self._usable()
        with self._lock:
            n = db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
            db.execute("DELETE FROM responses")
            db.execute("VACUUM")
        return n

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
