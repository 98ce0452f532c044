"""Response cache: SQLite (WAL) keyed by a content hash of what was asked.

The key covers the model id, the prompt (its template and the per-sample variables, from which
the messages are rendered), the image's sha256 instead of its bytes, the sampling parameters and
any extra request fields, so a re-run of an identical configuration is
served from disk without a single request, and any change (prompt, seed, max_tokens, image bytes)
misses. API keys and base URLs are not part of the key and are never stored.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

from harness.resources import cache_dir

SCHEMA = 1


def cache_path() -> Path:
    return cache_dir() / "responses.sqlite"


def request_key(model: str, prompt: dict, params: dict, extra: dict | None,
                image_sha256: str) -> str:
    """sha256 over the model, the prompt (template + variables: what the messages are made
    from), the image's sha256 in place of its bytes, sampling parameters and extra fields."""
    blob = json.dumps({"schema": SCHEMA, "model": model, "prompt": prompt, "image": image_sha256,
                       "params": params, "extra": extra}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


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
