"""Large-collection benchmark: the figures of the big-collection issue at 30,000 and
100,000 notes (``bench/run.py --large``).

Each size's collection is generated once (``bench/large_collection.py``, cached outside
the repository) and copied for every Anki boot, so runs never change it. Timings are
taken from sending the request to the last byte of the reply; parsing the reply in the
client is not counted. Peak memory is the Anki process's RSS sampled every 5 ms during
the request, each in a freshly booted Anki (a previous request's freed memory would
otherwise hide or inflate the next one's peak).
"""

from __future__ import annotations

import http.client
import json
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.large_collection import BIG_DECK, cached_collection
from tests.e2e.harness import AnkiInstance, collection_path

SIZES = (30_000, 100_000)
YOMITAN_LOOKUPS = 20
CARDS_PER_ASBPLAYER_REQUEST = 1_000
NOTES_INFO_COUNT = 10_000
ADD_NOTES_COUNT = 1_000


class Timed:
    """One request on a new connection; the reply's bytes and the time to its last byte."""

    def __init__(self, port: int) -> None:
        self.port = port

    def raw(self, action: str, params: dict[str, Any]) -> tuple[bytes, float]:
        body = json.dumps({"action": action, "version": 6, "params": params}).encode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        try:
            started = time.perf_counter()
            connection.request("POST", "/", body)
            data = connection.getresponse().read()
            elapsed = time.perf_counter() - started
        finally:
            connection.close()
        return data, elapsed

    def call(self, action: str, params: dict[str, Any]) -> tuple[Any, float]:
        data, elapsed = self.raw(action, params)
        reply = json.loads(data)
        if reply["error"] is not None:
            raise RuntimeError(f"{action}: {reply['error']}")
        return reply["result"], elapsed


class RssSampler:
    """The highest RSS of a process while a block runs (sampled every 5 ms)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.005)

    def __enter__(self) -> RssSampler:
        self.peak = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def mining_notes(count: int, tag: str) -> list[dict[str, Any]]:
    return [
        {
            "deckName": "Mining::Added",
            "modelName": "Mining",
            "fields": {
                "Expression": f"{tag}語{i}",
                "Reading": f"ご{i}",
                "Meaning": f"word {i}",
                "Sentence": f"これは<b>{tag}語{i}</b>です。",
                "Audio": "",
            },
            "tags": ["bench", tag],
        }
        for i in range(count)
    ]


class LargeBench:
    """Prints every figure of the large-collection issue for one collection size."""

    def __init__(self, bench: Any, notes: int, tmp: Path) -> None:
        self.bench = bench  # bench.run.Bench: record(), eval(), the stall monitor
        self.notes = notes
        self.tmp = tmp
        self.source = cached_collection(notes)
        self.boots = 0

    def label(self, name: str) -> str:
        return f"{self.notes // 1000}k: {name}"

    def boot(self) -> AnkiInstance:
        """A fresh Anki on a fresh copy of the generated collection."""
        from bench.run import Client
        from tests.e2e.support import MONITOR_CODE

        self.boots += 1
        base = self.tmp / f"base-{self.notes}-{self.boots}"
        target = collection_path(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.source, target)
        anki = AnkiInstance(base, collection_setup=None, boot_timeout=180)
        anki.start()
        self.bench.anki = anki
        self.bench.client = Client(anki.port)
        self.bench.eval(MONITOR_CODE)
        return anki

    def stall(self) -> float:
        from tests.e2e.support import MONITOR_READ

        return float(self.bench.eval(MONITOR_READ)) * 1000

    def reset_stall(self) -> None:
        from tests.e2e.support import MONITOR_RESET

        self.bench.eval(MONITOR_RESET)

    def timed(self, name: str, action: str, params: dict[str, Any]) -> Any:
        client = Timed(self.bench.anki.port)
        self.reset_stall()
        result, elapsed = client.call(action, params)
        self.bench.record(self.label(f"{name} s"), elapsed)
        self.bench.record(self.label(f"{name}: main thread blocked ms"), self.stall())
        return result

    def run_round(self) -> None:
        anki = self.boot()
        try:
            self.timings()
        finally:
            anki.stop()
        self.memory()

    def timings(self) -> None:
        client = Timed(self.bench.anki.port)
        deck_query = f'"deck:{BIG_DECK}"'
        card_ids, _ = client.call("findCards", {"query": deck_query})
        self.bench.record(self.label("cards in the big deck"), len(card_ids))
        self.timed(
            f"cardsInfo {len(card_ids)} cards, one request", "cardsInfo", {"cards": card_ids}
        )
        self.reset_stall()
        started = time.perf_counter()
        step = CARDS_PER_ASBPLAYER_REQUEST
        for start in range(0, len(card_ids), step):
            client.call("cardsInfo", {"cards": card_ids[start : start + step]})
        self.bench.record(
            self.label(f"cardsInfo {len(card_ids)} cards in {step}-card requests s"),
            time.perf_counter() - started,
        )
        self.bench.record(
            self.label(f"cardsInfo in {step}-card requests: main thread blocked ms"), self.stall()
        )
        self.yomitan(client)
        note_ids, _ = client.call("findNotes", {"query": deck_query})
        self.timed(
            f"notesInfo {NOTES_INFO_COUNT} notes",
            "notesInfo",
            {"notes": note_ids[:NOTES_INFO_COUNT]},
        )
        self.timed("getNumCardsReviewedByDay", "getNumCardsReviewedByDay", {})
        reviews = self.timed(
            "cardReviews of the big deck", "cardReviews", {"deck": BIG_DECK, "startID": 0}
        )
        self.bench.record(self.label("reviews in the big deck"), len(reviews))
        self.timed(
            f"getReviewsOfCards {len(card_ids)} cards", "getReviewsOfCards", {"cards": card_ids}
        )

    def yomitan(self, client: Timed) -> None:
        """A multi of 20 findNotes as Yomitan sends it: half the words are in the
        collection, half are not."""
        rng = random.Random(self.bench.figures.__len__())
        note_ids, _ = client.call("findNotes", {"query": f'"deck:{BIG_DECK}"'})
        sample = rng.sample(note_ids, YOMITAN_LOOKUPS // 2)
        infos, _ = client.call("notesInfo", {"notes": sample})
        words = [info["fields"]["Expression"]["value"] for info in infos]
        words += [f"未知{i}語" for i in range(YOMITAN_LOOKUPS - len(words))]
        actions = [
            {"action": "findNotes", "params": {"query": f'"expression:{word}"'}} for word in words
        ]
        self.reset_stall()
        found, elapsed = client.call("multi", {"actions": actions})
        assert sum(1 for ids in found if ids) >= YOMITAN_LOOKUPS // 2
        self.bench.record(self.label(f"multi of {YOMITAN_LOOKUPS} findNotes s"), elapsed)
        self.bench.record(self.label("multi of findNotes: main thread blocked ms"), self.stall())

    def memory(self) -> None:
        """Peak RSS during each request, each in a freshly booted Anki."""
        deck_query = f'"deck:{BIG_DECK}"'
        cases: list[tuple[str, str, Any]] = [
            ("cardsInfo of the big deck", "cardsInfo", None),
            (f"notesInfo {NOTES_INFO_COUNT}", "notesInfo", None),
            (f"addNotes {ADD_NOTES_COUNT}", "addNotes", None),
        ]
        for name, action, _ in cases:
            anki = self.boot()
            try:
                assert anki.process is not None
                client = Timed(anki.port)
                if action == "cardsInfo":
                    ids, _ = client.call("findCards", {"query": deck_query})
                    params: dict[str, Any] = {"cards": ids}
                elif action == "notesInfo":
                    ids, _ = client.call("findNotes", {"query": deck_query})
                    params = {"notes": ids[:NOTES_INFO_COUNT]}
                else:
                    self.bench.eval("mw.col.decks.id('Mining::Added')\nresult = True")
                    params = {"notes": mining_notes(ADD_NOTES_COUNT, f"b{self.boots}")}
                time.sleep(1.0)  # let start-up work settle
                with RssSampler(anki.process.pid) as idle:
                    time.sleep(0.5)
                self.bench.record(self.label("idle RSS before the request MiB"), idle.peak / 2**20)
                with RssSampler(anki.process.pid) as sampler:
                    client.call(action, params)
                self.bench.record(self.label(f"peak RSS during {name} MiB"), sampler.peak / 2**20)
                # what the request itself adds (Anki's idle RSS varies from boot to boot)
                growth = (sampler.peak - idle.peak) / 2**20
                self.bench.record(self.label(f"RSS growth during {name} MiB"), growth)
            finally:
                anki.stop()


def run_large(bench: Any, sizes: list[int] | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="ankiconnect-bench-large-") as tmp:
        for notes in sizes or SIZES:
            large = LargeBench(bench, notes, Path(tmp))
            for round_ in range(bench.repeat):
                print(f"-- {notes} notes, round {round_ + 1}/{bench.repeat}", flush=True)
                large.run_round()
                # each boot's base folder holds a copy of the collection; drop them
                for base in Path(tmp).glob(f"base-{notes}-*"):
                    shutil.rmtree(base, ignore_errors=True)
