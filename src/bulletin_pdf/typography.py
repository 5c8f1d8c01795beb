"""Stage: Chinese typography on the parsed article (between Markdown and layout).

Two jobs, both on markdown-it tokens rather than on HTML strings:
- which normalisation rules run (settings from the layout, overridable per issue);
- markup the layout needs for clreq typesetting that WeasyPrint lacks:
  * 标点挤压: of two adjacent full-width marks, the one whose blank half faces the
    other is wrapped in `<span class="compress">` (the layout sets the font's
    `halt` feature on it), so `。”` `），` `》、` `“《` take 1.5 em instead of 2;
  * CJK–Latin spacing: a space (¼ em in the body font) between Chinese and a
    run of Latin letters or digits, except digits before the house style's
    units (年月日…);
  * 避头尾 that Pango's UAX #14 line breaking lacks: a WORD JOINER (U+2060,
    invisible, no glyph, no font) before `——`, `～` and `·`, and between a number
    and the Chinese unit that follows it, so the character before is pushed down
    with them instead of leaving them at a line start.
  * Soft line breaks between two Chinese characters render as nothing (HTML
    would show them as a space).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from markdown_it.token import Token

from .normalize import LINE_BREAK_CONTROLS, RULES, WORD_JOINER, ZERO_WIDTH_SPACE, is_han
from .schema import Field, Schema, boolean, text

# Full-width marks whose glyph sits on the left (blank half on the right), and
# opening marks whose glyph sits on the right, in Simplified Chinese fonts.
TRAILING_BLANK = set("、。，．：；！？）］｝」』】〕〗〉》”’")
LEADING_BLANK = set("（［｛「『【〔〖〈《“‘")
# Characters that may not start a line but which Pango (UAX #14) lets through.
NO_BREAK_BEFORE = ("——", "～", "·")

SETTINGS_SCHEMA: Schema = {
    **{rule: Field(boolean) for rule in RULES},
    "compress": Field(boolean),  # 标点挤压
    "autospace": Field(boolean),  # CJK–Latin spacing
    "autospace_units": Field(text),  # no spacing between digits and these characters
    "kinsoku": Field(boolean),  # 避头尾 beyond what Pango does
}
DEFAULTS = {**dict.fromkeys(RULES, True), "compress": True, "autospace": True,
            "autospace_units": "年月日时分秒", "kinsoku": True}


@dataclass(frozen=True)
class Typography:
    rules: frozenset[str]
    compress: bool = True
    autospace: bool = True
    autospace_units: str = DEFAULTS["autospace_units"]
    kinsoku: bool = True

    @classmethod
    def merged(cls, *layers: dict | None) -> Typography:
        """Defaults, then the layout's settings, then the issue's (None = not given)."""
        values = dict(DEFAULTS)
        for layer in layers:
            values.update({key: value for key, value in (layer or {}).items() if value is not None})
        return cls(frozenset(rule for rule in RULES if values[rule]), values["compress"],
                   values["autospace"], values["autospace_units"], values["kinsoku"])


DEFAULT_TYPOGRAPHY = Typography.merged()


def mark_up(tokens: list[Token], settings: Typography) -> None:
    """Add the typography markup to every inline token of a parsed document."""
    for token in tokens:
        if token.type == "inline" and token.children:
            token.children = inline_markup(token.children, settings)


def inline_markup(children: list[Token], settings: Typography) -> list[Token]:
    visible = "".join(child.content for child in children if child.type == "text")
    result: list[Token] = []
    position = 0  # index into `visible`, for the characters around each text token
    for index, child in enumerate(children):
        if child.type == "softbreak" and _joins_chinese(children, index):
            continue
        if child.type != "text":
            result.append(child)
            continue
        before = visible[position - 1] if position else ""
        after = visible[position + len(child.content):position + len(child.content) + 1]
        result += _segments_as_tokens(child.content, before, after, settings)
        position += len(child.content)
    return result


def _joins_chinese(children: list[Token], index: int) -> bool:
    before = children[index - 1].content[-1:] if index > 0 else ""
    after = children[index + 1].content[:1] if index + 1 < len(children) else ""
    return is_han(before) or is_han(after)


def _segments_as_tokens(content: str, before: str, after: str, settings: Typography
                        ) -> list[Token]:
    tokens: list[Token] = []
    for segment, classes in segments(content, before, after, settings):
        text_token = Token("text", "", 0, content=segment)
        if not classes:
            tokens.append(text_token)
            continue
        opening = Token("span_open", "span", 1)
        opening.attrSet("class", " ".join(classes))
        tokens += [opening, text_token, Token("span_close", "span", -1)]
    return tokens


def segments(text: str, before: str = "", after: str = "",
             settings: Typography = DEFAULT_TYPOGRAPHY) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Split `text` into (piece, span classes); `before`/`after` are its neighbours."""
    if settings.autospace:
        text = _autospace(text, before, after, settings.autospace_units)
    if settings.kinsoku:
        text = _join_words(text)
    yield from _compressed(text, before, settings)


NUMBER_BEFORE_HAN = re.compile(r"(?<![A-Za-z0-9.,])[0-9](?:[0-9.,]*[0-9])?%? ?(?=[\u3400-\u9fff])")
LATIN_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,%+\-/:']*[A-Za-z0-9%]|[A-Za-z0-9]")


def _autospace(text: str, before: str, after: str, units: str) -> str:
    """A space between Chinese and a run of Latin letters or digits.

    The body font's space is about a quarter em wide (Noto Serif CJK: 0.256 em);
    being a real space, it disappears at a line's start and end and stretches
    with justification, as clreq's CJK–Latin spacing should. Digits next to one
    of the house style's units (2025年5月21日) stay tight.
    """
    pieces = []
    position = 0
    for match in LATIN_RUN.finditer(text):
        start, end = match.span()
        previous = text[start - 1] if start else before
        following = text[end] if end < len(text) else after
        pieces.append(text[position:start])
        digits_first, digits_last = match.group()[0].isdigit(), match.group()[-1].isdigit()
        if is_han(previous) and not (digits_first and previous in units):
            pieces.append(" ")
        pieces.append(match.group())
        if is_han(following) and not (digits_last and following in units):
            pieces.append(" ")
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _compressed(text: str, before: str, settings: Typography
                ) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Pieces of `text`, with the mark to compress in each adjacent pair on its own."""
    if not settings.compress:
        if text:
            yield text, ()
        return
    start = 0
    for index, char in enumerate(text):
        following = _next_visible(text, index + 1)
        if char in TRAILING_BLANK and (following in TRAILING_BLANK or following in LEADING_BLANK):
            squeeze = True
        else:
            previous = _previous_visible(text, index) or before
            squeeze = char in LEADING_BLANK and previous in LEADING_BLANK
        if squeeze:
            if index > start:
                yield text[start:index], ()
            yield char, ("compress",)
            start = index + 1
    if start < len(text):
        yield text[start:], ()


def _next_visible(text: str, index: int) -> str:
    while index < len(text) and text[index] in LINE_BREAK_CONTROLS:
        index += 1
    return text[index] if index < len(text) else ""


def _previous_visible(text: str, index: int) -> str:
    while index > 0 and text[index - 1] in LINE_BREAK_CONTROLS:
        index -= 1
    return text[index - 1] if index > 0 else ""


def _join_words(text: str) -> str:
    """WORD JOINERs where clreq forbids a break that Pango would allow, and ZERO WIDTH
    SPACEs where clreq allows one that Pango forbids: UAX #14 keeps curly quotes
    (class QU) glued to both neighbours, so 是“新 would move down as a block."""
    text = re.sub(r"(?<=[\u3400-\u9fff，。、：；！？）》」』】])(?=[“‘])", ZERO_WIDTH_SPACE, text)
    text = re.sub(r"(?<=[”’])(?=[\u3400-\u9fff（《「『【“‘])", ZERO_WIDTH_SPACE, text)
    for mark in NO_BREAK_BEFORE:
        text = re.sub(f"(?<=[^\\s{WORD_JOINER}])(?={re.escape(mark)})", WORD_JOINER, text)
    # A number stays with the Chinese unit that follows it: 37名, 2025年, 10万
    # (also across the CJK–Latin space: 37 名). Not a code such as G60 or H5N1:
    # what follows it is no unit, and keeping it pushes a whole group down a line.
    return NUMBER_BEFORE_HAN.sub(lambda match: match.group() + WORD_JOINER, text)
