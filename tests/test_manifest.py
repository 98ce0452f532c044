"""One run manifest: --resume takes harmless options, refuses result-changing ones, and the
prompt that was sent is the prompt that is recorded and resumed (issue: one run manifest)."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.manifest import RunOptions

from fakeserver import FakeServer, chat_reply, fails_after

PROMPT = """name: open-ended
text: "Name the single main object in this picture, in two words."
"""


def _run_dir(runs):
    (run,) = runs.glob("*/*/*/run.json")
    return run.parent


def _texts(srv):
    """The text part of every sample request the server received (the probe excluded)."""
    return [p["text"] for b in srv.requests if b["max_tokens"] > 1
            for p in b["messages"][-1]["content"] if p["type"] == "text"]


def test_prompt_file_is_sent_and_recorded_by_content(tmp_path, capsys):
    path = tmp_path / "elsewhere" / "open-ended.yaml"  # same name as the built-in prompt
    path.parent.mkdir()
    path.write_text(PROMPT)
    with FakeServer(lambda b: (200, chat_reply("a tench"))) as srv:
        assert main(["run", "--model", "fake", "--base-url", srv.base_url, "--limit", "3",
                     "--prompt", str(path), "--output-dir", str(tmp_path / "runs")]) == 0
    assert set(_texts(srv)) == {"Name the single main object in this picture, in two words."}
    manifest = json.loads((_run_dir(tmp_path / "runs") / "run.json").read_text())
    content = manifest["prompt_content"]
    assert content["text"].startswith("Name the single main object") and len(content["sha256"]) == 64
    assert content["source"] == str(path)


def test_unique_prompt_file_name_runs(tmp_path, capsys):
    path = tmp_path / "my-only-prompt-7f3a.yaml"
    path.write_text(PROMPT)
    with FakeServer(lambda b: (200, chat_reply("a tench"))) as srv:
        assert main(["run", "--model", "fake", "--base-url", srv.base_url, "--limit", "2",
                     "--prompt", str(path), "--output-dir", str(tmp_path / "runs")]) == 0
    assert len(_texts(srv)) == 2


def _interrupted_run(tmp_path, srv, *extra):
    """A run whose last samples failed at the server: incomplete, resumable."""
    rc = main(["run", "--model", "fake", "--base-url", srv.base_url, "--limit", "6",
               "--max-retries", "0", "--concurrency", "1", "--output-dir",
               str(tmp_path / "runs"), *extra])
    assert rc == 1
    return _run_dir(tmp_path / "runs")


def test_resume_takes_a_new_base_url_and_records_it(tmp_path, capsys):
    with FakeServer(fails_after(3)) as old, FakeServer(lambda b: (200, chat_reply("a goldfish"))
                                                         ) as new:
        run = _interrupted_run(tmp_path, old)
        assert main(["run", "--resume", str(run), "--base-url", new.base_url,
                     "--concurrency", "2"]) == 0
        assert len(_texts(new)) == 3  # the three failed samples, asked at the new URL
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["base_url"] == new.base_url and manifest["concurrency"] == 2
    (change,) = manifest["resumes"]
    assert change["changed"]["base_url"] == [old.base_url, new.base_url]
    recs = [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]
    assert len({r["id"] for r in recs}) == 6


@pytest.mark.parametrize("flag,value,stored", [("--prompt", "multiple-choice", "open-ended"),
                                               ("--max-tokens", "8", "64"),
                                               ("--seed", "3", "0"), ("--image-size", "32", "None")])
def test_resume_refuses_an_option_that_changes_results(tmp_path, capsys, flag, value, stored):
    with FakeServer(fails_after(3)) as srv:
        run = _interrupted_run(tmp_path, srv)
        before = (run / "samples.jsonl").read_text()
        capsys.readouterr()
        assert main(["run", "--resume", str(run), flag, value]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and flag in err and stored in err
    assert (run / "samples.jsonl").read_text() == before  # nothing was redone


def test_prompt_file_edited_between_kill_and_resume_is_refused(tmp_path, capsys):
    path = tmp_path / "p.yaml"
    path.write_text(PROMPT)
    with FakeServer(fails_after(3)) as srv:
        run = _interrupted_run(tmp_path, srv, "--prompt", str(path))
        path.write_text(PROMPT.replace("two words", "one word"))
        capsys.readouterr()
        assert main(["run", "--resume", str(run)]) == 2
        err = capsys.readouterr().err
        assert "prompt file changed" in err and str(path) in err
        path.write_text(PROMPT)  # restored: the resume goes on with the recorded prompt
        assert main(["run", "--resume", str(run)]) == 1  # the server still fails the rest
    assert set(_texts(srv)) == {"Name the single main object in this picture, in two words."}


def test_every_run_option_is_defined_once_with_help_and_default():
    from harness.cli.main import build_parser

    help_text = build_parser()._subparsers._group_actions[0].choices["run"].format_help()
    for name, field in RunOptions.model_fields.items():
        assert field.description, name
        flag = (field.json_schema_extra or {}).get("flag") or "--" + name.replace("_", "-")
        assert flag in help_text, flag
    assert "(default: 64)" in help_text and "(default: 32)" in help_text
    # no other module gives a run option a default of its own
    pattern = re.compile(r"\b(max_tokens|concurrency|timeout_s|max_retries|retry_budget|"
                         r"max_outage_s|temperature|seed)\s*:\s*[\w |]+=\s*-?\d")
    offenders = [f"{p}: {m.group(0)}" for p in Path("harness").rglob("*.py")
                 if p.name not in ("manifest.py", "fixtures.py")  # fixtures: model-build seeds
                 for m in pattern.finditer(p.read_text())]
    assert not offenders, offenders


def test_label_error_is_one_line_and_a_bug_is_a_traceback(tmp_path, capsys, monkeypatch):
    (tmp_path / "t.yaml").write_text("name: t\nlabel_space: imagenet-22k\nsource:\n  type: "
                                     "class-folders\n  path: data\n")
    assert main(["run", "--task", "t", "--tasks-dir", str(tmp_path), "--model", "fake",
                 "--base-url", "http://127.0.0.1:9/v1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("harness: error:") and "unknown label space" in err
    assert len(err.splitlines()) == 1
    (tmp_path / "data" / "not a class at all").mkdir(parents=True)
    (tmp_path / "t.yaml").write_text("name: t\nsource:\n  type: class-folders\n  path: data\n")
    assert main(["validate", "t", "--tasks-dir", str(tmp_path)]) == 1
    code = ("import harness.runs.plan as p\n"
            "def boom(*a, **k): raise ZeroDivisionError('injected')\n"
            "p.new_run = boom\nimport harness.runs.run as r; r.new_run = boom\n"
            "from harness.cli.main import main; raise SystemExit(main(['run', '--model', 'x', "
            "'--base-url', 'http://127.0.0.1:9/v1']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 3
    assert "Traceback" in proc.stderr and "ZeroDivisionError: injected" in proc.stderr
    assert "please report" in proc.stderr
