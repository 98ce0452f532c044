"""A deterministic loopback model: the same image always gets the same answer, whichever
process, shard, replica or Ray worker asks, so differently distributed runs can be compared."""
import base64
import hashlib
import json
from pathlib import Path

from harness.tasks.registry import get_task
from harness.wordnet import clip_names

from fakeserver import FakeServer, chat_reply


def _names_by_image() -> dict[str, str]:
    """sha256 of each imagenet-sample image -> its class name (what a perfect model says)."""
    task = get_task("imagenet-sample")
    return {hashlib.sha256(s.read_bytes()).hexdigest(): clip_names()[s.gold_wnid]
            for s in task.select().samples}


def deterministic_server() -> FakeServer:
    """Right for about half the images, a wrong class or no class for the others. Set
    `server.broken` to a predicate on the image's sha256 to answer those with HTTP 400."""
    names = _names_by_image()

    def behave(body):
        if body["max_tokens"] == 1:
            return 200, chat_reply("ok")
        url = body["messages"][0]["content"][0]["image_url"]["url"]
        digest = hashlib.sha256(base64.b64decode(url.split(",", 1)[1])).hexdigest()
        if server.broken is not None and server.broken(digest):
            return 400, {"error": {"message": "broken for this test", "code": 400}}
        pick = int(digest[:2], 16) % 4
        return 200, chat_reply([f"A {names[digest]}.", names[digest], "goldfish",
                                "I cannot tell."][pick])

    server = FakeServer(behave)
    server.broken = None
    return server


def fake_run(server, out: Path, limit: int, *extra: str) -> int:
    """`harness run` of imagenet-sample against the deterministic server, output under out."""
    from harness.cli.main import main

    return main(["run", "--model", "fake", "--base-url", server.base_url, "--output-dir",
                 str(out), "--concurrency", "8", "--no-cache", "--limit", str(limit), *extra])


def run_dir(out: Path) -> Path:
    """The one run directory written under out."""
    (run_json,) = out.glob("*/*/*/run.json")
    return run_json.parent


def comparable_samples(run: Path) -> set[str]:
    """samples.jsonl as a set of lines, latency (a stopwatch reading) left out: equal for runs
    that differ only in how they were distributed."""
    out = set()
    for line in (run / "samples.jsonl").read_text().splitlines():
        rec = json.loads(line)
        rec.pop("latency_s")
        out.add(json.dumps(rec, sort_keys=True))
    return out
