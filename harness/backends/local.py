"""`--backend transformers`: a LLaVA-class model in-process, no server needed.

Same interface as the OpenAI backend (`check`, `complete`, `params`), so prompts, caching,
parsing and the run directory are shared. The chat messages are rendered with the processor's own
chat template, exactly as `transformers serve` does, and concurrent requests are gathered into
batches (left-padded) for one `generate` call each.
"""
from __future__ import annotations

import asyncio
import base64
import io
import time

from harness.backends.openai_compat import RequestError

MAX_BATCH = 8


class LocalModelError(Exception):
    pass


def to_device(model, device: str | None = None) -> str:
    """Move an in-process model to `device`, by default the GPU when there is one."""
    import torch

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device)
    return device


class TransformersBackend:
    def __init__(self, model_id: str, *, max_tokens: int = 64, device: str | None = None,
                 max_batch: int = MAX_BATCH, seed: int | None = 0,
                 temperature: float = 0.0) -> None:
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor

        try:
            self.processor = AutoProcessor.from_pretrained(model_id)
            self.model = AutoModelForImageTextToText.from_pretrained(model_id).eval()
        except (OSError, ValueError) as e:
            raise LocalModelError(f"cannot load vision-language model {model_id!r}: "
                                  f"{str(e).splitlines()[0]}") from None
        self.torch = torch
        self.device = to_device(self.model, device)
        self.processor.tokenizer.padding_side = "left"
        self.max_tokens, self.max_batch = max_tokens, max_batch
        self.params = {"max_tokens": max_tokens, "temperature": temperature, "seed": seed,
                       "backend": "transformers"}
        self._pending: list[tuple[list[dict], asyncio.Future]] = []
        self._lock: asyncio.Lock | None = None

    async def check(self) -> list[str]:
        return []

    async def close(self) -> None:
        pass

    async def complete(self, messages: list[dict],
                       extra_body: dict | None = None) -> tuple[str, float]:
        """Queue the request; whoever finds the model idle runs everything queued as a batch."""
        future = asyncio.get_running_loop().create_future()
        self._pending.append((messages, future))
        self._lock = self._lock or asyncio.Lock()
        t0 = time.perf_counter()
        async with self._lock:
            if not future.done():
                batch, self._pending = self._pending[:self.max_batch], self._pending[self.max_batch:]
                try:
                    texts = await asyncio.to_thread(self.generate, [m for m, _ in batch])
                except Exception as e:  # a failed batch fails its requests, not the run
                    for _, f in batch:
                        f.set_exception(RequestError(f"local: generation failed ({e})"))
                else:
                    for (_, f), text in zip(batch, texts):
                        f.set_result(text)
        return await future, time.perf_counter() - t0

    def generate(self, batch: list[list[dict]]) -> list[str]:
        """Greedy answers for OpenAI-style chat messages with data-URL images."""
        from PIL import Image

        prompts, images = [], []
        for messages in batch:
            hf_messages = []
            for m in messages:
                content = m["content"]
                if isinstance(content, list):
                    parts = []
                    for p in content:
                        if p["type"] == "image_url":
                            data = p["image_url"]["url"].split(",", 1)[1]
                            images.append(Image.open(io.BytesIO(base64.b64decode(data)))
                                          .convert("RGB"))
                            parts.append({"type": "image"})
                        else:
                            parts.append({"type": "text", "text": p["text"]})
                    content = parts
                hf_messages.append({"role": m["role"], "content": content})
            prompts.append(self.processor.apply_chat_template(hf_messages,
                                                              add_generation_prompt=True))
        inputs = self.processor(images=images or None, text=prompts, return_tensors="pt",
                                padding=True).to(self.device)
        with self.torch.no_grad():
            out = self.model.generate(**inputs, max_new_tokens=self.max_tokens, do_sample=False)
        new = out[:, inputs["input_ids"].shape[1]:]
        return self.processor.batch_decode(new, skip_special_tokens=True)
