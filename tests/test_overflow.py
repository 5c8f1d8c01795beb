"""Content never leaves the page: overlong names, words, tables and headers, read back from the PDF."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pytest
from conftest import MINIMAL_MANIFEST, ROOT, make_project
from pdfread import MM, TOP_MARGIN, squash

from bulletin_pdf.cli import main
from bulletin_pdf.fit import BROKEN_WORDS_FLOOR_EM
from bulletin_pdf.layout import PT_PER_MM, load_layout
from bulletin_pdf.manifest import load_issue
from bulletin_pdf.preflight import preflight
from bulletin_pdf.typography import LEADING_BLANK, TRAILING_BLANK

TOLERANCE = 0.5  # pt: a justified line may end a hair past the block, as every line of the sample does
# The text block of each paper (css/paper-*.css): its width, and its left edge on right-hand
# pages (the cover and every odd page) and on left-hand pages.
PAPERS = {"A4": (156, 28, 26), "A5": (110, 20, 18)}
BODY_SIZE = {paper: width * MM / 28 for paper, (width, _, _) in PAPERS.items()}

SAMPLE_NAME = "2023-2027松江区第九期处级干部轮训班简报"
LONG_NAME = "2026年度市直机关青年干部读书班简报"
# No genre word to split at, and longer than half the running header.
ENDLESS_NAME = "中共某某市某某区委党校2026年度春季学期中青年干部培训班第三期学员自主管理委员会编"
LONG_SECTION = "学习交流与心得体会（第一单元：理论学习、专题研讨与现场教学）"
LONG_URL = "https://example.com/" + "abcdefghij" * 58  # 600 characters
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 5
AUTHORS = ["张三丰", "李四光", "王五福", "赵六合", "孙七巧", "周八方", "吴九州", "郑十全", "冯一鸣", "陈二虎"]


def manifest(name: str, *extra: str, paper: str = "A4", section: str = "简讯") -> str:
    lines = [f"name: {name}", *extra, "number: 3", "date: 2025-06-01", "publisher: 测试单位",
             f"paper: {paper}", "sections:", f"  - title: {section}", "    articles:",
             "      - articles/a.md"]
    return "\n".join(lines) + "\n"


def table(columns: int) -> str:
    """Cells of figures, of words in quotes and brackets, of a dash and a number with its unit."""
    header = "| " + " | ".join(f"列{index + 1}" for index in range(columns)) + " |"
    rule = "|" + "---|" * columns
    rows = ["| " + " | ".join(f"数据{index}" for index in range(columns)) + " |",
            "| " + " | ".join("“好”（万元）" for _ in range(columns)) + " |",
            "| " + " | ".join("2025年10月——完成" for _ in range(columns)) + " |"]
    return "\n".join([header, rule, *rows]) + "\n"


def text_block(paper: str, page_index: int) -> tuple[float, float]:
    """Left and right edge of the text block on a page (0-based: even pages are right-hand)."""
    width, right_hand, left_hand = PAPERS[paper]
    left = (right_hand if page_index % 2 == 0 else left_hand) * MM
    return left, left + width * MM


def inked(char: dict) -> tuple[float, float]:
    """Where a glyph's ink can be: a full-width mark fills only half its em (the other half
    is the blank that 标点挤压 may take away: the PDF's width is still the font's)."""
    half = (char["x1"] - char["x0"]) / 2
    if char["text"] in TRAILING_BLANK:
        return char["x0"], char["x1"] - half
    if char["text"] in LEADING_BLANK:
        return char["x0"] + half, char["x1"]
    return char["x0"], char["x1"]


def outside(chars: list[dict], left: float, right: float) -> list[str]:
    return [char["text"] for char in chars
            if inked(char)[0] < left - TOLERANCE or inked(char)[1] > right + TOLERANCE]


def is_red(char: dict) -> bool:
    colour = char["non_stroking_color"] or (0,)
    return len(colour) == 3 and colour[0] > 0.5 and colour[1] < 0.2


def masthead_lines(path: Path) -> list[list[dict]]:
    """The cover's red glyphs in the masthead's font (the slogan's differs), line by line."""
    with pdfplumber.open(path) as pdf:
        red = [char for char in pdf.pages[0].chars if is_red(char) and char["text"].strip()]
    lines: dict[float, list[dict]] = {}
    for char in red:
        if char["fontname"] != red[0]["fontname"]:
            continue
        lines.setdefault(round(char["bottom"]), []).append(char)
    return [sorted(line, key=lambda char: char["x0"]) for _, line in sorted(lines.items())]


def line_text(line: list[dict]) -> str:
    return "".join(char["text"] for char in line)


# ---- Masthead ----------------------------------------------------------------

@pytest.mark.parametrize("paper", ["A4", "A5"])
def test_long_name_is_split_at_its_genre_word_and_fits_the_cover(project, paper):
    project.write("issue.yaml", manifest(LONG_NAME, paper=paper))
    assert project.build() == 0
    lines = masthead_lines(project.pdf)
    assert [line_text(line) for line in lines] == ["2026年度市直机关青年干部读书班", "简报"]
    first, last = lines
    assert last[0]["size"] > 2.5 * first[0]["size"]  # the genre word large, the body's name small
    assert outside(first + last, *text_block(paper, 0)) == []


def test_sample_cover_is_unchanged_and_its_masthead_needs_no_manual_split(project, sample_pdf):
    # The sample's name fits at the design's sizes: 1.35 and 4 times the body text.
    sample = masthead_lines(sample_pdf)
    assert [line_text(line) for line in sample] == ["2023-2027松江区第九期处级干部轮训班", "简报"]
    assert [round(line[0]["size"] / BODY_SIZE["A4"], 2) for line in sample] == [1.35, 4.0]
    assert outside(sample[0] + sample[1], *text_block("A4", 0)) == []
    # Without `masthead:`, the name splits exactly as the editor split it by hand.
    project.write("issue.yaml", manifest(SAMPLE_NAME))
    assert project.build() == 0
    automatic = masthead_lines(project.pdf)

    def placed(lines):
        return [(char["text"], round(char["x0"], 2), round(char["top"], 2), round(char["size"], 2))
                for line in lines for char in line]

    assert placed(automatic) == placed(sample)


def test_name_without_genre_word_shrinks_to_one_line_across_the_text_block(overflowing):
    lines = masthead_lines(overflowing.pdf)
    assert [line_text(line) for line in lines] == [ENDLESS_NAME]
    left, right = text_block("A4", 0)
    assert outside(lines[0], left, right) == []
    # Shrunk just enough: the line still spans the text block, not a fraction of it.
    assert lines[0][-1]["x1"] - lines[0][0]["x0"] > 0.95 * (right - left)


def test_manual_masthead_lines_fit_too(project):
    long_first_line = "中共某某市某某区委党校2026年度春季学期中青年干部培训班第三期"
    project.write("issue.yaml", manifest("某某简报", f"masthead: [{long_first_line}, 工作简报]",
                                         paper="A5"))
    assert project.build() == 0
    lines = masthead_lines(project.pdf)
    assert [line_text(line) for line in lines] == [long_first_line, "工作简报"]
    assert outside(lines[0] + lines[1], *text_block("A5", 0)) == []


# ---- Everything overlong in one issue, built for screen and print ------------

@dataclass
class Built:
    pdf: Path  # screen
    print_pdf: Path
    exit_code: int  # of the build of both


@pytest.fixture(scope="module")
def overflowing(tmp_path_factory) -> Built:
    project = make_project(tmp_path_factory.mktemp("overflow"))
    project.write("issue.yaml", manifest(ENDLESS_NAME, section=LONG_SECTION))
    project.write("articles/a.md", (
        f"---\ntitle: 标题里也有长词{LONG_WORD[:60]}\nauthors: [{', '.join(AUTHORS)}]\n---\n\n"
        f"网址：{LONG_URL}。\n\n"
        f"长词{LONG_WORD}结束。\n\n"
        f"```\ncode {LONG_WORD}\n```\n\n"
        f"{table(30)}\n正文。\n"))
    # Screen and print; a print build fails when preflight finds text in the 3 mm safe zone.
    exit_code = project.build("--profile", "all")
    assert project.pdf.exists()
    return Built(project.pdf, project.print_pdf, exit_code)


def all_pages(path: Path) -> list[tuple[int, list[dict]]]:
    """(page index, visible glyphs) of every page."""
    with pdfplumber.open(path) as pdf:
        return [(index, [char for char in page.chars if char["text"].strip()])
                for index, page in enumerate(pdf.pages)]


def test_long_urls_and_words_break_inside_the_text_block(overflowing):
    pages = all_pages(overflowing.pdf)
    for index, chars in pages:  # cover (目录 and its list of authors), body, headers, page numbers
        assert outside(chars, *text_block("A4", index)) == [], f"page {index + 1}"
    text = squash("".join(char["text"] for _, chars in pages[2:] for char in chars
                          if char["top"] > TOP_MARGIN))
    for expected in (LONG_URL, LONG_WORD, f"code{LONG_WORD}", LONG_WORD[:60]):
        assert expected in text  # all of it printed, none lost past the edge


def test_short_line_before_an_unbreakable_url_is_not_spaced_out(overflowing):
    """`网址：` stays set solid: the line before a URL that breaks only at a line start is
    left ragged instead of stretching its three characters across the text block."""
    with pdfplumber.open(overflowing.pdf) as pdf:
        for page in pdf.pages[2:]:
            chars = [char for char in page.chars if char["text"] in "网址："]
            for first, second in itertools.pairwise(chars[:3]):
                if first["text"] + second["text"] in ("网址", "址："):
                    assert second["x0"] - first["x1"] < 0.2 * BODY_SIZE["A4"]
                    return
    raise AssertionError("网址： not found")


def table_on(page: pdfplumber.page.Page) -> tuple[list[dict], list[dict]]:
    """The glyphs and rules of the table on a page (the rules below the running header)."""
    rules = [rule for rule in page.lines + page.rects if rule["top"] > TOP_MARGIN]
    if not rules:
        return [], []
    top, bottom = min(rule["top"] for rule in rules), max(rule["bottom"] for rule in rules)
    return [char for char in page.chars if top <= char["top"] and char["bottom"] <= bottom
            and char["text"].strip()], rules


def assert_table_fits(page: pdfplumber.page.Page, paper: str, index: int, columns: int) -> None:
    cells, rules = table_on(page)
    left, right = text_block(paper, index)
    assert outside(cells, left, right) == []
    assert all(left - TOLERANCE <= rule["x0"] and rule["x1"] <= right + TOLERANCE for rule in rules)
    assert sum(char["text"] == "列" for char in cells) == columns  # every column's heading
    assert sum(char["text"] == "好" for char in cells) == columns
    assert min(char["size"] for char in cells) >= 6.5 - 0.01  # still legible


def test_table_with_thirty_columns_shrinks_to_the_text_block(overflowing):
    with pdfplumber.open(overflowing.pdf) as pdf:
        pages = [index for index, page in enumerate(pdf.pages) if table_on(page)[0]]
        assert len(pages) == 1
        assert_table_fits(pdf.pages[pages[0]], "A4", pages[0], 30)


def test_table_of_long_numbers_shrinks_and_keeps_each_number_whole(project):
    # A long description beside the figures: the figures' columns must not be squeezed for it.
    numbers = [f"{index}23456.78" for index in range(7)]
    description = "松江区科创走廊人工智能产业园二期工程建设项目，已于五月开工，预计明年年底完工。" * 2
    project.write("articles/a.md", "---\ntitle: 第一篇文章\n---\n\n"
                  + "| 项目 | " + " | ".join(f"{stem}项" for stem in "甲乙丙丁戊己庚") + " |\n"
                  + "|" + "---|" * 8 + "\n| " + " | ".join([description, *numbers]) + " |\n")
    assert project.build() == 0
    with pdfplumber.open(project.pdf) as pdf:
        cells, _ = table_on(pdf.pages[2])
    assert outside(cells, *text_block("A4", 2)) == []
    digits = [char for char in cells if char["text"] in "0123456789."]
    lines: dict[int, list[str]] = {}
    for char in digits:
        lines.setdefault(round(char["top"]), []).append(char["text"])
    # One line of figures: each number whole, none broken over two lines.
    assert ["".join(line) for line in lines.values()] == ["".join(numbers)]


def test_running_header_stays_on_one_line_in_its_half(overflowing):
    headers = 0
    for index, chars in all_pages(overflowing.pdf)[2:]:
        header = sorted((char for char in chars if char["bottom"] < TOP_MARGIN),
                        key=lambda char: char["x0"])
        if not header:
            continue
        headers += 1
        left, right = text_block("A4", index)
        assert len({round(char["top"], 1) for char in header}) == 1  # one line, nothing wrapped
        assert outside(header, left, right) == []
        assert all(char["top"] >= 0 for char in header)
        # Two runs, the name and the section, each within its half of the text block.
        gaps = [after["x0"] - before["x1"] for before, after in itertools.pairwise(header)]
        assert min(gaps) > -TOLERANCE  # no glyph drawn over another
        split = gaps.index(max(gaps)) + 1
        middle = (left + right) / 2
        assert header[split - 1]["x1"] <= middle + TOLERANCE
        assert header[split]["x0"] >= middle - TOLERANCE
    assert headers >= 2  # a left-hand and a right-hand page


def test_print_build_of_overlong_content_passes_preflight(overflowing):
    assert overflowing.exit_code == 0
    report = preflight(overflowing.print_pdf, "print", binding="saddle", bleed_mm=3)
    assert report.errors == []


# ---- Tables too wide to shrink -----------------------------------------------

def widest_table(paper: str) -> int:
    """The most columns the layout accepts: at the smallest size, words broken anywhere."""
    fit = load_layout(ROOT / "layouts", load_issue(ROOT / "issues" / "2025-001")).fit
    column_pt = fit.table_min_font_pt * (BROKEN_WORDS_FLOOR_EM + fit.table_padding_em)
    return int(fit.text_width_mm[paper] * PT_PER_MM // column_pt)


def test_too_wide_table_is_refused_with_article_and_line(project, capsys):
    project.write("articles/a.md", "---\ntitle: 第一篇文章\n---\n\n正文。\n\n" + table(80))
    project.pdf.parent.mkdir(parents=True, exist_ok=True)
    capsys.readouterr()
    assert main(["check", "-q", str(project.issue)]) == 2
    checked = capsys.readouterr().err
    assert project.build() == 2
    built = capsys.readouterr().err
    assert not project.pdf.exists()
    for error in (checked, built):
        limit = f"即使缩小到 6.5 磅，版心（A4，156 毫米）也只排得下 {widest_table('A4')} 列"
        assert f"issues/test/articles/a.md:7：表格有 80 列，太宽：{limit}" in error
        assert "请把它拆成几个列数较少的表格" in error


def test_widest_table_allowed_still_fits_at_a_legible_size(project):
    """The check and the stylesheet agree: the limit is a table that just fits."""
    columns = widest_table("A5")
    project.write("issue.yaml", MINIMAL_MANIFEST + "paper: A5\n")
    project.write("articles/a.md", "---\ntitle: 第一篇文章\n---\n\n" + table(columns + 1))
    assert main(["check", "-q", str(project.issue)]) == 2
    project.write("articles/a.md", "---\ntitle: 第一篇文章\n---\n\n" + table(columns))
    assert project.build() == 0
    with pdfplumber.open(project.pdf) as pdf:
        assert_table_fits(pdf.pages[2], "A5", 2, columns)


def test_layout_without_text_width_for_a_paper_is_reported(project, capsys):
    layout_file = project.root / "layouts" / "bulletin" / "layout.yaml"
    text = layout_file.read_text(encoding="utf-8")
    layout_file.write_text(text.replace("{A4: 156, A5: 110}", "{A4: 156, A5: 0}"), encoding="utf-8")
    assert project.build() == 2
    error = capsys.readouterr().err
    assert "layout.yaml:" in error and "fit.text_width_mm：A5：应为大于 0 的数" in error
    layout_file.write_text(text.replace("{A4: 156, A5: 110}", "{A4: 156}"), encoding="utf-8")
    assert project.build() == 2
    assert "fit.text_width_mm：缺少纸张 “A5” 的版心宽度" in capsys.readouterr().err
    assert not project.pdf.exists()
