"""Bulk rendering gives exactly what Anki's own card.question()/answer() give."""

from __future__ import annotations

from anki import hooks
from anki.collection import Collection

from plugin.collection.card_render import render_card


def add(col: Collection, model: str, **fields: str) -> int:
    note = col.new_note(col.models.by_name(model))  # type: ignore[arg-type]
    for name, value in fields.items():
        note[name] = value
    col.add_note(note, col.decks.id("Default"))  # type: ignore[arg-type]
    return note.card_ids()[0]


def same_as_anki(col: Collection, card_id: int) -> None:
    card = col.get_card(card_id)  # type: ignore[arg-type]
    note = card.note()
    ours = render_card(col, card, note, note.note_type())  # type: ignore[arg-type]
    reference = col.get_card(card_id)  # type: ignore[arg-type]
    assert ours.question_and_style() == reference.question()
    assert ours.answer_and_style() == reference.answer()
    assert ours.question_av_tags == reference.question_av_tags()
    assert ours.answer_av_tags == reference.answer_av_tags()


def test_plain_cloze_and_media_cards(col: Collection) -> None:
    same_as_anki(col, add(col, "Basic", Front="cat <b>bold</b>", Back="[sound:cat.mp3]"))
    same_as_anki(col, add(col, "Cloze", Text="{{c1::Paris}} is in {{c2::France}}"))
    same_as_anki(
        col, add(col, "Basic", Front="[anki:tts lang=en_US]hello[/anki:tts]", Back="[SOUND:x.mp3]")
    )


def test_latex_still_goes_through_anki_hooks(col: Collection) -> None:
    card_id = add(col, "Basic", Front="[latex]x^2[/latex]", Back="[$]y[/$]")
    same_as_anki(col, card_id)
    card = col.get_card(card_id)  # type: ignore[arg-type]
    ours = render_card(col, card, card.note(), card.note().note_type())  # type: ignore[arg-type]
    assert "[latex]" not in ours.question_text  # the LaTeX hook replaced the tag


def test_an_add_on_hook_is_honoured(col: Collection) -> None:
    def shout(output, _context) -> None:  # type: ignore[no-untyped-def]
        output.question_text = output.question_text.upper()

    hooks.card_did_render.append(shout)
    try:
        card_id = add(col, "Basic", Front="quiet", Back="back")
        card = col.get_card(card_id)  # type: ignore[arg-type]
        ours = render_card(col, card, card.note(), card.note().note_type())  # type: ignore[arg-type]
        assert ours.question_text == "QUIET"
    finally:
        hooks.card_did_render.remove(shout)
