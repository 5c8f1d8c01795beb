"""Inter-character justification of Chinese lines for WeasyPrint 70.

WeasyPrint justifies a line by widening its spaces only, so a line of pure
Chinese that falls short (a mark pushed to the next line, Latin words or
digits of proportional width) stays ragged. clreq and CSS Text 3
(`text-justify: auto` for CJK) expand the gaps between characters instead.

This module replaces `weasyprint.layout.inline.justify_line` for lines that
contain Chinese characters; other lines keep WeasyPrint's own behaviour. The
extra width of a line is shared equally by its justification opportunities:
every space, and every gap between two characters of which one is Chinese —
except before a closing mark, after an opening mark, inside `——`/`……` and
around a WORD JOINER. Each text box remembers its gaps; when WeasyPrint draws
it, each gap is added to the advance of the glyph before it (Pango units), so
WeasyPrint writes it as a position adjustment. The text stays one string (no
characters are added: text extraction is unchanged), and the box width grows
by exactly the sum of its gaps.

Written against WeasyPrint 70.0 (checked on import) so that it can be offered
upstream as the CJK part of `text-justify: auto`.
"""

from __future__ import annotations

import itertools

import weasyprint
from weasyprint.formatting_structure import boxes
from weasyprint.layout import inline
from weasyprint.text import line_break
from weasyprint.text.ffi import TO_UNITS, ffi

from .normalize import LINE_BREAK_CONTROLS, is_cjk

SUPPORTED_VERSION = "70.0"
CLOSING = set("、。，．：；！？）］｝」』】〕〗〉》”’")
OPENING = set("（［｛「『【〔〖〈《“‘")
INSEPARABLE = set("—…")
SPACES = " \u00a0"
MAX_GAP = 0.08  # em: beyond this, every gap of the line takes a share (see justify_line)
# em: a gap of 0.1 em between two characters reads as a space when the text is extracted
# (poppler from 0.1 em, pdf.js from 0.102, pdfminer from 0.1 of a character's width);
# this leaves room for WeasyPrint's rounding to thousandths of an em.
MAX_SPREAD = 0.095
# em per space: a line that would need more (a few characters before a URL or word that
# breaks only where it starts a line) is left ragged rather than spaced out word by word.
MAX_STRETCH = 0.5

_original_justify_line = inline.justify_line
_original_set_text = line_break.Layout.set_text
_original_get_first_line = line_break.Layout.get_first_line


def install() -> None:
    """Patch WeasyPrint (idempotent); refuses a version it was not written for."""
    if weasyprint.__version__ != SUPPORTED_VERSION:
        raise RuntimeError(f"bulletin_pdf.justify supports WeasyPrint {SUPPORTED_VERSION}, "
                           f"not {weasyprint.__version__}")
    inline.justify_line = justify_line
    line_break.Layout.set_text = set_text
    line_break.Layout.get_first_line = get_first_line


def justify_line(context, line, extra_width: float) -> None:
    text_boxes = list(_text_boxes(line))
    line_text = "".join(box.text for box in text_boxes)
    if not any(is_cjk(char) for char in line_text):
        return _original_justify_line(context, line, extra_width)
    gaps = _opportunities(line_text)
    count = sum(gaps)
    if count and extra_width / count > MAX_GAP * line.style["font_size"]:
        # A long group pushed to the next line leaves much to share: widen every gap
        # (inside Latin words, next to marks) rather than open gaps that text
        # extraction (pdftotext: above 0.1 em) would read as spaces between characters.
        gaps = _opportunities(line_text, everywhere=True)
        count = sum(gaps)
    spacing = _spacing(line_text, gaps, extra_width, line.style["font_size"])
    if spacing is None:
        return None
    start = 0
    for box in text_boxes:
        box.cjk_gaps = spacing[start:start + len(box.text)]
        start += len(box.text)
    _shift(context, line, 0)
    return None


def _spacing(text: str, gaps: list[int], extra_width: float, font_size: float
             ) -> list[float] | None:
    """The width added after each character, or None to leave the line ragged.

    No gap between two characters opens as wide as text extraction reads a
    space (MAX_SPREAD): what a line needs beyond that goes to its spaces (read
    as spaces anyway), up to MAX_STRETCH each; a line without enough spaces
    stays ragged.
    """
    count = sum(gaps)
    if not count:
        return None
    if extra_width / count <= MAX_SPREAD * font_size:
        return [extra_width / count * gap for gap in gaps]
    spaces = [int(gap and char in SPACES) for char, gap in zip(text, gaps, strict=True)]
    between_characters = count - sum(spaces)
    if not sum(spaces):
        return None
    per_space = (extra_width - between_characters * MAX_SPREAD * font_size) / sum(spaces)
    if per_space > MAX_STRETCH * font_size:
        return None
    return [(per_space if space else MAX_SPREAD * font_size) * gap
            for gap, space in zip(gaps, spaces, strict=True)]


def _text_boxes(box):
    if isinstance(box, boxes.TextBox):
        yield box
    elif isinstance(box, boxes.LineBox | boxes.InlineBox):
        for child in box.children:
            if child.is_in_normal_flow():
                yield from _text_boxes(child)


def _opportunities(text: str, everywhere: bool = False) -> list[int]:
    """1 where the gap after character i may be widened, for each character of the line.

    `everywhere`: every gap between two visible characters but inside `——`/`……`.
    """
    visible = [index for index, char in enumerate(text) if char not in LINE_BREAK_CONTROLS]
    while visible and text[visible[-1]] in SPACES:  # trailing spaces do not count
        visible.pop()
    gaps = [0] * len(text)
    for here, there in itertools.pairwise(visible):
        left, right = text[here], text[there]
        if everywhere:
            gaps[here] = int(not (left == right and left in INSEPARABLE))
        else:
            gaps[here] = int(_expandable(left, right))
    return gaps


def _expandable(left: str, right: str) -> bool:
    if left in SPACES:
        return True  # a space widens, as WeasyPrint does
    if right in SPACES or not (is_cjk(left) or is_cjk(right)):
        return False  # the space takes it; or inside a Latin word or a number
    if right in CLOSING or left in OPENING:
        return False  # marks stay with the character they belong to
    return not (left == right and left in INSEPARABLE)  # —— and …… stay whole


def _shift(context, box, x_advance: float) -> float:
    """Widen text boxes by their gaps and move what follows (as WeasyPrint's add_word_spacing)."""
    if isinstance(box, boxes.TextBox):
        box.position_x += x_advance
        gaps = getattr(box, "cjk_gaps", None)
        if gaps and any(gaps):
            layout = line_break.create_layout(box.text, box.style, context, max_width=None,
                                              justification_spacing=0)
            layout.cjk_gaps = gaps
            layout.deactivate()
            box.pango_layout = layout
            extra = sum(gaps)
            box.width += extra
            x_advance += extra
    elif isinstance(box, boxes.LineBox | boxes.InlineBox):
        box.position_x += x_advance
        before = x_advance
        for child in box.children:
            if child.is_in_normal_flow():
                x_advance = _shift(context, child, x_advance)
        box.width += x_advance - before
    else:
        box.translate(x_advance, 0)
    return x_advance


def set_text(self, text, justify=False):
    """WeasyPrint's `Layout.set_text`; a justified CJK line's glyphs are widened on first use."""
    _original_set_text(self, text, justify)
    self.cjk_pending = justify and bool(getattr(self, "cjk_gaps", None))


def get_first_line(self):
    """WeasyPrint's `Layout.get_first_line`, with each glyph followed by its gap.

    The gap is added to the advance of the last glyph of each character's
    cluster, in Pango units, before WeasyPrint draws the line: WeasyPrint then
    writes it as a TJ position adjustment. No letter spacing is involved, so
    each gap lands exactly where it belongs.
    """
    line, index = _original_get_first_line(self)
    if getattr(self, "cjk_pending", False):
        self.cjk_pending = False
        _widen_glyphs(line, self.text, self.cjk_gaps, self.style["font_size"])
    return line, index


def _widen_glyphs(line, text: str, gaps: list[float], font_size: float) -> None:
    visible = [index for index, char in enumerate(text[:len(gaps)]) if char not in LINE_BREAK_CONTROLS]
    if len(visible) < 2:
        return
    # The box's last gap, towards the next box, is carried by the box width.
    # WeasyPrint writes each adjustment truncated to a whole thousandth of an em
    # (`int(kerning)`); half a thousandth more makes that a rounding, so the
    # errors cancel along the line instead of adding up.
    bias = 0.5 * font_size / 1000
    widen = {index: gaps[index] + bias for index in visible[:-1] if gaps[index]}
    char_at_byte = {}
    position = 0
    for index, char in enumerate(text):
        char_at_byte[position] = index
        position += len(char.encode())
    run = line.runs
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        glyphs = glyph_item.glyphs
        clusters = glyphs.log_clusters
        offset = glyph_item.item.offset
        for number in range(glyphs.num_glyphs):
            last_of_cluster = (number + 1 == glyphs.num_glyphs
                               or clusters[number + 1] != clusters[number])
            char = char_at_byte.get(offset + clusters[number])
            if last_of_cluster and char in widen:
                glyphs.glyphs[number].geometry.width += round(widen[char] * TO_UNITS)
