"""`--model hf:<id or folder>`: an ImageNet classifier through transformers, measured not quoted.

The model's output index i is the ImageNet-1k class at position i of the sorted wnid list (the
torchvision / HF convention); 1001-way TF ports with a background class at 0 are shifted. The
parser is skipped: the prediction is a class, written to the same run-directory records.
"""
from __future__ import annotations

import hashlib
import io
import time
from typing import Iterable, Iterator

from harness.backends.local import to_device
from harness.parse.parser import ParseResult
from harness.cli.progress import Progress
from harness.prompts.images import ImageError
from harness.records import Sample, error_record
from harness.scoring.score import score
from harness.store.rundir import RunDir
from harness.wordnet.graph import clip_names, label_space

PREFIX = "hf:"


class ClassifierError(Exception):
    pass


def is_classifier(model: str) -> bool:
    return model.startswith(PREFIX)


class HFClassifier:
    def __init__(self, model_id: str, device: str | None = None) -> None:
        import torch
        from transformers import AutoImageProcessor, AutoModelForImageClassification

        try:
            self.model = AutoModelForImageClassification.from_pretrained(model_id).eval()
            n = self.model.config.num_labels
            if n not in (1000, 1001):
                raise ClassifierError(f"{model_id}: {n} output classes; an ImageNet-1k "
                                      "classifier has 1000 (or 1001 with a background class)")
            self.processor = AutoImageProcessor.from_pretrained(model_id)
        except (OSError, ValueError) as e:
            raise ClassifierError(f"cannot load image classifier {model_id!r}: "
                                  f"{str(e).splitlines()[0]}") from None
        self.torch = torch
        self.device = to_device(self.model, device)
        self.offset = n - 1000
        self.wnids = label_space("imagenet-1k").wnids

    def predict(self, images: list) -> list[str]:
        """Class wnid per PIL image (argmax over the 1000 ImageNet logits)."""
        inputs = self.processor(images=images, return_tensors="pt").to(self.device)
        with self.torch.no_grad():
            logits = self.model(**inputs).logits[:, self.offset:]
        return [self.wnids[int(i)] for i in logits.argmax(-1).tolist()]


def _decode(s: Sample):
    """(RGB image, sha256 of the file bytes)."""
    from PIL import Image, UnidentifiedImageError

    try:
        data = s.read_bytes()
        if not data:
            raise ImageError("image: empty file")
        return Image.open(io.BytesIO(data)).convert("RGB"), hashlib.sha256(data).hexdigest()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise ImageError(f"image: cannot decode ({type(e).__name__}: {e})") from None


def _batches(samples: Iterable[Sample], done: set[str], size: int) -> Iterator[list[Sample]]:
    batch: list[Sample] = []
    for s in samples:
        if s.id in done:
            continue
        done.add(s.id)
        batch.append(s)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def class_result(wnid: str) -> ParseResult:
    """A classifier's prediction in the parser's result type (so scoring is shared)."""
    return ParseResult(wnid, wnid, label_space("imagenet-1k").label(wnid), "class", [wnid])


def evaluate(clf: HFClassifier, samples: Iterable[Sample], done: set[str], rundir: RunDir,
             total: int, batch_size: int = 32) -> None:
    """Classify in batches and append one record per sample, as the VLM path does."""
    space = label_space("imagenet-1k")
    progress = Progress(total, done=len(done))
    try:
        for batch in _batches(samples, done, batch_size):
            good, images, digests = [], [], []
            for s in batch:
                try:
                    image, digest = _decode(s)
                    images.append(image)
                    digests.append(digest)
                    good.append(s)
                except ImageError as e:
                    rundir.append(error_record(s, str(e)))
                    progress.update(error=True)
            if not good:
                continue
            t0 = time.perf_counter()
            preds = clf.predict(images)
            latency = (time.perf_counter() - t0) / len(good)
            for s, wnid, digest in zip(good, preds, digests):
                answer = clip_names()[wnid]
                rundir.append({"id": s.id, "gold_wnid": s.gold_wnid, "response": answer,
                               **score(s.gold_wnid, answer, class_result(wnid), space),
                               "latency_s": round(latency, 4), "error": None,
                               "image_sha256": digest})
                progress.update()
    finally:
        progress.close()
