"""Render a card's question and answer as the reviewer does, faster in bulk.

``TemplateRenderContext.render()`` always runs the ``card_did_render`` hooks. In a
plain Anki the only one is LaTeX's, which costs two backend round trips per card
even when the card holds no LaTeX — a third of ``cardsInfo``'s time for 10,000
cards. This renders exactly like ``render()`` and runs the hooks whenever they can
change anything: when another hook (an add-on's) is registered, or when the text
holds a LaTeX tag.
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING, Any

from anki import hooks, latex
from anki.card_rendering_pb2 import RenderCardResponse, RenderExistingCardRequest
from anki.template import (
    TemplateRenderContext,
    TemplateRenderOutput,
    apply_custom_filters,
    av_tags_to_native,
)

if TYPE_CHECKING:
    from anki.cards import Card
    from anki.collection import Collection
    from anki.notes import Note

# The LaTeX tags Anki's extractor recognises ([latex], [$], [$$]), and the audio tags
# its av-tag extraction replaces ([sound:x.mp3], [anki:tts]…), in any case: a false
# alarm only costs the exact slow path.
_LATEX_MARKER = re.compile(r"\[(?:latex|\$|\$\$)\]", re.IGNORECASE)
_AV_MARKER = re.compile(r"\[(?:sound|anki):", re.IGNORECASE)


def render_card(
    col: Collection, card: Card, note: Note, notetype: dict[str, Any]
) -> TemplateRenderOutput:
    context = TemplateRenderContext(col, card, note, notetype=notetype)
    if _hooks_may_change(context):
        return context.render()
    output = _render_without_hooks(context)
    if output is None or _has_latex(output):
        return context.render()
    return output


def _hooks_may_change(context: TemplateRenderContext | None = None) -> bool:
    registered = hooks.card_did_render._hooks
    return any(hook is not latex.on_card_did_render for hook in registered)


def hooks_may_change() -> bool:
    """Whether an add-on's ``card_did_render`` hook could change a rendered card."""
    return _hooks_may_change()


class TextRenderer:
    """``(question_text, answer_text, css)`` of cards by id, or None where only a
    full :func:`render_card` is exact; one per request and thread.

    The same steps as :func:`render_card` without building the card, its note or a
    render context: Anki's renderer loads both itself from the id. None (take the
    full path) for a template error, a field with a custom filter (its hooks get the
    context), a card holding LaTeX, or when an add-on's render hook is registered
    (the caller checks :func:`hooks_may_change` once per request).
    """

    def __init__(self, col: Collection) -> None:
        self.col = col
        # cardsInfo makes 20,000 of these calls in a row: the _raw call and one reused
        # request message skip building the generated wrapper's objects every time
        self._request = RenderExistingCardRequest(browser=False, partial_render=True)
        self._render = col._backend.render_existing_card_raw

    def texts(self, card_id: int) -> tuple[str, str, str] | None:
        self._request.card_id = card_id
        try:
            out = RenderCardResponse.FromString(self._render(self._request.SerializeToString()))
        except Exception:
            return None
        question = _filterless_text(out.question_nodes, front_side=None)
        if question is None:
            return None
        question = _av_text(self.col, question, question_side=True)
        answer = _filterless_text(out.answer_nodes, front_side=question)
        if answer is None:
            return None
        answer = _av_text(self.col, answer, question_side=False)
        if _has_latex_text(question, answer):
            return None
        return question, answer, out.css


def _filterless_text(nodes: Any, front_side: str | None) -> str | None:
    """``apply_custom_filters`` for nodes without filters; None if any has one."""
    if len(nodes) == 1 and nodes[0].HasField("text"):
        return str(nodes[0].text)  # most sides: the whole text rendered by Anki
    parts: list[str] = []
    for node in nodes:
        if node.HasField("text"):
            parts.append(node.text)
            continue
        replacement = node.replacement
        if replacement.filters:
            return None
        if replacement.field_name == "FrontSide" and front_side is not None:
            parts.append(front_side)
        else:
            parts.append(replacement.current_text)
    return "".join(parts)


# Anki's tag extraction replaces each [sound:NAME] (lower case, NAME one or more
# characters up to the next "]") with [anki:play:q:N] or [anki:play:a:N], counting
# from 0, and leaves every other text as it is. Texts holding any "[anki:" (a TTS tag,
# or the question's own play tags inside {{FrontSide}}) are left to Anki.
_SOUND_TAG = re.compile(r"\[sound:[^\]]+\]")
_ANKI_TAG = re.compile(r"\[anki:", re.IGNORECASE)


def _av_text(col: Collection, text: str, *, question_side: bool) -> str:
    if _AV_MARKER.search(text) is None:
        return text
    if _ANKI_TAG.search(text) is None:
        return sound_tags_replaced(text, question_side=question_side)
    return str(col._backend.extract_av_tags(text=text, question_side=question_side).text)


def sound_tags_replaced(text: str, *, question_side: bool) -> str:
    """What Anki's ``extract_av_tags`` gives for a text without ``[anki:`` tags (a
    round trip per card saved; tests compare the two on generated texts)."""
    side = "q" if question_side else "a"
    numbers = itertools.count()
    return _SOUND_TAG.sub(lambda _match: f"[anki:play:{side}:{next(numbers)}]", text)


def _has_latex(output: TemplateRenderOutput) -> bool:
    return _has_latex_text(output.question_text, output.answer_text)


def _has_latex_text(question: str, answer: str) -> bool:
    return _LATEX_MARKER.search(question) is not None or _LATEX_MARKER.search(answer) is not None


def _render_without_hooks(context: TemplateRenderContext) -> TemplateRenderOutput | None:
    """The body of ``TemplateRenderContext.render()`` up to its hook call."""
    try:
        partial = context._partially_render()
    except Exception:
        return None  # template errors: let render() produce its error output
    col = context.col()
    context._question_side = True
    question = apply_custom_filters(partial.qnodes, context, front_side=None)
    question_text, question_tags = _extract_av_tags(col, question, question_side=True)
    context._question_side = False
    answer = apply_custom_filters(partial.anodes, context, front_side=question_text)
    answer_text, answer_tags = _extract_av_tags(col, answer, question_side=False)
    context._latex_svg = partial.latex_svg
    return TemplateRenderOutput(
        question_text=question_text,
        answer_text=answer_text,
        question_av_tags=question_tags,
        answer_av_tags=answer_tags,
        css=partial.css,
    )


def _extract_av_tags(col: Collection, text: str, *, question_side: bool) -> tuple[str, list[Any]]:
    """Anki's audio-tag extraction; text without such tags is returned as it is."""
    if _AV_MARKER.search(text) is None:
        return text, []
    out = col._backend.extract_av_tags(text=text, question_side=question_side)
    return out.text, av_tags_to_native(out.av_tags)
