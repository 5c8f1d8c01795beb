"""Page floats for figures, which WeasyPrint (v70) does not have.

A figure never splits (`break-inside: avoid`), so when it does not fit at the
foot of a page WeasyPrint moves it to the next one and leaves a hole. Books
float such a figure instead: the text goes on filling the page, the figure
comes after it. We lay the document out, find each figure that opens a page
after a large hole, move it (with the figures right behind it, keeping their
order) after the next paragraph, and lay out again (makeup.py runs the passes,
and first tries shrinking the figure into the hole).

A figure belongs to its (sub)section: it only ever moves past the running
text of that section, never past a heading (it would be printed under the
next section's title), a rule or the end of its article. When the next block
is one of those, the figure stays and the page breaks before it.
"""

from __future__ import annotations

from collections.abc import Iterator

from weasyprint.formatting_structure import boxes

FIGURE_CLASSES = {"figure", "figure-row"}
# The running text of a section, which a figure may float past (a heading, an
# <hr>, footnotes or anything else ends the section for it).
RUNNING_TEXT_TAGS = {"p", "ul", "ol", "dl", "blockquote", "table", "pre"}
HEADING_CLASS_PREFIX = "heading"
LARGE_HOLE = 72  # CSS px (about 19 mm): more than a couple of lines left empty


def _flow(page) -> list:
    """The page's content boxes, without its margin boxes (header, page number)."""
    return [child for child in page.children if not isinstance(child, boxes.MarginBox)]


def _leaves(box) -> Iterator:
    """Line boxes and replaced boxes: what actually takes room on the page."""
    if isinstance(box, boxes.LineBox | boxes.ReplacedBox):
        yield box
        return
    for child in getattr(box, "children", ()):
        if child.is_in_normal_flow():
            yield from _leaves(child)


def _hole_at_foot(page) -> float:
    bottoms = [leaf.position_y + leaf.margin_height() for root in _flow(page)
               for leaf in _leaves(root)]
    if not bottoms:
        return 0.0
    return page.content_box_y() + page.height - max(bottoms)


def _opening_figure(page):
    """The figure element the page starts with, when it follows something in its article."""
    leaves = [leaf for root in _flow(page) for leaf in _leaves(root)]
    if not leaves:
        return None
    top = min(leaf.position_y for leaf in leaves)
    for root in _flow(page):
        for box in _figure_boxes(root):
            if box.content_box_y() <= top + 1 and box.element is not None:
                return box.element
    return None


def _figure_boxes(box) -> Iterator:
    element = getattr(box, "element", None)
    classes = set((element.get("class") or "").split()) if element is not None else set()
    if (classes & FIGURE_CLASSES and isinstance(box, boxes.BlockBox)
            and not getattr(box, "is_for_root_element", False)):
        yield box
        return
    for child in getattr(box, "children", ()):
        yield from _figure_boxes(child)


def _is_figure(element) -> bool:
    return bool(set((element.get("class") or "").split()) & FIGURE_CLASSES)


def _is_running_text(element) -> bool:
    """A paragraph (list, quote, table…) of the section, not a heading in disguise."""
    classes = (element.get("class") or "").split()
    return element.tag in RUNNING_TEXT_TAGS and not any(
        name.startswith(HEADING_CLASS_PREFIX) for name in classes)


def _defer(root, figure) -> bool:
    """Move `figure` and the figures right behind it after the next paragraph of its section."""
    parent = next((candidate for candidate in root.iter() if figure in list(candidate)), None)
    if parent is None:
        return False
    siblings = list(parent)
    start = siblings.index(figure)
    if start == 0 or not any(not _is_figure(sibling) for sibling in siblings[:start]):
        return False  # the article starts with it: nothing to pull up
    end = start
    while end < len(siblings) and _is_figure(siblings[end]):
        end += 1
    if end == len(siblings) or not _is_running_text(siblings[end]):
        return False  # the end of its article or section: it stays, the page breaks before it
    group = siblings[start:end]
    for element in group:
        parent.remove(element)
    position = list(parent).index(siblings[end]) + 1
    for offset, element in enumerate(group):
        parent.insert(position + offset, element)
    # ElementTree keeps text between elements in `tail`: whitespace only here.
    return True
