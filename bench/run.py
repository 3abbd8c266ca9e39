"""Benchmark: a real headless Anki with the add-on, measured over real HTTP.

Prints every figure of design.md §6 / the performance issue: request latency (new
connection each, and keep-alive), simultaneous clients, addNotes, storeMediaFile,
notesInfo/cardsInfo over 10,000 notes, `sync` of 10,000 new notes to Anki's own sync
server (started on loopback; media sync off, so the figure is the collection's), and
idle CPU. Each figure is measured ``--repeat`` times and printed as min/median/max.

The transport figures (latency, the client bursts, idle CPU) are measured twice: on
an Anki as installed, and on one started with ``ANKICONNECT_FORCE_SELECTOR=select``,
which replaces ``selectors.DefaultSelector`` with the ``select()`` selector Windows has
(the issue's Windows-like set-up). Their names start with ``[select]``.

    .venv/bin/python bench/run.py             # full run (a few minutes)
    .venv/bin/python bench/run.py --quick     # CI smoke: small sizes, fails only on
                                              # gross regressions (10x the targets)
    .venv/bin/python bench/run.py --selector default   # skip the forced-select run
    .venv/bin/python bench/run.py --transport          # only the transport figures
    .venv/bin/python bench/run.py --large     # 30,000- and 100,000-note collections
                                              # (bench/large.py; generated once, cached)
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FORCE_SELECT_ENV = {"ANKICONNECT_FORCE_SELECTOR": "select"}  # read by plugin/entry_point.py
SELECT_PREFIX = "[select] "
sys.path.insert(0, str(REPO))

from tests.e2e.harness import AnkiInstance  # noqa: E402
from tests.e2e.support import MONITOR_CODE, MONITOR_READ, MONITOR_RESET  # noqa: E402
from tests.e2e.sync_server import SyncServer, log_in  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> str:
    return f"min {min(values):.3f} / median {statistics.median(values):.3f} / max {max(values):.3f}"


class Client:
    def __init__(self, port: int) -> None:
        self.port = port

    def body(self, action: str, params: dict[str, Any] | None = None) -> bytes:
        return json.dumps({"action": action, "version": 6, "params": params or {}}).encode()

    def once(self, action: str, params: dict[str, Any] | None = None, timeout: float = 600) -> Any:
        """One request on a new connection, as most clients do."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("POST", "/", self.body(action, params))
            reply = json.loads(connection.getresponse().read())
        finally:
            connection.close()
        if reply["error"] is not None:
            raise RuntimeError(f"{action}: {reply['error']}")
        return reply["result"]

    def raw_request(self, action: str) -> bytes:
        """HTTP/1.1 with no Connection header, as curl and most libraries send it."""
        payload = self.body(action)
        return (
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(payload)
            + payload
        )

    def latencies_new_connection(self, action: str, count: int) -> list[float]:
        """Connect, send, read the one reply by its length, close: a one-shot client."""
        request = self.raw_request(action)
        out = []
        for _ in range(count):
            started = time.perf_counter()
            with socket.create_connection(("127.0.0.1", self.port)) as sock:
                sock.sendall(request)
                read_one_reply(sock)
            out.append((time.perf_counter() - started) * 1000)
        return out

    def latencies_keep_alive(self, action: str, count: int) -> list[float]:
        """One HTTP/1.1 connection reused for every request (persistent by default)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/json"}
        out = []
        try:
            for _ in range(count):
                started = time.perf_counter()
                connection.request("POST", "/", self.body(action), headers)
                connection.getresponse().read()
                out.append((time.perf_counter() - started) * 1000)
        finally:
            connection.close()
        return out

    def simultaneous(self, action: str, clients: int) -> tuple[int, int, list[float]]:
        """Open `clients` connections at once, each sends one request."""
        request = self.raw_request(action)
        barrier = threading.Barrier(clients)

        def one() -> float | None:
            barrier.wait()
            started = time.perf_counter()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
                    sock.sendall(request)
                    data = read_one_reply(sock)
                if b"200 OK" not in data[:20]:
                    return None
                return (time.perf_counter() - started) * 1000
            except OSError:
                return None

        with ThreadPoolExecutor(max_workers=clients) as pool:
            results = list(pool.map(lambda _: one(), range(clients)))
        answered = [r for r in results if r is not None]
        return len(answered), clients - len(answered), answered


def read_one_reply(sock: socket.socket) -> bytes:
    """One Content-Length-framed reply (the connection stays open behind it)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a full reply: {data[:80]!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b": ")
        if name.lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside the body")
        body += chunk
    return head + b"\r\n\r\n" + body


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def proc_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def basic_notes(count: int, tag: str) -> list[dict[str, Any]]:
    return [
        {
            "deckName": "Bench",
            "modelName": "Basic",
            "fields": {"Front": f"{tag} front {i}", "Back": f"back {i}"},
            "tags": [tag],
        }
        for i in range(count)
    ]


def during(background: Callable[[], Any], probe: Callable[[], float]) -> tuple[Any, list[float]]:
    """Run `background` in a thread; call `probe` repeatedly until it finishes."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = background()
        except Exception as exc:
            box["error"] = exc

    thread = threading.Thread(target=work)
    thread.start()
    time.sleep(0.05)
    probes = []
    while thread.is_alive():
        probes.append(probe())
        time.sleep(0.02)
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value"), probes


class Bench:
    """``transport_only``: latency, client bursts and idle CPU only (the figures that
    depend on how the server is woken), recorded with ``prefix`` before their names.
    ``syncs``: the profile is logged in to a sync server (see :func:`logged_in`).
    ``anki`` None: the large-collection mode boots its own instances and sets
    ``anki`` and ``client`` as it goes."""

    def __init__(
        self,
        anki: AnkiInstance | None,
        quick: bool,
        repeat: int,
        *,
        syncs: bool = False,
        transport_only: bool = False,
        prefix: str = "",
        figures: dict[str, list[float]] | None = None,
    ) -> None:
        self.anki: Any = anki
        self.syncs = syncs  # the profile is logged in to a sync server (see logged_in)
        self.client = Client(anki.port if anki is not None else 0)
        self.quick = quick
        self.repeat = repeat
        self.transport_only = transport_only
        self.prefix = prefix
        self.figures: dict[str, list[float]] = {} if figures is None else figures
        self.failures: list[str] = []

    def record(self, name: str, value: float) -> None:
        self.figures.setdefault(self.prefix + name, []).append(value)

    def eval(self, code: str) -> Any:
        return self.client.once("__testEval", {"code": code})

    def version_ms(self) -> float:
        started = time.perf_counter()
        self.client.once("version")
        return (time.perf_counter() - started) * 1000

    def run(self) -> None:
        self.eval(MONITOR_CODE)
        self.client.once("createDeck", {"deck": "Bench"})
        for round_ in range(self.repeat):
            print(f"-- {self.prefix}round {round_ + 1}/{self.repeat}", flush=True)
            self.latency()
            self.concurrency()
            if self.transport_only:
                self.idle()
                continue
            self.add_notes(round_)
            self.media()
            self.info()
            if self.syncs:
                self.sync(round_)
            self.idle()

    def latency(self) -> None:
        count = 100 if self.quick else 300
        for action in ("version", "deckNames"):
            new = self.client.latencies_new_connection(action, count)
            keep = self.client.latencies_keep_alive(action, count)
            for label, values in (("new connection", new), ("keep-alive", keep)):
                for p in (0.5, 0.95, 0.99):
                    self.record(f"{action} {label} p{int(p * 100)} ms", percentile(values, p))

    def concurrency(self) -> None:
        for clients in (16, 64) if self.quick else (16, 64, 256):
            answered, refused, latencies = self.client.simultaneous("deckNames", clients)
            self.record(f"{clients} clients answered", answered)
            self.record(f"{clients} clients refused", refused)
            if latencies:
                self.record(f"{clients} clients p95 ms", percentile(latencies, 0.95))

    def add_notes(self, round_: int) -> None:
        sizes = (1000,) if self.quick else (1000, 10000)
        for size in sizes:
            notes = basic_notes(size, f"bench{round_}x{size}")
            self.eval(MONITOR_RESET)
            started = time.perf_counter()
            ids, probes = during(
                lambda n=notes: self.client.once("addNotes", {"notes": n}), self.version_ms
            )
            elapsed = time.perf_counter() - started
            assert len(ids) == size and all(isinstance(i, int) for i in ids)
            self.record(f"addNotes {size} notes/s", size / elapsed)
            self.record(f"addNotes {size} main-thread max block ms", self.eval(MONITOR_READ) * 1000)
            if probes:
                self.record(f"addNotes {size} concurrent version max ms", max(probes))

    def media(self) -> None:
        size = (5 if self.quick else 50) * 1024 * 1024
        data = base64.b64encode(os.urandom(size)).decode()
        pid = self.anki.process.pid
        baseline = proc_rss_bytes(pid)
        peak = [baseline]
        self.eval(MONITOR_RESET)

        def probe() -> float:
            peak[0] = max(peak[0], proc_rss_bytes(pid))
            return self.version_ms()

        started = time.perf_counter()
        name, probes = during(
            lambda: self.client.once("storeMediaFile", {"filename": "bench.bin", "data": data}),
            probe,
        )
        elapsed = time.perf_counter() - started
        assert isinstance(name, str)
        mib = size // (1024 * 1024)
        self.record(f"storeMediaFile {mib} MiB s", elapsed)
        # The payload is what the client sends: the base64 text.
        self.record(
            f"storeMediaFile {mib} MiB memory growth x payload", (peak[0] - baseline) / len(data)
        )
        self.record(
            f"storeMediaFile {mib} MiB main-thread max block ms", self.eval(MONITOR_READ) * 1000
        )
        if probes:
            self.record(f"storeMediaFile {mib} MiB concurrent version max ms", max(probes))
        self.client.once("deleteMediaFile", {"filename": name})

    def info(self) -> None:
        started = time.perf_counter()
        note_ids = self.client.once("findNotes", {"query": "deck:Bench"})
        infos = self.client.once("notesInfo", {"notes": note_ids[:10000]})
        self.record(f"findNotes+notesInfo {len(infos)} s", time.perf_counter() - started)
        card_ids = self.client.once("findCards", {"query": "deck:Bench"})[:10000]
        started = time.perf_counter()
        cards = self.client.once("cardsInfo", {"cards": card_ids})
        self.record(f"cardsInfo {len(cards)} s", time.perf_counter() - started)

    def sync(self, round_: int) -> None:
        size = 1000 if self.quick else 10000
        self.client.once("sync")  # what earlier steps added goes up first, unmeasured
        self.client.once("addNotes", {"notes": basic_notes(size, f"sync{round_}x{size}")})
        self.eval(MONITOR_RESET)
        started = time.perf_counter()
        _, probes = during(lambda: self.client.once("sync"), self.version_ms)
        self.record(f"sync {size} notes s", time.perf_counter() - started)
        self.record(f"sync {size} notes main-thread max block ms", self.eval(MONITOR_READ) * 1000)
        if probes:
            self.record(f"sync {size} notes concurrent version max ms", max(probes))

    def idle(self) -> None:
        pid = self.anki.process.pid
        seconds = 3 if self.quick else 10
        # Our own lateness monitor ticks every 10 ms: stop it while measuring idle.
        self.eval("mw._ankiconnect_stall_monitor[0].stop()\nresult = True")
        time.sleep(1)
        before = proc_cpu_seconds(pid)
        time.sleep(seconds)
        self.record("idle CPU % of a core", 100 * (proc_cpu_seconds(pid) - before) / seconds)
        self.eval("mw._ankiconnect_stall_monitor[0].start()\nresult = True")

    def report(self) -> None:
        print(f"\n{'figure':66} min / median / max over {self.repeat} run(s)")
        for name, values in self.figures.items():
            print(f"{name:66} {summary(values)}")

    def check_gross_regressions(self) -> None:
        """Fail only far beyond the targets (10x), never on noise."""
        limits = {
            "version new connection p50 ms": ("max", 10.0),
            "version keep-alive p50 ms": ("max", 5.0),
            "64 clients refused": ("max", 0),
            "addNotes 1000 notes/s": ("min", 300.0),
            "addNotes 1000 concurrent version max ms": ("max", 1000.0),
            "storeMediaFile 5 MiB s": ("max", 30.0),
            "sync 1000 notes main-thread max block ms": ("max", 1000.0),
        }
        if self.transport_only:
            limits = {k: v for k, v in limits.items() if k.startswith(("version", "64"))}
        for name, (kind, limit) in limits.items():
            name = self.prefix + name
            values = self.figures.get(name)
            if not values:
                continue
            value = statistics.median(values)
            if (kind == "max" and value > limit) or (kind == "min" and value < limit):
                self.failures.append(f"{name}: {value:.3f} (limit {kind} {limit})")


@contextlib.contextmanager
def logged_in(anki: AnkiInstance, server_dir: Path) -> Iterator[SyncServer]:
    """Start Anki's sync server and ``anki`` logged in to it (its collection uploaded)."""
    with SyncServer(server_dir) as server:
        anki.prepare()
        log_in(anki.base_dir, server.endpoint, full_sync="upload", sync_media=False)
        anki.start()
        yield server


@contextlib.contextmanager
def _started(anki: AnkiInstance) -> Iterator[AnkiInstance]:
    anki.start()
    yield anki


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small CI smoke run")
    parser.add_argument("--large", action="store_true", help="30k/100k-note collections")
    parser.add_argument("--sizes", default="30000,100000", help="--large: note counts")
    parser.add_argument("--repeat", type=int, default=None, help="rounds (default 3, quick 1)")
    parser.add_argument(
        "--selector",
        choices=("both", "default", "select"),
        default="both",
        help="as installed, with Windows' select() selector forced, or both (default)",
    )
    parser.add_argument(
        "--transport", action="store_true", help="only latency, client bursts and idle CPU"
    )
    args = parser.parse_args()
    repeat = args.repeat or (1 if args.quick else 3)
    if args.large:
        from bench.large import run_large

        bench = Bench(None, quick=False, repeat=repeat)
        run_large(bench, [int(size) for size in args.sizes.split(",")])
        bench.report()
        return 0
    figures: dict[str, list[float]] = {}
    failures: list[str] = []
    runs = []
    if args.selector in ("both", "default"):
        runs.append(({}, args.transport, ""))
    if args.selector in ("both", "select"):
        runs.append((FORCE_SELECT_ENV, True, SELECT_PREFIX))
    with tempfile.TemporaryDirectory(prefix="ankiconnect-bench-") as tmp:
        for index, (env, transport_only, prefix) in enumerate(runs):
            anki = AnkiInstance(Path(tmp) / f"base{index}", extra_env=env)
            # The full run also syncs to a local sync server; transport runs need none.
            syncs = not transport_only
            started: contextlib.AbstractContextManager[Any] = (
                logged_in(anki, Path(tmp) / f"sync-server{index}") if syncs else _started(anki)
            )
            with started:
                try:
                    bench = Bench(
                        anki,
                        args.quick,
                        repeat,
                        syncs=syncs,
                        transport_only=transport_only,
                        prefix=prefix,
                        figures=figures,
                    )
                    bench.run()
                    if args.quick:
                        bench.check_gross_regressions()
                    failures += bench.failures
                finally:
                    anki.stop()
    bench.report()
    for failure in failures:
        print(f"GROSS REGRESSION: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
