"""Page numbers: `01` at the outer edge (the layout's default) or GB/T 9704's `— 1 —`,
one character in from the text block's edge, right on odd pages and left on even ones;
chosen in layout.yaml or per issue, and a style the layout lacks is refused."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pdfplumber
import pytest
from conftest import MINIMAL_MANIFEST
from test_bad_input import failed_build

MM = 72 / 25.4
PAGE_WIDTH = 210 * MM
INSIDE, OUTSIDE = 28 * MM, 26 * MM  # 订口 and the outer margin (paper-a4.css)
FOLIO_SIZE = 0.875 * 156 * MM / 28  # 4号 against the 3号 body text: GB/T 9704's one character


def folios(pdf: Path) -> dict[int, tuple[str, float, float]]:
    """Printed page number → (its visible characters, left edge, right edge) on the body
    pages; a blank of at least a quarter character between two of them is shown as a space."""
    found: dict[int, tuple[str, float, float]] = {}
    with pdfplumber.open(pdf) as document:
        for page in document.pages[2:]:  # the cover and the page before the body
            chars = [char for char in page.chars if char["top"] > page.height - 35 * MM
                     and char["text"].strip()]
            if chars:
                chars.sort(key=lambda char: char["x0"])
                text = chars[0]["text"] + "".join(
                    (" " if right["x0"] - left["x1"] > right["size"] / 4 else "") + right["text"]
                    for left, right in pairwise(chars))
                number = int(text.strip("— "))
                found[number] = (text, chars[0]["x0"], chars[-1]["x1"])
    return found


def test_two_digit_page_numbers_sit_at_the_outer_edge(project):
    assert project.build() == 0
    found = folios(project.pdf)
    assert [text for text, _, _ in found.values()] == ["01", "02", "03"]
    for number, (_, left, right) in found.items():
        if number % 2:  # a right-hand page: its outer edge is on the right
            assert right == pytest.approx(PAGE_WIDTH - OUTSIDE, abs=0.5)
        else:
            assert left == pytest.approx(OUTSIDE, abs=0.5)


def assert_gbt9704(pdf: Path) -> None:
    found = folios(pdf)
    assert [text for text, _, _ in found.values()] == ["— 1 —", "— 2 —", "— 3 —"]
    for number, (_, left, right) in found.items():
        if number % 2:  # odd: right, one character in from the text block's right edge
            assert right == pytest.approx(PAGE_WIDTH - OUTSIDE - FOLIO_SIZE, abs=0.5)
        else:  # even: left, one character in
            assert left == pytest.approx(OUTSIDE + FOLIO_SIZE, abs=0.5)


def test_gbt9704_page_numbers_chosen_by_the_issue(project):
    project.write("issue.yaml", MINIMAL_MANIFEST + "page_numbers: gbt9704\n")
    assert project.build() == 0
    assert_gbt9704(project.pdf)


def test_gbt9704_page_numbers_chosen_by_the_layout(project):
    layout = project.root / "layouts" / "bulletin" / "layout.yaml"
    text = layout.read_text(encoding="utf-8")
    layout.write_text(text.replace("page_numbers: two-digit", "page_numbers: gbt9704"),
                      encoding="utf-8")
    assert project.build() == 0
    assert_gbt9704(project.pdf)
    # The issue may still choose the layout's other style.
    project.write("issue.yaml", MINIMAL_MANIFEST + "page_numbers: two-digit\n")
    assert project.build() == 0
    assert [text for text, _, _ in folios(project.pdf).values()] == ["01", "02", "03"]


def test_a_page_number_style_the_layout_lacks_is_refused(project, capsys):
    project.write("issue.yaml", MINIMAL_MANIFEST + "page_numbers: roman\n")
    error = failed_build(project, capsys)
    line = MINIMAL_MANIFEST.count("\n") + 1
    assert (f"issue.yaml:{line}：page_numbers：版式 “bulletin” 没有页码样式 “roman”；"
            "可选：gbt9704、two-digit") in error
    layout = project.root / "layouts" / "bulletin" / "layout.yaml"
    text = layout.read_text(encoding="utf-8")
    layout.write_text(text.replace("page_numbers: two-digit", "page_numbers: 1"), encoding="utf-8")
    project.write("issue.yaml", MINIMAL_MANIFEST)
    error = failed_build(project, capsys)
    assert "layout.yaml:" in error and "page_numbers：没有页码样式 “1”" in error
