"""Images as sent to a server: the original bytes as a base64 data URL (no decode/re-encode),
unless a resize is asked for or the format/colour mode is one servers commonly reject (CMYK,
palette, WebP...), which is converted to RGB JPEG. Unreadable files raise ImageError."""
from __future__ import annotations

import base64
import hashlib
import io

from PIL import Image, UnidentifiedImageError

PASS_THROUGH = {"JPEG": "image/jpeg", "PNG": "image/png"}


class ImageError(Exception):
    """The sample's image cannot be sent; recorded per sample as `image: ...`."""


def image_data_url(data: bytes, resize: int | None = None,
                   digest: str | None = None) -> tuple[str, str]:
    """(data URL, sha256 of the original bytes). Raises ImageError for unusable files."""
    digest = digest or hashlib.sha256(data).hexdigest()
    if not data:
        raise ImageError("image: empty file")
    if resize is None and _plain_jpeg(data):  # the common case, checked without PIL
        return _url("image/jpeg", data), digest
    try:
        img = Image.open(io.BytesIO(data))
        fmt, mode = img.format, img.mode
        if resize is None and fmt in PASS_THROUGH and mode in ("RGB", "L"):
            img.verify()  # header/structure check only; cheap
            _check_complete(fmt, data)
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
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise ImageError(f"image: cannot decode ({type(e).__name__}: {e})") from None


def _url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _check_complete(fmt: str, data: bytes) -> None:
    """Catch files cut short (interrupted downloads) without decoding them: a JPEG ends with the
    end-of-image marker, a PNG with its IEND chunk (a little trailing junk is tolerated)."""
    tail = data[-2048:]
    if (fmt == "JPEG" and b"\xff\xd9" not in tail) or (fmt == "PNG" and b"IEND" not in tail):
        raise ImageError(f"image: truncated {fmt} (no end marker; the file was cut short)")


SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _plain_jpeg(data: bytes) -> bool:
    """A complete baseline/progressive JPEG with 1 (grey) or 3 (YCbCr) components: safe to send
    as is. Walks the marker segments up to the frame header; anything unusual returns False and
    PIL takes over (and reports what is wrong)."""
    if data[:3] != b"\xff\xd8\xff" or b"\xff\xd9" not in data[-2048:]:
        return False
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return False
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if marker in SOF_MARKERS:
            return i + 9 < n and data[i + 9] in (1, 3) and marker in (0xC0, 0xC1, 0xC2)
        if marker == 0xDA or length < 2:
            return False
        i += 2 + length
    return False
