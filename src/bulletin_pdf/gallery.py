"""The 学习掠影 gallery laid out as a photo editor would: justified rows.

Every photo of a row has the row's height and the width its aspect ratio gives;
a row's widths and gaps fill the text block's width. Two portrait photos are
paired (the later moved up beside the earlier) and take one landscape's place;
a row holds at most `columns` places. Of the ways to cut the photos into rows,
the one chosen keeps rows near the height of `columns` landscapes side by side,
uses few pages and leaves no page of a gallery that spills over much emptier
than FILL_GOAL; the rows are then spread over the pages so that the last one is
not a stub. A row is never taller than the layout's maximum, nor so tall that
one of its photos would print below the print resolution (down to the layout's
minimum height): such a row is narrower than the text block, centred.

Geometry only, from the photos' pixel sizes and the layout's numbers: the
template renders it (section.html.j2) and the resolution check places the
same photos (resolution.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .images import is_raster, original_size
from .normalize import is_cjk
from .schema import Field, Schema, positive_number

if TYPE_CHECKING:
    from .layout import Layout
    from .manifest import Issue, Section

MM_PER_INCH = 25.4
REFERENCE_ASPECT = 3 / 2  # a camera's landscape frame: `columns` of them make a row
FALLBACK_ASPECT = 3 / 2  # a photo whose size cannot be read (reported elsewhere)
FILL_GOAL = 0.6  # a page of a gallery that spills over should be at least this full
PAGE_COST = 1.0  # against the cost of rows away from their height (squared log ratio)
FILL_COST = 5.0  # per missing fraction of FILL_GOAL on a page
EXTRA_ROWS = 4  # rows beyond the fewest that are tried: short rows, to fill a page
SAFETY = 0.97  # of a page's height: captions are measured roughly
LATIN_EM = 0.6  # a Latin letter or digit of a caption, in ems (a Chinese one is 1)

GALLERY_SIZES_SCHEMA: Schema = {
    "gap_em": Field(positive_number, required=True),
    "row_gap_em": Field(positive_number, required=True),
    "min_row_height_em": Field(positive_number, required=True),
    "max_row_height_em": Field(positive_number, required=True),
    "caption_size_em": Field(positive_number, required=True),
    "caption_line_height": Field(positive_number, required=True),
    "caption_gap_em": Field(positive_number, required=True),
    "title_em": Field(positive_number, required=True),
}


@dataclass(frozen=True)
class GallerySizes:
    """layout.yaml's `photo_sizes.gallery`, in ems of the body text (as bulletin.css uses them)."""

    gap_em: float  # between the photos of a row
    row_gap_em: float  # below a row's captions
    min_row_height_em: float
    max_row_height_em: float
    caption_size_em: float
    caption_line_height: float  # times the caption's size
    caption_gap_em: float  # between a photo and its caption
    title_em: float  # the section title 【学习掠影】 above the first row


@dataclass(frozen=True)
class TextBlock:
    width_mm: float
    height_mm: float
    body_mm: float  # the body text's size: what the gallery's ems are of


@dataclass(frozen=True)
class Shape:
    """What the arrangement needs of a photo."""

    aspect: float  # width / height, as shown
    max_height_mm: float  # the tallest it may be placed at and keep the print resolution
    caption_ems: float  # the caption's width in ems of its own size

    @property
    def portrait(self) -> bool:
        return self.aspect < 1


@dataclass(frozen=True)
class Cell:
    photo: int  # index of the photo in the section's list
    width_mm: float


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    height_mm: float
    new_page: bool = False  # begins a page of its own (the rows before fill the last)


def gallery_rows(issue: Issue, section: Section, layout: Layout) -> tuple[Row, ...]:
    """How the layout sets a gallery section of the issue (the same for every output)."""
    fit = layout.fit
    width = fit.text_width_mm[issue.paper]
    block = TextBlock(width, fit.text_height_mm[issue.paper], width / fit.characters_per_line)
    min_dpi = layout.profiles["print"].minimum_dpi  # screen pages look like print pages
    shapes = [photo_shape(issue.folder / photo.file, photo.caption or "", min_dpi)
              for photo in section.photos]
    return arrange(shapes, section.columns, layout.photo_sizes.gallery, block)


def photo_shape(path: Path, caption: str, min_dpi: int) -> Shape:
    """A photo's shape from its pixel size (EXIF rotation applied)."""
    if path.is_file() and is_raster(path):
        try:
            width, height = original_size(path)
        except OSError:  # unreadable: reported by the photo checks
            width, height = 0, 0
        if width and height:
            return Shape(width / height, height / (min_dpi * 1.01) * MM_PER_INCH,
                         caption_ems(caption))
    return Shape(FALLBACK_ASPECT, math.inf, caption_ems(caption))


def caption_ems(caption: str) -> float:
    return sum(1 if is_cjk(char) else LATIN_EM for char in caption)


def arrange(shapes: Sequence[Shape], columns: int, sizes: GallerySizes, block: TextBlock
            ) -> tuple[Row, ...]:
    """The photos in justified rows, in pages: the arrangement of least cost."""
    if not shapes:
        return ()
    geometry = _Geometry(shapes, columns, sizes, block)
    units = _places(shapes)
    best: tuple[float, tuple[Row, ...]] | None = None
    fewest = math.ceil(len(units) / columns)
    for cost, grouping in _groupings(units, fewest + EXTRA_ROWS, columns, geometry):
        rows = [geometry.row(group) for group in grouping]
        breaks, fills = _pages(rows, geometry)
        shortfall = sum(max(0.0, FILL_GOAL - fill) for fill in fills) if len(fills) > 1 else 0.0
        score = cost + PAGE_COST * len(fills) + FILL_COST * shortfall
        if best is None or score < best[0] - 1e-9:
            best = (score, tuple(Row(row.cells, row.height_mm, index in breaks)
                                 for index, row in enumerate(rows)))
    assert best is not None
    return best[1]


def _places(shapes: Sequence[Shape]) -> list[tuple[int, ...]]:
    """The photos as places in a row: a landscape alone, two portraits together."""
    places: list[list[int]] = []
    waiting: list[int] | None = None  # a portrait's place, waiting for a second one
    for index, shape in enumerate(shapes):
        if shape.portrait and waiting is not None:
            waiting.append(index)
            waiting = None
            continue
        places.append([index])
        if shape.portrait:
            waiting = places[-1]
    return [tuple(place) for place in places]


class _Geometry:
    """Millimetres of the rows, from the layout's ems and the photos' shapes."""

    def __init__(self, shapes: Sequence[Shape], columns: int, sizes: GallerySizes,
                 block: TextBlock):
        self.shapes = shapes
        self.block = block
        em = block.body_mm
        self.gap = sizes.gap_em * em
        self.row_gap = sizes.row_gap_em * em
        self.min_height = sizes.min_row_height_em * em
        self.max_height = sizes.max_row_height_em * em
        self.caption_size = sizes.caption_size_em * em
        self.caption_line = self.caption_size * sizes.caption_line_height
        self.caption_gap = sizes.caption_gap_em * em
        self.first_page = (block.height_mm - sizes.title_em * em) * SAFETY
        self.page = block.height_mm * SAFETY
        self.target = (block.width_mm - (columns - 1) * self.gap) / (columns * REFERENCE_ASPECT)

    def justified(self, photos: Sequence[int]) -> float:
        """The height at which the photos and their gaps fill the text block's width."""
        width = self.block.width_mm - (len(photos) - 1) * self.gap
        return width / sum(self.shapes[photo].aspect for photo in photos)

    def cost(self, photos: Sequence[int]) -> float:
        return math.log(self.justified(photos) / self.target) ** 2

    def row(self, photos: Sequence[int]) -> Row:
        tallest = min([self.max_height, *(self.shapes[photo].max_height_mm for photo in photos)])
        height = min(self.justified(photos), max(tallest, self.min_height))
        return Row(tuple(Cell(photo, height * self.shapes[photo].aspect) for photo in photos),
                   height)

    def depth(self, row: Row) -> float:
        """The row's height on the page with its captions (not the gap below)."""
        lines = max(self._caption_lines(cell) for cell in row.cells)
        return row.height_mm + self.caption_gap + lines * self.caption_line

    def _caption_lines(self, cell: Cell) -> int:
        per_line = max(1, math.floor(cell.width_mm / self.caption_size))
        return max(1, math.ceil(self.shapes[cell.photo].caption_ems / per_line))


def _groupings(units: list[tuple[int, ...]], most: int, columns: int, geometry: _Geometry
               ) -> Iterator[tuple[float, list[tuple[int, ...]]]]:
    """For each number of rows up to `most`, the cheapest cut of the places into rows of at
    most `columns` places each, with its cost.

    On equal cost, fuller rows come first: the short row of a gallery is its last.
    """
    count = len(units)
    infinity = math.inf
    # cheapest[k][i]: the first i places in k rows; cut[k][i]: where the last row starts
    cheapest = [[infinity] * (count + 1) for _ in range(most + 1)]
    cut = [[0] * (count + 1) for _ in range(most + 1)]
    cheapest[0][0] = 0.0
    for rows in range(1, most + 1):
        for end in range(1, count + 1):
            for start in range(max(0, end - columns), end):
                if cheapest[rows - 1][start] == infinity:
                    continue
                photos = [photo for unit in units[start:end] for photo in unit]
                # A hair more for a short row the more places follow it.
                shortness = (columns - (end - start)) * (count - end) * 1e-6
                cost = cheapest[rows - 1][start] + geometry.cost(photos) + shortness
                if cost < cheapest[rows][end] - 1e-9:
                    cheapest[rows][end], cut[rows][end] = cost, start
    for rows in range(1, most + 1):
        if cheapest[rows][count] == infinity:
            continue
        groups: list[tuple[int, ...]] = []
        end = count
        for row in range(rows, 0, -1):
            start = cut[row][end]
            groups.insert(0, tuple(photo for unit in units[start:end] for photo in unit))
            end = start
        yield cheapest[rows][count], groups


def _pages(rows: list[Row], geometry: _Geometry) -> tuple[set[int], list[float]]:
    """Where pages begin (row indexes) and how full each page is.

    The fewest pages, and of those the cut whose emptiest page is fullest.
    """
    depths = [geometry.depth(row) for row in rows]

    def capacity(page: int) -> float:
        return geometry.first_page if page == 0 else geometry.page

    def used(start: int, end: int) -> float:
        return sum(depths[start:end]) + (end - start - 1) * geometry.row_gap

    # best[i]: (pages, -emptiest fill, breaks) for the first i rows
    best: list[tuple[int, float, tuple[int, ...]] | None] = [None] * (len(rows) + 1)
    best[0] = (0, -math.inf, ())
    for end in range(1, len(rows) + 1):
        for start in range(end):
            before = best[start]
            if before is None:
                continue
            pages = before[0]
            fill = used(start, end) / capacity(pages)
            if fill > 1 and end - start > 1:
                continue  # an oversized row alone may overflow; rows together may not
            candidate = (pages + 1, max(before[1], -min(fill, 1.0)), (*before[2], start))
            if best[end] is None or candidate[:2] < best[end][:2]:
                best[end] = candidate
    _, _, starts = best[-1]  # type: ignore[misc]
    ends = (*starts[1:], len(rows))
    fills = [used(start, end) / capacity(page)
             for page, (start, end) in enumerate(zip(starts, ends, strict=True))]
    return set(starts[1:]), fills
