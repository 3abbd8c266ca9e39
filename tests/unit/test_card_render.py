"""Bulk rendering gives exactly what Anki's own card.question()/answer() give."""

from __future__ import annotations

from anki import hooks
from anki.collection import Collection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.collection.card_render import TextRenderer, _av_text, render_card, sound_tags_replaced


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


# Pieces that make texts near the edges of Anki's audio-tag syntax: cases, empty
# names, brackets inside names, TTS tags, play tags already there, entities, newlines.
AV_PIECES = [
    "[sound:", "[SOUND:", "[Sound:", "]", "[", "a", " ", "\n", "é", "猫", "😀", "[anki:",
    "[ANKI:", "tts", "play:q:0]", "&amp;", "<b>", "</b>", "[/anki:tts]", " lang=en_US",
    ":", "\\", "sound", "{{", "}}", "\u2028", "[sound:x.mp3]", "[anki:play:a:1]",
]  # fmt: skip


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pieces=st.lists(st.sampled_from(AV_PIECES), max_size=14), question_side=st.booleans())
def test_audio_tags_are_replaced_as_anki_replaces_them(
    col: Collection, pieces: list[str], question_side: bool
) -> None:
    text = "".join(pieces)
    anki = col._backend.extract_av_tags(text=text, question_side=question_side).text
    assert _av_text(col, text, question_side=question_side) == anki
    if "[anki:" not in text.lower():  # the texts answered without a call into Anki
        assert sound_tags_replaced(text, question_side=question_side) == anki


def test_texts_by_id_are_what_the_full_renderer_gives(col: Collection) -> None:
    ids = [
        add(col, "Basic", Front="猫 [sound:a.mp3] [sound:b.mp3]", Back="[sound:c.mp3] x"),
        add(col, "Basic", Front="[anki:tts lang=en_US]hi[/anki:tts]", Back="[sound:d.mp3]"),
        add(col, "Basic", Front="plain", Back=""),
    ]
    renderer = TextRenderer(col)
    for card_id in ids:
        card = col.get_card(card_id)  # type: ignore[arg-type]
        texts = renderer.texts(card_id)
        assert texts is not None
        question, answer, css = texts
        assert f"<style>{css}</style>{question}" == card.question()
        assert f"<style>{css}</style>{answer}" == card.answer()
    assert renderer.texts(1) is None  # an unknown id: the full path reports it
