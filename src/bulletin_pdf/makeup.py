"""Page make-up: what a typesetter corrects on laid-out pages, found there and fixed
by laying out again.

Each pass reads the pages WeasyPrint laid out and applies the typesetter's
tools, all at once, to the document tree; the layout's stylesheet says what
each tool looks like (layout.yaml `makeup:` names its classes and limits):
- a paragraph whose last line holds one character and 。 is tightened (a
  little less letter-spacing: the character goes up) or, failing that, loosened;
- an article spilling a few lines onto a page of their own is pulled back:
  its paragraphs that gain a line by tightening are tightened, its photos
  shrink (down to a limit);
- a photo that does not fit a page's foot shrinks into the hole when the limit
  allows; else it floats after the next paragraph (floats.py) — or, when no
  paragraph of its section follows, it moves up before the latest paragraph of
  the holed page that leaves it room, so the text flows on after it;
- a hole left at a page's foot by a block that could not start there (a
  paragraph too short to split, a heading kept with two lines, the last lines
  kept with the byline) is filled from its own page: paragraphs there that gain
  a line by loosening (or lost one to tightening) are set a line longer, and
  the next page stays as it is;
- the 目录 is set tighter, step by step, until it fits the cover; when no step
  does, it is balanced (sections kept whole) over two pages.

What remains is reported: pages whose text block is less than half full and
that are not an article's planned last page, and holes at a page's foot.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

from weasyprint.document import Document
from weasyprint.formatting_structure import boxes

from . import floats
from .justify import _text_boxes as text_boxes
from .layout import MakeupSettings
from .normalize import LINE_BREAK_CONTROLS, is_han

MAX_PASSES = 6
UNIT_CLASSES = {"article", "section-gallery"}  # what a page's content belongs to
FIGURE_SCALE = "--figure-scale"  # the stylesheet's custom property that shrinks a photo
STUB_MARK = "data-makeup-stub"  # a paragraph tightened for its last line, not to pull a tail


@dataclass(frozen=True)
class MakeupReport:
    sparse: tuple[int, ...]  # folios under half full, not an article's planned last page
    holes: tuple[int, ...]  # folios with a hole at the foot, the article going on overleaf
    toc_pages: int


@dataclass
class _Page:
    index: int
    box: boxes.PageBox
    leaves: list  # line and replaced boxes in the flow

    @property
    def bottom(self) -> float:
        return self.box.content_box_y() + self.box.height

    def content_bottom(self) -> float:
        return max((leaf.position_y + leaf.margin_height() for leaf in self.leaves),
                   default=self.box.content_box_y())

    @property
    def hole(self) -> float:
        return self.bottom - self.content_bottom()

    @property
    def fill(self) -> float:
        return (self.content_bottom() - self.box.content_box_y()) / self.box.height


class _Pages:
    """The laid-out document read for make-up: pages, what each element holds where."""

    def __init__(self, document: Document, root):
        self.root = root
        self.parents = {child: parent for parent in root.iter() for child in parent}
        self.pages = [_Page(index, page._page_box,
                            [leaf for box in floats._flow(page._page_box)
                             for leaf in floats._leaves(box)])
                      for index, page in enumerate(document.pages)]
        self.lines_of: dict = {}  # element → [(page index, line box)]: its lines, in order
        self.units_on: list[set] = []  # per page, the articles (and galleries) on it
        for page in self.pages:
            units = set()
            for leaf in page.leaves:
                if isinstance(leaf, boxes.LineBox):
                    self.lines_of.setdefault(leaf.element, []).append((page.index, leaf))
                unit = self.unit(leaf.element)
                if unit is not None:
                    units.add(unit)
            self.units_on.append(units)

    def unit(self, element):
        while element is not None:
            if set((element.get("class") or "").split()) & UNIT_CLASSES:
                return element
            element = self.parents.get(element)
        return None

    def pages_of(self, unit) -> list[int]:
        return [index for index, units in enumerate(self.units_on) if unit in units]

    def leaves_of(self, unit, page_index: int) -> list:
        return [leaf for leaf in self.pages[page_index].leaves if self.unit(leaf.element) is unit]

    @cached_property
    def line_pitch(self) -> float:
        """The running text's line height: the grid holes and gains are counted in."""
        heights = Counter(round(line.margin_height(), 2) for element, lines in self.lines_of.items()
                          if element is not None and element.tag == "p"
                          and self.within(element, "article-body") for _, line in lines)
        return heights.most_common(1)[0][0] if heights else 0.0

    def within(self, element, class_name: str) -> bool:
        while element is not None:
            if class_name in (element.get("class") or "").split():
                return True
            element = self.parents.get(element)
        return False


def make_up(html, render: Callable[[], Document], settings: MakeupSettings
            ) -> tuple[Document, MakeupReport]:
    """Render, and re-render after each round of corrections; the last layout and its report."""
    root = html.etree_element
    document = render()
    for _ in range(MAX_PASSES):
        pages = _Pages(document, root)
        changed = [tool(pages, settings) for tool in
                   (_fit_contents, _short_leaders, _one_character_ends, _pull_back_tails,
                    _fill_holes, _place_figures)]
        if not any(changed):
            break
        document = render()
    return document, report(_Pages(document, root), settings)


# ---- 目录 ---------------------------------------------------------------

def _fit_contents(pages: _Pages, settings: MakeupSettings) -> bool:
    toc = next((element for element in pages.root.iter()
                if "toc" in (element.get("class") or "").split()), None)
    if toc is None or _toc_pages(pages, toc) <= 1:
        return False
    classes = (toc.get("class") or "").split()
    if settings.toc_balanced in classes:
        return False
    tried = [step for step in settings.toc_steps if step in classes]
    remaining = settings.toc_steps[settings.toc_steps.index(tried[-1]) + 1:] if tried else (
        settings.toc_steps)
    kept = [name for name in classes if name not in settings.toc_steps]
    toc.set("class", " ".join([*kept, remaining[0] if remaining else settings.toc_balanced]))
    return True


def _short_leaders(pages: _Pages, settings: MakeupSettings) -> bool:
    """A 目录 entry whose leader shrank below its least dots wraps before its authors."""
    changed = False
    for element, lines in pages.lines_of.items():
        if element is None or "toc-entry" not in (element.get("class") or "").split():
            continue
        leader = next((box for _, line in lines[-1:] for box in line.descendants()
                       if getattr(box, "is_leader", False)), None)
        classes = (element.get("class") or "").split()
        if (leader is not None and len(leader.children) < settings.toc_min_leader
                and settings.toc_wrapped not in classes):
            element.set("class", " ".join([*classes, settings.toc_wrapped]))
            changed = True
    return changed


def _toc_pages(pages: _Pages, toc) -> int:
    return len({index for element, lines in pages.lines_of.items()
                if element is not None and _inside(pages, element, toc)
                for index, _ in lines})


def _inside(pages: _Pages, element, ancestor) -> bool:
    while element is not None:
        if element is ancestor:
            return True
        element = pages.parents.get(element)
    return False


# ---- Paragraph ends -------------------------------------------------------

def _visible(line) -> str:
    return "".join(box.text for box in text_boxes(line)
                   ).translate({ord(c): None for c in LINE_BREAK_CONTROLS}).strip()


def is_one_character_end(text: str) -> bool:
    """A last line of one Chinese character and a full stop."""
    return len(text) == 2 and is_han(text[0]) and text[1] == "。"


def _body_paragraphs(pages: _Pages, settings: MakeupSettings) -> Iterator:
    """Paragraphs of running text (not captions, bylines or subtitles) and their lines."""
    ours = {"", settings.tighten, settings.loosen}
    for element, lines in pages.lines_of.items():
        if (element is not None and element.tag == "p" and (element.get("class") or "") in ours
                and pages.within(element, "article-body")):
            yield element, lines


def _one_character_ends(pages: _Pages, settings: MakeupSettings) -> bool:
    """Tighten a paragraph ending on one character and 。, or loosen it when that fails
    — or at once when its page has a hole: tightened, it would leave a line more."""
    changed = False
    holed = {page.index for page in pages.pages if page.hole > floats.LARGE_HOLE}
    for element, lines in _body_paragraphs(pages, settings):
        if len(lines) < 2 or not is_one_character_end(_visible(lines[-1][1])):
            continue
        classes = (element.get("class") or "").split()
        first_step = settings.loosen if lines[-1][0] in holed else settings.tighten
        step = (settings.loosen if settings.tighten in classes else
                None if settings.loosen in classes else first_step)
        if step is None or element.get("data-makeup-done"):
            continue
        element.set("class", step)
        element.set(STUB_MARK, "1")
        if step == settings.loosen:
            element.set("data-makeup-done", "1")
        changed = True
    return changed


# ---- Holes before a block that could not start on the page ---------------------

def _fill_holes(pages: _Pages, settings: MakeupSettings) -> bool:
    """A hole of a few lines at a page's foot, the article going on overleaf with a block
    that could not start in it: its page's paragraphs are set a line longer, one line each.

    The block (a paragraph of three lines, a heading with the two lines it keeps, the
    last two lines kept with the byline) does not fit in less room either, so the next
    page stays as it is. Each paragraph gains a line by loosening; one tightened for its
    stub of a last line is loosened instead (the stub stays away). Nothing is done unless
    what they gain leaves less than a large hole.
    """
    changed = False
    pitch = pages.line_pitch
    for page, following in zip(pages.pages, pages.pages[1:], strict=False):
        continuing = {unit for unit in pages.units_on[page.index] & pages.units_on[following.index]
                      if unit.get("data-makeup-pulled") != "applied"}
        if (page.hole <= floats.LARGE_HOLE or not pitch or not continuing
                or floats._opening_figure(following.box) is not None):
            continue
        wanted = int(page.hole // pitch)
        # On the page, nearest the hole first; then the page before, whose breaks
        # between paragraphs let a line go over.
        candidates = [element for here in (page.index, page.index - 1)
                      for element, lines in reversed(list(_body_paragraphs(pages, settings)))
                      if pages.unit(element) in continuing
                      and {index for index, _ in lines} <= {here, page.index}
                      and lines[-1][0] == here
                      and _gains_by_loosening(element, lines, settings)]
        chosen = candidates[:wanted]
        if page.hole - len(chosen) * pitch > floats.LARGE_HOLE:
            continue
        for element in chosen:
            element.set("class", settings.loosen)
            element.set("data-makeup-done", "1")
        changed = changed or bool(chosen)
    return changed


def _gains_by_loosening(element, lines: list, settings: MakeupSettings) -> bool:
    """Whether loosening `element` sets it a line longer (its last line filled by it).

    A full line loosened pushes a character on, and the last line holds one less: a line
    is gained when the last line then overflows by two characters or more (the new last
    line no stub). A paragraph tightened for its stub gets its line back.
    """
    classes = (element.get("class") or "").split()
    if element.get("data-makeup-done") or settings.loosen in classes:
        return False
    if settings.tighten in classes:
        return bool(element.get(STUB_MARK))
    if classes or len(lines) < 2:
        return False
    full = max(_ems(_visible(line)) for _, line in lines[:-1])
    return _ems(_visible(lines[-1][1])) + len(lines) - full >= 2


def _ems(text: str) -> float:
    """About how wide `text` is set, in ems: Latin letters and digits take half."""
    return sum(0.5 if char.isascii() else 1.0 for char in text)


# ---- Tails and photos ------------------------------------------------------

def _pull_back_tails(pages: _Pages, settings: MakeupSettings) -> bool:
    """An article's last page holding only a few lines: pull them back, when its tools can.

    In order: tighten the paragraphs that lose a line by it, shrink its photos,
    and set the article a line more per page (its leading a little tighter).
    Nothing is done when all of them together would not empty the last page.
    """
    changed = False
    for unit in _articles(pages):
        if unit.get("data-makeup-pulled") == "applied":
            unit.set("data-makeup-pulled", "1")  # laid out since: its holes may be filled
        spread = pages.pages_of(unit)
        if len(spread) < 2 or unit.get("data-makeup-pulled"):
            continue
        last = spread[-1]
        tail = [leaf for leaf in pages.leaves_of(unit, last) if isinstance(leaf, boxes.LineBox)]
        if not tail or len(tail) > settings.tail_lines or _has_figure(pages, unit, last):
            continue
        needed = len(tail) + 1  # a line to spare: headings and figures do not keep the grid
        tools = [(gain, lambda element=element: element.set("class", settings.tighten))
                 for gain, element in ((_tightening_gain(lines), element) for element, lines
                                       in _body_paragraphs(pages, settings)
                                       if pages.unit(element) is unit
                                       and not element.get("class")) if gain]
        tools += [(gain, lambda figure=figure: _shrink(figure, pages, settings.tail_figure_min_scale))
                  for figure in _figures(pages, unit)
                  if (gain := _shrink_gain(figure, pages, settings.tail_figure_min_scale))]
        tools.append((_article_tightening_gain(pages, unit, spread), lambda unit=unit: unit.set(
            "class", f"{unit.get('class')} {settings.tighten_article}")))
        unit.set("data-makeup-pulled", "1")
        if sum(gain for gain, _ in tools) < needed:
            continue
        unit.set("data-makeup-pulled", "applied")  # not filled in this pass: lines come back
        gained = 0
        for gain, apply in tools:
            if gained >= needed:
                break
            apply()
            gained += gain
        changed = True
    return changed


def _shrink_gain(figure, pages: _Pages, limit: float) -> int:
    """Lines of text a photo gives back at its smallest (from the size it has now)."""
    box = _figure_box(pages, figure)
    scale = _figure_scale(figure)
    if box is None or not pages.line_pitch or scale <= limit:
        return 0
    return int(_image_height(box) * (1 - limit / scale) // pages.line_pitch)


def _figure_scale(figure) -> float:
    """The share of its size a photo is set at (the make-up's --figure-scale, else 1)."""
    found = re.search(rf"{FIGURE_SCALE}:\s*([0-9.]+)", figure.get("style") or "")
    return float(found.group(1)) if found else 1.0


def _article_tightening_gain(pages: _Pages, unit, spread: list[int]) -> int:
    """Lines an article gains set a line more per page: one per page of its text before
    the last (a page given to photos gains nothing)."""
    if not pages.line_pitch:
        return 0
    lines = sum(isinstance(leaf, boxes.LineBox) for index in spread[:-1]
                for leaf in pages.leaves_of(unit, index))
    return round(lines / (pages.pages[spread[-1]].box.height / pages.line_pitch))


def _tightening_gain(lines: list) -> int:
    """Lines a paragraph loses when each line takes one character more (its last line short)."""
    if len(lines) < 2:
        return 0
    last = len(_visible(lines[-1][1]))
    return 1 if last <= len(lines) - 1 else 0


def _articles(pages: _Pages) -> list:
    return [element for element in pages.root.iter()
            if "article" in (element.get("class") or "").split()
            and not pages.within(pages.parents.get(element), "section-flowing")]


def _figures(pages: _Pages, unit) -> list:
    return [element for element in unit.iter() if floats._is_figure(element)
            and not pages.within(pages.parents.get(element), "figure-row")]


def _has_figure(pages: _Pages, unit, page_index: int) -> bool:
    return any(isinstance(leaf, boxes.ReplacedBox) for leaf in pages.leaves_of(unit, page_index))


def _shrink(figure, pages: _Pages, limit: float, scale: float | None = None) -> int:
    """Set a photo smaller (to `scale`, or the limit); the lines of text it gives back."""
    box = _figure_box(pages, figure)
    if box is None:
        return 0
    scale = max(limit, scale if scale is not None else limit)
    if scale >= 0.99:
        return 0
    figure.set("style", f"{FIGURE_SCALE}: {math.floor(scale * 100) / 100}")
    return 1


def _figure_box(pages: _Pages, figure):
    for page in pages.pages:
        for root in floats._flow(page.box):
            for box in floats._figure_boxes(root):
                if box.element is figure:
                    return box
    return None


def _image_height(box) -> float:
    return max((leaf.margin_height() for leaf in floats._leaves(box)
                if isinstance(leaf, boxes.ReplacedBox)), default=0.0)


def _place_figures(pages: _Pages, settings: MakeupSettings) -> bool:
    """A photo opening a page after a hole: shrink it into the hole, else let it float
    after the next paragraph; with no paragraph of its section after it, move it up."""
    changed = False
    for previous, page in zip(pages.pages, pages.pages[1:], strict=False):
        figure = floats._opening_figure(page.box)
        if figure is None or previous.hole <= floats.LARGE_HOLE or figure.get("data-makeup-moved"):
            continue
        box = _figure_box(pages, figure)
        image = _image_height(box) if box is not None else 0
        if not image:
            continue
        # What must fit in the hole: the figure, and the byline when it closes the article.
        after = _closing_lines(pages, figure)
        room = previous.hole - (box.margin_height() - image) - after
        scale = room / image
        if scale >= settings.figure_min_scale and "style" not in figure.attrib:
            _shrink(figure, pages, settings.figure_min_scale, scale - 0.02)
            changed = True
        elif floats._defer(pages.root, figure) or _move_up(
                pages, figure, previous, image, settings):
            changed = True
    return changed


def _closing_lines(pages: _Pages, figure) -> float:
    """The height of what follows `figure` to its article's end when that is only the byline."""
    parent = pages.parents.get(figure)
    siblings = list(parent) if parent is not None else []
    if siblings and siblings[-1] is figure:
        unit = pages.unit(figure)
        byline = [element for element in unit if "byline" in (element.get("class") or "")]
        return sum(box.margin_height() for element in byline
                   for _, box in pages.lines_of.get(element, ())) + 12
    return 0.0


def _move_up(pages: _Pages, figure, previous: _Page, image: float,
             settings: MakeupSettings) -> bool:
    """Move a photo that no paragraph of its section follows up before the latest
    paragraph starting on `previous` that leaves it room (shrunk within its limit):
    the text flows on after it and fills the page."""
    parent = pages.parents[figure]
    siblings = list(parent)
    box = _figure_box(pages, figure)
    frame = box.margin_height() - image  # its caption and margins
    scale_now = _figure_scale(figure)
    position = siblings.index(figure)
    while position > 0 and floats._is_running_text(siblings[position - 1]):
        position -= 1
        lines = pages.lines_of.get(siblings[position], ())
        if not lines or lines[0][0] != previous.index:
            if lines and lines[0][0] < previous.index:
                break  # the paragraph starts a page earlier: the photo would go there
            continue
        scale = scale_now * (previous.bottom - lines[0][1].position_y - frame) / image
        if scale >= settings.figure_min_scale:
            parent.remove(figure)
            parent.insert(position, figure)
            figure.set("data-makeup-moved", "1")  # floats must not carry it back
            if scale < scale_now:
                _shrink(figure, pages, settings.figure_min_scale, scale - 0.02)
            return True
    return False


# ---- Report -----------------------------------------------------------------

def report(pages: _Pages, settings: MakeupSettings) -> MakeupReport:
    body = [page for page in pages.pages if page.box.page_type.name == "body"]
    if not body:
        return MakeupReport((), (), 0)
    first = body[0].index
    sparse, holes = [], []
    for page in body:
        folio = page.index - first + 1
        units = pages.units_on[page.index]
        if not page.leaves:
            continue  # a blank page before a section on a recto
        if page.fill < 0.5 and not _planned_last_page(pages, page, units, settings):
            sparse.append(folio)
        following = pages.units_on[page.index + 1] if page.index + 1 < len(pages.pages) else set()
        if page.hole > floats.LARGE_HOLE and units & following:
            holes.append(folio)
    toc = next((element for element in pages.root.iter()
                if "toc" in (element.get("class") or "").split()), None)
    return MakeupReport(tuple(sparse), tuple(holes),
                        _toc_pages(pages, toc) if toc is not None else 0)


def _planned_last_page(pages: _Pages, page: _Page, units: set, settings: MakeupSettings) -> bool:
    """The page ends every article on it, and each holds more than a tail here (or starts here)."""
    for unit in units:
        spread = pages.pages_of(unit)
        if spread[-1] != page.index:
            return False
        lines = [leaf for leaf in pages.leaves_of(unit, page.index)
                 if isinstance(leaf, boxes.LineBox)]
        if len(spread) > 1 and len(lines) <= settings.tail_lines:
            return False
    return bool(units)
