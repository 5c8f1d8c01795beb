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
around a WORD JOINER. Each text box then carries, per character, a Pango
letter-spacing amount: Pango puts half of a character's letter spacing before
it and half after it (dropping the outer halves at the ends of a layout), so
gap i receives a_i/2 + a_(i+1)/2 and we solve a_(i+1) = 2·gap_i − a_i. The
text stays one string (no characters are added: text extraction is
unchanged), and the box width grows by exactly the sum of its gaps.

Written against WeasyPrint 70.0 (checked on import) so that it can be offered
upstream as the CJK part of `text-justify: auto`.
"""

from __future__ import annotations

import itertools

import weasyprint
from weasyprint.formatting_structure import boxes
from weasyprint.layout import inline
from weasyprint.text import line_break
from weasyprint.text.ffi import TO_UNITS, ffi, pango

from .normalize import WORD_JOINER, is_cjk

SUPPORTED_VERSION = "70.0"
CLOSING = set("、。，．：；！？）］｝」』】〕〗〉》”’")
OPENING = set("（［｛「『【〔〖〈《“‘")
INSEPARABLE = set("—…")
SPACES = " \u00a0"
MAX_GAP = 0.08  # em: wider gaps between Chinese characters read as spaces when extracted

_original_justify_line = inline.justify_line
_original_text_align = inline.text_align
_original_set_text = line_break.Layout.set_text


def install() -> None:
    """Patch WeasyPrint (idempotent); refuses a version it was not written for."""
    if weasyprint.__version__ != SUPPORTED_VERSION:
        raise RuntimeError(f"bulletin_pdf.justify supports WeasyPrint {SUPPORTED_VERSION}, "
                           f"not {weasyprint.__version__}")
    inline.justify_line = justify_line
    inline.text_align = text_align
    line_break.Layout.set_text = set_text


def text_align(context, line, available_width, last):
    """WeasyPrint's `text_align`, after dropping CJK–Latin spacing at the line's two ends.

    The typography stage gives a Latin run next to Chinese text a ¼ em margin
    (`autospace-start`/`autospace-end`); at the start or end of a line there is
    nothing to space from, and the margin would leave the line indented or short.
    """
    _drop_edge_margin(line, first=True)
    _drop_edge_margin(line, first=False)
    return _original_text_align(context, line, available_width, last)


def _edge_path(line, first: bool) -> list:
    """The inline boxes from the line down to its first (or last) leaf."""
    path = []
    box = line
    while isinstance(box, boxes.LineBox | boxes.InlineBox):
        children = [child for child in box.children if child.is_in_normal_flow()]
        if not children:
            break
        box = children[0] if first else children[-1]
        if isinstance(box, boxes.InlineBox):
            path.append(box)
    return path


def _has_class(box, name: str) -> bool:
    return box.element is not None and name in (box.element.get("class") or "").split()


def _drop_edge_margin(line, first: bool) -> None:
    path = _edge_path(line, first)
    for depth, box in enumerate(path):
        margin = box.margin_left if first else box.margin_right
        if not margin or not _has_class(box, "autospace-start" if first else "autospace-end"):
            continue
        if first:
            box.margin_left = 0
            for child in line.children:  # the content moves left by the margin…
                child.translate(-margin, 0)
            for kept in path[:depth + 1]:  # …the boxes that start the line stay put
                kept.position_x += margin
        else:
            box.margin_right = 0
        for ancestor in path[:depth]:
            ancestor.width -= margin
        line.width -= margin


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
    if not count:
        return None
    spacing = extra_width / count
    start = 0
    for box in text_boxes:
        box.cjk_gaps = [spacing * gap for gap in gaps[start:start + len(box.text)]]
        start += len(box.text)
    _shift(context, line, 0)
    return None


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
    visible = [index for index, char in enumerate(text) if char != WORD_JOINER]
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
    """WeasyPrint's `Layout.set_text`, plus the per-character spacing of justified CJK lines."""
    _original_set_text(self, text, justify)
    gaps = getattr(self, "cjk_gaps", None)
    if not justify or not gaps or not self.text:
        return
    amounts = _letter_spacings(self.text, gaps)
    attributes = pango.pango_layout_get_attributes(self.layout)
    if attributes == ffi.NULL:
        attributes = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
    position = 0
    for char, amount in zip(self.text, amounts, strict=False):
        size = len(char.encode())
        if amount:
            attribute = pango.pango_attr_letter_spacing_new(int(amount * TO_UNITS))
            attribute.start_index, attribute.end_index = position, position + size
            pango.pango_attr_list_change(attributes, attribute)
        position += size
    pango.pango_layout_set_attributes(self.layout, attributes)


def _letter_spacings(text: str, gaps: list[float]) -> list[float]:
    """Per-character letter spacing that puts exactly gaps[i] after visible character i.

    Word joiners are invisible and carry no gap of their own; a joiner at the
    start or end of the box cancels the half that Pango would otherwise put
    before the first (after the last) visible character. The box's last gap,
    towards the next box, is left out: the box width and the next box's
    position carry it.
    """
    amounts = [0.0] * len(text)
    visible = [index for index, char in enumerate(text[:len(gaps)]) if char != WORD_JOINER]
    if len(visible) < 2:
        return amounts
    interior = [gaps[index] for index in visible[:-1]]
    chain = [interior[0]]
    for gap in interior:
        chain.append(2 * gap - chain[-1])
    for index, amount in zip(visible, chain, strict=True):
        amounts[index] = amount
    if visible[0] > 0:
        amounts[0] = -chain[0]
    if visible[-1] < len(text) - 1:
        amounts[-1] = -chain[-1]
    return amounts
