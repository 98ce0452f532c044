"""Images as sent to a server: the original bytes as a base64 data URL (no decode/re-encode),
unless a resize is asked for or the format/colour mode is one servers commonly reject (CMYK,
palette, WebP...), which is converted to RGB JPEG. Unusable files raise ImageError.

Image files are untrusted input: every failure of a decoder (PIL raises many kinds for crafted
files) is an ImageError, recorded for that sample as `image: ...`. The size is checked from the
header, before any pixel is decoded or the bytes are sent (a server decodes them too), against
MAX_PIXELS, which is the harness's own limit: it holds whatever another library has set
PIL.Image.MAX_IMAGE_PIXELS to.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import re
import warnings
from typing import Iterator

from PIL import Image

PASS_THROUGH = {"JPEG": "image/jpeg", "PNG": "image/png"}
# PIL's default: ~9459 x 9459. ImageNet photos are ~0.2 MP; a header claiming more than this is a
# decompression bomb (tiny file, gigabytes once decoded) or a file no VLM server would take.
MAX_PIXELS = 89_478_485


class ImageError(Exception):
    """The sample's image cannot be sent; recorded per sample as `image: ...`."""


def image_data_url(data: bytes, resize: int | None = None,
                   digest: str | None = None) -> tuple[str, str]:
    """(data URL, sha256 of the original bytes). Raises ImageError for unusable files."""
    digest = digest or hashlib.sha256(data).hexdigest()
    if not data:
        raise ImageError("image: empty file")
    frame = _plain_jpeg(data) if resize is None else None
    if frame is not None:  # the common case, checked without PIL
        _check_pixels(*frame)
        return _url("image/jpeg", data), digest
    with _decoding():
        img = open_image(data)
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


def decode_image(data: bytes) -> Image.Image:
    """The whole image decoded to RGB under the same limits, or ImageError: for checks
    (`harness validate`) and for backends that take pixels rather than files."""
    if not data:
        raise ImageError("image: empty file")
    with _decoding():
        img = open_image(data)
        img.load()
        return img.convert("RGB")


def open_image(data: bytes) -> Image.Image:
    """PIL's lazy open (header only), refused if the header claims more than MAX_PIXELS."""
    with warnings.catch_warnings():  # PIL warns between its limit and twice it: we refuse
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        img = Image.open(io.BytesIO(data))
    _check_pixels(img.width, img.height)
    return img


@contextlib.contextmanager
def _decoding() -> Iterator[None]:
    """Any decoder failure on untrusted bytes becomes an ImageError (crafted files make PIL
    raise struct.error, EOFError, IndexError, ... as well as OSError)."""
    try:
        yield
    except ImageError:
        raise
    except Image.DecompressionBombError as e:  # over twice PIL's limit: PIL refuses first
        pixels = re.search(r"\((\d+) pixels\)", str(e))
        raise ImageError(_too_large(f"{pixels.group(1)} pixels" if pixels else
                                    "more pixels than PIL allows")) from None
    except Exception as e:  # noqa: BLE001 - see the docstring
        raise ImageError(f"image: cannot decode ({type(e).__name__}: {e})") from None


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ImageError(_too_large(f"{width}x{height} pixels"))


def _too_large(size: str) -> str:
    return (f"image: too large ({size}, more than the {MAX_PIXELS}-pixel limit: a "
            "decompression bomb or not a photo)")


def _url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _check_complete(fmt: str, data: bytes) -> None:
    """Catch files cut short (interrupted downloads) without decoding them: a JPEG ends with the
    end-of-image marker, a PNG with its IEND chunk (a little trailing junk is tolerated)."""
    tail = data[-2048:]
    if (fmt == "JPEG" and b"\xff\xd9" not in tail) or (fmt == "PNG" and b"IEND" not in tail):
        raise ImageError(f"image: truncated {fmt} (no end marker; the file was cut short)")


SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _plain_jpeg(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a complete baseline/progressive JPEG with 1 (grey) or 3 (YCbCr)
    components: safe to send as is. Walks the marker segments up to the frame header; anything
    unusual returns None and PIL takes over (and reports what is wrong)."""
    if data[:3] != b"\xff\xd8\xff" or b"\xff\xd9" not in data[-2048:]:
        return None
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if marker in SOF_MARKERS:
            if i + 9 < n and data[i + 9] in (1, 3) and marker in (0xC0, 0xC1, 0xC2):
                height = int.from_bytes(data[i + 5:i + 7], "big")
                width = int.from_bytes(data[i + 7:i + 9], "big")
                return (width, height) if width and height else None
            return None
        if marker == 0xDA or length < 2:
            return None
        i += 2 + length
    return None
