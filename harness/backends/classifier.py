"""`--model hf:<id or folder>`: an ImageNet classifier through transformers, measured not quoted.

The model's output index i is the ImageNet-1k class at position i of the sorted wnid list (the
torchvision / HF convention); 1001-way TF ports with a background class at 0 are shifted. When the
checkpoint names its classes (`id2label`), the names are checked against that order and a
permuted head is refused. Predictions are restricted to the task's label space: on ImageNet-R/-A
the argmax is over their 200 classes, as timm's `imagenet_r_indices` / `imagenet_a_indices` do.
"""
from __future__ import annotations

import re
import time
from typing import Any

from harness.backends.base import Batcher, Prediction, RequestError, to_device
from harness.errors import BackendError
from harness.wordnet import LabelSpace, imagenet_classes, label_space

PREFIX = "hf:"
TOP_K = 5


def is_classifier(model: str) -> bool:
    return model.startswith(PREFIX)


class HFClassifier:
    """A `Classifier`: top-5 classes of the task's label space per image, batched."""

    kind = "classify"

    def __init__(self, model_id: str, space: LabelSpace, device: str | None = None,
                 max_batch: int = 32) -> None:
        try:
            import torch
            from transformers import AutoImageProcessor, AutoModelForImageClassification
        except ImportError as e:
            raise BackendError(f"hf: classifiers need torch and transformers ({e.name} is "
                               "missing): pip install 'harness-vlm[local]'") from None
        try:
            self.model = AutoModelForImageClassification.from_pretrained(model_id).eval()
            n = self.model.config.num_labels
            if n not in (1000, 1001):
                raise BackendError(f"{model_id}: {n} output classes; an ImageNet-1k classifier "
                                   "has 1000 (or 1001 with a background class)")
            self.processor = AutoImageProcessor.from_pretrained(model_id)
        except BackendError:
            raise
        except Exception as e:  # OSError, ValueError, TypeError, ImportError: cannot load it
            raise BackendError(f"cannot load image classifier {model_id!r}: {type(e).__name__}: "
                               f"{str(e).splitlines()[0] if str(e) else ''}") from None
        self.offset = n - 1000
        _check_label_order(model_id, self.model.config, self.offset)
        self.model_id, self.torch, self.space = model_id, torch, space
        self.device = to_device(self.model, device)
        order = label_space("imagenet-1k").index
        missing = [w for w in space.wnids if w not in order]
        if missing:
            raise BackendError(f"{model_id}: label space {space.name!r} has classes outside "
                               f"ImageNet-1k (e.g. {missing[0]}); a 1000-way classifier cannot "
                               "score it")
        self.columns = torch.tensor([order[w] + self.offset for w in space.wnids])
        self.params = {"classifier": model_id, "space": space.name, "top_k": TOP_K}
        self._batcher = Batcher(self._predict, max_batch)

    async def check(self) -> dict[str, Any]:
        return {"model": {"id": self.model_id, "class": type(self.model).__name__,
                          "num_labels": self.model.config.num_labels}, "device": self.device}

    async def classify(self, image: bytes) -> Prediction:
        t0 = time.perf_counter()
        top = await self._batcher.submit(image)
        if isinstance(top, str):  # this image could not be decoded
            raise RequestError(top, kind="image")
        return Prediction(top, time.perf_counter() - t0)

    async def close(self) -> None:
        pass

    def _predict(self, images: list[bytes]) -> list[list[str] | str]:
        """Top-k wnids of the label space per image (logits restricted to its columns), or
        the reason an image could not be decoded."""
        decoded = [_decode(b) for b in images]
        good = [d for d in decoded if not isinstance(d, str)]
        tops: list[list[str]] = []
        if good:
            inputs = self.processor(images=good, return_tensors="pt").to(self.device)
            with self.torch.no_grad():
                logits = self.model(**inputs).logits[:, self.columns.to(self.device)]
            k = min(TOP_K, logits.shape[1])
            idx = logits.topk(k, dim=-1).indices.tolist()
            tops = [[self.space.wnids[i] for i in row] for row in idx]
        it = iter(tops)
        return [d if isinstance(d, str) else next(it) for d in decoded]


def _decode(data: bytes) -> Any:
    """An RGB PIL image, or an `image: ...` reason (same limits as the prompt path)."""
    from harness.prompts.images import ImageError, decode_image

    try:
        return decode_image(data)
    except ImageError as e:
        return str(e)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()


def _check_label_order(model_id: str, config: Any, offset: int) -> None:
    """Refuse a checkpoint whose class names contradict the sorted-wnid order. Checkpoints with
    generic names (LABEL_0 …) or none carry no evidence either way and pass; a few names that
    differ (synonyms the tables lack) are tolerated, more than a tenth are not."""
    id2label = getattr(config, "id2label", None) or {}
    names = {int(i) - offset: str(n) for i, n in id2label.items()}
    checked, wrong = 0, []
    for i, c in enumerate(imagenet_classes()):
        name = names.get(i)
        if name is None or re.fullmatch(r"LABEL_\d+", name):
            continue
        checked += 1
        known = {_norm(x) for x in [c["wnid"], c["clip_name"], *c["lemmas"]]}
        if not ({_norm(p) for p in re.split(r",\s*", name)} | {_norm(name)}) & known:
            wrong.append((i, name, c["lemmas"][0]))
    if checked >= 100 and len(wrong) > checked // 10:
        i, name, expected = wrong[0]
        raise BackendError(f"{model_id}: its class names do not follow the sorted-wnid order "
                           f"({len(wrong)} of {checked} differ; output {i + offset} is {name!r}, "
                           f"expected {expected!r}); the harness scores index i as the i-th "
                           "sorted ImageNet wnid")
