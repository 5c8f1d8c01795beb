"""What a Word style makes of a paragraph or a run: alignment, size, bold, outline level.

mammoth reports a paragraph's style and its *direct* formatting only; python-docx
reads the styles part, so a style's formatting is found along its `basedOn`
chain down to the document defaults. Together they say how a paragraph looks,
which is how contributors mark titles and headings when they use no styles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.styles.style import BaseStyle
from docx.styles.styles import Styles
from lxml import etree

T = TypeVar("T")
WORD_DEFAULT_SIZE = 10.0  # points, when a document says nothing (ECMA-376 17.3.2.38)
ALIGNMENTS = {WD_ALIGN_PARAGRAPH.CENTER: "center", WD_ALIGN_PARAGRAPH.RIGHT: "right",
              WD_ALIGN_PARAGRAPH.JUSTIFY: "both", WD_ALIGN_PARAGRAPH.DISTRIBUTE: "both"}


@dataclass(frozen=True)
class StyleFacts:
    """A style's formatting, inherited values included; None where nothing says."""

    name: str = ""  # lower case, as in styles.xml: "heading 1", "title", "caption"
    alignment: str | None = None  # "center", "right", "both" or "left"
    size: float | None = None  # points
    bold: bool | None = None
    outline_level: int | None = None  # 0 for a first-level heading


NO_STYLE = StyleFacts()


class StyleBook:
    """The document's paragraph and character styles, resolved."""

    def __init__(self, styles_xml: bytes | None):
        self._styles: Styles | None = None
        self._cache: dict[tuple[str | None, WD_STYLE_TYPE], StyleFacts] = {}
        self.default_size = WORD_DEFAULT_SIZE
        if styles_xml is None:
            return
        try:
            self._styles = Styles(parse_xml(styles_xml))
            self.default_size = _default_size(self._styles) or WORD_DEFAULT_SIZE
        except (etree.LxmlError, ValueError, TypeError, AttributeError):
            self._styles = None  # a styles part python-docx cannot take: direct formatting only

    def paragraph(self, style_id: str | None) -> StyleFacts:
        return self._facts(style_id, WD_STYLE_TYPE.PARAGRAPH)

    def character(self, style_id: str | None) -> StyleFacts:
        return self._facts(style_id, WD_STYLE_TYPE.CHARACTER) if style_id else NO_STYLE

    def _facts(self, style_id: str | None, kind: WD_STYLE_TYPE) -> StyleFacts:
        if self._styles is None:
            return NO_STYLE
        key = (style_id, kind)
        if key not in self._cache:
            try:
                style = self._styles.get_by_id(style_id, kind)
            except (etree.LxmlError, ValueError, KeyError, AttributeError):
                style = None
            self._cache[key] = _resolved(style) if style is not None else NO_STYLE
        return self._cache[key]


def _resolved(style: BaseStyle) -> StyleFacts:
    """The style's formatting, each value from the nearest style in its chain that sets it."""
    chain, seen = [], set()
    current: BaseStyle | None = style
    while current is not None and current.style_id not in seen:  # a loop in basedOn ends here
        seen.add(current.style_id)
        chain.append(current)
        current = getattr(current, "base_style", None)
    return StyleFacts(
        name=(style.name or "").lower(),
        alignment=_first(chain, _alignment),
        size=_first(chain, _size),
        bold=_first(chain, lambda each: each.font.bold if hasattr(each, "font") else None),
        outline_level=_first(chain, _outline_level),
    )


def _first(chain: list[BaseStyle], read: Callable[[BaseStyle], T | None]) -> T | None:
    for style in chain:
        try:
            value = read(style)
        except (etree.LxmlError, ValueError, KeyError, TypeError, AttributeError):  # odd values
            value = None
        if value is not None:
            return value
    return None


def _alignment(style: BaseStyle) -> str | None:
    if not hasattr(style, "paragraph_format"):
        return None
    alignment = style.paragraph_format.alignment
    return None if alignment is None else ALIGNMENTS.get(alignment, "left")


def _size(style: BaseStyle) -> float | None:
    size = style.font.size if hasattr(style, "font") else None
    return size.pt if size is not None else None


def _outline_level(style: BaseStyle) -> int | None:
    values = style.element.xpath("./w:pPr/w:outlineLvl/@w:val")
    # Level 9 is Word's "body text": no outline level.
    return int(values[0]) if values and values[0].isdigit() and int(values[0]) < 9 else None


def _default_size(styles: Styles) -> float | None:
    values = styles.element.xpath("./w:docDefaults/w:rPrDefault/w:rPr/w:sz/@w:val")
    return int(values[0]) / 2 if values and values[0].isdigit() else None


def alignment_name(value: str | None) -> str | None:
    """A paragraph's `w:jc` as mammoth reports it, in `StyleFacts` terms."""
    if value is None:
        return None
    return {"center": "center", "right": "right", "end": "right", "both": "both",
            "distribute": "both"}.get(value, "left")
