"""New tasks and prompts added by writing files only: user folders, an installed package with an
entry point, Python tasks, and what happens when a plugin is broken. The docs' examples run here."""
import json
import re
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from harness.cli.main import main

from conftest import REPO, SAMPLE_IMAGES
from fakeserver import FakeServer, chat_reply

DOCS = REPO / "docs"


def doc_files(doc: str) -> dict[str, str]:
    """Code blocks of a doc page that start with `# file: NAME`."""
    out = {}
    for block in re.findall(r"```(?:yaml|python)\n(.*?)```", (DOCS / doc).read_text(), re.S):
        first, _, rest = block.partition("\n")
        if first.startswith("# file: "):
            out[first[len("# file: "):].strip()] = rest
    return out


@pytest.fixture
def user_tasks(tmp_path):
    """The docs' task files in a folder, with photos under class-name and wnid folders."""
    folder = tmp_path / "my_tasks"
    folder.mkdir()
    for name, text in doc_files("writing-a-task.md").items():
        (folder / name).write_text(text)
    photos = folder / "photos"
    for label, src in (("tabby cat", "n02123045"), ("n02088364", "n02088364"),
                       ("Golden Retriever", "n02099601")):
        (photos / label).mkdir(parents=True)
        img = next(SAMPLE_IMAGES.glob("*.JPEG"))
        for k in range(2):
            shutil.copy(img, photos / label / f"{src}_{k}.jpg")
    (folder / "labels.csv").write_text("file,label\nphotos/tabby cat/n02123045_0.jpg,tabby\n"
                                       "photos/n02088364/n02088364_0.jpg,beagles\n")
    return folder


def _out(capsys) -> str:
    return capsys.readouterr().out


def test_docs_examples_are_listed_validated_and_resolved(user_tasks, capsys):
    assert main(["tasks", "--tasks-dir", str(user_tasks), "--json"]) == 0
    cat = json.loads(_out(capsys))
    names = {t["name"]: t for t in cat["tasks"]}
    assert names["my-pets"]["origin"].startswith("--tasks-dir") and names["my-pets"]["size"] is None
    assert names["my-manifest"]["origin"].endswith("my_manifest_task.py")
    assert names["imagenet-sample"]["origin"].startswith("built-in") and not cat["problems"]
    assert main(["validate", "my-pets", "--tasks-dir", str(user_tasks)]) == 0
    assert "valid" in _out(capsys)
    assert main(["validate", "my-manifest", "--tasks-dir", str(user_tasks), "--json"]) == 0
    res = json.loads(_out(capsys))
    assert res["ok"] and "2 samples" in " ".join(res["checks"])


@pytest.mark.slow
def test_user_task_and_prompt_run_end_to_end_on_the_real_server(user_tasks, tiny_server,
                                                                 tiny_llava, tmp_path, capsys):
    prompts = tmp_path / "my_prompts"
    prompts.mkdir()
    for name, text in doc_files("writing-a-prompt.md").items():
        (prompts / name).write_text(text)
    assert main(["prompts", "--prompts-dir", str(prompts)]) == 0
    assert "one-word\t--prompts-dir" in _out(capsys)
    assert main(["run", "--task", "my-pets", "--tasks-dir", str(user_tasks), "--prompts-dir",
                 str(prompts), "--prompt", "one-word", "--model", tiny_llava, "--base-url",
                 tiny_server.base_url, "--max-tokens", "8", "--output-dir",
                 str(tmp_path / "runs")]) == 0
    run = Path(_out(capsys).strip().splitlines()[-1])
    recs = [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]
    assert len(recs) == 6 and {r["gold_wnid"] for r in recs} == {"n02123045", "n02088364",
                                                                  "n02099601"}
    cfg = json.loads((run / "run.json").read_text())
    assert cfg["label_space"] == "pets" and cfg["prompt"] == "one-word"
    assert main(["score", str(run)]) == 0  # custom label space found again through the task


def _install_fake_package(root: Path, body: str, entry: str) -> None:
    """What `pip install` leaves on sys.path: the package and its dist-info with entry points."""
    sys.modules.pop("my_tasks", None)
    pkg = root / "my_tasks"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(textwrap.dedent(body))
    info = root / "my_tasks-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: my-tasks\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[harness.tasks]\nmy_tasks = {entry}\n")


@pytest.mark.slow
def test_installed_package_entry_point_adds_tasks(tmp_path, monkeypatch, capsys, tiny_server,
                                                  tiny_llava):
    site = tmp_path / "site"
    _install_fake_package(site, """
        from pathlib import Path
        TASKS_DIR = Path(__file__).parent / "tasks"
    """, "my_tasks:TASKS_DIR")
    tasks = site / "my_tasks" / "tasks"
    tasks.mkdir()
    (tasks / "pkg-task.yaml").write_text(
        "name: pkg-task\nsource: {type: manifest, path: labels.csv}\n")
    shutil.copy(SAMPLE_IMAGES / "n01440764_tench.JPEG", tasks / "t.jpg")
    (tasks / "labels.csv").write_text("file,wnid\nt.jpg,n01440764\n")
    monkeypatch.syspath_prepend(str(site))
    assert main(["tasks"]) == 0
    assert re.search(r"pkg-task\t\?\timagenet-1k\tmanifest\tentry point my_tasks", _out(capsys))
    assert main(["validate", "pkg-task"]) == 0 and "valid" in _out(capsys)
    assert main(["run", "--task", "pkg-task", "--model", tiny_llava, "--base-url",
                 tiny_server.base_url, "--max-tokens", "8", "--output-dir",
                 str(tmp_path / "runs")]) == 0
    run = Path(_out(capsys).strip().splitlines()[-1])
    (rec,) = [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]
    assert rec["id"] == "t" and rec["gold_wnid"] == "n01440764" and rec["error"] is None


def test_broken_plugins_are_reported_and_others_still_work(tmp_path, monkeypatch, capsys):
    site = tmp_path / "site"
    _install_fake_package(site, "raise RuntimeError('boom in plugin')\n", "my_tasks")
    monkeypatch.syspath_prepend(str(site))
    folder = tmp_path / "tasks"
    folder.mkdir()
    (folder / "bad.py").write_text("import nonexistent_module\n")
    (folder / "bad-yaml.yaml").write_text("name: bad-yaml\nsource: {type: manifest\n  path: [x\n")
    (folder / "imagenet-sample.yaml").write_text(
        "name: imagenet-sample\nsource: {type: manifest, path: labels.csv}\n")
    assert main(["tasks", "--tasks-dir", str(folder)]) == 0
    out = _out(capsys)
    assert "BROKEN: entry point my_tasks (my_tasks): import failed: RuntimeError: boom" in out
    assert "BROKEN: --tasks-dir" in out and "bad.py: import failed: ModuleNotFoundError" in out
    assert re.search(r"BROKEN: .*bad-yaml\.yaml: .*bad-yaml\.yaml:\d+: invalid YAML", out)
    assert "shadowed: imagenet-sample: built-in" in out and "imagenet-v2" in out
    assert main(["run", "--task", "bad-yaml", "--tasks-dir", str(folder), "--base-url",
                 "http://127.0.0.1:9/v1"]) == 2
    assert "task 'bad-yaml' failed to load" in capsys.readouterr().err


@pytest.mark.parametrize("yaml_text,error", [
    ("name: x\nsourc: {type: manifest}\n", "a task needs at least `name` and `source`"),
    ("name: x\nsource: {type: manifest, path: a.csv}\nprompts: open-ended\n",
     "x.yaml:3: unknown field 'prompts'; did you mean 'prompt'"),
    ("name: x\nsource: {type: folders}\n", "source.type must be one of"),
    ("name: x\nlabel_space: imagenet-22k\nsource: {type: class-folders, path: p}\n",
     "unknown label space 'imagenet-22k'"),
])
def test_bad_task_files(tmp_path, capsys, yaml_text, error):
    (tmp_path / "p" / "n01440764").mkdir(parents=True)
    (tmp_path / "x.yaml").write_text(yaml_text)
    main(["validate", "x", "--tasks-dir", str(tmp_path)])
    assert error in capsys.readouterr().out


def test_labels_that_name_no_class_are_listed(tmp_path, capsys):
    photos = tmp_path / "photos"
    for label in ("beagle", "spaceship", "my cat Tom"):
        (photos / label).mkdir(parents=True)
        shutil.copy(SAMPLE_IMAGES / "n01440764_tench.JPEG", photos / label / "a.jpg")
    (tmp_path / "t.yaml").write_text(
        "name: t\nsource: {type: class-folders, path: photos}\n")
    assert main(["validate", "t", "--tasks-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "2 label(s) name no class" in out and "'spaceship'" in out and "'my cat Tom'" in out


def test_prompt_with_missing_variable_or_bad_syntax(tmp_path, capsys):
    (tmp_path / "bad-var.yaml").write_text("text: Is this a {{ label }}?\n")
    (tmp_path / "bad-syntax.yaml").write_text("text: '{% for o in options %}'\nchoices: {k: 3}\n")
    assert main(["prompts", "--prompts-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "undefined variable(s) ['label']" in out and "template error on line 1" in out
    assert main(["run", "--prompt", "bad-var", "--prompts-dir", str(tmp_path), "--base-url",
                 "http://127.0.0.1:9/v1"]) == 2
    assert "undefined variable(s) ['label']" in capsys.readouterr().err


def test_multiple_choice_with_hard_negatives_end_to_end(tmp_path, capsys):
    def behave(body):
        if body["max_tokens"] == 1:
            return 200, chat_reply("ok")
        text = body["messages"][0]["content"][1]["text"]
        letter = re.search(r"^([A-E])\. tench$", text, re.M)  # answers "tench" when offered
        return 200, chat_reply(f"({letter.group(1)})" if letter else "A")

    with FakeServer(behave) as srv:
        assert main(["run", "--prompt", "multiple-choice", "--model", "fake", "--base-url",
                     srv.base_url, "--output-dir", str(tmp_path / "runs")]) == 0
        prompts = [r["messages"][0]["content"][1]["text"] for r in srv.requests[1:]]
    run = Path(capsys.readouterr().out.strip().splitlines()[-1])
    recs = {r["id"]: r for r in map(json.loads, (run / "samples.jsonl").read_text().splitlines())}
    tench = recs["n01440764_tench"]
    assert tench["correct"] and tench["match"] == "choice" and len(tench["options"]) == 5
    assert tench["options"].count("n01440764") == 1
    assert len(prompts) == 100 and all(re.search(r"^A\. .*\nB\. .*\nC\. .*\nD\. .*\nE\. ", p, re.M)
                                       for p in prompts)
    from harness.wordnet.graph import wordnet  # hard negatives: a dog's options are all dogs
    dog = "n02084071"
    dogs = [r for r in recs.values() if dog in wordnet().ancestors(r["gold_wnid"])]
    assert dogs and all(all(dog in wordnet().ancestors(w) for w in r["options"]) for r in dogs)
    before = json.loads((run / "results.json").read_text())["metrics"]
    assert main(["score", str(run)]) == 0
    assert json.loads((run / "results.json").read_text())["metrics"] == before
