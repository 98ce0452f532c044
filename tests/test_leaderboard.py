"""Leaderboard build (verification, pairing, outputs), the page in real Chromium, and publishing."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.report.leaderboard import CSV_COLUMNS
from harness.store.rundir import safe_name
from harness.wordnet.graph import label_space

from conftest import REPO, SAMPLE_IMAGES
from fakeserver import FakeServer, chat_reply

HOSTILE = '<img src=x onerror=alert(1)>"><script>alert(2)</script>'
WNIDS = label_space("imagenet-1k").wnids
SECRET = "sk-test-SECRET-0123456789"


def _datasets(root: Path) -> tuple[Path, Path]:
    val, v2 = root / "val", root / "v2" / "imagenetv2-matched-frequency-format-val"
    for p in sorted(SAMPLE_IMAGES.iterdir())[:20]:
        wnid = p.name.split("_")[0]
        (val / wnid).mkdir(parents=True)
        shutil.copy(p, val / wnid / p.name)
        (v2 / str(WNIDS.index(wnid))).mkdir(parents=True)
        shutil.copy(p, v2 / str(WNIDS.index(wnid)) / "x.jpeg")
    return val, v2.parent


def _run(url, model, task, data, runs):
    assert main(["run", "--model", model, "--base-url", url, "--task", task, "--data-dir",
                 str(data), "--output-dir", str(runs), "--concurrency", "2"]) == 0
    real = "imagenet-v2-matched-frequency" if task == "imagenet-v2" else task
    return max((runs / real / safe_name(model)).iterdir())


@pytest.fixture(scope="module")
def board_runs(tmp_path_factory):
    """ImageNet + V2 runs for a hostile-named model and a normal one (fake server answers)."""
    root = tmp_path_factory.mktemp("lb")
    val, v2 = _datasets(root)
    runs = root / "runs"
    os.environ["HARNESS_API_KEY"] = SECRET
    try:
        with FakeServer(lambda b: (200, chat_reply("a tench")), models=[HOSTILE, "m2"]) as srv:
            made = {(m, t): _run(srv.base_url, m, t, d, runs)
                    for m in (HOSTILE, "m2") for t, d in (("imagenet", val), ("imagenet-v2", v2))}
    finally:
        del os.environ["HARNESS_API_KEY"]
    return root, runs, made


def test_build_verifies_pairs_and_writes_every_output(board_runs, tmp_path, capsys):
    root, runs, made = board_runs
    # a tampered copy, a partial one and one still running are reported and left out
    bad = tmp_path / "bad"
    for name, mangle in (("tampered", lambda p: p.joinpath("samples.jsonl").write_text(
                             p.joinpath("samples.jsonl").read_text().replace("tench", "dog"))),
                         ("running", lambda p: p.joinpath("results.json").unlink()),
                         ("corrupt", lambda p: p.joinpath("results.json").write_text("{")),
                         ("no-samples", lambda p: p.joinpath("samples.jsonl").unlink())):
        dst = bad / name / "imagenet" / "x" / "1"
        shutil.copytree(made[("m2", "imagenet")], dst)
        mangle(dst)
    out = tmp_path / "board"
    assert main(["leaderboard", "build", str(runs), str(bad), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "does not match samples_sha256" in err and "no results.json" in err
    assert "unreadable" in err and "samples.jsonl is missing" in err
    assert err.count("left out:") == 4
    assert {p.name for p in out.iterdir()} == {"README.md", "index.html", "results.csv",
                                               "results.json", "scatter.png"}
    board = json.loads((out / "results.json").read_text())
    measured = [r for r in board["rows"] if r["status"] == "measured"]
    assert {r["model"] for r in measured} == {HOSTILE, "m2"}
    row = measured[0]
    assert row["imagenet"]["value"] == pytest.approx(1 / 20)  # "a tench" is right once
    assert row["drop"]["value"] == pytest.approx(0.0) and "effective_robustness" in row
    assert any(r["model"] == "resnet50" and r["status"] == "published" for r in board["rows"])
    header = (out / "results.csv").read_text().splitlines()[0].split(",")
    assert header == CSV_COLUMNS
    readme = (out / "README.md").read_text()
    assert "<script>" not in readme and "&lt;script&gt;" in readme
    html = (out / "index.html").read_text()
    assert "<script>alert" not in html and "onerror=alert(1)>" not in html
    for f in out.iterdir():
        assert SECRET not in f.read_bytes().decode("latin-1")


def test_duplicate_runs_keep_the_newest(board_runs, tmp_path, capsys):
    root, runs, made = board_runs
    copy = tmp_path / "runs"
    shutil.copytree(runs, copy)
    old = made[("m2", "imagenet")]
    newer = copy / "imagenet" / "m2" / "29990101T000000Z"
    shutil.copytree(old, newer)
    res = json.loads((newer / "results.json").read_text())
    res["created"] = "2999-01-01T00:00:00+00:00"
    (newer / "results.json").write_text(json.dumps(res))
    assert main(["leaderboard", "build", str(copy), "--out", str(tmp_path / "b")]) == 0
    err = capsys.readouterr().err
    assert "duplicate" in err and "29990101T000000Z" in err.split("using the newest")[1]


def test_page_in_chromium_sorts_filters_plots_and_escapes(board_runs, tmp_path, capsys):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        if os.environ.get("CI"):
            pytest.fail("chromium missing: .ci/run must install it")
        pytest.skip("chromium not installed")
    root, runs, made = board_runs
    out = tmp_path / "board"
    assert main(["leaderboard", "build", str(runs), "--out", str(out)]) == 0
    board = json.loads((out / "results.json").read_text())
    dialogs = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto((out / "index.html").as_uri())
        rows = page.locator("#board tbody tr")
        assert rows.count() == len(board["rows"])
        models = rows.locator("td:first-child").all_text_contents()
        assert HOSTILE in models and page.locator("#board img, #board script").count() == 0
        page.click("th[data-key=imagenet]")
        first = [float(x) for x in page.locator("#board tbody tr td:nth-child(3)")
                 .evaluate_all("els => els.map(e => e.dataset.sort).filter(v => v !== '')")]
        assert first == sorted(first)
        page.click("th[data-key=imagenet]")
        again = page.locator("#board tbody tr td:nth-child(3)").evaluate_all(
            "els => els.map(e => e.dataset.sort).filter(v => v !== '')")
        assert [float(x) for x in again] == sorted(first, reverse=True)
        page.fill("#filter", "resnet")
        visible = [m for m, v in zip(rows.locator("td:first-child").all_text_contents(),
                                     rows.evaluate_all("rs => rs.map(r => !r.hidden)")) if v]
        assert visible and all("resnet" in m for m in visible)
        plotted = [r for r in board["rows"] if r.get("imagenet") and
                   r.get("v2_matched-frequency")]
        assert page.locator("#scatter g.point").count() == len(plotted)
        assert page.locator("#scatter g.point.measured").count() == 2
        page.fill("#filter", "")
        artifacts = REPO / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        page.screenshot(path=str(artifacts / "leaderboard.png"), full_page=True)
        browser.close()
    assert dialogs == []


def test_publish_to_a_local_bare_git_repo(board_runs, tmp_path, capsys, monkeypatch):
    root, runs, made = board_runs
    out = tmp_path / "board"
    assert main(["leaderboard", "build", str(runs), "--out", str(out)]) == 0
    bare = tmp_path / "site.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    monkeypatch.setenv("HF_TOKEN", SECRET)
    target = f"git+{bare.as_uri()}#gh-pages"
    assert main(["leaderboard", "publish", str(out), "--to", target]) == 0
    assert main(["leaderboard", "publish", str(out), "--to", target]) == 0  # no change: no-op
    assert "nothing changed" in capsys.readouterr().out
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "-b", "gh-pages", str(bare), str(clone)], check=True)
    assert (clone / "index.html").read_text() == (out / "index.html").read_text()
    log = subprocess.run(["git", "-C", str(clone), "log", "-p", "--all"], capture_output=True,
                         text=True).stdout
    assert SECRET not in log and log.count("commit ") == 1


def test_publish_to_hf_dry_run_and_upload_call(board_runs, tmp_path, capsys, monkeypatch):
    import huggingface_hub

    root, runs, made = board_runs
    out = tmp_path / "board"
    assert main(["leaderboard", "build", str(runs), "--out", str(out)]) == 0
    assert main(["leaderboard", "publish", str(out), "--to", "hf://datasets/org/board",
                 "--dry-run"]) == 0
    assert "would upload to dataset org/board: README.md, index.html" in capsys.readouterr().out
    calls = []

    def fake_upload(self, **kw):  # the network call itself; everything before it is real
        staged = Path(kw["folder_path"])
        calls.append({**kw, "token": self.token,
                      "readme": (staged / "README.md").read_text()[:40]})

    monkeypatch.setattr(huggingface_hub.HfApi, "upload_folder", fake_upload)
    monkeypatch.setenv("HF_TOKEN", SECRET)
    assert main(["leaderboard", "publish", str(out), "--to", "hf://spaces/org/board"]) == 0
    (call,) = calls
    assert call["repo_id"] == "org/board" and call["repo_type"] == "space"
    assert call["token"] == SECRET and call["readme"].startswith("---\ntitle: board\nsdk: static")
    assert SECRET not in capsys.readouterr().out
    assert main(["leaderboard", "publish", str(out), "--to", "s3://bucket"]) == 2
