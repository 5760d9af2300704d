"""The HTTP protocol the server runs: uvicorn's httptools protocol, writing each response
in one send where uvicorn would make two.

uvicorn writes a response's status line and headers as soon as the app starts the
response, and the body when the app sends it: two ``send`` system calls for every small
JSON answer. Over loopback each send also delivers the data to the reader, so on a small
machine the second one costs about as much as FastAPI's whole routing of the request.
:class:`CoalescingTransport` holds a write until the next one and sends the two together;
the app sends the body right after the headers, so they leave as one send the moment the
body is written. A write with nothing after it goes at the event loop's next turn, and a
close sends what is held first, so no response is delayed past the turn or cut.

``portrait serve`` names it by its import path
(:data:`portrait.services.demo_serve.HTTP_PROTOCOL`).
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport(asyncio.Transport):
    """A transport that holds a write until the next one, and sends both as one.

    A held write is sent on the next write (joined with it), or at the event loop's next
    turn when nothing follows, so nothing waits longer than the current turn. The write
    that completes a pair is sent at once: a response is never kept waiting while the
    loop serves other requests.

    Everything but ``write``, ``writelines``, ``close``, ``abort`` and ``write_eof`` is
    passed to the wrapped transport as it is.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if self._held:  # the body after the headers: both go now, in one send
            self._held.append(bytes(data))
            self._flush()
            return
        self._held.append(bytes(data))
        self._loop.call_soon(self._flush)  # nothing followed in this turn: send it alone

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def _flush(self) -> None:
        if self._held:
            data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
            self._held = []
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = []
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(d) for d in self._held)

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()


class CoalescingHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol over a :class:`CoalescingTransport`."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods
        super().connection_made(CoalescingTransport(cast(asyncio.Transport, transport), self.loop))
