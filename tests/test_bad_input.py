"""Bad input across the CLI: each case ends in one clear line and a nonzero exit where the run
cannot go on, or in a per-sample error record where it can; nothing done is lost."""
import errno
import io
from pathlib import Path

import pytest
from PIL import Image

from harness.backends.server import free_port
from harness.cli.main import main
from harness.store.rundir import RunDir

from conftest import SAMPLE_IMAGES
from fakeserver import FakeServer, chat_reply

TENCH = (SAMPLE_IMAGES / "n01440764_tench.JPEG").read_bytes()


def _jpeg(mode: str) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (40, 30), (10, 20, 30, 40)[: len(mode)] if mode != "L" else 99).save(
        buf, "JPEG")
    return buf.getvalue()


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(buf, "PNG")
    return buf.getvalue()


IMAGE_CASES = {
    "corrupt.jpg": (b"\xff\xd8\xff\xe0" + b"\x00garbage" * 50, "image: cannot decode"),
    "truncated.jpg": (TENCH[: len(TENCH) // 2], "image: truncated JPEG"),
    "empty.jpg": (b"", "image: empty file"),
    "text.jpg": (b"this is not an image\n", "image: cannot decode"),
    "photo.png": (_png(), None),
    "cmyk.jpg": (_jpeg("CMYK"), None),
    "grey.jpg": (_jpeg("L"), None),
    "good.jpg": (TENCH, None),
}


def test_image_files_each_get_an_answer_or_an_error_record(tmp_path, capsys):
    folder = tmp_path / "data" / "n01440764"
    folder.mkdir(parents=True)
    for name, (data, _) in IMAGE_CASES.items():
        (folder / name).write_bytes(data)
    (tmp_path / "list.csv").write_text("file,wnid\ndata/n01440764/good.jpg,n01440764\n"
                                       "data/n01440764/missing.jpg,n01440764\n")
    (tmp_path / "t.yaml").write_text("name: t\nsource: {type: manifest, path: list.csv}\n")
    with FakeServer(lambda b: (200, chat_reply("a tench"))) as srv:
        assert main(["run", "--task", "imagenet", "--data-dir", str(tmp_path / "data"),
                     "--model", "fake", "--base-url", srv.base_url, "--output-dir",
                     str(tmp_path / "runs")]) == 0
        sent = len(srv.requests) - 1
        assert main(["run", "--task", "t", "--tasks-dir", str(tmp_path), "--model", "fake",
                     "--base-url", srv.base_url, "--output-dir", str(tmp_path / "runs2")]) == 0
    recs = {r["id"].split("/")[-1]: r for r in
            RunDir(next((tmp_path / "runs").glob("*/*/*"))).read_dicts()}
    for name, (_, error) in IMAGE_CASES.items():
        rec = recs[Path(name).stem]
        assert (rec["error"] or "").startswith(error or "\0") if error else rec["error"] is None
    assert sent == 4  # only the usable images were sent
    missing = {r["id"]: r for r in RunDir(next((tmp_path / "runs2").glob("*/*/*"))).read_dicts()}
    assert missing["data/n01440764/missing"]["error"].startswith("image: cannot read")


def _one_line_error(capsys, rc, expected_rc, needle):
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == expected_rc, err
    assert err and err[-1].startswith("harness: error: ") and needle in err[-1], err


@pytest.mark.parametrize("args,needle", [
    (["--task", "imagenet-v3"], "unknown task 'imagenet-v3' (did you mean 'imagenet-v2'?); available: imagenet"),
    (["--prompt", "open-endd"], "unknown prompt 'open-endd' (did you mean 'open-ended'?)"),
    (["--task", "imagenet", "--data-dir", "/nonexistent/val"], "/nonexistent/val: ImageNet val"),
    (["--task", "imagenet-v2", "--data-dir", "/tmp"], "no ImageNetV2 folders"),
    (["--model", "other"], "model 'other' is not served"),
])
def test_bad_options_fail_with_one_line(args, needle, tmp_path, capsys):
    with FakeServer(lambda b: (200, chat_reply("x"))) as srv:
        rc = main(["run", "--model", "fake", "--base-url", srv.base_url, "--output-dir",
                   str(tmp_path), *args])
    _one_line_error(capsys, rc, 2, needle)


def test_empty_data_dir_and_server_problems(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    rc = main(["run", "--task", "imagenet", "--data-dir", str(tmp_path / "empty"),
               "--base-url", "http://127.0.0.1:9/v1", "--output-dir", str(tmp_path / "r")])
    _one_line_error(capsys, rc, 2, "no images found")
    url = f"http://127.0.0.1:{free_port()}/v1"
    rc = main(["run", "--model", "fake", "--base-url", url, "--output-dir", str(tmp_path / "r")])
    _one_line_error(capsys, rc, 2, f"cannot reach the server at {url}")
    with FakeServer(lambda b: (200, chat_reply("x"))) as srv:
        rc = main(["run", "--model", "fake", "--base-url", srv.base_url.replace("/v1", ""),
                   "--output-dir", str(tmp_path / "r")])
        _one_line_error(capsys, rc, 2, "answered 404: --base-url should be the API root")
    with FakeServer(lambda b: (401, {"error": {"message": "bad key"}})) as srv:
        rc = main(["run", "--model", "fake", "--base-url", srv.base_url, "--output-dir",
                   str(tmp_path / "r")])
        _one_line_error(capsys, rc, 2, "HTTP 401")
    assert not list(tmp_path.glob("r/**/run.json"))  # nothing half-made left behind
    _one_line_error(capsys, main(["run", "--limit", "-3"]), 2, "--limit: input should be greater")
    _one_line_error(capsys, main(["run", "--timeout", "0"]), 2, "--timeout")
    _one_line_error(capsys, main(["run", "--temperature", "-1"]), 2, "--temperature")
    _one_line_error(capsys, main(["run", "--max-retries", "-2"]), 2, "--max-retries")
    _one_line_error(capsys, main(["run", "--limit", "abc"]), 2, "--limit: input should be a valid")


def test_huge_answer_is_kept_and_parsed(tmp_path, capsys):
    big = "word " * 200_000 + "a tench"  # 1 MB
    with FakeServer(lambda b: (200, chat_reply(big if b["max_tokens"] > 1 else "ok"))) as srv:
        assert main(["run", "--model", "fake", "--base-url", srv.base_url, "--limit", "2",
                     "--output-dir", str(tmp_path)]) == 0
    recs = RunDir(next(tmp_path.glob("*/*/*"))).read_dicts()
    assert all(len(r["response"]) > 1_000_000 and r["pred_wnid"] == "n01440764" for r in recs)


def test_disk_full_stops_cleanly_and_resume_finishes(tmp_path, capsys, monkeypatch):
    real = RunDir.append
    calls = {"n": 0}

    def append(self, rec, flush=True):
        calls["n"] += 1
        if calls["n"] > 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, rec, flush)

    monkeypatch.setattr(RunDir, "append", append)
    with FakeServer(lambda b: (200, chat_reply("a tench"))) as srv:
        rc = main(["run", "--model", "fake", "--base-url", srv.base_url, "--limit", "20",
                   "--concurrency", "1", "--output-dir", str(tmp_path)])
        _one_line_error(capsys, rc, 2, "disk full")
        run = next(tmp_path.glob("*/*/*"))
        assert len(RunDir(run).read_dicts()) == 5
        monkeypatch.setattr(RunDir, "append", real)
        assert main(["run", "--resume", str(run)]) == 0
    recs = RunDir(run).read_dicts()
    assert len(recs) == 20 and len({r["id"] for r in recs}) == 20


def test_hand_edited_samples_jsonl_is_named_with_its_line(tmp_path, capsys):
    with FakeServer(lambda b: (200, chat_reply("a tench"))) as srv:
        assert main(["run", "--model", "fake", "--base-url", srv.base_url, "--limit", "5",
                     "--output-dir", str(tmp_path)]) == 0
        run = next(tmp_path.glob("*/*/*"))
        lines = (run / "samples.jsonl").read_text().splitlines()
        lines[2] = lines[2][:30] + " <- edited"
        (run / "samples.jsonl").write_text("\n".join(lines) + "\n")
        rc = main(["run", "--resume", str(run)])
    _one_line_error(capsys, rc, 2, "samples.jsonl: line 3 is not a sample record")
    rc = main(["score", str(run)])
    _one_line_error(capsys, rc, 2, "line 3")
    rc = main(["run", "--resume", str(tmp_path / "nope")])
    _one_line_error(capsys, rc, 2, "not a run directory")


def test_api_key_never_lands_on_disk(tmp_path, monkeypatch, capsys):
    secret = "sk-harness-test-7f3a9c1e5b"
    monkeypatch.setenv("HARNESS_API_KEY", secret)
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    with FakeServer(lambda b: (200, chat_reply("a tench"))) as srv:
        assert main(["run", "--model", "fake", "--base-url", srv.base_url, "--limit", "5",
                     "--cache", "--output-dir", str(tmp_path / "runs")]) == 0
        assert all({k.lower(): v for k, v in h.items()}["authorization"] == f"Bearer {secret}"
                   for h in srv.headers)
    assert main(["leaderboard", "build", str(tmp_path / "runs"), "--out",
                 str(tmp_path / "board")]) == 0
    out = capsys.readouterr()
    assert secret not in out.out + out.err
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "responses.sqlite" for p in files) and len(files) > 8
    for p in files:
        assert secret.encode() not in p.read_bytes(), p


def test_server_whose_model_takes_no_images_fails_before_the_run(tmp_path, capsys):
    def text_only(body):
        content = body["messages"][0]["content"]
        if isinstance(content, list) and any(p["type"] == "image_url" for p in content):
            return 400, {"error": {"message": "this model does not support image input"}}
        return 200, chat_reply("ok")

    with FakeServer(text_only) as srv:
        rc = main(["run", "--model", "fake", "--base-url", srv.base_url, "--output-dir",
                   str(tmp_path)])
        assert len(srv.requests) == 1  # the probe only: no sample was spent
    _one_line_error(capsys, rc, 2, "takes no images?): HTTP 400 this model does not support")


def test_credentials_in_the_base_url_are_refused(tmp_path, capsys):
    rc = main(["run", "--base-url", "http://user:sk-secret@127.0.0.1:9/v1", "--output-dir",
               str(tmp_path)])
    _one_line_error(capsys, rc, 2, "pass the key in HARNESS_API_KEY")
    assert not list(tmp_path.glob("**/run.json"))
