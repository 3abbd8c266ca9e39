"""A large, seeded mining collection for the large-collection benchmark.

What a Yomitan/asbplayer miner has after a year or two: a "Mining" note type
(Expression, Reading, Meaning, Sentence, Audio), nested decks, one of them holding
20,000 cards, tags, and about a year of reviews (10^5 review-log rows at 100,000
notes). Generated once per size and cached outside the repository, keyed by a
generator version and Anki's version, so a change to either regenerates it.

Notes go in through ``col.add_notes`` in batches; card states and review logs are
written with SQL (Anki has no bulk API for history), which keeps 100,000 notes to
well under a minute.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 1
SEED = 17
BIG_DECK = "Mining::Anime::Frieren"
BIG_DECK_CARDS = 20_000
MODEL_NAME = "Mining"
FIELDS = ("Expression", "Reading", "Meaning", "Sentence", "Audio")
BATCH = 5_000
REVIEWS_PER_NOTE = 1.0  # 10^5 review-log rows at 100,000 notes
DAY_MS = 86_400_000

OTHER_DECKS = (
    "Mining::Anime::Bocchi",
    "Mining::Anime::Mushishi",
    "Mining::Novels::Kiki",
    "Mining::Novels::Kokoro",
    "Mining::Podcasts",
    "Core::Core2k",
    "Core::Core6k",
    "Grammar",
)
TAGS = ("mining", "anime", "novel", "podcast", "core", "jlpt::n1", "jlpt::n2", "jlpt::n3")
MEANINGS = [
    "cat",
    "dog",
    "house",
    "river",
    "mountain",
    "light",
    "shadow",
    "letter",
    "promise",
    "journey",
    "winter",
    "summer",
    "memory",
    "voice",
    "window",
    "station",
    "morning",
    "evening",
    "friend",
    "teacher",
    "story",
    "answer",
    "question",
    "dream",
    "garden",
    "bridge",
    "forest",
    "ocean",
    "season",
    "flower",
    "thunder",
    "silence",
    "courage",
]

QFMT = '<div class="expression">{{Expression}}</div>'
AFMT = (
    "{{FrontSide}}<hr id=answer>"
    '<div class="reading">{{Reading}}</div>'
    '<div class="meaning">{{Meaning}}</div>'
    '{{#Sentence}}<div class="sentence">{{Sentence}}</div>{{/Sentence}}'
    "{{Audio}}"
)
CSS = """.card {
  font-family: "Noto Sans JP", "Hiragino Kaku Gothic Pro", sans-serif;
  font-size: 24px;
  text-align: center;
  color: #1c1c1c;
  background-color: #fafafa;
}
.nightMode.card { color: #e6e6e6; background-color: #1f1f1f; }
.expression { font-size: 56px; margin: 12px 0; }
.reading { font-size: 28px; color: #6b6b6b; }
.meaning { font-size: 22px; margin-top: 10px; }
.sentence { font-size: 22px; margin-top: 16px; line-height: 1.6; }
.sentence b { color: #c0392b; }
"""

HIRAGANA = [chr(c) for c in range(0x3041, 0x3097)]
KANJI = [chr(c) for c in range(0x4E00, 0x4E00 + 2500)]


def cache_dir() -> Path:
    override = os.environ.get("ANKICONNECT_BENCH_CACHE")
    if override:
        return Path(override)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ankiconnect-bench"


def cached_collection(notes: int) -> Path:
    """The path of the generated collection of this size, generating it if needed."""
    from anki.buildinfo import version

    path = cache_dir() / f"mining-{notes}-g{GENERATOR_VERSION}-anki{version}.anki2"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        started = time.monotonic()
        generate(partial / "collection.anki2", notes)
        os.replace(partial / "collection.anki2", path)
        shutil.rmtree(partial, ignore_errors=True)
        print(f"generated {path} in {time.monotonic() - started:.0f} s", flush=True)
    return path


def words(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """``count`` distinct (expression, reading) pairs."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    while len(out) < count:
        expression = "".join(rng.choice(KANJI) for _ in range(rng.choice((1, 2, 2, 3))))
        if rng.random() < 0.3:
            expression += "".join(rng.choice(HIRAGANA) for _ in range(rng.randint(1, 3)))
        if expression in seen:
            continue
        seen.add(expression)
        reading = "".join(rng.choice(HIRAGANA) for _ in range(rng.randint(2, 6)))
        out.append((expression, reading))
    return out


def add_model(col: Any) -> Any:
    models = col.models
    model = models.new(MODEL_NAME)
    for name in FIELDS:
        models.add_field(model, models.new_field(name))
    template = models.new_template("Recognition")
    template["qfmt"] = QFMT
    template["afmt"] = AFMT
    models.add_template(model, template)
    model["css"] = CSS
    models.add(model)
    return models.by_name(MODEL_NAME)


def deck_plan(notes: int) -> list[str]:
    """The deck of each note, in note order: the big deck first, the rest spread."""
    big = min(BIG_DECK_CARDS, notes)
    rest = notes - big
    return [BIG_DECK] * big + [OTHER_DECKS[i % len(OTHER_DECKS)] for i in range(rest)]


def generate(path: Path, notes: int) -> None:
    from anki.collection import AddNoteRequest, Collection

    rng = random.Random(SEED)
    col = Collection(str(path))
    try:
        model = add_model(col)
        deck_ids = {name: col.decks.id(name) for name in (BIG_DECK, *OTHER_DECKS)}
        plan = deck_plan(notes)
        rng.shuffle(plan)  # interleaved, as mined over time
        pairs = words(rng, notes)
        for start in range(0, notes, BATCH):
            requests = []
            for index in range(start, min(notes, start + BATCH)):
                expression, reading = pairs[index]
                note = col.new_note(model)
                note["Expression"] = expression
                note["Reading"] = reading
                note["Meaning"] = ", ".join(rng.sample(MEANINGS, rng.randint(1, 3)))
                note["Sentence"] = (
                    f"{rng.choice(HIRAGANA)}{rng.choice(HIRAGANA)}は<b>{expression}</b>を"
                    f"{''.join(rng.choice(HIRAGANA) for _ in range(rng.randint(3, 8)))}。"
                )
                if rng.random() < 0.7:
                    note["Audio"] = f"[sound:yomitan_{index}.mp3]"
                note.tags = rng.sample(TAGS, rng.randint(1, 3))
                requests.append(AddNoteRequest(note, deck_ids[plan[index]]))
            col.add_notes(requests)
        _add_history(col, rng, notes)
    finally:
        col.close()


def _add_history(col: Any, rng: random.Random, notes: int) -> None:
    """About a year of reviews: some cards reviewed several times, their state to match."""
    db = col.db
    card_ids = db.list("select id from cards order by id")
    reviews_total = int(notes * REVIEWS_PER_NOTE)
    reviewed = rng.sample(card_ids, min(len(card_ids), reviews_total // 4))
    now_ms = int(time.time() * 1000)
    start_ms = now_ms - 365 * DAY_MS
    today = col.sched.today
    revlog: list[list[int]] = []
    card_updates: list[list[int]] = []
    used_ids: set[int] = set()
    per_card = max(1, reviews_total // max(1, len(reviewed)))
    for card_id in reviewed:
        ivl = 0
        factor = 2500
        lapses = 0
        when = start_ms + rng.randrange(0, 300 * DAY_MS)
        for step in range(per_card):
            # reviews in evening sessions, a few days apart, growing intervals
            review_id = when + rng.randrange(0, 3_600_000)
            while review_id in used_ids:
                review_id += 1
            used_ids.add(review_id)
            ease = rng.choice((1, 3, 3, 3, 4)) if step else 3
            last_ivl = ivl
            if ease == 1:
                lapses += 1
                ivl = 1
                kind = 2 if step else 0
            else:
                ivl = max(1, int(max(ivl, 1) * (2.5 if ease == 3 else 3.2)))
                kind = 1 if step else 0
            revlog.append(
                [review_id, card_id, 0, ease, ivl, last_ivl, factor, rng.randint(1500, 15000), kind]
            )
            when = min(now_ms - DAY_MS, review_id + ivl * DAY_MS // 2 + DAY_MS)
        due = today + rng.randint(-30, 60)
        card_updates.append([ivl, factor, per_card, lapses, due, card_id])
    db.executemany("insert into revlog values (?, ?, ?, ?, ?, ?, ?, ?, ?)", revlog)
    db.executemany(
        "update cards set type = 2, queue = 2, ivl = ?, factor = ?, reps = ?, lapses = ?,"
        " due = ?, left = 0 where id = ?",
        card_updates,
    )
