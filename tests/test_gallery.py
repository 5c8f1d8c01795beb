"""The 学习掠影 gallery in justified rows, read back from the PDF: the photos of a row equally
tall and filling the text block's width, portraits paired, the gallery's last page not a stub.

The gallery is the sample's: ten photos about 3:2, the third and the sixth portraits. Each
has its own aspect ratio, by which it is found in the PDF (the screen copies are smaller).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pdfplumber
import pytest
from conftest import MINIMAL_MANIFEST, make_project
from pdfread import MM, trim_box
from PIL import Image

PORTRAITS = (3, 6)  # positions in the manifest, from 1
CAPTIONS = ["开班式现场", "骨干学员座谈会", "第一单元小组讨论", "体验式教学：DeepSeek赋能办公提效",
            "第三小组在伟本智能开展调研", "第四小组踏勘浦江之首", "案例教学：莫德纳速度何以可能？",
            "学员参观与时俱进的昆山之路成果展", "学员参观陆家未来农业示范园", "华为练秋湖研发中心考察学习"]
TEXT_WIDTH = 156 * MM
TEXT_HEIGHT = 225 * MM
TOP, INSIDE, OUTSIDE = 37 * MM, 28 * MM, 26 * MM  # paper-a4.css


def pixel_size(position: int) -> tuple[int, int]:
    """About 3:2, upright for the portraits; 1 % wider for each position."""
    return (2000 + 30 * position, 3000) if position in PORTRAITS else (3000 + 30 * position, 2000)


def position_of(width: float, height: float) -> int:
    long, short = (3000, 2000) if width > height else (2000, 3000)
    return round((width / height * short - long) / 30)


@dataclass
class Placed:
    position: int  # in the manifest, from 1
    page: int  # 0-based PDF page
    x0: float  # from the text block's left edge
    x1: float
    top: float  # from the text block's top
    bottom: float

    @property
    def portrait(self) -> bool:
        return self.position in PORTRAITS


@pytest.fixture(scope="module")
def gallery(tmp_path_factory) -> tuple[list[list[Placed]], dict[int, float]]:
    """The gallery's rows of photos in reading order, and how far down each page it reaches."""
    project = make_project(tmp_path_factory.mktemp("gallery"))
    folder = project.issue / "gallery"
    folder.mkdir()
    entries = []
    for position, caption in enumerate(CAPTIONS, 1):
        Image.new("RGB", pixel_size(position), (90, 110, 130)).save(folder / f"{position}.jpg",
                                                                   quality=60, dpi=(300, 300))
        entries.append(f"      - file: gallery/{position}.jpg\n        caption: {caption}\n")
    project.write("issue.yaml", MINIMAL_MANIFEST + "  - title: 学习掠影\n    kind: gallery\n"
                  "    columns: 2\n    photos:\n" + "".join(entries))
    assert project.build() == 0
    return read_gallery(project.pdf)


def read_gallery(pdf: Path) -> tuple[list[list[Placed]], dict[int, float]]:
    placed, reach = [], {}
    with pdfplumber.open(pdf) as document:
        for number, page in enumerate(document.pages):
            if not page.images:
                continue
            left, top, _, _ = trim_box(page)
            block_left = left + (INSIDE if number % 2 == 0 else OUTSIDE)  # odd PDF pages: right-hand
            block_top = top + TOP
            for image in page.images:
                placed.append(Placed(position_of(*image["srcsize"]), number, image["x0"] - block_left,
                                     image["x1"] - block_left, image["top"] - block_top,
                                     image["bottom"] - block_top))
            captions = [char["bottom"] for char in page.chars
                        if block_top < char["top"] < block_top + TEXT_HEIGHT]
            reach[number] = max(captions) - block_top
    return list(rows_of(placed)), reach


def rows_of(placed: list[Placed]) -> Iterator[list[Placed]]:
    """Photos whose tops are level make a row."""
    placed.sort(key=lambda photo: (photo.page, round(photo.top), photo.x0))
    row: list[Placed] = []
    for photo in placed:
        if row and (photo.page, round(photo.top)) != (row[0].page, round(row[0].top)):
            yield row
            row = []
        row.append(photo)
    yield row


def test_the_photos_of_a_row_are_equally_tall_and_fill_the_width(gallery):
    rows, _ = gallery
    assert sum(len(row) for row in rows) == len(CAPTIONS)
    full = 0
    for row in rows:
        heights = [photo.bottom - photo.top for photo in row]
        assert max(heights) - min(heights) < 0.3, heights  # equal to a tenth of a millimetre
        if abs(row[0].x0) < 0.5:  # a full row: from edge to edge, the gaps alike
            full += 1
            assert row[-1].x1 == pytest.approx(TEXT_WIDTH, abs=0.5)
            gaps = [right.x0 - left.x1 for left, right in pairwise(row)]
            assert all(gap == pytest.approx(gaps[0], abs=0.3) for gap in gaps)
        else:  # a row at its tallest, narrower: centred
            assert row[0].x0 + row[-1].x1 == pytest.approx(TEXT_WIDTH, abs=0.5)
    assert full >= len(rows) - 1


def test_portraits_are_paired_and_as_tall_as_their_row(gallery):
    rows, _ = gallery
    for row in rows:
        portraits = [photo for photo in row if photo.portrait]
        assert len(portraits) in (0, 2), [photo.position for photo in row]
        landscapes = [photo for photo in row if not photo.portrait]
        if portraits and landscapes:
            pair = sum(photo.x1 - photo.x0 for photo in portraits)
            assert pair > 0.85 * (landscapes[0].x1 - landscapes[0].x0)  # a landscape's place
    # In the manifest's order, but for the second portrait moved up beside the first.
    order = [photo.position for row in rows for photo in row]
    assert order == [1, 2, 3, 6, 4, 5, 7, 8, 9, 10]


def test_the_gallery_fills_its_pages_and_its_last_page_is_not_a_stub(gallery):
    _, reach = gallery
    pages = sorted(reach)
    assert len(pages) == 2
    fills = {page: reach[page] / TEXT_HEIGHT for page in pages}
    assert fills[pages[0]] > 0.8, fills
    assert fills[pages[-1]] > 0.6, fills
