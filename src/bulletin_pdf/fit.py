"""Keeping content inside the text block: what a layout needs to know before rendering.

WeasyPrint has no fit-to-width text and lets a table wider than the page run
off it. The layout shrinks such content in CSS; this module supplies the facts
it cannot see: how wide a text is in a font (advance widths from the font file,
as Pango lays them out without kerning), where a bulletin's name splits into
masthead lines, and how many columns each Markdown table has.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from fontTools.ttLib import TTFont
from markdown_it.token import Token

from .fonts import FontFile


def advance_ems(text: str, font: FontFile) -> float:
    """The text's width in ems of its font size, letter-spacing not included.

    A character the font lacks counts as one em: the coverage check has already
    reported it, and a full em is the safe guess for the fallback's glyph.
    """
    widths = _advance_widths(font)
    return sum(widths.get(ord(char), 1.0) for char in text)


@cache
def _advance_widths(font: FontFile) -> dict[int, float]:
    """Code point → advance width in ems, from the font's cmap and hmtx tables."""
    with TTFont(font.path, fontNumber=font.index, lazy=True) as opened:
        metrics = opened["hmtx"].metrics
        units = opened["head"].unitsPerEm
        return {code: metrics[glyph][0] / units for code, glyph in opened.getBestCmap().items()}


def split_masthead(name: str, genre_words: tuple[str, ...]) -> tuple[str, ...]:
    """`2026年度…读书班简报` → (`2026年度…读书班`, `简报`): the trailing genre word alone.

    Bulletins print the genre word (简报、快报…) large on a line of its own under
    the issuing body's name. The longest genre word that ends the name wins
    (工作简报 before 简报); a name that is only a genre word, or has none, stays whole.
    """
    for word in sorted(genre_words, key=len, reverse=True):
        if name.endswith(word) and len(name) > len(word):
            return (name[:-len(word)].rstrip(), word)
    return (name,)


@dataclass(frozen=True)
class TableShape:
    """A table of an article: how many columns, and the source line of its header row."""

    columns: int
    line: int | None


def table_shapes(tokens: list[Token], first_line: int) -> tuple[TableShape, ...]:
    """Every table's column count, also handed to the layout as the table's `--columns`.

    `first_line` is the file line of the Markdown body's first line.
    """
    shapes = []
    for index, token in enumerate(tokens):
        if token.type != "table_open":
            continue
        columns = _header_cells(tokens, index)
        token.attrSet("style", f"--columns: {columns}")
        shapes.append(TableShape(columns, first_line + token.map[0] if token.map else None))
    return tuple(shapes)


def _header_cells(tokens: list[Token], table_open: int) -> int:
    """Cells of the table's first row (markdown-it pads every row to the header's count)."""
    count = 0
    for token in tokens[table_open + 1:]:
        if token.type == "th_open":
            count += 1
        elif token.type == "tr_close":
            break
    return count
