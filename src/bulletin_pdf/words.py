"""Where a Chinese title may break: between words and phrases, never inside a word.

Pango breaks Chinese between any two characters, so a title can end a line on
`…座` and start the next with `谈会`. Titles and 目录 entries keep their words
whole instead: WORD JOINERs go between the characters of a word (invisible,
dropped from extracted text like the ones typography adds), and a line breaks
only where one word ends.

Word boundaries come from jieba's dictionary and model (rjieba: the Rust
jieba-rs, maintained, its dictionary built in and loaded in ~0.2 s); phrase
boundaries are spaces and punctuation, read by rule.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from .normalize import LINE_BREAK_CONTROLS, WORD_JOINER, is_cjk, is_han

CLOSING = set("、。，．：；！？）］｝」』】〕〗〉》”’…—")
OPENING = set("（［｛「『【〔〖〈《“‘")
# A phrase longer than this (characters) may break between its words: an article
# title's line holds 20 characters, a 目录 line about 30 after its indent and leader.
TITLE_PHRASE = 16
TOC_PHRASE = 24


@cache
def _segmenter():
    import rjieba  # loaded only when a title is set

    return rjieba


def words(text: str) -> list[str]:
    """`text` cut into words; marks stay with their word (closing after, opening before)."""
    pieces: list[str] = []
    pending = ""  # opening marks, waiting for their word
    for token in _segmenter().cut(text):
        if all(char in OPENING for char in token):
            pending += token
        elif pieces and (token.isspace() or all(char in CLOSING for char in token)) and not pending:
            pieces[-1] += token
        else:
            pieces.append(pending + token)
            pending = ""
    if pending:
        pieces.append(pending)
    return pieces


def phrases(text: str, longest: int = TITLE_PHRASE) -> list[str]:
    """`text` cut after spaces and punctuation; a phrase too long for a line is cut into words."""
    pieces: list[str] = []
    current = ""
    for index, char in enumerate(text):
        following = text[index + 1] if index + 1 < len(text) else ""
        if char in OPENING and current and current[-1] not in OPENING:
            pieces.append(current)
            current = ""
        current += char
        if (char.isspace() or char in CLOSING) and not (
                following.isspace() or following in CLOSING):
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return [part for piece in pieces
            for part in (words(piece) if len(piece) > longest else [piece])]


def kept_whole(pieces: list[str]) -> str:
    """The pieces joined, with a WORD JOINER between two Chinese characters of one piece."""
    out = []
    for piece in pieces:
        for index, char in enumerate(piece):
            out.append(char)
            following = piece[index + 1] if index + 1 < len(piece) else ""
            if (following and is_cjk(char) and is_cjk(following)
                    and char not in LINE_BREAK_CONTROLS):
                out.append(WORD_JOINER)
    return "".join(out)


def title_pieces(text: str) -> list[str]:
    """A title's unbreakable pieces: its phrases, long ones cut into words."""
    return phrases(text, TITLE_PHRASE)


def toc_pieces(text: str) -> list[str]:
    """A 目录 entry's unbreakable pieces: phrases, only very long ones cut into words."""
    return phrases(text, TOC_PHRASE)


def balanced_width(pieces: list[str], width_of: Callable[[str], float], line: float) -> float:
    """The narrowest measure (at most `line`) that sets `pieces` in as few lines as `line` allows,
    without a single character alone on the last line: balanced lines.

    Lines are filled greedily, as the browser does; the measure is found by
    bisection between the average line and the full line.
    """
    widths = [width_of(piece.rstrip()) for piece in pieces]
    lines = _greedy(pieces, widths, line)
    if len(lines) < 2:
        return line
    # No measure narrower than the widest piece: the browser would break inside it.
    low, high = max(sum(widths) / len(lines), *widths), line
    for _ in range(30):
        middle = (low + high) / 2
        trial = _greedy(pieces, widths, middle)
        if len(trial) <= len(lines) and not _lone_last(trial):
            high = middle
        else:
            low = middle
    return high


def _greedy(pieces: list[str], widths: list[float], line: float) -> list[str]:
    lines: list[str] = []
    used = 0.0
    for piece, width in zip(pieces, widths, strict=True):
        if lines and used + width <= line + 1e-6:
            lines[-1] += piece
            used += width_of_trailing(piece, width)
        else:
            lines.append(piece)
            used = width_of_trailing(piece, width)
    return lines


def width_of_trailing(piece: str, width: float) -> float:
    """A piece's width inside a line: its trailing space counts (a quarter em) when followed."""
    return width + (0.25 if piece.endswith(" ") else 0.0)


def _lone_last(lines: list[str]) -> bool:
    last = [char for char in lines[-1] if is_han(char)]
    return len(lines[-1].strip()) <= 2 and len(last) == 1
