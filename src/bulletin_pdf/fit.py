"""Keeping content inside the text block: what a layout needs to know before rendering.

WeasyPrint has no fit-to-width text and lets a table wider than the page run
off it. The layout shrinks such content in CSS; this module supplies the facts
it cannot see: how wide a text is in a font (advance widths from the font file,
as Pango lays them out without kerning), where a bulletin's name splits into
masthead lines, and how wide each Markdown table's columns must be for the words
no line may break.
"""

from __future__ import annotations

from dataclasses import dataclass

from markdown_it.token import Token

from .fonts import FontFile, face_advances
from .normalize import is_cjk, is_han

NUMBER_ENDS = set("0123456789%")


def advance_ems(text: str, font: FontFile) -> float:
    """The text's width in ems of its font size, letter-spacing not included.

    A character the font lacks counts as one em: the coverage check has already
    reported it, and a full em is the safe guess for the fallback's glyph.
    """
    widths = face_advances(font.path, font.index)
    return sum(widths.get(ord(char), 1.0) for char in text)


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
    """A table of an article: its id, its source line, and the words no line may break."""

    anchor: str  # the table's id in the document
    line: int | None  # of its header row
    columns: tuple[frozenset[str], ...]  # per column, the distinct unbreakable words of its cells


def table_shapes(tokens: list[Token], first_line: int, anchor: str) -> tuple[TableShape, ...]:
    """Every table's shape; each table gets an id (`<anchor>-table-<n>`) for the layout.

    `first_line` is the file line of the Markdown body's first line.
    """
    shapes = []
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            table_id = f"{anchor}-table-{len(shapes) + 1}"
            token.attrSet("id", table_id)
            shapes.append(TableShape(table_id, first_line + token.map[0] if token.map else None,
                                     _column_words(tokens, index)))
    return tuple(shapes)


def _column_words(tokens: list[Token], table_open: int) -> tuple[frozenset[str], ...]:
    columns: list[set[str]] = []
    column = 0
    for token in tokens[table_open + 1:]:
        if token.type == "table_close":
            break
        if token.type == "tr_open":
            column = 0
        elif token.type in ("th_open", "td_open"):
            while len(columns) <= column:
                columns.append(set())
        elif token.type in ("th_close", "td_close"):
            column += 1
        elif token.type == "inline":
            columns[column] |= unbreakable_words(token.content)
    return tuple(frozenset(words) for words in columns)


def unbreakable_words(text: str) -> set[str]:
    """Runs of Latin letters, digits and their marks, which lines break only at spaces.

    A number keeps the Chinese unit after it (2025年, 37名): typography glues them.
    """
    words: set[str] = set()
    word = ""
    for char in text + " ":
        if not (char.isspace() or is_cjk(char)):
            word += char
            continue
        if word:
            words.add(word + char if is_han(char) and word[-1] in NUMBER_ENDS else word)
        word = ""
    return words


# A table cell's narrowest text, in ems, where no line can break: a character and a mark
# that may not part from it (元）, “好); with words broken anywhere, a character and the
# compressed mark beside it (好”: separate boxes, which WeasyPrint does not break between).
WHOLE_WORDS_FLOOR_EM = 2.0
BROKEN_WORDS_FLOOR_EM = 1.5
BOLD_ALLOWANCE = 1.1  # header cells are bold, a little wider than the regular face measured


@dataclass(frozen=True)
class TableFit:
    """How a table is set: its least width in ems of its text; whether its words break
    anywhere; whether it then fits the text block at the smallest size allowed."""

    anchor: str
    ems: float
    breaks_words: bool
    fits: bool


def table_fit(table: TableShape, font: FontFile, padding_em: float, smallest_pt: float,
              width_pt: float) -> TableFit:
    """Each column as wide as its widest word and padding; words stay whole if the table
    then fits at the smallest size, else they break anywhere and only the floor counts."""
    whole = sum(max([WHOLE_WORDS_FLOOR_EM, *(advance_ems(word, font) * BOLD_ALLOWANCE
                                             for word in words)]) + padding_em
                for words in table.columns)
    if whole * smallest_pt <= width_pt:
        return TableFit(table.anchor, round(whole, 3), breaks_words=False, fits=True)
    broken = len(table.columns) * (BROKEN_WORDS_FLOOR_EM + padding_em)
    return TableFit(table.anchor, round(broken, 3), breaks_words=True,
                    fits=broken * smallest_pt <= width_pt)
