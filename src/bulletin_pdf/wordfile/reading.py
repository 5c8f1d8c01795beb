"""The content of a cleaned Word file, read with mammoth, as plain blocks.

mammoth reads the body, tables, lists, hyperlinks, pictures and notes (and
leaves out tracked deletions and comments); this module turns its document
tree into `Paragraph`s and `Table`s that know how they look (alignment, size,
bold — direct formatting from mammoth, style formatting from `styles`) so that
`structure` can tell a title or a heading by its looks, as readers do.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import mammoth
import mammoth.docx
from mammoth import documents
from PIL import Image, UnidentifiedImageError

from ..errors import BulletinError, Problem
from ..images import IMAGE_SUFFIXES
from .package import Dropped, WordPackage, excerpt
from .styles import StyleBook, StyleFacts, alignment_name

# Pillow's name of an image format → the file suffix it is saved under.
FORMAT_SUFFIXES = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "GIF": ".gif", "TIFF": ".tif",
                   "BMP": ".bmp", "WEBP": ".webp", "HEIF": ".heic"}
METAFILES = ("image/x-emf", "image/x-wmf", "image/emf", "image/wmf")
CHECKBOXES = {True: "☑", False: "☐"}


@dataclass
class Span:
    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class LineBreak:
    """A manual line break (Shift+Enter) inside a paragraph."""


@dataclass(frozen=True)
class Picture:
    key: str  # the image's content hash, in `Content.images`


@dataclass(frozen=True)
class NoteMark:
    number: int  # footnotes and endnotes are numbered together, in reading order


Piece = Span | LineBreak | Picture | NoteMark


@dataclass
class Paragraph:
    pieces: list[Piece]
    style: StyleFacts
    alignment: str | None = None  # direct or from the style: "center", "right", "both", "left"
    size: float = 0.0  # the size most of its text is set in, in points
    bold: bool = False  # all its text is bold (by run, character style or paragraph style)
    list_level: int | None = None  # in a bulleted or numbered list, 0 = outermost
    ordered: bool = False

    @property
    def text(self) -> str:
        """Its text, a manual line break as a newline."""
        return "".join(piece.text if isinstance(piece, Span) else
                       "\n" if isinstance(piece, LineBreak) else "" for piece in self.pieces)

    @property
    def pictures(self) -> list[Picture]:
        return [piece for piece in self.pieces if isinstance(piece, Picture)]


@dataclass
class Table:
    rows: list[list[list[Paragraph]]]  # row → cell → the cell's paragraphs
    spans: list[list[tuple[int, int]]]  # the columns and rows each cell spans


Block = Paragraph | Table


@dataclass(frozen=True)
class StoredImage:
    data: bytes
    suffix: str


@dataclass
class Note:
    number: int
    kind: str  # "footnote" or "endnote"
    paragraphs: list[Paragraph]


@dataclass
class Content:
    """What the document says, in reading order, with its pictures and notes."""

    blocks: list[Block]
    images: dict[str, StoredImage]
    notes: list[Note]
    body_size: float  # the size most of the body text is set in
    dropped: list[Dropped] = field(default_factory=list)


def read_content(package: WordPackage, styles: StyleBook) -> Content:
    try:
        result = mammoth.docx.read(io.BytesIO(package.docx()), external_file_access=False)
        document = result.value
    # mammoth reads any XML it is given; a damaged part ends in any of its errors.
    except Exception as error:
        raise BulletinError([Problem(f"无法读取此 Word 文件的内容（{type(error).__name__}: "
                                     f"{error}）：请在 Word 中打开并另存为 .docx 后重试",
                                     package.source)]) from None
    reader = _Reader(styles, document.notes)
    blocks = reader.blocks(document.children)
    dropped = [_dropped(message.message) for message in result.messages]
    return Content(blocks, reader.images, reader.notes, reader.body_size(),
                   [item for item in dropped if item] + reader.dropped)


class _Reader:
    def __init__(self, styles: StyleBook, notes: documents.Notes):
        self.styles = styles
        self.all_notes = notes
        self.images: dict[str, StoredImage] = {}
        self.notes: list[Note] = []
        self.dropped: list[Dropped] = []
        self.sizes: Counter[float] = Counter()
        self._note_numbers: dict[tuple[str, str], int] = {}

    def blocks(self, elements: list[documents.Element]) -> list[Block]:
        found: list[Block] = []
        loose: list[documents.Element] = []  # runs or pictures outside any paragraph
        for element in elements:
            if isinstance(element, documents.Paragraph | documents.Table) and loose:
                found.append(self.paragraph(documents.paragraph(loose)))
                loose = []
            if isinstance(element, documents.Paragraph):
                found.append(self.paragraph(element))
            elif isinstance(element, documents.Table):
                found.append(self.table(element))
            else:
                loose.append(element)
        if loose:
            found.append(self.paragraph(documents.paragraph(loose)))
        return found

    def paragraph(self, element: documents.Paragraph) -> Paragraph:
        style = self.styles.paragraph(element.style_id)
        paragraph = Paragraph([], style, alignment_name(element.alignment) or style.alignment)
        sizes: Counter[float] = Counter()
        bold = [0, 0]  # characters set bold, all characters
        for piece, size, looks_bold in self._pieces(element.children, style):
            paragraph.pieces.append(piece)
            if isinstance(piece, Span) and (length := len("".join(piece.text.split()))):
                sizes[size] += length
                bold[0] += length if looks_bold else 0
                bold[1] += length
        paragraph.size = sizes.most_common(1)[0][0] if sizes else style.size or 0.0
        paragraph.bold = bold[1] > 0 and bold[0] == bold[1]
        self.sizes.update(sizes)
        if element.numbering is not None:
            paragraph.list_level = int(element.numbering.level_index or 0)
            paragraph.ordered = bool(element.numbering.is_ordered)
        return paragraph

    def _pieces(self, children: list[documents.Element], style: StyleFacts,
                run: documents.Run | None = None) -> Iterator[tuple[Piece, float, bool]]:
        """(piece, size, looks bold) for everything in a paragraph, in order."""
        for child in children:
            if isinstance(child, documents.Run):
                yield from self._pieces(child.children, style, child)
            elif isinstance(child, documents.Hyperlink):  # the link's text, as text
                yield from self._pieces(child.children, style, run)
            elif isinstance(child, documents.Text | documents.Tab | documents.Checkbox):
                yield self._span(child, style, run)
            elif isinstance(child, documents.Break):
                yield LineBreak(), 0.0, False
            elif isinstance(child, documents.Image):
                if (picture := self.picture(child)) is not None:
                    yield picture, 0.0, False
            elif isinstance(child, documents.NoteReference):
                yield NoteMark(self.note_number(child)), 0.0, False
            elif isinstance(child, documents.Paragraph):  # a stray paragraph inside a run
                yield from self._pieces(child.children, style, run)

    def _span(self, child: documents.Element, style: StyleFacts,
              run: documents.Run | None) -> tuple[Span, float, bool]:
        if isinstance(child, documents.Text):
            text = child.value.replace("\u00ad", "").replace("\u2011", "-")
        elif isinstance(child, documents.Tab):
            text = "\t"
        else:
            text = CHECKBOXES[bool(child.checked)]
        if run is None:
            return Span(text), style.size or self.styles.default_size, bool(style.bold)
        character = self.styles.character(run.style_id)
        bold = bool(run.is_bold or character.bold)
        size = run.font_size or character.size or style.size or self.styles.default_size
        return Span(text, bold, bool(run.is_italic)), size, bold or bool(style.bold)

    def table(self, element: documents.Table) -> Table:
        rows, spans = [], []
        for row in element.children:
            if not isinstance(row, documents.TableRow):
                continue
            cells = [cell for cell in row.children if isinstance(cell, documents.TableCell)]
            rows.append([self._cell(cell.children) for cell in cells])
            spans.append([(max(1, int(cell.colspan or 1)), max(1, int(cell.rowspan or 1)))
                          for cell in cells])
        return Table(rows, spans)

    def _cell(self, children: list[documents.Element]) -> list[Paragraph]:
        """A cell's paragraphs; a table inside a cell gives its paragraphs, row by row."""
        found = []
        for block in self.blocks(children):
            if isinstance(block, Table):
                found += [paragraph for row in block.rows for cell in row for paragraph in cell]
            else:
                found.append(block)
        return found

    def picture(self, image: documents.Image) -> Picture | None:
        try:
            with image.open() as file:
                data = file.read()
        except (OSError, KeyError, ValueError) as error:
            self.dropped.append(Dropped("无法读取的图片", str(error)))
            return None
        suffix = self._suffix(image.content_type, data)
        if suffix is None:
            return None
        key = hashlib.sha256(data).hexdigest()
        self.images.setdefault(key, StoredImage(data, suffix))
        return Picture(key)

    def _suffix(self, content_type: str | None, data: bytes) -> str | None:
        if content_type in METAFILES:
            self.dropped.append(Dropped("Windows 图元文件（EMF/WMF）图片：请在 Word 中另存为 PNG 或"
                                        " JPEG 后重新插入"))
            return None
        if content_type == "image/svg+xml":
            return ".svg"
        try:
            with Image.open(io.BytesIO(data)) as picture:
                image_format = picture.format or ""
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            self.dropped.append(Dropped("无法识别的图片", content_type or ""))
            return None
        suffix = FORMAT_SUFFIXES.get(image_format)
        if suffix not in IMAGE_SUFFIXES:
            self.dropped.append(Dropped("不支持的图片格式", image_format or content_type or ""))
            return None
        return suffix

    def note_number(self, reference: documents.NoteReference) -> int:
        key = (reference.note_type, reference.note_id)
        if key not in self._note_numbers:
            number = self._note_numbers[key] = len(self._note_numbers) + 1
            try:
                body = self.all_notes.resolve(reference).body
            except KeyError:
                body = []
            note = Note(number, reference.note_type, [])
            self.notes.append(note)  # before its body: a note inside a note comes after it
            note.paragraphs = [block for block in self.blocks(body) if isinstance(block, Paragraph)]
        return self._note_numbers[key]

    def body_size(self) -> float:
        common = self.sizes.most_common(1)
        return common[0][0] if common else self.styles.default_size


UNRECOGNISED = "An unrecognised element was ignored: "
ELEMENT_KINDS = {"w:ruby": "注音（拼音指南）", "w:dir": "文字方向", "w:bdo": "文字方向"}


def _dropped(message: str) -> Dropped | None:
    """mammoth's warning as an entry of the report, or None for what does not matter."""
    if message.startswith(UNRECOGNISED):
        element = message[len(UNRECOGNISED):]
        return Dropped(ELEMENT_KINDS.get(element, "无法识别的内容"), element)
    if "style" in message and "was referenced but not defined" in message:
        return None  # a style missing from styles.xml: the text is read all the same
    return Dropped("未能读取的内容", excerpt(message, 60))

