"""A null OpenAI-compatible server on loopback: answers every chat completion at once with the
same text, so a benchmark measures the client side only. Minimal HTTP/1.1 with keep-alive.

    python benchmarks/nullserver.py PORT [LATENCY_S MAX_CONCURRENT]

With a latency it stands in for a GPU replica: each chat completion takes LATENCY_S and at most
MAX_CONCURRENT are worked on at a time (the others wait their turn), so its throughput is
MAX_CONCURRENT / LATENCY_S requests a second however many are sent.
"""
from __future__ import annotations

import asyncio
import json
import sys

ANSWER = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "null",
                     "choices": [{"index": 0, "finish_reason": "stop", "message": {
                         "role": "assistant", "content": "The object in this photo is a dog."}}],
                     "usage": {"prompt_tokens": 1, "completion_tokens": 8,
                               "total_tokens": 9}}).encode()
MODELS = json.dumps({"object": "list", "data": [{"id": "null", "object": "model", "created": 0,
                                                 "owned_by": "bench"}]}).encode()
HEALTH = b'{"status": "ok"}'


LATENCY = {"s": 0.0, "slots": None}


class Handler(asyncio.Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport, self.buf = transport, b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buf[:head_end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buf) < head_end + 4 + length:
                return
            self.buf = self.buf[head_end + 4 + length:]
            path = head.split(" ", 2)[1]
            body = MODELS if path.endswith("/models") else HEALTH if path == "/health" else ANSWER
            if body is ANSWER and LATENCY["s"]:
                asyncio.get_running_loop().create_task(self._later(body))
            else:
                self._write(body)

    async def _later(self, body: bytes) -> None:
        async with LATENCY["slots"]:
            await asyncio.sleep(LATENCY["s"])
        self._write(body)

    def _write(self, body: bytes) -> None:
        self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


async def serve(port: int, latency: float = 0.0, max_concurrent: int = 1) -> None:
    LATENCY.update(s=latency, slots=asyncio.Semaphore(max_concurrent))
    server = await asyncio.get_running_loop().create_server(Handler, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), *(float(sys.argv[2]), int(sys.argv[3]))
                      if len(sys.argv) > 3 else ()))
