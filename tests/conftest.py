"""Shared fixtures: a tiny LLaVA built offline and a real `transformers serve` for it."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from harness.backends.server import ManagedServer, free_port, transformers_command

REPO = Path(__file__).resolve().parents[1]
SAMPLE_IMAGES = REPO / "tasks" / "imagenet-sample" / "images"


@pytest.fixture(scope="session")
def tiny_llava(tmp_path_factory) -> str:
    from harness.backends.fixtures import build_tiny_llava

    return str(build_tiny_llava(tmp_path_factory.mktemp("models") / "tiny-llava"))


@pytest.fixture(scope="session")
def tiny_server(tiny_llava, tmp_path_factory):
    """A real OpenAI-compatible server (transformers serve) on loopback, for the whole session."""
    work = tmp_path_factory.mktemp("serve")
    (work / "hub").mkdir()
    env = {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(work / "hub"), "OMP_NUM_THREADS": "1"}
    port = free_port()
    with ManagedServer(transformers_command(tiny_llava, port), port, work / "server.log",
                       timeout=180, env=env) as server:
        yield server


@pytest.fixture
def runs_dir(tmp_path) -> Path:
    return tmp_path / "runs"


@pytest.fixture
def image_dir(tmp_path) -> Path:
    """A few real ImageNet JPEGs copied out of the shipped sample."""
    out = tmp_path / "imgs"
    out.mkdir()
    for p in sorted(SAMPLE_IMAGES.iterdir())[:6]:
        shutil.copy(p, out / p.name)
    return out


@pytest.fixture(autouse=True)
def _isolate_env(monkeypatch, tmp_path):
    for var in ("HARNESS_BASE_URL", "OPENAI_BASE_URL", "HARNESS_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
