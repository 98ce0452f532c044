"""Model aliases and the vLLM launch profile for each (context length, dtype, extra flags).

GPU memory figures are rough needs for weights + a modest KV cache at the given context length,
to pick a GPU; vLLM itself reserves `--gpu-memory-utilization` (default 0.9) of the card.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.resources import cache_dir


@dataclass(frozen=True)
class ModelProfile:
    alias: str
    model_id: str
    description: str
    gpu_memory_gb: float
    vllm_args: tuple[str, ...] = field(default=())


MODELS = {p.alias: p for p in [
    ModelProfile("llava", "llava-hf/llava-1.5-7b-hf", "LLaVA-1.5 7B (Vicuna), Zhang et al. 2024",
                 16, ("--max-model-len", "4096", "--dtype", "float16")),
    ModelProfile("llava-13b", "llava-hf/llava-1.5-13b-hf", "LLaVA-1.5 13B (Vicuna)",
                 28, ("--max-model-len", "4096", "--dtype", "float16")),
    ModelProfile("llava-next", "llava-hf/llava-v1.6-mistral-7b-hf", "LLaVA-NeXT Mistral 7B",
                 18, ("--max-model-len", "8192", "--dtype", "float16")),
    ModelProfile("llava-next-vicuna", "llava-hf/llava-v1.6-vicuna-7b-hf",
                 "LLaVA-NeXT Vicuna 7B", 18, ("--max-model-len", "4096", "--dtype", "float16")),
    ModelProfile("qwen2-vl", "Qwen/Qwen2-VL-7B-Instruct", "Qwen2-VL 7B Instruct",
                 20, ("--max-model-len", "8192", "--dtype", "bfloat16")),
    ModelProfile("smolvlm", "HuggingFaceTB/SmolVLM-Instruct", "SmolVLM 2B Instruct",
                 8, ("--max-model-len", "8192", "--dtype", "bfloat16")),
    ModelProfile("pixtral", "mistralai/Pixtral-12B-2409", "Pixtral 12B",
                 30, ("--max-model-len", "8192", "--tokenizer-mode", "mistral")),
]}


DEMO_MODEL = "tiny-llava-demo"  # the offline demo's model, built into the user cache


def demo_model_dir() -> Path:
    """Where `harness demo` keeps the tiny LLaVA it builds (deterministic: rebuilt identical)."""
    return cache_dir() / "models" / DEMO_MODEL


def resolve(model: str) -> tuple[str, ModelProfile | None]:
    """(model id to request, profile). Unknown names pass through as a served model name."""
    if model == DEMO_MODEL:
        return str(demo_model_dir()), None
    profile = MODELS.get(model)
    return (profile.model_id, profile) if profile else (model, None)


def alias_help() -> str:
    return ", ".join(f"{a} ({p.model_id})" for a, p in MODELS.items())
