"""An article's parts recognised the way office documents are really written.

Mostly without Word styles: the title is the first centred paragraph in a
large or bold font, headings are known by their numbering (一、 （一） 1. （1）),
a short centred line under a picture is its caption, and the signature is a
credit line at the start or the end. Word's own styles (Title, Heading n,
Caption) are honoured when they are there. Nothing here rewrites the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .credits import Credits, parse_credits, trailing_credits
from .reading import Block, Content, LineBreak, Note, NoteMark, Paragraph, Picture, Piece, Span, Table

# The numbering forms of the official-document heading levels (GB/T 9704).
HEADING_FORMS = (
    (1, re.compile(r"^[一二三四五六七八九十百零〇]+、")),
    (2, re.compile(r"^[（(][一二三四五六七八九十百零〇]+[）)]")),
    (3, re.compile(r"^\d{1,3}[.．、](?!\d)")),
    (4, re.compile(r"^[（(]\d{1,3}[）)]")),
)
HEADING_MAX_LENGTH = 40  # a longer numbered paragraph is a point of the text, not a heading
TITLE_MAX_LENGTH = 80
CAPTION_MAX_LENGTH = 50
NOT_HEADING_ENDINGS = tuple("。；，、：;,:")
SUBTITLE_START = re.compile(r"^(——|—|--)")
LARGE = 1.2  # a title's size over the body's
MAX_LEVEL = 4  # the layout's heading levels under the article title
ROW_SIZES = {1: [1], 2: [2], 3: [3], 4: [2, 2]}  # more pictures than this: rows of three
WHITESPACE = " \t\u3000\xa0\r\n"
INDENT = re.compile(r"^(\u3000|[ \xa0]{2,}|\t)")
HEADING_STYLE = re.compile(r"^(heading|标题)\s*(\d)$")
TITLE_STYLES = ("title", "标题")
CAPTION_STYLES = ("caption", "题注")
SUBTITLE_STYLES = ("subtitle", "副标题")


@dataclass
class Heading:
    level: int  # 1 for 一、: the article's first sub-heading level (Markdown `#`)
    paragraph: Paragraph


@dataclass
class FigureRow:
    pictures: list[Picture]
    captions: list[str]  # one per picture, "" when it has none


BodyBlock = Paragraph | Heading | FigureRow | Table


@dataclass
class Draft:
    """The article as recognised: front matter, body, notes, and what was noticed."""

    title: str | None
    subtitle: str | None
    credits: Credits
    body: list[BodyBlock]
    notes: list[Note]
    remarks: list[str] = field(default_factory=list)


def recognise(content: Content) -> Draft:
    blocks = _tidy(content.blocks)
    title_style_level = _style_level(blocks[0]) if blocks and isinstance(blocks[0], Paragraph) \
        else None
    title, subtitle, blocks = _title(blocks, content.body_size)
    # A title in Heading 1 makes Heading 2 the article's first heading level.
    shift = title_style_level if title and title_style_level else 0
    credits, blocks = _credits(blocks)
    body = _headings(_captions(_figures(blocks)), shift)
    remarks = [] if title else ["未识别出标题：文章将没有标题（“学习感悟”等栏目可以没有标题）；"
                                "需要时请在头信息中写上 title"]
    notes = [replace(note, paragraphs=[block for block in _tidy(note.paragraphs)
                                       if isinstance(block, Paragraph)]) for note in content.notes]
    return Draft(title, subtitle, credits, body, notes, remarks)


# --- paragraphs: line breaks, indents, empty ones ---------------------------------------

def _tidy(blocks: list[Block]) -> list[Block]:
    """Pictures apart from text, manual line breaks joined, indents and empty paragraphs gone."""
    tidied: list[Block] = []
    for block in blocks:
        if isinstance(block, Table):
            tidied += _table(block)
            continue
        for part in _split_pictures(block):
            tidied += [line for line in _lines(part) if _has_content(line)]
    return tidied


def _table(table: Table) -> list[Block]:
    """A one-cell table is a frame around text (a box): its paragraphs, not a table.

    Pictures cannot stand in a Markdown table: they follow it.
    """
    if len(table.rows) == 1 and len(table.rows[0]) == 1:
        return _tidy(list(table.rows[0][0]))
    pictures: list[Block] = []
    rows = []
    for row in table.rows:
        cells = []
        for cell in row:
            kept = []
            for paragraph in cell:
                for part in _split_pictures(paragraph):
                    if part.pictures:
                        pictures.append(part)
                    else:
                        kept += [line for line in _lines(part) if _has_content(line)]
            cells.append(kept)
        rows.append(cells)
    return [Table(rows, table.spans), *pictures]


def _split_pictures(paragraph: Paragraph) -> list[Paragraph]:
    """A paragraph holding pictures: its text before, the pictures, its text after.

    In a centred paragraph, a short text right after the pictures is their caption
    (kept in the pictures' paragraph, `_figures` makes it one).
    """
    if not paragraph.pictures:
        return [paragraph]
    groups: list[list[Piece]] = [[]]
    kind = None  # of the group being filled: "picture" or "text"
    for piece in paragraph.pieces:
        piece_kind = "picture" if isinstance(piece, Picture) else (
            "text" if _visible([piece]) else None)  # spaces and breaks join either
        if piece_kind and kind and piece_kind != kind:
            groups.append([])
        kind = piece_kind or kind
        groups[-1].append(piece)
    parts = [replace(paragraph, pieces=group) for group in groups if group]
    merged: list[Paragraph] = []
    for part in parts:
        previous = merged[-1] if merged else None
        if previous is not None and previous.pictures and not part.pictures \
                and paragraph.alignment == "center" and _is_caption_text(_plain(part)):
            previous.pieces += [LineBreak(), *part.pieces]
        else:
            merged.append(part)
    return merged


def _lines(paragraph: Paragraph) -> list[Paragraph]:
    """Manual line breaks joined; a line starting with an indent starts a new paragraph."""
    if paragraph.pictures:
        return [paragraph]
    lines: list[list[Piece]] = [[]]
    for piece in paragraph.pieces:
        if isinstance(piece, LineBreak):
            lines.append([])
        else:
            lines[-1].append(piece)
    result: list[list[Piece]] = [lines[0]]
    for line in lines[1:]:
        if INDENT.match(_text_of(line)):
            result.append(line)
        else:
            joint = " " if _ends_latin(result[-1]) and _starts_latin(line) else ""
            result[-1] = [*result[-1], Span(joint), *line] if joint else [*result[-1], *line]
    return [_stripped(replace(paragraph, pieces=line)) for line in result]


def _stripped(paragraph: Paragraph) -> Paragraph:
    """Without the spaces, full-width spaces and tabs around its text."""
    pieces = list(paragraph.pieces)
    for index in range(len(pieces)):
        if isinstance(pieces[index], Span):
            pieces[index] = replace(pieces[index], text=pieces[index].text.lstrip(WHITESPACE))
            if pieces[index].text:
                break
    for index in reversed(range(len(pieces))):
        if isinstance(pieces[index], Span):
            pieces[index] = replace(pieces[index], text=pieces[index].text.rstrip(WHITESPACE))
            if pieces[index].text:
                break
    return replace(paragraph, pieces=[piece for piece in pieces
                                      if not (isinstance(piece, Span) and not piece.text)])


def _has_content(paragraph: Paragraph) -> bool:
    return any(isinstance(piece, Picture | NoteMark) or
               (isinstance(piece, Span) and piece.text.strip(WHITESPACE))
               for piece in paragraph.pieces)


# --- title, subtitle, credits -----------------------------------------------------------

def _title(blocks: list[Block], body_size: float) -> tuple[str | None, str | None, list[Block]]:
    """The first paragraph, when it looks like a title (and its continuation lines)."""
    if not blocks or not _is_title(blocks[0], body_size):
        return None, None, blocks
    first = blocks[0]
    lines, index = [_plain(first)], 1
    while index < len(blocks) and _is_title(blocks[index], body_size) \
            and _looks_alike(blocks[index], first) and not SUBTITLE_START.match(_plain(blocks[index])):
        lines.append(_plain(blocks[index]))
        index += 1
    title = lines[0]
    for line in lines[1:]:  # a long title broken over two centred lines
        title += (" " if title[-1:].isascii() and line[:1].isascii() else "") + line
    subtitle = None
    if index < len(blocks) and isinstance(following := blocks[index], Paragraph) \
            and (SUBTITLE_START.match(text := _plain(following))
                 or following.style.name in SUBTITLE_STYLES) and not following.pictures:
        subtitle, index = " ".join(text.split()), index + 1
    return title, subtitle, blocks[index:]


def _is_title(block: Block, body_size: float) -> bool:
    if not isinstance(block, Paragraph) or block.pictures or block.list_level is not None:
        return False
    text = _plain(block)
    if not text or len(text) > TITLE_MAX_LENGTH or text.endswith("。") or parse_credits(text):
        return False
    if block.style.name in TITLE_STYLES or _style_level(block) is not None:
        return True
    large = block.size >= body_size * LARGE
    return block.alignment == "center" and (large or block.bold)


def _looks_alike(one: Paragraph, other: Paragraph) -> bool:
    return (one.style.name, one.alignment, one.size, one.bold) == \
        (other.style.name, other.alignment, other.size, other.bold)


def _credits(blocks: list[Block]) -> tuple[Credits, list[Block]]:
    """Credit lines at the start and at the end become the front matter's names."""
    credits = Credits()
    start = 0
    while start < len(blocks) and (found := _credit_line(blocks[start])):
        credits.add(found)
        start += 1
    end = len(blocks)
    trailing = Credits()
    while end > start and (found := _credit_line(blocks[end - 1])):
        found.add(trailing)
        trailing = found
        end -= 1
    if not trailing and end > start and isinstance(last := blocks[end - 1], Paragraph) \
            and not last.pictures and (found_inline := trailing_credits(_plain(last))):
        trailing, cut = found_inline
        blocks = [*blocks[:end - 1], _cut(last, cut), *blocks[end:]]
    credits.add(trailing)
    return credits, blocks[start:end]


def _credit_line(block: Block) -> Credits | None:
    if not isinstance(block, Paragraph) or block.pictures or block.list_level is not None:
        return None
    return parse_credits(_plain(block))


def _cut(paragraph: Paragraph, length: int) -> Paragraph:
    """The paragraph's first `length` characters of text (trailing spaces dropped)."""
    pieces: list[Piece] = []
    remaining = length
    for piece in paragraph.pieces:
        if isinstance(piece, Span):
            if remaining <= 0:
                break
            pieces.append(replace(piece, text=piece.text[:remaining]))
            remaining -= len(piece.text)
        elif remaining > 0:
            pieces.append(piece)
    return _stripped(replace(paragraph, pieces=pieces))


# --- figures and captions ---------------------------------------------------------------

def _figures(blocks: list[Block]) -> list[Block | FigureRow]:
    """Paragraphs of pictures become rows of figures (two or three side by side)."""
    result: list[Block | FigureRow] = []
    for block in blocks:
        if not isinstance(block, Paragraph) or not block.pictures:
            result.append(block)
            continue
        pictures = block.pictures
        caption = _plain(replace(block, pieces=[piece for piece in block.pieces
                                                if not isinstance(piece, Picture)]))
        rows = ROW_SIZES.get(len(pictures)) or _rows_of_three(len(pictures))
        start = 0
        for size in rows:
            result.append(FigureRow(pictures[start:start + size], [""] * size))
            start += size
        if caption:
            _set_caption(result[-1], caption)
    return result


def _rows_of_three(count: int) -> list[int]:
    rows = [3] * (count // 3)
    if count % 3 == 1:
        rows[-1:] = [2, 2]
    elif count % 3 == 2:
        rows.append(2)
    return rows


def _captions(blocks: list[Block | FigureRow]) -> list[Block | FigureRow]:
    """A short centred line (or Word's Caption style) right under pictures is their caption."""
    result: list[Block | FigureRow] = []
    for block in blocks:
        previous = result[-1] if result else None
        if isinstance(previous, FigureRow) and not any(previous.captions) \
                and isinstance(block, Paragraph) and _is_caption(block):
            _set_caption(previous, _plain(block))
            continue
        result.append(block)
    return result


def _is_caption(paragraph: Paragraph) -> bool:
    if paragraph.list_level is not None:
        return False
    text = _plain(paragraph)
    return paragraph.style.name in CAPTION_STYLES or (
        paragraph.alignment == "center" and _is_caption_text(text))


def _is_caption_text(text: str) -> bool:
    text = text.strip(WHITESPACE)
    return 0 < len(text) <= CAPTION_MAX_LENGTH and "。" not in text.rstrip("。")


def _set_caption(row: FigureRow, caption: str) -> None:
    """One caption for one picture; for a row, as many parts as pictures, else the first."""
    parts = [part for part in re.split(r"[ \u3000\t]{2,}|\t|\n", caption.strip()) if part]
    if len(row.pictures) > 1 and len(parts) == len(row.pictures):
        row.captions = parts
    else:
        row.captions[0] = " ".join(caption.split())


# --- headings ---------------------------------------------------------------------------

def _headings(blocks: list[Block | FigureRow], shift: int) -> list[BodyBlock]:
    """Paragraphs that are headings by their numbering form or by Word's style."""
    result: list[BodyBlock] = []
    for block in blocks:
        if isinstance(block, Paragraph) and (level := _heading_level(block, shift)):
            result.append(Heading(min(level, MAX_LEVEL), block))
        else:
            result.append(block)
    return result


def _heading_level(paragraph: Paragraph, shift: int) -> int | None:
    if paragraph.list_level is not None and _style_level(paragraph) is None:
        return None
    form = _form_level(paragraph)
    if form is not None:
        return form
    style = _style_level(paragraph)
    return max(1, style - shift) if style is not None and _plain(paragraph) else None


def _form_level(paragraph: Paragraph) -> int | None:
    text = _plain(paragraph)
    if len(text) > HEADING_MAX_LENGTH or text.endswith(NOT_HEADING_ENDINGS) or "。" in text:
        return None
    for level, form in HEADING_FORMS:
        if (match := form.match(text)) and text[match.end():].strip(WHITESPACE):
            return level
    return None


def _style_level(paragraph: Paragraph) -> int | None:
    """1 for Heading 1 (or a style at outline level 1), None for a body paragraph."""
    if match := HEADING_STYLE.match(paragraph.style.name):
        return max(1, int(match.group(2)))
    level = paragraph.style.outline_level
    return level + 1 if level is not None else None


# --- text helpers -----------------------------------------------------------------------

def _plain(block: Block) -> str:
    return _text_of(block.pieces).strip(WHITESPACE) if isinstance(block, Paragraph) else ""


def _text_of(pieces: list[Piece]) -> str:
    return "".join(piece.text if isinstance(piece, Span) else
                   "\n" if isinstance(piece, LineBreak) else "" for piece in pieces)


def _visible(pieces: list[Piece]) -> bool:
    return any(not isinstance(piece, Span | LineBreak) or piece.text.strip(WHITESPACE)
               for piece in pieces if not isinstance(piece, LineBreak))


def _ends_latin(pieces: list[Piece]) -> bool:
    text = _text_of(pieces)
    return bool(text) and text[-1].isascii() and text[-1].isalnum()


def _starts_latin(pieces: list[Piece]) -> bool:
    text = _text_of(pieces)
    return bool(text) and text[0].isascii() and text[0].isalnum()
