"""AsyncOpenAI against an OpenAI-compatible server (vLLM, transformers serve, hosted APIs).

The client itself never retries (max_retries=0): harness/resilience.py does, so every retry is
counted against a run-wide budget and a server that goes away pauses the whole run.
"""
from __future__ import annotations

import os
import re
import time

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion
from harness.errors import BackendError

# A 16x16 grey JPEG: the smallest honest question to ask a vision model before a run.
PROBE_IMAGE = ("data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsL"
               "DBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAAQABABAREA/8QAF"
               "QABAQAAAAAAAAAAAAAAAAAAAAf/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/9oACAEBAAA/AKpgB//Z")
API_KEY_VARS = ("HARNESS_API_KEY", "OPENAI_API_KEY")
BASE_URL_VARS = ("HARNESS_BASE_URL", "OPENAI_BASE_URL")




def env_base_url() -> str | None:
    return next((os.environ[v] for v in BASE_URL_VARS if os.environ.get(v)), None)


def api_key() -> str:
    """Secrets only come from the environment; servers without auth accept any string."""
    return next((os.environ[v] for v in API_KEY_VARS if os.environ.get(v)), "EMPTY")


class OpenAIBackend:
    def __init__(self, base_url: str, model: str, *, max_tokens: int = 64,
                 temperature: float = 0.0, seed: int | None = 0, timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.params = {"max_tokens": max_tokens, "temperature": temperature}
        if seed is not None:
            self.params["seed"] = seed
        self.client = AsyncOpenAI(base_url=self.base_url, api_key=api_key(), timeout=timeout,
                                  max_retries=0)

    async def check(self) -> list[str]:
        """Fail fast before a run: server reachable, URL right, model served (when listed)."""
        try:
            page = await self.client.with_options(max_retries=2, timeout=10).models.list()
        except openai.NotFoundError:
            raise BackendError(f"{self.base_url}/models answered 404: --base-url should be the "
                               "API root, usually ending in /v1") from None
        except openai.AuthenticationError:
            raise BackendError(f"{self.base_url}: authentication failed; set HARNESS_API_KEY or "
                               "OPENAI_API_KEY") from None
        except (openai.APIConnectionError, openai.APITimeoutError):
            raise BackendError(f"cannot reach the server at {self.base_url}: start it, or fix "
                               "--base-url / HARNESS_BASE_URL") from None
        except openai.APIStatusError as e:
            raise BackendError(f"{self.base_url}/models answered HTTP {e.status_code}: "
                               f"{_short(e.message)}") from None
        except openai.APIResponseValidationError as e:
            raise BackendError(f"{self.base_url}/models: not an OpenAI-compatible reply "
                               f"({_short(str(e))})") from None
        served = [m.id for m in page.data]
        if served and self.model not in served:
            raise BackendError(f"model {self.model!r} is not served at {self.base_url}; it serves: "
                               f"{', '.join(served)}")
        await self._probe()
        return served

    async def _probe(self) -> None:
        """One 1-token request with a tiny image: catches a model name the server refuses
        (servers that do not list local models, like `transformers serve`) and a model or
        server that takes no images, before any sample is spent."""
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
            raise BackendError(f"cannot reach the server at {self.base_url}: start it, or fix "
                               "--base-url / HARNESS_BASE_URL") from None

    async def complete(self, messages: list[dict],
                       extra_body: dict | None = None) -> tuple[str, float]:
        """(answer text, latency in s). Raises RequestError with a one-line reason."""
        t0 = time.perf_counter()
        try:
            resp = await self.client.chat.completions.create(model=self.model, messages=messages,
                                                             extra_body=extra_body, **self.params)
        except openai.APIStatusError as e:
            code = e.status_code
            raise RequestError(f"http {code}: {_short(e.message)}",
                               fatal=code in (401, 403, 404),
                               retryable=code in RETRY_STATUS or code >= 500,
                               retry_after=_retry_after(e.response.headers)) from None
        except openai.APITimeoutError:
            raise RequestError("timeout: no answer within the request timeout",
                               retryable=True, down=True) from None
        except openai.APIConnectionError as e:
            raise RequestError(f"connection: {_short(str(e.__cause__ or e))}", retryable=True,
                               down=True) from None
        except openai.APIResponseValidationError as e:
            raise RequestError(f"server: invalid reply ({_short(str(e))})") from None
        latency = time.perf_counter() - t0
        if not isinstance(resp, ChatCompletion):
            raise RequestError(f"server: invalid reply, not a chat completion: {_short(str(resp), 80)}")
        if not resp.choices:
            raise RequestError("server: reply has no choices")
        return resp.choices[0].message.content or "", latency

    async def close(self) -> None:
        await self.client.close()


RETRY_STATUS = {408, 409, 429}  # plus every 5xx


class RequestError(Exception):
    """One request failed. `fatal`: every other request would fail the same way (auth, URL);
    `retryable`: worth asking again (429, 5xx, timeouts, resets); `down`: no HTTP answer at all;
    `retry_after`: seconds the server asked us to wait."""

    def __init__(self, message: str, fatal: bool = False, retryable: bool = False,
                 down: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.fatal, self.retryable, self.down, self.retry_after = fatal, retryable, down, retry_after


def _retry_after(headers) -> float | None:
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
    return text if len(text) <= n else text[: n - 1] + "…"
