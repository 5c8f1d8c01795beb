"""Page floats for figures (floats.py), read back from a real PDF.

One small issue, three articles (each starts a page), each built so that a
figure does not fit at the foot of a page:
- 浮动: a figure followed by paragraphs — it floats after the next one;
- 标题: a figure at the end of subsection （二）, one paragraph and then the
  heading 二、 — it never passes the heading: it moves up within （二）;
- 顺序: two figures in a row — they float together, in their order.
Figures are found by their caption printed right below them, text by
markers that open its paragraphs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pytest
from conftest import Project, make_project
from pdfread import BOTTOM_MARGIN, MM, TOP_MARGIN, trim_box
from PIL import Image

from bulletin_pdf.floats import LARGE_HOLE

FILLER = "这是一段用来填充版面的文字，" * 12  # 170 characters: 7 lines of 28
MANIFEST = """\
name: 浮动测试
number: 1
date: 2025-06-01
publisher: 测试单位
sections:
  - title: 简讯
    articles: [articles/float.md, articles/heading.md, articles/order.md]
"""
ARTICLES = {
    # 2 lines of title and 14 of text leave 6 lines: too few for the 12-line figure.
    "float.md": ("浮动", ["浮前段甲", "浮前段乙", "![浮动插图](images/wide.jpg)",
                         "浮后段甲", "浮后段乙", "浮后段丙"]),
    "heading.md": ("标题", ["# 一、第一部分", "一部段", "## （一）甲节", "甲节段",
                           "## （二）乙节", "乙节段一", "乙节段二", "乙节段三",
                           "![乙节末图](images/wide.jpg)", "节末段" + "短短的一段。" * 8,
                           "# 二、下一部分", "下部段甲", "下部段乙"]),
    "order.md": ("顺序", ["序前段甲", "序前段乙", "![甲图](images/wide.jpg)\n\n"
                         "![乙图](images/square.jpg){.third}", "序后段甲", "序后段乙",
                         "序后段丙"]),
}


def block(item: str) -> str:
    """Markdown as written: headings, figures and short paragraphs as they are,
    a bare marker as a paragraph of 7 lines opening with it."""
    return item if item[0] in "#!" or "。" in item else item + FILLER


@dataclass(frozen=True)
class Place:
    page: int
    top: float
    bottom: float

    def __lt__(self, other: Place) -> bool:
        return (self.page, self.top) < (other.page, other.top)


@pytest.fixture(scope="module")
def floated(tmp_path_factory) -> Path:
    project: Project = make_project(tmp_path_factory.mktemp("floats"))
    images = project.issue / "articles" / "images"
    images.mkdir(parents=True)
    Image.new("RGB", (1200, 800), (70, 110, 150)).save(images / "wide.jpg", quality=80)
    Image.new("RGB", (900, 900), (150, 90, 60)).save(images / "square.jpg", quality=80)
    project.write("issue.yaml", MANIFEST)
    for name, (title, items) in ARTICLES.items():
        project.write(f"articles/{name}", f"---\ntitle: {title}\n---\n\n"
                      + "\n\n".join(block(item) for item in items) + "\n")
    assert project.build() == 0
    return project.pdf


def text_place(pdf: pdfplumber.PDF, text: str) -> Place:
    """Where `text` (printed once, on one line) is."""
    hits = [Place(number, hit["top"], hit["bottom"])
            for number, page in enumerate(pdf.pages, 1) for hit in page.search(text, regex=False)]
    assert len(hits) == 1, (text, hits)
    return hits[0]


def figure_place(pdf: pdfplumber.PDF, caption: str) -> Place:
    """The picture printed right above `caption`."""
    below = text_place(pdf, caption)
    page = pdf.pages[below.page - 1]
    (image,) = [image for image in page.images
                if 0 <= below.top - image["bottom"] < 10 * MM]
    return Place(below.page, image["top"], image["bottom"])


def hole_at_foot(page: pdfplumber.page.Page) -> float:
    """Empty height between the last text or picture and the foot of the text block, in pt."""
    _, top, _, bottom = trim_box(page)
    foot = bottom - BOTTOM_MARGIN
    body = [item["bottom"] for item in page.chars + page.images
            if top + TOP_MARGIN - 1 < item["top"] and item["bottom"] < foot + 1]
    return foot - max(body)


def opens_its_page(pdf: pdfplumber.PDF, place: Place) -> bool:
    page = pdf.pages[place.page - 1]
    body_top = trim_box(page)[1] + TOP_MARGIN - 1
    return not [char for char in page.chars if body_top < char["top"] < place.top]


# One line short of the text block leaves about 45 pt: LARGE_HOLE (54 pt) is more.
FULL_PAGE = LARGE_HOLE * 0.75


def test_a_figure_that_does_not_fit_floats_after_the_next_paragraph(floated):
    with pdfplumber.open(floated) as pdf:
        figure = figure_place(pdf, "浮动插图")
        assert text_place(pdf, "浮前段乙") < text_place(pdf, "浮后段甲") < figure
        assert not opens_its_page(pdf, figure)
        assert hole_at_foot(pdf.pages[figure.page - 2]) < FULL_PAGE  # the page before is full
        assert figure < text_place(pdf, "浮后段乙")  # it moved past one paragraph, not more


def test_a_figure_never_floats_past_a_heading(floated):
    with pdfplumber.open(floated) as pdf:
        figure = figure_place(pdf, "乙节末图")
        # It stays in its own subsection (二), never past the heading of the next part…
        assert text_place(pdf, "（二）乙节") < figure < text_place(pdf, "二、下一部分")
        # …and rather than open a page after a hole (the next block is that heading), it
        # moves up within (二), the text flowing on after it: no page breaks before it.
        assert not opens_its_page(pdf, figure)
        assert hole_at_foot(pdf.pages[figure.page - 1]) < FULL_PAGE
        assert figure < text_place(pdf, "节末段")


def test_figures_in_a_row_float_together_in_their_order(floated):
    with pdfplumber.open(floated) as pdf:
        first, second = figure_place(pdf, "甲图"), figure_place(pdf, "乙图")
        assert text_place(pdf, "序后段甲") < first < second < text_place(pdf, "序后段乙")
        assert hole_at_foot(pdf.pages[first.page - 2]) < FULL_PAGE
