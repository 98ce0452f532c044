"""AsyncOpenAI against an OpenAI-compatible server (vLLM, transformers serve, hosted APIs).

The client itself never retries (max_retries=0): harness/backends/resilience.py does, so every
retry is counted against a run-wide budget and a server that goes away pauses the whole run.
`--timeout` bounds a whole request, connect to last byte (a reply trickled a byte at a time
cannot outlive it). Every reply shape a server can send becomes an `Answer` or a `RequestError`
with a kind, never an exception that ends the run.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import time
import urllib.parse
import urllib.request
from typing import Any

import openai
from openai import AsyncOpenAI

from harness.backends.base import Answer, RequestError
from harness.errors import BackendError
from harness.resources import did_you_mean
from harness.secrets import api_key, scrub_error

# A 16x16 grey JPEG: the smallest honest question to ask a vision model before a run.
PROBE_IMAGE = ("data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsL"
               "DBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAAQABABAREA/8QAF"
               "QABAQAAAAAAAAAAAAAAAAAAAAf/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/9oACAEBAAA/AKpgB//Z")
BASE_URL_VARS = ("HARNESS_BASE_URL", "OPENAI_BASE_URL")
RETRY_STATUS = {408, 409, 429}  # plus every 5xx


def env_base_url() -> str | None:
    return next((os.environ[v] for v in BASE_URL_VARS if os.environ.get(v)), None)


def health_url(base_url: str) -> str:
    parts = urllib.parse.urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/health"


class OpenAIBackend:
    """A `Generator` talking to one OpenAI-compatible endpoint."""

    kind = "generate"

    def __init__(self, base_url: str, model: str, *, max_tokens: int, temperature: float,
                 seed: int | None, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self.params: dict[str, Any] = {"max_tokens": max_tokens, "temperature": temperature}
        if seed is not None:
            self.params["seed"] = seed
        self.client = AsyncOpenAI(base_url=self.base_url, api_key=api_key(), timeout=timeout,
                                  max_retries=0)

    async def check(self) -> dict[str, Any]:
        """Fail fast before a run: server reachable, URL right, model served (when listed),
        and a 1-token probe with an image accepted. Returns the server's identity."""
        try:
            page = await self.client.with_options(max_retries=2, timeout=10).models.list()
        except openai.NotFoundError:
            raise BackendError(f"{self.base_url}/models answered 404: --base-url should be the "
                               "API root, usually ending in /v1") from None
        except openai.AuthenticationError:
            raise BackendError(f"{self.base_url}: authentication failed; set HARNESS_API_KEY or "
                               "OPENAI_API_KEY") from None
        except (openai.APIConnectionError, openai.APITimeoutError):
            raise BackendError(self._unreachable()) from None
        except openai.APIStatusError as e:
            raise BackendError(f"{self.base_url}/models answered HTTP {e.status_code}: "
                               f"{_short(e.message)}") from None
        except Exception as e:  # HTML, invalid JSON, wrong shape: not an OpenAI API
            raise BackendError(f"{self.base_url}/models: not an OpenAI-compatible reply "
                               f"({type(e).__name__}: {_short(str(e), 120)}); is --base-url "
                               "the API root (…/v1)?") from None
        entries = [m for m in getattr(page, "data", None) or [] if hasattr(m, "id")]
        served = [m.id for m in entries]
        if served and self.model not in served:
            raise BackendError(f"model {self.model!r} is not served at {self.base_url}"
                               f"{did_you_mean(self.model, served)}; it serves: "
                               f"{', '.join(served)}")
        await self._probe()
        entry = next((m for m in entries if m.id == self.model), None)
        return {"base_url": self.base_url, "model": _plain(entry), "version":
                await asyncio.to_thread(self._version)}

    def _unreachable(self) -> str:
        return (f"cannot reach the server at {self.base_url} (connection refused or timed "
                "out): start it, or fix --base-url / HARNESS_BASE_URL")

    def _version(self) -> str | None:
        """vLLM answers GET /version; other servers do not, which is fine."""
        parts = urllib.parse.urlsplit(self.base_url)
        try:
            with urllib.request.urlopen(f"{parts.scheme}://{parts.netloc}/version",
                                        timeout=3) as r:
                return str(json.loads(r.read(4096)).get("version"))
        except Exception:  # any failure just means "not reported"
            return None

    async def _probe(self) -> None:
        """One 1-token request with a tiny image: catches a model name the server refuses
        (servers that do not list local models) and a model that takes no images."""
        content = [{"type": "image_url", "image_url": {"url": PROBE_IMAGE}},
                   {"type": "text", "text": "Hi"}]
        try:
            await self.client.with_options(max_retries=2, timeout=60).chat.completions.create(
                model=self.model, messages=[{"role": "user", "content": content}], max_tokens=1,
                temperature=0.0)
        except openai.APIStatusError as e:
            if 400 <= e.status_code < 500 and e.status_code != 429:
                raise BackendError(f"{self.base_url} refused a 1-token request with an image "
                                   f"for model {self.model!r} (wrong model name, or a model that "
                                   f"takes no images?): HTTP {e.status_code} "
                                   f"{_short(e.message)}") from None
        except (openai.APIConnectionError, openai.APITimeoutError):
            raise BackendError(self._unreachable()) from None
        except Exception:  # a malformed probe reply is judged on the real requests
            pass

    async def complete(self, messages: list[dict],
                       extra_body: dict | None = None) -> Answer:
        """The answer, or RequestError with a kind and a one-line reason."""
        t0 = time.perf_counter()
        body = {"model": self.model, "messages": messages, **self.params, **(extra_body or {})}
        try:  # a plain POST: the client's typed-params walk over a megabyte of base64 and its
            # response models cost more than the rest of a sample's work; the reply is checked
            # by answer_from_json instead
            resp = await asyncio.wait_for(self.client.post(
                "/chat/completions", body=body, cast_to=object), self.timeout)
        except (asyncio.TimeoutError, openai.APITimeoutError):
            raise RequestError(f"timeout: no complete answer within {self.timeout:g} s",
                               kind="transport", retryable=True) from None
        except openai.APIStatusError as e:
            code = e.status_code
            raise RequestError(f"http {code}: {_short(e.message)}", kind="server",
                               fatal=code in (401, 403, 404),
                               retryable=code in RETRY_STATUS or code >= 500,
                               retry_after=_retry_after(e.response.headers)) from None
        except openai.APIConnectionError as e:
            raise RequestError(f"connection: {_short(str(e.__cause__ or e))}", kind="transport",
                               retryable=True, down=True) from None
        except Exception as e:  # invalid JSON, HTML, a body the client cannot model
            raise RequestError(f"server: invalid reply ({type(e).__name__}: "
                               f"{_short(str(e), 120)})", kind="server", retryable=True) from None
        return answer_from_json(resp, time.perf_counter() - t0)

    async def close(self) -> None:
        await self.client.close()


def answer_from_json(body: Any, latency: float) -> Answer:
    """Check a reply (JSON as parsed, or text when it was not JSON) for the shape of a chat
    completion with one choice whose content is text; used for this client's replies and for
    those Ray Data's HTTP stage receives."""
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list):
        err = body.get("error") if isinstance(body, dict) else None
        why = f"an error body {_short(str(err), 160)}" if err else \
            f"not a chat completion: {_short(str(body), 80)}"
        raise RequestError(f"server: invalid reply, {why}", kind="server", retryable=True)
    if not choices:
        raise RequestError("server: reply has no choices", kind="server", retryable=True)
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message")
    if not isinstance(message, dict):  # a choice must carry a message, even an empty one
        raise RequestError(f"server: invalid reply, a choice without a message: "
                           f"{_short(str(choices[0]), 80)}", kind="server", retryable=True)
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise RequestError(f"server: answer content is {type(content).__name__}, not text",
                           kind="server")
    reason = choice.get("finish_reason")
    return Answer(content or "", latency, reason if isinstance(reason, str) else None)


def _plain(entry: Any) -> dict | None:
    if entry is None:
        return None
    try:
        return {k: v for k, v in entry.model_dump().items() if v is not None}
    except Exception:
        return {"id": str(getattr(entry, "id", ""))}


def _retry_after(headers: Any) -> float | None:
    """Retry-After in seconds (or retry-after-ms); HTTP dates are treated as unknown."""
    try:
        if headers.get("retry-after-ms"):
            return float(headers["retry-after-ms"]) / 1000
        if headers.get("retry-after"):
            return float(headers["retry-after"])
    except (TypeError, ValueError):
        return None
    return None


def _short(text: str, n: int = 300) -> str:
    text = re.sub(r"^Error code: \d+ - ", "", " ".join(str(text).split()))
    text = scrub_error(text)
    return text if len(text) <= n else text[: n - 1] + "…"
