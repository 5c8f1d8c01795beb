"""Word (.docx) files into articles: Markdown with front matter, pictures, and a report.

package   the file opened with care and cleaned (text boxes, comments, linked pictures…)
styles    python-docx: what each style makes of a paragraph (alignment, size, bold)
reading   mammoth: the content as paragraphs and tables that know how they look
credits   signatures: 文/… 图/…, 执笔：…, （第三小组）
structure title, subtitle, credits, headings, figures and captions, recognised
markdown  the article written out, everything the author typed escaped
report    what was made and what was left out, in Chinese
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..files import system_refusals_as_problems
from .markdown import Writer, Written
from .package import Dropped, clean, open_package
from .reading import Paragraph, Table, read_content
from .report import Figure, ImportReport
from .structure import Draft, FigureRow, Heading, recognise
from .styles import StyleBook

__all__ = ["ExtractedImage", "ImportReport", "ImportedArticle", "convert"]


@dataclass(frozen=True)
class ExtractedImage:
    name: str  # file name, in the article's images folder
    data: bytes  # as stored in the Word file (EXIF and all)


@dataclass(frozen=True)
class ImportedArticle:
    markdown: str  # the article file's text
    images: tuple[ExtractedImage, ...]
    report: ImportReport


def convert(docx: Path, article_stem: str, images_folder: str = "images") -> ImportedArticle:
    """Read a .docx and make it an article named `article_stem`.

    Pictures are named `<article_stem>-1.jpg`, … and referred to as
    `<images_folder>/<name>`, relative to the article. Nothing is written here.
    """
    with system_refusals_as_problems():
        package = open_package(docx)
    styles_part = package.related_part("styles")
    styles = StyleBook(package.members[styles_part] if styles_part else None)
    clean(package)  # leaves mammoth only the styles' names
    content = read_content(package, styles)
    draft = recognise(content)

    def picture_name(key: str, number: int) -> str:
        return f"{article_stem}-{number}{content.images[key].suffix}"

    written = Writer(draft, picture_name, images_folder).write()
    images = tuple(ExtractedImage(name, content.images[key].data)
                   for key, name in written.pictures.items())
    remarks = list(draft.remarks)
    if written.plain_paragraphs:
        remarks.append(f"{written.plain_paragraphs} 段中的加粗或倾斜无法用 Markdown 准确表示，"
                       "已按普通文字导入")
    report = _report(docx, draft, written, images_folder,
                     [*package.dropped, *content.dropped], package.insertions, remarks)
    return ImportedArticle(written.markdown, images, report)


def _report(source: Path, draft: Draft, written: Written, images_folder: str,
            dropped: list[Dropped], insertions: int, remarks: list[str]) -> ImportReport:
    figures = [Figure(f"{images_folder}/{written.pictures[picture.key]}", caption)
               for block in draft.body if isinstance(block, FigureRow)
               for picture, caption in zip(block.pictures, block.captions, strict=True)]
    return ImportReport(
        source=source,
        title=draft.title,
        subtitle=draft.subtitle,
        authors=tuple(draft.credits.authors),
        photographers=tuple(draft.credits.photographers),
        byline=draft.credits.byline,
        headings=tuple((block.level, _text(block.paragraph)) for block in draft.body
                       if isinstance(block, Heading)),
        figures=tuple(dict.fromkeys(figures)),
        tables=tuple((len(block.rows), max((sum(columns for columns, _ in spans)
                                            for spans in block.spans), default=0))
                     for block in draft.body if isinstance(block, Table)),
        lists=_list_count(draft),
        footnotes=sum(note.kind == "footnote" for note in written.notes),
        endnotes=sum(note.kind == "endnote" for note in written.notes),
        insertions=insertions,
        dropped=tuple(dropped),
        remarks=tuple(remarks),
    )


def _text(paragraph: Paragraph) -> str:
    return paragraph.text.strip()


def _list_count(draft: Draft) -> int:
    count, in_list = 0, False
    for block in draft.body:
        is_item = isinstance(block, Paragraph) and block.list_level is not None
        count += is_item and not in_list
        in_list = is_item
    return count
