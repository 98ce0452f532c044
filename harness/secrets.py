"""API keys: read from the environment only, and scrubbed from everything the harness writes.

A server may echo the Authorization header in an error message; a log line may quote a URL. Every
string that reaches a run dir, a cache, a leaderboard or a log passes through `scrub`, which
replaces the value of every key the harness was given (and anything shaped like a bearer token).
"""
from __future__ import annotations

import os
import re
import urllib.parse
from typing import Any

from harness.errors import OptionError

API_KEY_VARS = ("HARNESS_API_KEY", "OPENAI_API_KEY", "HF_TOKEN")
# "Bearer sk-...", "api_key=...", "Authorization: ..." as servers echo them in error messages
BEARER_RE = re.compile(r"(?i)\b(bearer\s+|(?:api[-_]?key|token|authorization)[\"']?\s*[:=]\s*"
                       r"[\"']?(?:bearer\s+)?)[A-Za-z0-9._~+/=-]{8,}")
MASK = "***"


def api_key() -> str:
    """The key for the server; servers without auth accept any string."""
    return next((os.environ[v] for v in API_KEY_VARS[:2] if os.environ.get(v)), "EMPTY")


MIN_SECRET = 8  # shorter values ("EMPTY", "none", "null") are placeholders, not secrets


def known_secrets() -> list[str]:
    """The key values the harness was given; placeholders are not secrets, and masking them
    would rewrite ordinary words (and JSON's null)."""
    return [os.environ[v] for v in API_KEY_VARS if len(os.environ.get(v, "")) >= MIN_SECRET]


def scrub_values(obj: Any) -> Any:
    """`obj` (JSON-like) with `scrub` applied to every string in it: for what is written as
    JSON, so masking can never break the document's syntax."""
    if not known_secrets():
        return obj
    if isinstance(obj, str):
        return scrub(obj)
    if isinstance(obj, dict):
        return {k: scrub_values(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [scrub_values(v) for v in obj]
    return obj


def scrub(text: str) -> str:
    """`text` with the value of every key the harness was given masked (cheap when none is)."""
    for secret in known_secrets():
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def scrub_error(text: str) -> str:
    """An error message from a server, with known keys and anything shaped like a credential
    (`Bearer ...`, `api_key=...`, `Authorization: ...`) masked. Not for model answers, where such
    words are ordinary text."""
    return BEARER_RE.sub(lambda m: m.group(1) + MASK, scrub(text))


def check_base_url(url: str, option: str = "--base-url") -> str:
    """Refuse a URL that carries any credential (user name, password, query, fragment), so a
    key can never reach run.json; a scheme and host are required."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError(f"{option} {url!r}: expected http://HOST:PORT/v1 (scheme and host "
                          "required)")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise OptionError(f"{option}: the URL carries credentials or a query; pass the key in "
                          "HARNESS_API_KEY (or OPENAI_API_KEY) instead, so it is never written "
                          "to run.json")
    try:
        parts.port
    except ValueError:
        raise OptionError(f"{option} {url!r}: the port is not a number") from None
    return url.rstrip("/")
