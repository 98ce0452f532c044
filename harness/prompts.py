"""Prompts: YAML templates in prompts/ rendered to OpenAI chat messages with the image inline.

The image goes as a base64 data URL of the original file bytes (no decode/re-encode), unless a
resize is asked for or the format/colour mode is one servers commonly reject (CMYK, palette, ...).
"""
from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass

import yaml
from PIL import Image, UnidentifiedImageError

from harness.resources import named_yaml

PROMPT_FIELDS = {"name", "description", "citation", "text", "system", "image_position"}
PASS_THROUGH = {"JPEG": "image/jpeg", "PNG": "image/png"}


class PromptError(Exception):
    pass


class ImageError(Exception):
    """The sample's image cannot be sent; recorded per sample as `image: ...`."""


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str
    system: str | None = None
    image_position: str = "before"
    description: str = ""
    citation: str = ""

    def messages(self, image_url: str) -> list[dict]:
        image = {"type": "image_url", "image_url": {"url": image_url}}
        text = {"type": "text", "text": self.text}
        content = [image, text] if self.image_position == "before" else [text, image]
        msgs = [{"role": "system", "content": self.system}] if self.system else []
        return msgs + [{"role": "user", "content": content}]


def load_prompt(name_or_path: str) -> Prompt:
    try:
        path = named_yaml("prompts", name_or_path, "prompt")
    except LookupError as e:
        raise PromptError(str(e)) from None
    raw = yaml.safe_load(path.read_text()) or {}
    unknown = set(raw) - PROMPT_FIELDS
    if unknown or "text" not in raw:
        raise PromptError(f"{path}: needs `text`; unknown field(s) {sorted(unknown)}")
    raw.setdefault("name", path.stem)
    return Prompt(**raw)


def image_data_url(data: bytes, resize: int | None = None) -> tuple[str, str]:
    """(data URL, sha256 of the original bytes). Raises ImageError for unusable files."""
    digest = hashlib.sha256(data).hexdigest()
    if not data:
        raise ImageError("image: empty file")
    try:
        img = Image.open(io.BytesIO(data))
        fmt, mode = img.format, img.mode
        if resize is None and fmt in PASS_THROUGH and mode in ("RGB", "L"):
            img.verify()  # header/structure check only; cheap
            return _url(PASS_THROUGH[fmt], data), digest
        img.load()
        img = img.convert("RGB")
        if resize:
            scale = resize / min(img.size)
            img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                             Image.Resampling.BICUBIC)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=95)
        return _url("image/jpeg", buf.getvalue()), digest
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise ImageError(f"image: cannot decode ({type(e).__name__}: {e})") from None


def _url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
