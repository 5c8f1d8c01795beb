"""The layout stage: template helpers and paper sizes."""

from __future__ import annotations

import datetime

import pikepdf
from conftest import MINIMAL_MANIFEST, ROOT
from pdfread import MM, read_pages, squash

from bulletin_pdf.articles import MARKDOWN
from bulletin_pdf.fit import advance_ems, split_masthead, table_shapes
from bulletin_pdf.fonts import load_fonts
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


def test_masthead_splits_at_the_longest_trailing_genre_word():
    genres = ("简报", "工作简报", "动态")
    assert split_masthead("2026年度市直机关青年干部读书班简报", genres) == (
        "2026年度市直机关青年干部读书班", "简报")
    assert split_masthead("区委组织部工作简报", genres) == ("区委组织部", "工作简报")
    assert split_masthead("简报", genres) == ("简报",)  # nothing to put above it
    assert split_masthead("党校学员之声", genres) == ("党校学员之声",)


def test_advance_widths_come_from_the_font_digits_narrower_than_chinese():
    fonts = load_fonts(ROOT / "fonts")
    title = fonts.roles["title"].files[0]
    assert advance_ems("简报", title) == 2.0
    assert 1.5 < advance_ems("2026", title) < 3.0


def test_tables_report_their_columns_words_and_header_line():
    tokens = MARKDOWN.parse("正文。\n\n| 年份 | 金额（万元） |\n|---|---|\n| 2025年 | 123,456.7 |\n"
                            "| 2026年 | 9 |\n", {})
    (table,) = table_shapes(tokens, 5, "section-1-article-2")
    assert table.anchor == "section-1-article-2-table-1"
    assert table.line == 7  # the header row: body line 2, the body starting on line 5
    assert table.columns == (frozenset({"2025年", "2026年"}), frozenset({"123,456.7", "9"}))
    html = MARKDOWN.renderer.render(tokens, MARKDOWN.options, {})
    assert '<table id="section-1-article-2-table-1">' in html
