"""Word files made the way office staff format them, with python-docx.

Mostly direct formatting (方正小标宋 22 pt centred titles, 仿宋 16 pt body text
indented with full-width spaces, 黑体/楷体 headings by their numbering), and
the parts python-docx has no API for — footnotes, tracked changes — added to
the python-docx document through its own OPC and oxml layers.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.package import OpcPackage
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

BODY_FONT, BODY_SIZE = "仿宋_GB2312", 16
INDENT = "\u3000\u3000"
W_NAMESPACE = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def new_document() -> WordDocument:
    return Document()


def styled_run(run: Run, size: float = BODY_SIZE, font: str = BODY_FONT,
               bold: bool = False) -> Run:
    run.font.size = Pt(size)
    run.bold = bold or None
    run.font.name = font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    return run


def office_paragraph(document: WordDocument, text: str = "", size: float = BODY_SIZE,
                     font: str = BODY_FONT, bold: bool = False, center: bool = False
                     ) -> Paragraph:
    """A paragraph formatted by hand, no style: the usual office document."""
    paragraph = document.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if text:
        styled_run(paragraph.add_run(text), size, font, bold)
    return paragraph


def title(document: WordDocument, text: str) -> Paragraph:
    return office_paragraph(document, text, 22, "方正小标宋简体", center=True)


def body(document: WordDocument, text: str) -> Paragraph:
    return office_paragraph(document, INDENT + text)


def line_break(paragraph: Paragraph) -> None:
    paragraph.add_run().add_break()


def picture(paragraph: Paragraph, path: Path, width_cm: float = 12) -> None:
    paragraph.add_run().add_picture(str(path), width=Cm(width_cm))


def add_footnote(document: WordDocument, paragraph: Paragraph, text: str) -> None:
    """A footnote mark at the end of `paragraph` and its text in word/footnotes.xml."""
    part = _footnotes_part(document)
    notes = part._element
    number = len(notes.findall(qn("w:footnote"))) - 1  # after the two separators
    note = OxmlElement("w:footnote", {qn("w:id"): str(number)})
    note_paragraph = OxmlElement("w:p")
    mark = OxmlElement("w:r")
    mark.append(OxmlElement("w:footnoteRef"))
    note_paragraph.append(mark)
    note_paragraph.append(_text_run(" " + text))
    note.append(note_paragraph)
    notes.append(note)
    reference = OxmlElement("w:r")
    reference.append(OxmlElement("w:footnoteReference", {qn("w:id"): str(number)}))
    paragraph._p.append(reference)


class _FootnotesPart(Part):
    """word/footnotes.xml as an XML tree, serialised when the document is saved."""

    def __init__(self, partname: PackURI, content_type: str, element: etree._Element,
                 package: OpcPackage):
        super().__init__(partname, content_type, package=package)
        self._element = element

    @property
    def blob(self) -> bytes:
        return etree.tostring(self._element, xml_declaration=True, encoding="UTF-8",
                              standalone=True)


def _footnotes_part(document: WordDocument) -> _FootnotesPart:
    for relationship in document.part.rels.values():
        if relationship.reltype == RELATIONSHIP_TYPE.FOOTNOTES:
            return relationship.target_part
    notes = OxmlElement("w:footnotes")
    for number, kind in ((-1, "separator"), (0, "continuationSeparator")):
        separator = OxmlElement("w:footnote", {qn("w:id"): str(number), qn("w:type"): kind})
        separator.append(OxmlElement("w:p"))
        notes.append(separator)
    part = _FootnotesPart(PackURI("/word/footnotes.xml"), CONTENT_TYPE.WML_FOOTNOTES, notes,
                          document.part.package)
    document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
    return part


def tracked(paragraph: Paragraph, text: str, kind: str) -> None:
    """Text inserted (`w:ins`) or deleted (`w:del`) with Track Changes on."""
    change = OxmlElement(f"w:{kind}", {qn("w:id"): str(len(paragraph._p)),
                                       qn("w:author"): "审稿人", qn("w:date"): "2025-05-20T10:00:00Z"})
    change.append(_text_run(text, "w:delText" if kind == "del" else "w:t"))
    paragraph._p.append(change)


def _text_run(text: str, tag: str = "w:t") -> OxmlElement:
    run = OxmlElement("w:r")
    run_properties = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts", {qn("w:eastAsia"): BODY_FONT})
    run_properties.append(fonts)
    run_properties.append(OxmlElement("w:sz", {qn("w:val"): str(BODY_SIZE * 2)}))
    run.append(run_properties)
    element = OxmlElement(tag, {qn("xml:space"): "preserve"})
    element.text = text
    run.append(element)
    return run


def numbering(document: WordDocument, levels: list[tuple[str, str]]) -> int:
    """A (multilevel) list definition, each level (number format, text like `%1、`); its numId."""
    numbering_element = document.part.numbering_part.element
    abstract_id = len(numbering_element.findall(qn("w:abstractNum")))
    abstract = OxmlElement("w:abstractNum", {qn("w:abstractNumId"): str(abstract_id)})
    for index, (number_format, text) in enumerate(levels):
        level = OxmlElement("w:lvl", {qn("w:ilvl"): str(index)})
        for tag, value in (("w:start", "1"), ("w:numFmt", number_format), ("w:lvlText", text)):
            level.append(OxmlElement(tag, {qn("w:val"): value}))
        abstract.append(level)
    numbering_element.insert(0, abstract)  # abstract definitions come before the nums
    return numbering_element.add_num(abstract_id).numId


def numbered(paragraph: Paragraph, num_id: int, level: int = 0) -> Paragraph:
    """The paragraph numbered by Word (its number is not in its text)."""
    numbering_properties = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    numbering_properties.get_or_add_ilvl().val = level
    numbering_properties.get_or_add_numId().val = num_id
    return paragraph


def saved(document: WordDocument, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def as_bytes(document: WordDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- a Markdown article of the sample, typed into Word -------------------------------------

HEADING_FORM = re.compile(r"^(一、|（[一二三四五六七八九十]+）|\d+[.．]|（\d+）)")
BOLD = re.compile(r"\*\*(.+?)\*\*")
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]+)\)")


def office_docx_of(article: Path, signature: str) -> WordDocument:
    """The sample's Markdown article as a contributor would send it in Word.

    Title centred in 方正小标宋 22 pt; paragraphs indented with full-width spaces;
    headings numbered 一、 typed in 黑体, other headings in Word's heading styles;
    pictures with their caption centred underneath (two captions side by side
    for two pictures in one paragraph); the signature as the last line.
    """
    front, text = article.read_text(encoding="utf-8").split("\n---\n", 1)
    document = new_document()
    for line in front.splitlines():
        if line.startswith("title:"):
            title(document, line.split(":", 1)[1].strip().strip("'"))
    for block in text.strip().split("\n\n"):
        if block.startswith("!["):
            images = IMAGE.findall(block)
            paragraph = office_paragraph(document, center=True)
            for _caption, path in images:
                picture(paragraph, article.parent / path, 14 / len(images))
            office_paragraph(document, "\t".join(caption for caption, _ in images), 12,
                             "楷体_GB2312", center=True)
        elif block.startswith("#"):
            marks, heading = block.split(" ", 1)
            if HEADING_FORM.match(heading) and len(marks) == 1:
                office_paragraph(document, heading, font="黑体")
            else:
                document.add_heading(heading, level=len(marks))
        else:
            paragraph = office_paragraph(document)
            styled_run(paragraph.add_run(INDENT))
            for index, part in enumerate(BOLD.split(block)):
                if part:
                    styled_run(paragraph.add_run(part), bold=index % 2 == 1)
    office_paragraph(document, signature, font="楷体_GB2312")
    return document
