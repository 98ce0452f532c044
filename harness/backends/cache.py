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
import sqlite3
import threading
import time
from pathlib import Path

from harness.resources import cache_dir

SCHEMA = 2


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
    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path or cache_path())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, "
                        "model TEXT, response TEXT NOT NULL, created REAL)")
        self.hits = self.misses = 0

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT response FROM responses WHERE key = ?",
                                  (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return row[0]

    def put(self, key: str, model: str, response: str) -> None:
        with self._lock:
            self.db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)",
                            (key, model, response, time.time()))

    def info(self) -> dict:
        with self._lock:
            n, models = self.db.execute(
                "SELECT COUNT(*), COUNT(DISTINCT model) FROM responses").fetchone()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
        return {"path": str(self.path), "entries": n, "models": models, "bytes": size}

    def clear(self) -> int:
        with self._lock:
            n = self.db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
            self.db.execute("DELETE FROM responses")
            self.db.execute("VACUUM")
        return n

    def close(self) -> None:
        self.db.close()
