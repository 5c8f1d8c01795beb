"""CJK-friendly emphasis for markdown-it-py: `**一是加强学习。**然后` is bold.

CommonMark decides whether `**` may open or close emphasis from the
characters on either side. A closing `**` after a full-width mark and before
a letter (`。**然`) is not "right-flanking", so the asterisks print as they
are — in Chinese, where no space follows a sentence, that is most bold
phrases ending in punctuation. The CJK-friendly amendment
(github.com/tats-u/markdown-cjk-friendly, specification.md; implemented for
markdown-it in JavaScript by `markdown-it-cjk-friendly`) changes the
flanking rules only next to CJK characters: for `*`, a CJK character on
either side lets the run open and close, and CJK punctuation no longer
counts as punctuation that blocks it; `_` is unchanged except that a
standard variation selector after punctuation is looked through.
Outside CJK text the result is exactly CommonMark's.

markdown-it-py's `StateInline.scanDelims` makes the decision and the parser
creates its state itself, so this plugin replaces the emphasis rule with one
that asks `scan_delimiters` instead.
"""

from __future__ import annotations

import unicodedata

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_inline.state_inline import Delimiter, Scanned, StateInline

# Characters of East Asian Width W that are emoji by default (UTS #51
# Emoji_Presentation): pictographs, not CJK text. Everything W from U+1F300 to
# U+1FFFF is one; below that, these.
_EMOJI_PRESENTATION = (
    (0x231A, 0x231B), (0x23E9, 0x23EC), (0x23F0, 0x23F0), (0x23F3, 0x23F3),
    (0x25FD, 0x25FE), (0x2614, 0x2615), (0x2648, 0x2653), (0x267F, 0x267F),
    (0x2693, 0x2693), (0x26A1, 0x26A1), (0x26AA, 0x26AB), (0x26BD, 0x26BE),
    (0x26C4, 0x26C5), (0x26CE, 0x26CE), (0x26D4, 0x26D4), (0x26EA, 0x26EA),
    (0x26F2, 0x26F3), (0x26F5, 0x26F5), (0x26FA, 0x26FA), (0x26FD, 0x26FD),
    (0x2705, 0x2705), (0x270A, 0x270B), (0x2728, 0x2728), (0x274C, 0x274C),
    (0x274E, 0x274E), (0x2753, 0x2755), (0x2757, 0x2757), (0x2795, 0x2797),
    (0x27B0, 0x27B0), (0x27BF, 0x27BF), (0x2B1B, 0x2B1C), (0x2B50, 0x2B50),
    (0x2B55, 0x2B55), (0x1F004, 0x1F004), (0x1F0CF, 0x1F0CF), (0x1F18E, 0x1F18E),
    (0x1F191, 0x1F19A), (0x1F201, 0x1F201), (0x1F21A, 0x1F21A), (0x1F22F, 0x1F22F),
    (0x1F232, 0x1F236), (0x1F238, 0x1F23A), (0x1F250, 0x1F251), (0x1F300, 0x1FFFF),
)
# Hangul letters whose East Asian Width is N (medial and final jamo).
_NEUTRAL_HANGUL = ((0x1160, 0x11FF), (0xD7B0, 0xD7FF))
# Made W after Unicode 14 (Python 3.11's tables): trigrams, hexagrams, tetragrams.
_WIDE_SINCE_UNICODE_14 = ((0x2630, 0x2637), (0x268A, 0x268F), (0x4DC0, 0x4DFF),
                          (0x1D300, 0x1D356), (0x1D360, 0x1D376))
# Unassigned code points in these blocks are W (UAX #11); elsewhere they are not CJK.
_WIDE_WHEN_UNASSIGNED = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
                         (0x20000, 0x3FFFD))
_QUOTATION_MARKS = "‘’“”"
_IDEOGRAPHIC_VARIATION_SELECTORS = (0xE0100, 0xE01EF)


def _in(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(first <= code <= last for first, last in ranges)


def cjk_base(char: str) -> bool | None:
    """Whether `char` is a CJK character; None when its width is ambiguous (A)."""
    code = ord(char)
    if code < 0x1100:
        return False
    if unicodedata.category(char) == "Cn":
        return _in(code, _WIDE_WHEN_UNASSIGNED)
    if _in(code, _WIDE_SINCE_UNICODE_14):
        return True
    width = unicodedata.east_asian_width(char)
    if width in ("F", "H"):
        return True
    if width == "W":
        return not _in(code, _EMOJI_PRESENTATION)
    if width == "A":
        return None
    return width == "N" and _in(code, _NEUTRAL_HANGUL)


def is_cjk_character(char: str) -> bool:
    """The specification's "CJK character" (ambiguous-width characters are not)."""
    return bool(cjk_base(char))


def _previous_is_cjk(char: str, variation_selector: str | None) -> bool:
    """The character before the run, as CJK; `variation_selector` follows it when given."""
    base = cjk_base(char)
    if base is not None:
        return base
    if variation_selector is not None:
        # A fullwidth form of a quotation mark: “︁ (U+201C U+FE01).
        return variation_selector == "\ufe01" and char in _QUOTATION_MARKS
    return _in(ord(char), (_IDEOGRAPHIC_VARIATION_SELECTORS,))


def _is_variation_selector(char: str) -> bool:
    """A standard variation selector other than the emoji one (U+FE00–U+FE0E)."""
    return "\ufe00" <= char <= "\ufe0e"


def _punctuation(char: str) -> bool:
    return isMdAsciiPunct(ord(char)) or isPunctChar(char)


def scan_delimiters(state: StateInline, start: int, can_split_word: bool) -> Scanned:
    """`StateInline.scanDelims` with the CJK-friendly flanking rules."""
    source, end = state.src, state.posMax
    marker = source[start]
    last = source[start - 1] if start > 0 else " "  # a line's start counts as a space
    last_base, selector = last, None
    if _is_variation_selector(last):
        # Look through the selector to the character it modifies (unless that is a space).
        before = source[start - 2] if start > 1 else " "
        if unicodedata.category(before) != "Zs":
            last_base, selector = before, last
    position = start
    while position < end and source[position] == marker:
        position += 1
    count = position - start
    following = source[position] if position < end else " "

    last_space, next_space = isWhiteSpace(ord(last_base)), isWhiteSpace(ord(following))
    if last_space or next_space:
        return Scanned(not next_space, not last_space, count)
    last_punctuation, next_punctuation = _punctuation(last_base), _punctuation(following)
    # For `_` (which may not split a word) this is CommonMark's rule with neither
    # side a space; `*` may also open and close next to any CJK character.
    can_open, can_close = last_punctuation, next_punctuation
    if can_split_word:
        cjk_neighbour = bool(cjk_base(following)) or (
            _previous_is_cjk(last_base, selector) if selector else _previous_is_cjk(last, None))
        can_open = can_open or cjk_neighbour or not next_punctuation
        can_close = can_close or cjk_neighbour or not last_punctuation
    return Scanned(can_open, can_close, count)


def _emphasis(state: StateInline, silent: bool) -> bool:
    """markdown-it's emphasis tokenizer, with `scan_delimiters` deciding the flanking."""
    marker = state.src[state.pos]
    if silent or marker not in "_*":
        return False
    scanned = scan_delimiters(state, state.pos, marker == "*")
    for _ in range(scanned.length):
        token = state.push("text", "", 0)
        token.content = marker
        state.delimiters.append(Delimiter(
            marker=ord(marker), length=scanned.length, token=len(state.tokens) - 1, end=-1,
            open=scanned.can_open, close=scanned.can_close))
    state.pos += scanned.length
    return True


def cjk_emphasis_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.at("emphasis", _emphasis)
