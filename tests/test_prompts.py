import base64
import io

import pytest
from PIL import Image

from harness.prompts.images import ImageError, image_data_url
from harness.prompts.prompt import PromptError, load_prompt

from conftest import SAMPLE_IMAGES


def _decode(url: str) -> bytes:
    return base64.b64decode(url.split(",", 1)[1])


def test_open_ended_prompt_is_zhang_et_al_question():
    p = load_prompt("open-ended")
    msgs = p.render("data:image/jpeg;base64,AAAA")
    assert msgs == [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAAA"}},
        {"type": "text", "text": "What type of object is in this photo?"}]}]


def test_jpeg_bytes_are_sent_unchanged():
    data = next(SAMPLE_IMAGES.iterdir()).read_bytes()
    url, digest = image_data_url(data)
    assert url.startswith("data:image/jpeg;base64,") and _decode(url) == data
    assert len(digest) == 64


def _encode(mode: str, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (20, 10), 128 if mode == "L" else None).save(buf, fmt)
    return buf.getvalue()


def test_greyscale_png_passes_cmyk_is_converted_resize_reencodes():
    grey = _encode("L", "PNG")
    url, _ = image_data_url(grey)
    assert url.startswith("data:image/png;base64,") and _decode(url) == grey
    url, _ = image_data_url(_encode("CMYK", "JPEG"))
    assert Image.open(io.BytesIO(_decode(url))).mode == "RGB"
    url, _ = image_data_url(_encode("RGB", "JPEG"), resize=5)
    assert Image.open(io.BytesIO(_decode(url))).size == (10, 5)


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\xff\xd8\xff\xe0garbage"])
def test_unusable_images_raise_image_error(data):
    with pytest.raises(ImageError, match="^image: "):
        image_data_url(data)


def test_unknown_prompt_lists_available():
    with pytest.raises(PromptError, match="unknown prompt 'nope'.*open-ended"):
        load_prompt("nope")
