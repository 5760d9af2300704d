"""Profile lookups over HTTP at a sustained rate: p50/p99 latency and errors.

What it does, against an existing workspace with a tag snapshot:

1. Point lookup of one snapshot row with and without the lookup index (the index is
   dropped first, then created as the server's session does), to show the lookup is
   keyed, not a scan.
2. Baseline in the same process: the service function
   (:func:`portrait.services.profile360.customer_profile`) called directly, one
   customer after another, on the same random customers.
3. A real server (uvicorn, one process) on loopback, and an open-loop load generator
   (httpx, asyncio) sending ``GET /api/customers/{id}`` at a fixed rate for a fixed
   time. Latency is measured from each request's *scheduled* start, so a server that
   falls behind is charged for the queue it builds (no coordinated omission).

Recommendations are left out of the lookups (``?recommendations=false``): they belong
to the models layer and have their own figures. Every lookup is audited as usual.

Usage::

    python benchmarks/api_profile_load.py --workspace WS --rate 500 --duration 30
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx

from portrait.errors import UsageError
from portrait.privacy.access import Principal
from portrait.privacy.roles import Role
from portrait.services import access, profile360, users, workspace
from portrait.store import lookup

PASSWORD = "bench-password-1"
GRACE_S = 15.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def setup(ws_path: Path, sample: int, seed: int) -> tuple[list[str], str]:
    """The bench user, and a random sample of customer ids from the latest snapshot."""
    with contextlib.suppress(UsageError):  # created by an earlier run
        users.add_user(ws_path, "bench-analyst", "analyst", PASSWORD)
    eng = workspace.open_(ws_path).engine()
    try:
        table = eng.query("SELECT table_name FROM tag_snapshots ORDER BY as_of DESC LIMIT 1")[0][0]
        ids = [r[0] for r in eng.query(f"SELECT customer_id FROM {table}")]
    finally:
        eng.close()
    return random.Random(seed).sample(ids, min(sample, len(ids))), str(table)


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def index_effect(ws_path: Path, table: str, ids: list[str], n: int) -> dict[str, float]:
    """Milliseconds per snapshot-row lookup without and with the index, and to build it."""
    eng = workspace.open_(ws_path).engine()
    sql = f"SELECT * FROM {table} WHERE customer_id = ?"
    try:
        eng.execute(f"DROP INDEX IF EXISTS {lookup.index_name(table)}")
        out: dict[str, float] = {}
        for label in ("scan", "index"):
            if label == "index":
                t0 = time.perf_counter()
                lookup.ensure_index(eng, table)
                out["index_build_s"] = time.perf_counter() - t0
            count = max(3, n // 20) if label == "scan" else n  # a scan is slow at 1M rows
            eng.query(sql, [ids[0]])
            t0 = time.perf_counter()
            for cid in ids[:count]:
                eng.query(sql, [cid])
            out[f"{label}_ms"] = (time.perf_counter() - t0) / count * 1000
        eng.execute(f"DROP INDEX IF EXISTS {lookup.index_name(table)}")  # serving keeps rows in memory
        return out
    finally:
        eng.close()


def baseline(ws_path: Path, ids: list[str], n: int) -> tuple[list[float], float]:
    """Latencies (ms) of the service function called directly, one after another, and
    milliseconds per snapshot row read from the session's in-memory rows."""
    session = access.open_session(ws_path)
    who = Principal("bench-analyst", Role.ANALYST)
    try:
        session.defer_audit(0.02)  # as the server does by default
        profile360.warm(session)
        snap = session.snapshot()
        assert snap is not None
        rows = session.snapshot_rows(snap, profile360.served_tags(session, snap))
        t0 = time.perf_counter()
        for cid in ids[:n]:
            rows.row(cid)
        memory_ms = (time.perf_counter() - t0) / n * 1000
        profile360.customer_profile(session, who, ids[0], recommendations=False)
        out = []
        for cid in ids[:n]:
            t0 = time.perf_counter()
            profile360.customer_profile(session, who, cid, recommendations=False)
            out.append((time.perf_counter() - t0) * 1000)
        return out, memory_ms
    finally:
        session.close()


def start_server(ws_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "portrait.api.app:create_app", "--host",
         "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env={**os.environ, "PORTRAIT_HOME": str(ws_path)})
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/api/health", timeout=5).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("server did not start")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


#: Sends one profile request for a customer id; returns an error label, or None if it
#: was answered 200.
Send = Callable[[str], Awaitable[str | None]]


async def open_loop(sender: Callable[[], AbstractAsyncContextManager[Send]], ids: list[str],
                    rate: float, duration: float, workers: int) -> dict[str, Any]:
    """Open-loop load: request i is due at i / rate seconds; latency counts from then.

    ``workers`` senders (one connection each) take the due requests in order; when all
    are busy, due requests wait and the wait is part of their latency (a server that falls
    behind is charged for its queue). Requests not sent within ``GRACE_S`` after the run
    count as errors.
    """
    latencies: list[float] = []
    service: list[float] = []
    errors: dict[str, int] = {}
    total = int(rate * duration)
    counter = iter(range(total))
    start = time.perf_counter()
    stop_at = start + duration + GRACE_S

    async def worker() -> None:
        async with sender() as send:
            for i in counter:
                due = start + i / rate
                now = time.perf_counter()
                if now > stop_at:
                    late = f"not sent {GRACE_S:.0f} s after the run"
                    errors[late] = errors.get(late, 0) + 1
                    continue
                if due > now:
                    await asyncio.sleep(due - now)
                sent = time.perf_counter()
                key = await send(ids[i % len(ids)])
                done = time.perf_counter()
                if key:
                    errors[key] = errors.get(key, 0) + 1
                latencies.append((done - due) * 1000)
                service.append((done - sent) * 1000)

    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.perf_counter() - start
    answered = len(latencies)
    return {"requests": total, "answered": answered, "elapsed_s": elapsed,
            "achieved_rps": answered / elapsed, "latencies": latencies, "service": service,
            "errors": errors}


async def load(url: str, token: str, ids: list[str], rate: float, duration: float,
               workers: int) -> dict[str, Any]:
    """:func:`open_loop` with httpx (one client, ``workers`` pooled connections)."""
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                 limits=limits, timeout=30) as client:

        async def send(customer_id: str) -> str | None:
            try:
                r = await client.get(f"/api/customers/{customer_id}",
                                     params={"recommendations": "false"})
            except httpx.HTTPError as exc:
                return type(exc).__name__
            return None if r.status_code == 200 else f"HTTP {r.status_code}"

        @contextlib.asynccontextmanager
        async def sender() -> AsyncIterator[Send]:
            yield send

        return await open_loop(sender, ids, rate, duration, workers)


async def load_raw(url: str, token: str, ids: list[str], rate: float, duration: float,
                   workers: int) -> dict[str, Any]:
    """:func:`open_loop` with a lean HTTP/1.1 client.

    httpx spends ~3 ms of CPU per request, so on a small machine the generator itself
    would take the cores the server needs (and limit the rate it can offer). This client
    keeps one keep-alive connection per worker, writes each request as prepared bytes and
    reads the status line, the headers and ``Content-Length`` bytes of body: ~0.1 ms.
    """
    host, port = url.removeprefix("http://").split(":")
    head = (f"Host: {host}\r\nAuthorization: Bearer {token}\r\n"
            "Accept: application/json\r\n\r\n").encode()

    @contextlib.asynccontextmanager
    async def sender() -> AsyncIterator[Send]:
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

        async def send(customer_id: str) -> str | None:
            nonlocal conn
            path = f"/api/customers/{customer_id}?recommendations=false"
            try:
                if conn is None:
                    conn = await asyncio.open_connection(host, int(port))
                reader, writer = conn
                writer.write(f"GET {path} HTTP/1.1\r\n".encode() + head)
                header = await reader.readuntil(b"\r\n\r\n")
                status = int(header[9:12])
                length = next(int(line.split(b":", 1)[1]) for line in header.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                await reader.readexactly(length)
            except (OSError, asyncio.IncompleteReadError, StopIteration, ValueError) as exc:
                if conn is not None:
                    conn[1].close()
                conn = None
                return type(exc).__name__
            return None if status == 200 else f"HTTP {status}"

        try:
            yield send
        finally:
            if conn is not None:
                conn[1].close()

    return await open_loop(sender, ids, rate, duration, workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--rate", type=float, default=500.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds at the rate first")
    parser.add_argument("--sample", type=int, default=20_000, help="distinct customers asked for")
    parser.add_argument("--baseline", type=int, default=1000, help="direct calls for the baseline")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=32, help="client connections")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw",
                        help="load generator: a lean HTTP/1.1 client, or httpx")
    parser.add_argument("--markdown", type=Path, help="also write the results table here")
    args = parser.parse_args()
    ws_path = args.workspace.resolve()

    say("setup")
    ids, table = setup(ws_path, args.sample, args.seed)
    say("snapshot row lookups with and without an index")
    idx = index_effect(ws_path, table, ids, 200)
    say(f"{idx}; baseline: {args.baseline} direct calls")
    direct, memory_ms = baseline(ws_path, ids, args.baseline)
    say(f"baseline p50 {pct(direct, 0.5):.1f} ms; starting the server")
    proc, url = start_server(ws_path)
    say("server up; warm-up")
    try:
        token = httpx.post(f"{url}/api/auth/token",
                           data={"username": "bench-analyst", "password": PASSWORD}).json()[
            "access_token"]
        run_load = load_raw if args.client == "raw" else load
        asyncio.run(run_load(url, token, ids[::-1], args.rate, args.warmup, args.workers))
        say("load")
        cpu0, own0 = cpu_seconds(proc.pid), time.process_time()
        result = asyncio.run(run_load(url, token, ids, args.rate, args.duration, args.workers))
        server_cpu = cpu_seconds(proc.pid) - cpu0
        client_cpu = time.process_time() - own0
    finally:
        proc.terminate()
        proc.wait(timeout=60)

    lat, svc = result["latencies"], result["service"]
    n_err = sum(result["errors"].values())
    p99_direct = pct(direct, 0.99)
    rows = [
        ("workspace", f"{ws_path.name}: snapshot {table}, {len(ids):,} customers sampled"),
        ("snapshot row lookup, no index (scan)", f"{idx['scan_ms']:.2f} ms"),
        ("snapshot row lookup, DuckDB ART index", f"{idx['index_ms']:.2f} ms "
                                                  f"(index built in {idx['index_build_s']:.1f} s)"),
        ("snapshot row lookup, in memory (what the server does)", f"{memory_ms:.3f} ms"),
        ("baseline: service function in process, p50 / p99",
         f"{pct(direct, 0.5):.2f} / {p99_direct:.2f} ms ({len(direct)} sequential calls)"),
        ("offered load", f"{args.rate:.0f} req/s for {args.duration:.0f} s "
                         f"(after {args.warmup:.0f} s warm-up), {args.workers} connections"),
        ("achieved", f"{result['achieved_rps']:.0f} req/s answered, "
                     f"{result['answered']:,} of {result['requests']:,} requests"),
        ("latency from scheduled start: p50 / p99 / max",
         f"**{pct(lat, 0.5):.1f} / {pct(lat, 0.99):.1f}** / {max(lat, default=0):.1f} ms "
         "(answered requests; target p99 < 20 ms)"),
        ("latency from send: p50 / p99", f"{pct(svc, 0.5):.1f} / {pct(svc, 0.99):.1f} ms"),
        ("mean latency", f"{statistics.fmean(lat):.1f} ms"),
        ("errors", f"{n_err}" + (f" {result['errors']}" if n_err else "")),
        ("server CPU during the run", f"{server_cpu:.1f} s "
                                      f"({server_cpu / result['elapsed_s']:.2f} cores, "
                                      f"{server_cpu / max(1, result['answered']) * 1000:.2f} ms "
                                      "per request)"),
        ("load generator CPU during the run", f"{client_cpu:.1f} s ({args.client} client)"),
        ("HTTP p50 / direct p50", f"{pct(lat, 0.5) / pct(direct, 0.5):.1f}×"),
    ]
    text = "| measure | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
