"""The layout stage: template helpers and paper sizes."""

from __future__ import annotations

import datetime

import pikepdf
from conftest import MINIMAL_MANIFEST
from pdfread import MM, read_pages, squash

from bulletin_pdf.layout import chinese_date, css_string


def test_css_string_cannot_break_out_of_the_stylesheet():
    assert css_string('思源"宋体') == '"思源\\22 宋体"'
    assert "</style>" not in css_string("</style><script>")


def test_chinese_date():
    assert chinese_date(datetime.date(2025, 5, 21)) == "2025年5月21日"


def test_a5_paper(project):
    project.write("issue.yaml", MINIMAL_MANIFEST + "paper: A5\n")
    assert project.build() == 0
    with pikepdf.open(project.pdf) as pdf:
        for page in pdf.pages:
            width, height = (float(value) for value in page.MediaBox[2:])
            assert abs(width - 148 * MM) < 0.5 and abs(height - 210 * MM) < 0.5


def test_short_contents_leave_a_blank_verso_and_page_one_on_a_recto(project):
    assert project.build() == 0
    pages = read_pages(project.pdf)
    assert squash(pages[1].header + pages[1].body + pages[1].footer) == ""  # blank, unnumbered
    assert [squash(page.footer) for page in pages[2:]] == ["01", "02", "03"]
    assert squash(pages[4].body).startswith("【感悟】")
