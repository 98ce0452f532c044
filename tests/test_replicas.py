"""Many replicas, one run: least-loaded routing, failover of a killed replica, rejoining."""
import asyncio
import json
import threading
import time

from harness.backends.replicas import ReplicaPool
from harness.cli.main import main

from fakeserver import FakeServer, chat_reply

MESSAGES = [{"role": "user", "content": "hi"}]


def _slow(delay=0.05, answer="A tench."):
    def behave(body):
        if body["max_tokens"] > 1:
            time.sleep(delay)
        return 200, chat_reply(answer)
    return behave


class Killable:
    """A replica that dies after `after` answers: requests in flight then get their connection
    closed without an answer, and the port stops listening (as when the process is killed)."""

    def __init__(self, after: int) -> None:
        self.after, self.answered, self.dead = after, 0, False
        self.lock = threading.Lock()
        self.server = FakeServer(self.behave)

    def behave(self, body):
        if body["max_tokens"] == 1:
            return 200, chat_reply("ok")
        time.sleep(0.05)
        with self.lock:
            if not self.dead and self.answered >= self.after:
                self.dead = True
                threading.Thread(target=self.server.stop, daemon=True).start()
            if self.dead:
                return "drop", None
            self.answered += 1
        return 200, chat_reply("A tench.")


def _run(runs_dir, urls, *extra):
    args = ["run", "--model", "fake", "--output-dir", str(runs_dir), "--concurrency", "6",
            "--no-cache", "--max-outage", "5"]
    for u in urls:
        args += ["--base-url", u]
    return main([*args, *extra])


def _run_dir(runs_dir):
    (run_json,) = runs_dir.glob("*/*/*/run.json")
    return run_json.parent


def test_requests_are_spread_and_every_replica_is_on_record(runs_dir):
    servers = [FakeServer(_slow()) for _ in range(3)]
    with servers[0], servers[1], servers[2]:
        assert _run(runs_dir, [s.base_url for s in servers], "--limit", "30") == 0
    served = [len(s.requests) - 1 for s in servers]  # less the start-up probe
    assert sum(served) == 30 and min(served) >= 6
    m = json.loads((_run_dir(runs_dir) / "run.json").read_text())
    assert m["base_url"] == servers[0].base_url
    assert m["base_urls"] == [s.base_url for s in servers]
    assert [r["base_url"] for r in m["server"]["replicas"]] == m["base_urls"]


def test_killing_one_of_three_replicas_loses_and_duplicates_nothing(runs_dir, capsys):
    a, b = FakeServer(_slow()), FakeServer(_slow())
    dying = Killable(after=8)
    with a, b, dying.server:
        assert _run(runs_dir, [a.base_url, dying.server.base_url, b.base_url]) == 0
    assert dying.dead and dying.answered == 8
    lines = (_run_dir(runs_dir) / "samples.jsonl").read_text().splitlines()
    recs = [json.loads(x) for x in lines]
    assert len(recs) == 100 and len({r["id"] for r in recs}) == 100
    assert not any(r["error"] for r in recs)
    res = json.loads((_run_dir(runs_dir) / "results.json").read_text())
    assert res["complete"] and res["n"] == 100 and res["n_errors"] == 0
    assert len(a.requests) + len(b.requests) - 2 >= 92  # the rest went to the two survivors
    assert f"replica {dying.server.base_url} taken out" in capsys.readouterr().err


def test_per_replica_limit_and_rejoin_after_health_answers():
    async def scenario():
        first, second = FakeServer(_slow(0.1)), FakeServer(_slow(0.1))
        second.thread.start()
        port = first.port
        first.httpd.server_close()  # nothing listens there: connection refused
        pool = ReplicaPool([first.base_url, second.base_url], "fake", per_replica=2,
                           max_tokens=8, temperature=0.0, seed=0, timeout=5, recheck_s=0.1)
        try:  # the first replica is down: everything goes to the second, two at a time
            peak = 0

            async def one():
                nonlocal peak
                task = asyncio.ensure_future(pool.complete(MESSAGES))
                await asyncio.sleep(0.02)
                peak = max(peak, pool.replicas[1].in_flight)
                return await task

            answers = await asyncio.gather(*(one() for _ in range(6)))
            assert [a.text for a in answers] == ["A tench."] * 6
            assert peak <= 2 and not pool.replicas[0].healthy
            assert len(second.requests) == 6
            back = FakeServer(_slow(0.1), port=port)
            back.thread.start()
            await asyncio.sleep(0.5)  # the health check sees it again
            assert pool.replicas[0].healthy
            await asyncio.gather(*(pool.complete(MESSAGES) for _ in range(4)))
            assert len(back.requests) == 2 and pool.replicas[0].served == 2
            back.stop()
        finally:
            await pool.close()
            second.stop()

    asyncio.run(scenario())


def test_duplicate_base_url_is_refused_in_one_line(runs_dir, capsys):
    with FakeServer(_slow()) as srv:
        assert _run(runs_dir, [srv.base_url, srv.base_url + "/"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "given twice" in err


def test_resume_may_change_the_replicas_and_records_it(runs_dir, capsys):
    def refuse(body):
        if body["max_tokens"] == 1:
            return 200, chat_reply("ok")
        return 400, {"error": {"message": "not now"}}

    broken, a, b = FakeServer(refuse), FakeServer(_slow()), FakeServer(_slow())
    with broken, a, b:
        assert _run(runs_dir, [broken.base_url], "--limit", "8") == 1
        run = _run_dir(runs_dir)
        assert main(["run", "--resume", str(run), "--base-url", a.base_url,
                     "--base-url", b.base_url]) == 0
    m = json.loads((run / "run.json").read_text())
    assert m["base_url"] == a.base_url and m["base_urls"] == [a.base_url, b.base_url]
    assert m["resumes"][-1]["changed"]["base_urls"] == [[broken.base_url],
                                                        [a.base_url, b.base_url]]
    assert len(a.requests) > 1 and len(b.requests) > 1
    res = json.loads((run / "results.json").read_text())
    assert res["complete"] and res["n"] == 8
