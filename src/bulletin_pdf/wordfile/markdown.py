"""A recognised article (`structure.Draft`) written as our Markdown with front matter.

Everything the author typed stays text: characters Markdown would read as
markup (`*`, `_`, `[`, backticks, `<`, a `1. ` or `#` starting a line…) are
escaped, so the build prints them and never finds leftover markup. Bold and
italic become `**…**` and `*…*`; each paragraph is parsed back with the
build's own Markdown and, should an emphasis not come out as emphasis, is
written plain instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from ..articles import MARKDOWN
from .reading import Note, NoteMark, Paragraph, Piece, Span, Table
from .structure import WHITESPACE, BodyBlock, Draft, FigureRow, Heading

INLINE_SPECIAL = re.compile(r"[\\`*_\[\]<]|&(?=#?\w+;)")
LINE_START_SPECIAL = re.compile(r"^(?:[#>+-]|=+\s*$|~~~)|^(\d{1,9})([.)])(?=\s|$)")
TEXT_TOKENS = ("text", "text_special")
NOTE_INDENT = "    "


@dataclass
class Written:
    """The article's Markdown, and how its pictures were named."""

    markdown: str
    pictures: dict[str, str]  # content hash → file name, in the order they appear
    plain_paragraphs: int  # paragraphs whose emphasis could not be kept
    notes: list[Note]  # the notes the text refers to


class Writer:
    def __init__(self, draft: Draft, picture_name: Callable[[str, int], str], images_folder: str):
        self.draft = draft
        self.picture_name = picture_name  # (content hash, number) → file name
        self.images_folder = images_folder.rstrip("/")
        self.pictures: dict[str, str] = {}
        self.used_notes: list[int] = []
        self.plain_paragraphs = 0

    def write(self) -> Written:
        blocks = [self.block(block) for block in self.draft.body]
        body = "\n\n".join(block for block in _join_lists(self.draft.body, blocks) if block)
        notes = self.notes()
        text = front_matter(self.draft) + ("\n" + body + "\n" if body else "")
        if notes:
            text += "\n" + notes + "\n"
        used = [note for note in self.draft.notes if note.number in self.used_notes]
        return Written(text, self.pictures, self.plain_paragraphs, used)

    def block(self, block: BodyBlock) -> str:
        if isinstance(block, Heading):
            text = self.inline(block.paragraph.pieces, emphasis=False, line_start=False)
            return "#" * block.level + " " + re.sub(r"(?<!\\)#", r"\#", text)
        if isinstance(block, FigureRow):
            return "\n".join(self.figure(picture.key, caption)
                             for picture, caption in zip(block.pictures, block.captions, strict=True))
        if isinstance(block, Table):
            return self.table(block)
        return self.paragraph(block)

    def paragraph(self, paragraph: Paragraph) -> str:
        text = self.inline(paragraph.pieces)
        if paragraph.list_level is None:
            return text
        marker = "1." if paragraph.ordered else "-"
        return f"{'   ' * paragraph.list_level}{marker} {text}"

    def inline(self, pieces: list[Piece], emphasis: bool = True, table: bool = False,
               line_start: bool = True) -> str:
        """A paragraph's pieces as Markdown; its emphasis dropped if it would not parse as such.

        `line_start`: the text starts a line, where `1. ` or `#` would begin a list or heading.
        """
        for keep in ((True, True), (True, False), (False, False)) if emphasis else ((False, False),):
            written = self._inline(pieces, *keep, table=table)
            written = escape_line_start(written) if line_start else written
            if not any(keep) or _parses_as(written, _expected_text(pieces)):
                if emphasis and not any(keep) and _has_emphasis(pieces):
                    self.plain_paragraphs += 1
                return written
        raise AssertionError("unreachable: the plain text is always accepted")

    def _inline(self, pieces: list[Piece], bold: bool, italic: bool, table: bool) -> str:
        out: list[str] = []
        for group in _groups(pieces, bold, italic):
            if isinstance(group, NoteMark):
                self.used_notes.append(group.number)
                out.append(f"[^{group.number}]")
                continue
            text, is_bold, is_italic = group
            body = escape(text.replace("\t", " ").replace("\n", " "), table)
            marker = ("**" if is_bold else "") + ("*" if is_italic else "")
            core = body.strip(WHITESPACE)
            if marker and core:
                lead = body[:len(body) - len(body.lstrip(WHITESPACE))]
                trail = body[len(body.rstrip(WHITESPACE)):]
                body = f"{lead}{marker}{core}{marker[::-1]}{trail}"
            out.append(body)
        return "".join(out)

    def figure(self, key: str, caption: str) -> str:
        if key not in self.pictures:
            self.pictures[key] = self.picture_name(key, len(self.pictures) + 1)
        path = f"{self.images_folder}/{self.pictures[key]}"
        if re.search(r"[\s()<>]", path):
            path = f"<{path}>"
        return f"![{escape(caption, False)}]({path})"

    def table(self, table: Table) -> str:
        grid = _grid(table, lambda cell: " ".join(
            self.inline(paragraph.pieces, table=True, line_start=False) for paragraph in cell))
        if not grid:
            return ""
        width = max(len(row) for row in grid)
        rows = [row + [""] * (width - len(row)) for row in grid]
        lines = ["| " + " | ".join(cell or " " for cell in row).rstrip() + " |" for row in rows]
        lines.insert(1, "|" + "|".join([" --- "] * width) + "|")
        return "\n".join(lines)

    def notes(self) -> str:
        written = []
        for note in self.draft.notes:
            if note.number not in self.used_notes:
                continue
            paragraphs = [text for paragraph in note.paragraphs
                          if (text := self.inline(_without_pictures(paragraph)))]
            if not paragraphs:
                paragraphs = [""]
            first, *rest = paragraphs
            written.append(f"[^{note.number}]: {first}".rstrip()
                           + "".join(f"\n\n{NOTE_INDENT}{text}" for text in rest))
        return "\n\n".join(written)


def front_matter(draft: Draft) -> str:
    values = {"title": draft.title, "subtitle": draft.subtitle,
              "authors": draft.credits.authors or None,
              "photographers": draft.credits.photographers or None,
              "byline": draft.credits.byline}
    lines = [_yaml_line(key, value) for key, value in values.items() if value]
    return "---\n" + "".join(line + "\n" for line in lines) + "---\n"


def _yaml_line(key: str, value: str | list[str]) -> str:
    """`title: …`, `authors: [徐文震, 赵丹阳]`: quoted only where YAML needs it."""
    if isinstance(value, list):
        written = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True,
                                 width=1_000_000)
    else:
        written = yaml.safe_dump({key: value}, allow_unicode=True, default_flow_style=False,
                                 width=1_000_000)[len(key) + 2:]
    return f"{key}: {written.strip()}"


def escape(text: str, table: bool = False) -> str:
    """Text that Markdown prints exactly as written."""
    text = INLINE_SPECIAL.sub(lambda match: "\\" + match.group(), text)
    return text.replace("|", "\\|") if table else text


def escape_line_start(line: str) -> str:
    """A line that would start a heading, quote, list, rule or fence, made plain text."""
    match = LINE_START_SPECIAL.match(line)
    if match is None:
        return line
    if match.group(1):  # `1. ` → `1\. `
        return line[:match.end(1)] + "\\" + line[match.end(1):]
    return "\\" + line


def _groups(pieces: list[Piece], bold: bool, italic: bool
            ) -> list[tuple[str, bool, bool] | NoteMark]:
    """Neighbouring spans that look the same, merged; note marks in between."""
    groups: list[tuple[str, bool, bool] | NoteMark] = []
    for piece in pieces:
        if isinstance(piece, NoteMark):
            groups.append(piece)
        elif isinstance(piece, Span):
            looks = (bold and piece.bold, italic and piece.italic and not piece.bold)
            last = groups[-1] if groups else None
            if isinstance(last, tuple) and (last[1], last[2]) == looks:
                groups[-1] = (last[0] + piece.text, *looks)
            elif isinstance(last, tuple) and not piece.text.strip(WHITESPACE):
                groups[-1] = (last[0] + piece.text, last[1], last[2])  # a space joins the group
            else:
                groups.append((piece.text, *looks))
    return groups


def _expected_text(pieces: list[Piece]) -> str:
    return "".join(piece.text.replace("\t", " ").replace("\n", " ") if isinstance(piece, Span)
                   else f"[^{piece.number}]" if isinstance(piece, NoteMark) else ""
                   for piece in pieces)


def _parses_as(markdown: str, expected: str) -> bool:
    """Whether the build's Markdown reads `markdown` as `expected` text (and markup only)."""
    tokens = MARKDOWN.parseInline(markdown, {})
    children = tokens[0].children if tokens else []
    text = "".join(child.content for child in children or () if child.type in TEXT_TOKENS)
    return " ".join(text.split()) == " ".join(expected.split())


def _has_emphasis(pieces: list[Piece]) -> bool:
    return any(isinstance(piece, Span) and (piece.bold or piece.italic)
               and piece.text.strip(WHITESPACE) for piece in pieces)


def _without_pictures(paragraph: Paragraph) -> list[Piece]:
    return [piece for piece in paragraph.pieces if isinstance(piece, Span | NoteMark)]


def _grid(table: Table, cell_text: Callable[[list[Paragraph]], str]) -> list[list[str]]:
    """The table's cells placed in columns: a merged cell's text once, blanks where it spans."""
    taken: set[tuple[int, int]] = set()  # (row, column) covered by a cell from a row above
    grid: list[list[str]] = []
    for row_index, (row, spans) in enumerate(zip(table.rows, table.spans, strict=True)):
        out: list[str] = []
        for cell, (columns, rows) in zip(row, spans, strict=True):
            while (row_index, len(out)) in taken:
                out.append("")
            start = len(out)
            out += [cell_text(cell)] + [""] * (columns - 1)
            taken.update((row_index + below, column) for below in range(1, rows)
                         for column in range(start, start + columns))
        while (row_index, len(out)) in taken:
            out.append("")
        grid.append(out)
    return grid if any(any(cell.strip() for cell in row) for row in grid) else []


def _join_lists(blocks: list[BodyBlock], written: list[str]) -> list[str]:
    """The items of one list on consecutive lines, one list a block."""
    joined: list[str] = []
    in_list = False
    for block, text in zip(blocks, written, strict=True):
        is_item = isinstance(block, Paragraph) and block.list_level is not None
        if is_item and in_list:
            joined[-1] += "\n" + text
        else:
            joined.append(text)
        in_list = is_item
    return joined
