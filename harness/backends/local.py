"""`--backend transformers`: a LLaVA-class model in-process, no server needed.

A `Generator` like the OpenAI backend, so prompts, caching, parsing and the run directory are
shared. The chat messages are rendered with the processor's own chat template, exactly as
`transformers serve` does, and concurrent requests are batched (left-padded) into one `generate`.
"""
from __future__ import annotations

import base64
import io
import time
from typing import Any

from harness.backends.base import Answer, Batcher, to_device
from harness.errors import BackendError


class TransformersBackend:
    kind = "generate"

    def __init__(self, model_id: str, *, max_tokens: int, seed: int | None,
                 temperature: float, device: str | None = None, max_batch: int = 8) -> None:
        try:
            import torch
            from transformers import AutoModelForImageTextToText, AutoProcessor
        except ImportError as e:
            raise BackendError(f"--backend transformers needs torch and transformers "
                               f"({e.name} is missing): pip install 'harness-vlm[local]'") from None
        try:
            self.processor = AutoProcessor.from_pretrained(model_id)
            self.model = AutoModelForImageTextToText.from_pretrained(model_id).eval()
        except Exception as e:  # OSError, ValueError, KeyError: all mean "cannot load this"
            raise BackendError(f"cannot load vision-language model {model_id!r}: "
                               f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                               ) from None
        self.model_id = model_id
        self.torch = torch
        self.device = to_device(self.model, device)
        self.processor.tokenizer.padding_side = "left"
        self.max_tokens = max_tokens
        self.params = {"max_tokens": max_tokens, "temperature": temperature, "seed": seed,
                       "backend": "transformers"}
        self._batcher = Batcher(self.generate, max_batch)

    async def check(self) -> dict[str, Any]:
        import transformers

        return {"model": {"id": self.model_id, "class": type(self.model).__name__},
                "device": self.device, "version": f"transformers {transformers.__version__}"}

    async def close(self) -> None:
        pass

    async def complete(self, messages: list[dict],
                       extra_body: dict | None = None) -> Answer:
        t0 = time.perf_counter()
        text = await self._batcher.submit(messages)
        return Answer(text, time.perf_counter() - t0)

    def generate(self, batch: list[list[dict]]) -> list[str]:
        """Greedy answers for OpenAI-style chat messages with data-URL images."""
        images: list = []
        prompts = [self.processor.apply_chat_template(_hf_messages(m, images),
                                                      add_generation_prompt=True) for m in batch]
        inputs = self.processor(images=images or None, text=prompts, return_tensors="pt",
                                padding=True).to(self.device)
        with self.torch.no_grad():
            out = self.model.generate(**inputs, max_new_tokens=self.max_tokens, do_sample=False)
        new = out[:, inputs["input_ids"].shape[1]:]
        return self.processor.batch_decode(new, skip_special_tokens=True)


def _hf_messages(messages: list[dict], images: list) -> list[dict]:
    """OpenAI content parts -> transformers chat parts; decoded images are appended to
    `images` in order."""
    from PIL import Image

    out = []
    for m in messages:
        content = m["content"]
        if isinstance(content, list):
            parts = []
            for p in content:
                if p["type"] == "image_url":
                    data = p["image_url"]["url"].split(",", 1)[1]
                    images.append(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))
                    parts.append({"type": "image"})
                else:
                    parts.append({"type": "text", "text": p["text"]})
            content = parts
        out.append({"role": m["role"], "content": content})
    return out
