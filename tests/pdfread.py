"""Reading our PDFs back: text per page region, large text, outline, fonts, links.

Regions follow the A4 page geometry of layouts/bulletin/css/paper-a4.css
(天头 37 mm, 地脚 35 mm): the running header lives above the text block,
the page number below it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pikepdf

MM = 72 / 25.4
TOP_MARGIN = 37 * MM
BOTTOM_MARGIN = 35 * MM
EDGE = 25 * MM
# Body text is 156 mm / 28 characters; titles and section labels are larger.
BODY_SIZE = 156 * MM / 28


def squash(text: str) -> str:
    """Text without whitespace: line breaks and justification spaces do not matter."""
    return re.sub(r"\s+", "", text)


@dataclass
class PageText:
    number: int  # 1-based physical page
    header: str
    body: str
    footer: str
    large: str  # text set larger than the body: section labels and titles
    footer_x: float | None  # left edge of the page number, when there is one
    edge_text: str  # anything within 25 mm of the top or bottom edge
    width: float


def trim_box(page: pdfplumber.page.Page) -> tuple[float, float, float, float]:
    """The page's TrimBox (or MediaBox) as (x0, top, x1, bottom) in pdfplumber's frame.

    pdfplumber keeps PDF x but measures `top` down from the MediaBox's upper edge,
    shifted by the box's origin; print PDFs have a MediaBox larger than the trim.
    """
    attrs = page.page_obj.attrs
    media = [float(value) for value in pdfplumber.utils.resolve_all(attrs["MediaBox"])]
    trim = [float(value) for value in pdfplumber.utils.resolve_all(attrs.get("TrimBox", media))]

    def top(y: float) -> float:
        return page.bbox[1] + media[3] - y

    return trim[0], top(trim[3]), trim[2], top(trim[1])


def read_pages(path: Path) -> list[PageText]:
    pages = []
    with pdfplumber.open(path) as pdf:
        for index, page in enumerate(pdf.pages):
            left, top, right, bottom = trim_box(page)
            footer_region = page.crop((left, bottom - BOTTOM_MARGIN, right, bottom))
            footer_chars = [char for char in footer_region.chars if char["text"].strip()]
            pages.append(PageText(
                number=index + 1,
                header=page.crop((left, top, right, top + TOP_MARGIN)).extract_text(),
                body=page.crop((left, top + TOP_MARGIN, right, bottom - BOTTOM_MARGIN)
                               ).extract_text(),
                footer=footer_region.extract_text(),
                large=page.filter(
                    lambda obj: obj.get("size", 0) > BODY_SIZE * 1.1).extract_text(),
                footer_x=min((char["x0"] - left for char in footer_chars), default=None),
                edge_text=(page.crop((left, top, right, top + EDGE)).extract_text()
                           + page.crop((left, bottom - EDGE, right, bottom)).extract_text()),
                width=right - left,
            ))
    return pages


def outline(path: Path) -> list[tuple[str, int, list[tuple[str, int]]]]:
    """[(section title, page index, [(article title, page index), …]), …]."""
    with pikepdf.open(path) as pdf:
        page_index = {page.objgen: index for index, page in enumerate(pdf.pages)}

        def target(item) -> int:
            return page_index[item.destination[0].objgen]

        with pdf.open_outline() as tree:
            return [(item.title, target(item),
                     [(child.title, target(child)) for child in item.children])
                    for item in tree.root]


def link_targets(path: Path, page_numbers: list[int]) -> list[int]:
    """0-based target page of every internal link on the given 1-based pages, in order."""
    with pikepdf.open(path) as pdf:
        page_index = {page.objgen: index for index, page in enumerate(pdf.pages)}
        names = pdf.Root.Names.Dests.Names
        destinations = {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}
        targets = []
        for number in page_numbers:
            for annotation in pdf.pages[number - 1].obj.get("/Annots", []):
                if annotation.get("/Subtype") == "/Link" and "/Dest" in annotation:
                    destination = destinations[str(annotation.Dest)]
                    targets.append(page_index[destination[0].objgen])
        return targets


@dataclass(frozen=True)
class EmbeddedFont:
    name: str
    family: str
    embedded: bool


def fonts(path: Path) -> list[EmbeddedFont]:
    found: dict[tuple, EmbeddedFont] = {}
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for font in page.obj.Resources.get("/Font", {}).values():
                descendants = font.get("/DescendantFonts")
                descriptor = (descendants[0] if descendants else font).get("/FontDescriptor")
                embedded = descriptor is not None and any(
                    key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
                family = str(descriptor.get("/FontFamily", "")) if descriptor else ""
                found[font.objgen] = EmbeddedFont(str(font.BaseFont), family, embedded)
    return list(found.values())
