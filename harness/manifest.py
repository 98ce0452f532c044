"""The run manifest: every option of a run defined once, with its default, check and help.

`RunOptions` is what a user chooses; the CLI's `run` arguments are generated from its fields, so a
default or a bound is written in one place only. `RunManifest` adds what the harness resolved
(model id, prompt content, data fingerprint, server identity, versions); run.json is its JSON.
Each option says whether it can change a result (`result=True`): `--resume` refuses a new value
for those and takes the new value, recording the change, for the others (timeouts, URLs).
"""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Literal

from pydantic import (BaseModel, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)

from harness.errors import OptionError

SCHEMA = 1
CACHE_ENV = "HARNESS_RESPONSE_CACHE"  # "1": --cache by default


def _opt(default: Any, help: str, *, result: bool, flag: str | None = None,
         metavar: str | None = None, repeat: str | None = None, cli: bool = True,
         **checks: Any) -> Any:
    """`repeat`: the flag may be given several times, all values going to that list field;
    `cli=False`: no flag of its own (filled from another option's repeats)."""
    extra = {"result": result, "flag": flag, "metavar": metavar, "repeat": repeat, "cli": cli}
    if isinstance(default, list):
        return Field(default_factory=list, description=help, json_schema_extra=extra, **checks)
    return Field(default, description=help, json_schema_extra=extra, **checks)


class RunOptions(BaseModel):
    """What the user asks for. Field order is the order of `harness run --help`."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    task: str = _opt("imagenet-sample", "task name (see `harness tasks`)", result=True)
    model: str = _opt("llava", "model alias (see `harness models`), served model name, or "
                      "hf:<id or folder> for an image classifier", result=True)
    backend: Literal["openai", "transformers"] = _opt(
        "openai", "openai: an OpenAI-compatible server; transformers: load the model in this "
        "process (CPU or GPU), no server", result=True)
    base_url: str | None = _opt(None, "OpenAI-compatible API root, e.g. http://127.0.0.1:8000/v1; "
                                "repeat it for replicas of the same model (each request goes "
                                "to the least-loaded healthy one) (default: $HARNESS_BASE_URL "
                                "/ $OPENAI_BASE_URL, else launch vLLM)", result=False,
                                metavar="URL", repeat="base_urls")
    base_urls: list[str] = _opt([], "every replica's API root, in the order given (the first "
                                "is base_url)", result=False, flag="--base-url", cli=False)
    prompt: str | None = _opt(None, "prompt name or YAML file (default: the task's)", result=True)
    data_dir: str | None = _opt(None, "local copy of the task's dataset", result=False,
                                metavar="DIR")
    limit: int | None = _opt(None, "seeded subset of N samples, stratified over classes "
                             "(default: all)", result=True, metavar="N", gt=0)
    seed: int = _opt(0, "seed for --limit, distractors and sampling", result=True)
    shard: str | None = _opt(None, "evaluate shard K of N: every N-th sample of the selection, "
                             "starting at the K-th (1-based); its own run dir, joined by "
                             "`harness merge`", result=True, metavar="K/N")
    max_tokens: int = _opt(64, "new tokens per answer", result=True, gt=0)
    temperature: float = _opt(0.0, "sampling temperature (0 = greedy)", result=True, ge=0,
                              le=10)
    image_size: int | None = _opt(None, "resize the shorter side to N px before sending "
                                  "(default: original bytes)", result=True, metavar="N", gt=0)
    server_args: str = _opt("", "extra arguments for a launched vLLM server", result=True,
                            metavar="ARGS")
    tensor_parallel_size: int = _opt(1, "launched vLLM: GPUs per engine (vLLM's "
                                     "--tensor-parallel-size)", result=False, metavar="N",
                                     gt=0, le=64)
    data_parallel_size: int = _opt(1, "launched vLLM: engines behind one API server (vLLM's "
                                   "--data-parallel-size)", result=False, metavar="N", gt=0,
                                   le=64)
    replicas: int = _opt(1, "launched vLLM: servers to start, each on its own group of "
                         "tensor x data parallel GPUs (CUDA_VISIBLE_DEVICES); the run is "
                         "spread over all of them. --concurrency, unless given, is multiplied "
                         "by replicas x data parallel size", result=False, metavar="N", gt=0,
                         le=64)
    concurrency: int = _opt(32, "requests in flight", result=False, gt=0, le=4096)
    engine: Literal["local", "ray"] = _opt(
        "local", "local: this process sends the requests; ray: the samples become Ray "
        "Datasets and Ray workers send them (ray.data.llm; pip install 'harness-vlm[ray]')",
        result=False)
    ray_address: str | None = _opt(None, "Ray cluster to join with --engine ray (default: "
                                   "$RAY_ADDRESS, else a local one)", result=False,
                                   metavar="ADDRESS")
    replica_concurrency: int | None = _opt(None, "requests in flight per replica (default: "
                                           "--concurrency split evenly over the replicas)",
                                           result=False, metavar="N", gt=0, le=4096)
    timeout_s: float = _opt(120.0, "seconds per request", result=False, flag="--timeout",
                            gt=0)
    max_retries: int = _opt(4, "retries per request, with backoff honouring Retry-After "
                            "(429, 5xx, resets)", result=False, ge=0, le=100)
    retry_budget: int = _opt(1000, "retries allowed over the whole run before it stops",
                             result=False, ge=0)
    max_outage_s: float = _opt(300.0, "seconds to wait for a server that stopped answering",
                               result=False, flag="--max-outage", gt=0)
    max_consecutive_failures: int = _opt(20, "stop after this many failed requests in a row",
                                         result=False, gt=0)
    cache: bool = Field(default_factory=lambda: os.environ.get(CACHE_ENV, "") == "1",
                        description="answer repeated requests from the response cache "
                        f"(default: off; on when ${CACHE_ENV}=1)",
                        json_schema_extra={"result": False})

    @model_validator(mode="before")
    @classmethod
    def _first_url(cls, values: Any) -> Any:
        """base_url is the first of base_urls (run.json keeps both: older readers use the
        one)."""
        if not isinstance(values, dict):
            return values
        url, urls = values.get("base_url"), values.get("base_urls")
        if urls and not url:
            return {**values, "base_url": urls[0]}
        if url and not urls:
            return {**values, "base_urls": [url]}
        if url and urls and urls[0] != url:
            raise ValueError(f"base_url {url!r} must be the first of base_urls")
        return values

    @field_validator("shard")
    @classmethod
    def _check_shard(cls, value: str | None) -> str | None:
        if value is None:
            return None
        k, n = shard_parts(value)
        return f"{k}/{n}"

    @classmethod
    def parse(cls, values: dict[str, Any]) -> "RunOptions":
        """Validated options; a bad value is one OptionError naming the CLI flag."""
        try:
            return cls(**values)
        except ValidationError as e:
            err = e.errors()[0]
            msg = err["msg"].removeprefix("Value error, ")
            msg = msg[0].lower() + msg[1:]
            if not err["loc"] or str(err["loc"][0]) not in cls.model_fields:
                raise OptionError(f"run options: {msg}") from None  # a check across options
            name = str(err["loc"][0])
            got = values.get(name, err.get("input"))
            raise OptionError(f"{flag(name)}: {msg} (got {got!r})") from None

    @classmethod
    def affects_result(cls, name: str) -> bool:
        return bool(_meta(name).get("result"))

    def given(self) -> dict[str, Any]:
        """The options set explicitly (on the command line or by the caller)."""
        return {k: getattr(self, k) for k in sorted(self.model_fields_set)}


def shard_parts(text: str) -> tuple[int, int]:
    """`K/N` -> (K, N) with 1 <= K <= N; ValueError (shown against --shard) otherwise."""
    k, sep, n = str(text).strip().partition("/")
    if not (sep and k.strip().isdigit() and n.strip().isdigit()):
        raise ValueError("expected K/N, e.g. 2/8")
    if not 1 <= int(k) <= int(n):
        raise ValueError("the shard number K must be between 1 and N")
    return int(k), int(n)


def _meta(name: str) -> dict:
    return RunOptions.model_fields[name].json_schema_extra or {}  # type: ignore[return-value]


def flag(name: str) -> str:
    """The command-line flag of an option (`timeout_s` -> `--timeout`)."""
    return _meta(name).get("flag") or "--" + name.replace("_", "-")


class PromptContent(BaseModel):
    """The prompt as sent: its template text and everything else that shapes the messages."""

    model_config = ConfigDict(extra="ignore")

    name: str
    source: str | None = None  # the file it was read from
    text: str
    system: str | None = None
    image_position: str = "before"
    choices: dict | None = None
    chat_template: str | None = None
    sha256: str = ""

    def digest(self) -> str:
        body = self.model_dump(exclude={"name", "source", "sha256"})
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


class RunManifest(RunOptions):
    """run.json: the options plus what was resolved; written before the first request."""

    model_config = ConfigDict(extra="ignore", frozen=False, populate_by_name=True,
                              protected_namespaces=())

    schema_: int = Field(SCHEMA, alias="schema")
    backend: str = "openai"  # openai | transformers | hf-classifier (how answers are produced)
    model_id: str = ""
    label_space: str = "imagenet-1k"
    label_space_wnids: list[str] | None = None  # custom spaces travel with the run
    prompt_content: PromptContent | None = None
    data_fingerprint: str = ""
    n_samples: int = 0  # of this run (of this shard, for a shard)
    merged_from: list[dict] = Field(default_factory=list)  # the shards `harness merge` joined
    managed_server: bool = False
    server: dict | None = None  # identity as the backend reports it (model entry, version)
    versions: dict[str, str] = Field(default_factory=dict)
    machine: str = ""
    harness_version: str = ""
    created: str = ""
    resumes: list[dict] = Field(default_factory=list)  # options changed by each --resume

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "RunManifest":
        return cls.model_validate(json.loads(text))
