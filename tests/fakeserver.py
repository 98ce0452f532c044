"""A purpose-built OpenAI-compatible loopback server for fault and edge-case tests.

Real-model behaviour is tested against `transformers serve`; this one exists to produce replies a
real server rarely gives on demand (fixed answers, empty text, 4xx/5xx, no choices, non-JSON).
"""
from __future__ import annotations

import json
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

Reply = tuple  # (status, body) or (status, body, headers); ("drop", None); ("hang", seconds)


def chat_reply(text: str | None, model: str = "fake") -> dict:
    return {"id": "x", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


class FakeServer:
    """`behave(request_json) -> (status, body)` decides each chat reply; requests are recorded."""

    def __init__(self, behave: Callable[[dict], Reply], models: list[str] | None = None,
                 port: int = 0, model_root: str | None = None) -> None:
        self.behave = behave
        self.model_root = model_root  # what /v1/models says the checkpoint is (vLLM: `root`)
        self.models = models if models is not None else ["fake"]
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status, body: dict | str, headers: dict | None = None) -> None:
                if status == "drop":  # close the connection without answering
                    self.close_connection = True
                    return
                if status == "hang":  # answer only after the client has given up
                    time.sleep(body)
                    status, body = 200, chat_reply("late")
                if status == "trickle":  # a valid reply, one byte at a time
                    data = json.dumps(chat_reply("a tench")).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    try:
                        for i in range(len(data)):
                            self.wfile.write(data[i:i + 1])
                            self.wfile.flush()
                            time.sleep(body)
                    except OSError:
                        pass  # the client gave up
                    return
                data = (json.dumps(body) if isinstance(body, dict) else body).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json" if isinstance(body, dict)
                                 else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/v1/models":
                    self._send(200, {"object": "list", "data": [
                        {"id": m, "object": "model", "owned_by": "t",
                         "created": int(time.time() * 1000),  # vLLM: new on every call
                         **({"root": outer.model_root} if outer.model_root else {})}
                        for m in outer.models]})
                elif self.path == "/health":
                    self._send(200, {"status": "ok"})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": "not found"}})
                outer.requests.append(body)
                outer.headers.append(dict(self.headers))
                self._send(*outer.behave(body))

        class Quiet(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                pass  # a client that hung up (the test's point, often) is not news on stderr

        self.httpd = Quiet(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "FakeServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def default_sigint() -> None:
    """preexec_fn for a child that tests Ctrl-C: a shell that starts the suite in the background
    (`pytest &`) ignores SIGINT and children inherit that; give it back, as in a terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def fails_after(n: int, answer: str = "a tench") -> Callable[[dict], Reply]:
    """A `behave` that answers the first n sample requests and then 503s (the probe always
    passes): a run that ends incomplete, to resume. `behave.state["n"]` counts the requests;
    set it below 0 to let the next ones through."""
    state = {"n": 0}

    def behave(body: dict) -> Reply:
        if body["max_tokens"] == 1:
            return 200, chat_reply("ok")
        state["n"] += 1
        return (200, chat_reply(answer)) if state["n"] <= n else (503, {"error": "down"})

    behave.state = state  # type: ignore[attr-defined]
    return behave


def alive(pid: int) -> bool:
    """Is the process running (a zombie waiting to be reaped is not)?"""
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"
