"""Our index-friendly fields check gives the same answer as Anki's own (§E.1)."""

from __future__ import annotations

from anki.collection import Collection
from anki.decks import DeckId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.notes.builder import NoteDraft
from plugin.notes.duplicates import checksum_of, fast_fields_check, first_field_text

EXISTING = ["cat", "<b>dog</b>", "caf\u00e9", 'pic <img src="a.jpg">', "a&nbsp;b", "x y"]
PROBES = [
    *EXISTING,
    "dog",
    "cafe\u0301",
    " cat",
    "cat ",
    "CAT",
    "",
    " ",
    "<br>",
    "&nbsp;",
    "<div></div>",
    'pic <img src="a.jpg">',
    "pic a.jpg",
    "a\u00a0b",
    "x  y",
    "{{c1::cloze}}",
    "new",
]


def draft_for(col: Collection, model: str, first: str, second: str = "") -> NoteDraft:
    note = col.new_note(col.models.by_name(model))  # type: ignore[arg-type]
    note.fields = [first, second]
    return NoteDraft(note=note, deck_id=DeckId(1), deck_name="Default")


def fill(col: Collection) -> None:
    for text in EXISTING:
        col.add_note(draft_for(col, "Basic", text).note, 1)  # type: ignore[arg-type]
    # Same text in another note type must not count (Anki's rule is per type).
    col.add_note(draft_for(col, "Basic (and reversed card)", "other").note, 1)  # type: ignore[arg-type]


def test_fast_check_agrees_with_anki(col: Collection) -> None:
    fill(col)
    for probe in [*PROBES, "other"]:
        draft = draft_for(col, "Basic", probe)
        fast = fast_fields_check(col, draft)
        if fast is not None:
            assert fast == draft.note.fields_check(), probe


def test_fast_check_defers_cloze_cases_to_anki(col: Collection) -> None:
    assert fast_fields_check(col, draft_for(col, "Basic", "{{c1::x}}")) is None
    assert fast_fields_check(col, draft_for(col, "Basic", "a", "{{C2::x}}")) is None
    assert fast_fields_check(col, draft_for(col, "Cloze", "plain")) is None


def test_checksum_matches_anki_column(col: Collection) -> None:
    fill(col)
    for note_id, csum, fields in col.db.all("select id, csum, flds from notes"):
        assert checksum_of(first_field_text(col, fields.split("\x1f")[0])) == csum, note_id


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.sampled_from(["a", "b", " ", "<b>", "</b>", "&nbsp;", "\u0301", "é", "<br>"]),
        max_size=6,
    )
)
def test_fast_check_agrees_with_anki_on_generated_text(col: Collection, parts: list[str]) -> None:
    text = "".join(parts)
    if not col.note_count():
        fill(col)
        for extra in ["a", "ab", "a b", "é", "<b>a</b>b"]:
            col.add_note(draft_for(col, "Basic", extra).note, 1)  # type: ignore[arg-type]
    draft = draft_for(col, "Basic", text)
    assert fast_fields_check(col, draft) == draft.note.fields_check()
