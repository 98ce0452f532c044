"""Hostile inputs (issue 15): colliding file names, prompt templates that try to run code, and
image files that are bombs, cut short, unreadable, not files at all or not named in UTF-8.

Each case goes through `harness run` (or `harness validate` / `harness prompts`) the way a user
meets it, and asserts what the user would notice: one line per sample in samples.jsonl, the
error each bad sample gets, the exit code, the one-line message, and that the run ends in time.
"""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
import yaml

from harness.cli.main import main
from harness.prompts.images import MAX_PIXELS, ImageError, image_data_url
from harness.prompts.prompt import Prompt, PromptError, parse_prompt

from conftest import SAMPLE_IMAGES

TENCH = (SAMPLE_IMAGES / "n01440764_tench.JPEG").read_bytes()
BRAMBLING = (SAMPLE_IMAGES / "n01530575_brambling.JPEG").read_bytes()
RUN_BOUND_S = 120  # a handful of images against the tiny server take a few seconds


# ---------------------------------------------------------------------------------- helpers

def _harness(*args: str, timeout: float = RUN_BOUND_S) -> tuple[subprocess.CompletedProcess,
                                                                   float]:
    """The CLI in a child process (a hang cannot take the test suite with it), and its time."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True,
                          text=True, timeout=timeout)
    return proc, time.monotonic() - start


def _run_args(server, model: str, out: Path, *extra: str) -> list[str]:
    return ["run", "--model", model, "--base-url", server.base_url, "--max-tokens", "4",
            "--concurrency", "2", "--output-dir", str(out), *extra]


def _records(stdout: str) -> list[dict]:
    run = Path(stdout.strip().splitlines()[-1])
    return [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]


def _manifest_task(tmp_path: Path, rows: str, header: str = "file,wnid") -> Path:
    """A task `t` in tmp_path whose manifest lists `rows`; returns the tasks folder."""
    (tmp_path / "labels.csv").write_text(f"{header}\n{rows}")
    (tmp_path / "t.yaml").write_text("name: t\nsource: {type: manifest, path: labels.csv}\n")
    return tmp_path


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (a decompression bomb as far as any decoder can
    tell before it allocates the pixels), with a valid CRC so only the size is wrong."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def _jpeg_claiming(width: int, height: int) -> bytes:
    """The tench JPEG with its frame header rewritten to claim width x height."""
    i = TENCH.index(b"\xff\xc0")
    return TENCH[:i + 5] + struct.pack(">HH", height, width) + TENCH[i + 9:]


# ---------------------------------------------------------------------------- 1. sample ids

@pytest.mark.slow
def test_same_file_name_in_two_folders_is_two_samples(tiny_server, tiny_llava, tmp_path):
    for folder, data in (("cat", TENCH), ("bird", BRAMBLING)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "001.jpg").write_bytes(data)
    tasks = _manifest_task(tmp_path, "cat/001.jpg,n01440764\nbird/001.jpg,n01530575\n")
    proc, _ = _harness(*_run_args(tiny_server, tiny_llava, tmp_path / "runs", "--task", "t",
                                  "--tasks-dir", str(tasks)))
    assert proc.returncode == 0, proc.stderr
    recs = _records(proc.stdout)
    assert sorted(r["id"] for r in recs) == ["bird/001", "cat/001"]
    assert all(r["error"] is None for r in recs)
    res = json.loads((Path(proc.stdout.strip().splitlines()[-1]) / "results.json").read_text())
    assert res["n"] == 2


@pytest.mark.parametrize("rows,header,named", [
    ("a.jpg,x,n01440764\nb.jpg,x,n01440764\n", "file,id,wnid", ("a.jpg", "b.jpg")),
    ("a.jpg,n01440764\n./a.jpg,n01440764\n", "file,wnid", ("'a.jpg'", "a.jpg and ")),
])
def test_duplicate_ids_are_one_line_in_run_and_validate(tmp_path, capsys, rows, header, named):
    for name in ("a.jpg", "b.jpg"):
        (tmp_path / name).write_bytes(TENCH)
    tasks = _manifest_task(tmp_path, rows, header)
    rc = main(["run", "--task", "t", "--tasks-dir", str(tasks), "--model", "m", "--base-url",
               "http://127.0.0.1:9/v1", "--output-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "duplicate sample id" in err[0], err
    assert all(n in err[0] for n in named) and "labels.csv" in err[0]
    assert not (tmp_path / "runs").exists()  # refused before a run dir was made
    assert main(["validate", "t", "--tasks-dir", str(tasks)]) == 1
    out = capsys.readouterr().out
    assert "duplicate sample id" in out and "valid\n" not in out


@pytest.mark.parametrize("content,needle", [
    (b"file,wnid\ncaf\xe9.jpg,n01440764\n", "labels.csv:2: not UTF-8 text"),
    (b"id,file,wnid\n,a.jpg,n01440764\n", "labels.csv: row 1 has an empty `id`"),
    (b"file,wnid\n,n01440764\n", "labels.csv: row 1 names no image in `file`"),
])
def test_unusable_manifest_rows_are_one_line(tmp_path, capsys, content, needle):
    tasks = _manifest_task(tmp_path, "")
    (tmp_path / "labels.csv").write_bytes(content)
    rc = main(["run", "--task", "t", "--tasks-dir", str(tasks), "--model", "m", "--base-url",
               "http://127.0.0.1:9/v1", "--output-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and needle in err[0], err


def test_manifest_id_column_and_extension_clashes_give_unique_ids(tmp_path):
    from harness.tasks.sources import load_class_folders, load_manifest

    (tmp_path / "n01440764").mkdir()
    for name in ("a.jpg", "a.png", "b.jpg"):
        (tmp_path / "n01440764" / name).write_bytes(TENCH)
    ids = [s.id for s in load_class_folders(tmp_path)]
    assert ids == ["n01440764/a.jpg", "n01440764/a.png", "n01440764/b"]
    (tmp_path / "m.csv").write_text("id,file,wnid\nfirst,n01440764/a.jpg,n01440764\n"
                                    "second,n01440764/a.png,n01440764\n")
    assert [s.id for s in load_manifest(tmp_path / "m.csv")] == ["first", "second"]


def test_two_folders_for_one_imagenetv2_class_are_refused_naming_both(tmp_path):
    from harness.tasks.sources import DataError, load_imagenetv2

    for folder in ("10", "010"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.jpeg").write_bytes(TENCH)
    with pytest.raises(DataError) as e:
        load_imagenetv2(tmp_path)
    msg = str(e.value)
    assert "duplicate sample id '10/x" in msg and "/010/x.jpeg" in msg and "/10/x.jpeg" in msg


def test_streamed_samples_are_checked_as_they_come():
    from harness.tasks.sample import Sample, unique
    from harness.tasks.sources import DataError

    stream = unique((Sample(i, "n01440764", Path(f"/d/{n}.jpg")) for n, i in
                     enumerate(["a", "b", "a"])), "hf:some/dataset")
    assert [next(stream).id, next(stream).id] == ["a", "b"]  # no need to read the whole stream
    with pytest.raises(DataError, match=r"^hf:some/dataset: duplicate sample id 'a' for "
                                        r"/d/0\.jpg and /d/2\.jpg"):
        next(stream)


# -------------------------------------------------------------------------- 2. prompt code

def _payloads(marker: Path) -> dict[str, str]:
    cmd = f"touch {marker}"
    return {
        "mro": "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == "
               "'catch_warnings' %}{{ c()._module.__builtins__['__import__']('os').system('"
               + cmd + "') }}{% endif %}{% endfor %}",
        "cycler": "{{ cycler.__init__.__globals__.os.system('" + cmd + "') }}",
        "self": "{{ self.__init__.__globals__.__builtins__.__import__('os').system('" + cmd +
                "') }}",
        "format": "{{ '{0.__class__.__mro__}'.format(sample_id) }}",
        "attr": "{{ sample_id|attr('__class__') }}",
        # CVE-2025-27516 (jinja2 < 3.1.6): str.format fetched through |attr escaped the sandbox
        "attr-format": "{{ ('{0.__class__.__mro__}'|attr('format'))(sample_id) }}",
        "mutate": "{% set o = options %}{{ o.append(1) }}",
    }


def _hostile_prompts(folder: Path, marker: Path) -> dict[str, Path]:
    folder.mkdir(exist_ok=True)
    out = {}
    for name, text in _payloads(marker).items():
        out[name] = folder / f"evil-{name}.yaml"
        out[name].write_text(yaml.safe_dump({"text": f"What is this? {text}"}))
    return out


def test_hostile_prompt_cannot_run_code_when_loaded_or_rendered(tmp_path):
    marker = tmp_path / "PWNED"
    for name, path in _hostile_prompts(tmp_path / "p", marker).items():
        with pytest.raises(PromptError) as e:
            parse_prompt(path)
        assert str(path) in str(e.value) and "\n" not in str(e.value), name
        raw = yaml.safe_load(path.read_text())
        with pytest.raises(PromptError) as e:  # a Prompt made in Python is rendered safely too
            Prompt(name=name, text=raw["text"], path=path).render("data:,", sample_id="s")
        assert str(path) in str(e.value), name
    assert not marker.exists()


def test_hostile_prompt_through_run_and_prompts_is_one_line(tmp_path, capsys):
    marker = tmp_path / "PWNED"
    prompts = _hostile_prompts(tmp_path / "p", marker)
    for name, path in prompts.items():
        rc = main(["run", "--prompt", path.stem, "--prompts-dir", str(path.parent), "--model",
                   "m", "--base-url", "http://127.0.0.1:9/v1", "--limit", "2", "--output-dir",
                   str(tmp_path / "runs")])
        err = capsys.readouterr().err.strip().splitlines()
        assert rc == 2 and len(err) == 1 and str(path) in err[0], (name, err)
    assert main(["prompts", "--json", "--prompts-dir", str(tmp_path / "p")]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert all(str(p) in rows[p.stem]["error"] for p in prompts.values())
    assert rows["open-ended"].get("error") is None  # the shipped prompts still load
    assert not marker.exists() and not (tmp_path / "runs").exists()


def test_prompt_sees_only_the_documented_variables(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("text: 'Name it ({{ sample_id }}) {{ range(3)|list }}'\n")
    with pytest.raises(PromptError, match=f"{path}.*range"):
        parse_prompt(path)
    ok = Prompt(name="ok", text="id={{ sample_id }}", path=path)
    msgs = ok.render("data:,", sample_id="s1", secret="x")
    assert msgs[0]["content"][1]["text"] == "id=s1"
    leak = Prompt(name="leak", text="{{ secret }}", path=path)
    with pytest.raises(PromptError, match=f"{path}: template needs 'secret'"):
        leak.render("data:,", sample_id="s1", secret="x")


def test_template_errors_name_the_prompt_file(tmp_path):
    cases = {"syntax": "{{ sample_id ", "index": "{{ options[9].name }}",
             "huge": "{{ 'x' * 10 ** 12 }}"}
    for name, text in cases.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump({"text": text, "choices": {"k": 4}}))
        with pytest.raises(PromptError) as e:
            parse_prompt(path)
        assert str(e.value).startswith(f"{path}: ") and "\n" not in str(e.value), name


# ------------------------------------------------------------------------------- 3. images

def test_huge_or_special_files_are_refused_before_reading(tmp_path):
    from harness.tasks.sample import MAX_IMAGE_BYTES, Sample

    big = tmp_path / "huge.jpg"
    with open(big, "wb") as f:  # sparse: costs no disk
        f.truncate(MAX_IMAGE_BYTES + 1)
    with pytest.raises(OSError, match="more than the .*-byte limit"):
        Sample("huge", "n01440764", big).read_bytes()
    with pytest.raises(OSError, match="not a regular file: character device"):
        Sample("zero", "n01440764", Path("/dev/zero")).read_bytes()


def test_decompression_bombs_are_refused_before_decoding():
    assert MAX_PIXELS == 89_478_485  # the limit is the harness's, stated, not PIL's global
    for data in (_png_header(20_000, 20_000), _png_header(10_000, 9_000),
                 _jpeg_claiming(30_000, 30_000)):
        with pytest.raises(ImageError, match=r"^image: too large \(") as e:
            image_data_url(data)
        assert "pixels" in str(e.value) and str(89_478_485) in str(e.value)
    url, _ = image_data_url(_jpeg_claiming(500, 375))  # an honest header still passes
    assert url.startswith("data:image/jpeg;base64,")


@pytest.mark.slow
def test_bombs_truncated_empty_and_non_files_are_image_records(tiny_server, tiny_llava,
                                                              tmp_path):
    folder = tmp_path / "data" / "n01440764"
    folder.mkdir(parents=True)
    cases = {  # file name -> the error its record must start with (None: answered)
        "good.JPEG": None,
        "bomb.png": "image: too large (400000000 pixels",
        "bomb-warn.png": "image: too large (10000x9000 pixels",
        "jpeg-bomb.jpg": "image: too large (30000x30000 pixels",
        "truncated.jpg": "image: truncated JPEG",
        "empty.jpg": "image: empty file",
        "fifo.jpg": "image: cannot read (not a regular file: FIFO)",
        "folder.jpg": "image: cannot read (not a regular file: directory)",
        "loop.jpg": "image: cannot read (Too many levels of symbolic links)",
        "dangling.jpg": "image: cannot read (No such file or directory)",
    }
    (folder / "good.JPEG").write_bytes(TENCH)
    (folder / "bomb.png").write_bytes(_png_header(20_000, 20_000))
    (folder / "bomb-warn.png").write_bytes(_png_header(10_000, 9_000))
    (folder / "jpeg-bomb.jpg").write_bytes(_jpeg_claiming(30_000, 30_000))
    (folder / "truncated.jpg").write_bytes(TENCH[: len(TENCH) // 2])
    (folder / "empty.jpg").write_bytes(b"")
    os.mkfifo(folder / "fifo.jpg")
    (folder / "folder.jpg").mkdir()
    os.symlink("loop.jpg", folder / "loop.jpg")
    os.symlink("nowhere.jpg", folder / "dangling.jpg")
    proc, took = _harness(*_run_args(tiny_server, tiny_llava, tmp_path / "runs", "--task",
                                     "imagenet", "--data-dir", str(tmp_path / "data")))
    assert proc.returncode == 0, proc.stderr
    assert took < RUN_BOUND_S
    recs = {r["id"]: r for r in _records(proc.stdout)}
    assert len(recs) == len(cases)  # every entry is a line: nothing skipped, nothing twice
    for name, error in cases.items():
        rec = recs[f"n01440764/{Path(name).stem}"]
        if error is None:
            assert rec["error"] is None and rec["response"], name
        else:
            assert rec["error"].startswith(error), (name, rec["error"])


@pytest.mark.slow
def test_fifo_listed_in_a_manifest_does_not_hang_the_run(tiny_server, tiny_llava, tmp_path):
    (tmp_path / "good.jpg").write_bytes(TENCH)
    os.mkfifo(tmp_path / "pipe.jpg")
    tasks = _manifest_task(tmp_path, "good.jpg,n01440764\npipe.jpg,n01440764\n")
    proc, took = _harness(*_run_args(tiny_server, tiny_llava, tmp_path / "runs", "--task", "t",
                                     "--tasks-dir", str(tasks)), timeout=RUN_BOUND_S)
    assert proc.returncode == 0, proc.stderr
    assert took < RUN_BOUND_S
    recs = {r["id"]: r for r in _records(proc.stdout)}
    assert len(recs) == 2 and recs["good"]["error"] is None
    assert recs["pipe"]["error"] == "image: cannot read (not a regular file: FIFO)"


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_image_is_a_record(tiny_server, tiny_llava, tmp_path):
    folder = tmp_path / "data" / "n01440764"
    folder.mkdir(parents=True)
    (folder / "good.jpg").write_bytes(TENCH)
    (folder / "locked.jpg").write_bytes(TENCH)
    (folder / "locked.jpg").chmod(0)
    proc, _ = _harness(*_run_args(tiny_server, tiny_llava, tmp_path / "runs", "--task",
                                  "imagenet", "--data-dir", str(tmp_path / "data")))
    assert proc.returncode == 0, proc.stderr
    recs = {r["id"]: r for r in _records(proc.stdout)}
    assert recs["n01440764/locked"]["error"] == "image: cannot read (Permission denied)"


@pytest.mark.slow
def test_file_names_not_in_utf8_are_named_not_crashed_on(tiny_server, tiny_llava, tmp_path):
    data = tmp_path / "data"
    folder = os.path.join(os.fsencode(data), b"n01440764")
    os.makedirs(folder)
    with open(os.path.join(folder, b"caf\xe9.jpg"), "wb") as f:
        f.write(TENCH)
    with open(os.path.join(folder, b"bad\xff.jpg"), "wb") as f:
        f.write(b"not an image")
    proc, _ = _harness(*_run_args(tiny_server, tiny_llava, tmp_path / "runs", "--task",
                                  "imagenet", "--data-dir", str(data)))
    assert proc.returncode == 0, proc.stderr
    recs = {r["id"]: r for r in _records(proc.stdout)}
    assert set(recs) == {"n01440764/caf\\xe9", "n01440764/bad\\xff"}
    assert recs["n01440764/caf\\xe9"]["error"] is None
    assert recs["n01440764/bad\\xff"]["error"].startswith("image: cannot decode")
    # resuming finds the same ids: nothing is evaluated twice
    run = proc.stdout.strip().splitlines()[-1]
    proc, _ = _harness("run", "--resume", run)
    assert proc.returncode == 0, proc.stderr
    assert len(_records(proc.stdout)) == 2


def test_validate_names_non_utf8_files_and_folders(tmp_path):
    data = os.fsencode(tmp_path / "data")
    os.makedirs(os.path.join(data, b"n01440764"))
    with open(os.path.join(data, b"n01440764", b"x\xff.jpg"), "wb") as f:
        f.write(b"not an image")
    proc, _ = _harness("validate", "imagenet", "--data-dir", os.fsdecode(data))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "n01440764/x\\xff.jpg: cannot open image" in proc.stdout
    os.makedirs(os.path.join(data, b"n0144\xe9"))
    proc, _ = _harness("validate", "imagenet", "--data-dir", os.fsdecode(data))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "n0144\\xe9: folder name is not an ImageNet-1k wnid" in proc.stdout
