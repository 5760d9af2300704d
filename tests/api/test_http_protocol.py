"""The server's HTTP protocol: every response leaves in one send, and nothing is held back
or lost — keep-alive, pipelined requests, large and streamed bodies, HEAD, and closing."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from portrait.api.http import CoalescingTransport
from tests.api.conftest import Live


class Recorder(asyncio.Transport):
    """A transport that records each write and whether it was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.sends: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.sends.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def test_the_body_leaves_with_the_headers_at_once_and_a_lone_write_by_the_next_turn() -> None:
    async def scenario() -> list[list[bytes]]:
        raw = Recorder()
        t = CoalescingTransport(raw, asyncio.get_running_loop())
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        held = list(raw.sends)
        t.write(b"body")
        paired = list(raw.sends)  # sent in the write itself, not at a later turn
        t.write(b"alone")
        before_turn = list(raw.sends)
        await asyncio.sleep(0)
        return [held, paired, before_turn, raw.sends]

    held, paired, before_turn, after_turn = asyncio.run(scenario())
    assert held == []
    assert paired == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    assert before_turn == paired
    assert after_turn == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"alone"]


def test_close_sends_what_is_held_first() -> None:
    async def scenario() -> Recorder:
        raw = Recorder()
        t = CoalescingTransport(raw, asyncio.get_running_loop())
        t.write(b"last words")
        t.close()
        await asyncio.sleep(0)
        return raw

    raw = asyncio.run(scenario())
    assert raw.sends == [b"last words"] and raw.closed


@pytest.fixture(scope="module")
def server(live: Live) -> Iterator[str]:
    yield live.url


def _exchange(url: str, payload: bytes, until_closed: bool = False) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as s:
        s.sendall(payload)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk
            if not until_closed and data.count(b"HTTP/1.1 ") >= payload.count(b"HTTP/1.1\r\n") \
                    and data.endswith(b"}"):
                return data


def test_pipelined_keep_alive_requests_are_all_answered_in_order(server: str) -> None:
    one = b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"
    closing = b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    data = _exchange(server, one * 4 + closing, until_closed=True)
    assert data.count(b"HTTP/1.1 200 OK") == 5
    assert data.endswith(b"}")  # the last body is whole although the server closed


def test_head_and_errors_and_large_bodies(server: str, live: Live) -> None:
    head = _exchange(server, b"HEAD /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                     until_closed=True)
    assert head.startswith(b"HTTP/1.1 ") and head.endswith(b"\r\n\r\n")  # headers, no body
    refused = _exchange(server, b"GET /api/tags HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                        until_closed=True)
    assert refused.startswith(b"HTTP/1.1 401") and refused.endswith(b"}")
    import httpx

    with httpx.Client(base_url=server, timeout=30) as c:  # a catalog of many tags, keep-alive
        token = live.tokens["analyst"]
        first = c.get("/api/tags", params={"limit": 500}, headers={"Authorization": f"Bearer {token}"})
        again = c.get("/api/tags", params={"limit": 500}, headers={"Authorization": f"Bearer {token}"})
    assert first.status_code == again.status_code == 200
    assert len(first.content) > 20_000 and first.content == again.content

