"""The sample issue built into a real PDF and read back page by page."""

from __future__ import annotations

import itertools
import re

import pdfplumber
import pikepdf
import pytest
from conftest import ROOT, SAMPLE_ISSUE
from pdfread import BODY_SIZE, MM, fonts, link_targets, outline, read_pages, squash

from bulletin_pdf.articles import load_articles
from bulletin_pdf.fonts import load_fonts
from bulletin_pdf.manifest import load_issue

ISSUE = load_issue(SAMPLE_ISSUE)
SECTIONS = load_articles(ISSUE)


@pytest.fixture(scope="module")
def pages(sample_pdf):
    return read_pages(sample_pdf)


def body_pages(pages):
    """Pages that carry a page number, with the number printed on them."""
    return [(page, int(page.footer.strip())) for page in pages
            if re.fullmatch(r"\d+", page.footer.strip())]


def front_pages(pages):
    first_body = body_pages(pages)[0][0].number
    return [page for page in pages if page.number < first_body]


def page_with_large_text(pages, text: str, start: int = 0):
    """The first page (from index `start`) where `text` is set as a title or label."""
    for page in pages[start:]:
        if squash(text) in squash(page.large):
            return page
    raise AssertionError(f"{text!r} is printed as a title on no page")


def test_sample_has_every_section_and_article_of_the_seed():
    assert [entry.section.title for entry in SECTIONS] == [
        "简讯", "学习交流", "学习动态", "学习感悟", "学习掠影"]
    assert [len(entry.articles) for entry in SECTIONS] == [4, 8, 4, 8, 0]
    assert SECTIONS[-1].section.kind == "gallery" and 8 <= len(SECTIONS[-1].photos) <= 12


def test_body_pages_are_numbered_from_one_consecutively(pages):
    numbered = body_pages(pages)
    assert numbered[0][1] == 1
    assert [number for _, number in numbered] == list(range(1, len(numbered) + 1))
    # Numbered pages form one run up to the end; the front matter has none.
    assert numbered[-1][0].number == len(pages)
    # Page 1 is a right-hand page: an odd physical page.
    assert numbered[0][0].number % 2 == 1


def test_page_numbers_sit_at_the_outer_edge(pages):
    for page, number in body_pages(pages):
        on_right_half = page.footer_x > page.width / 2
        assert on_right_half == (number % 2 == 1), f"page {number}"


def test_cover_and_contents_carry_no_header_or_page_number(pages):
    front = front_pages(pages)
    assert [page.number for page in front] == [1, 2]  # cover + 目录, then page 1 on a recto
    assert squash("简报") in squash(front[0].large)
    for page in front:
        # The cover's page margins (25 mm, paper-a4.css) hold no margin boxes.
        assert page.edge_text.strip() == "", f"page {page.number}: {page.edge_text!r}"


def test_contents_page_numbers_are_the_pages_where_titles_are_printed(pages):
    contents = squash("".join(page.header + page.body + page.footer
                              for page in front_pages(pages)))
    number_of_page = {page.number: number for page, number in body_pages(pages)}
    checked = 0
    for entry in SECTIONS:
        label = f"【{entry.section.title}】"
        printed = _contents_number(contents, label)
        assert number_of_page[page_with_large_text(pages, label).number] == printed, label
        for article in entry.articles:
            if not article.toc_label:
                continue
            authors = f"（{'、'.join(article.authors)}）" if article.authors else ""
            printed = _contents_number(contents, article.toc_label + authors)
            title_page = page_with_large_text(pages, article.title)
            assert number_of_page[title_page.number] == printed, article.title
            checked += 1
    assert checked == sum(1 for e in SECTIONS for a in e.articles if a.toc_label) == 16


def _contents_number(contents: str, entry: str) -> int:
    match = re.search(re.escape(squash(entry)) + r"[.·…]+(\d+)", contents)
    assert match, f"{entry!r} is not in the 目录 with dotted leaders and a page number"
    return int(match.group(1))


def test_contents_entries_link_to_their_pages(sample_pdf, pages):
    front = [page.number for page in front_pages(pages)]
    targets = set(link_targets(sample_pdf, front))
    for entry in SECTIONS:
        assert page_with_large_text(pages, f"【{entry.section.title}】").number - 1 in targets
        for article in entry.articles:
            if article.title:
                assert page_with_large_text(pages, article.title).number - 1 in targets


def test_every_numbered_page_carries_its_section_and_the_bulletin_name(pages):
    labels = [f"【{entry.section.title}】" for entry in SECTIONS]
    current = None
    seen = []
    for page, number in body_pages(pages):
        starting = [label for label in labels if squash(label) in squash(page.large)]
        if starting:
            current = starting[-1]
            seen.append(current)
        header = squash(page.header)
        assert current is not None and squash(current) in header, f"page {number}: {header}"
        assert squash(ISSUE.name) in header, f"page {number}"
        for other in labels:
            assert other == current or squash(other) not in header, f"page {number}"
    assert seen == labels  # sections open in manifest order


def test_each_article_starts_on_a_new_page_except_in_flowing_sections(pages):
    for entry in SECTIONS:
        if not entry.section.new_page_per_article:
            continue
        for article in entry.articles[1:]:
            page = page_with_large_text(pages, article.title)
            assert squash(page.body).startswith(squash(article.title)), article.title


def test_bylines_are_generated_from_front_matter(pages):
    text = squash("".join(page.body for page in pages))
    for byline in ("（文/徐文震、赵丹阳 图/张 炜）", "（图文/曹 宏）", "（王维平）",
                   "（文/吕晓明、马文辉、王 芳、沈 超 图/吕晓明、马文辉、王 芳、潘叶翠）"):
        assert squash(byline) in text, byline


def test_outline_is_sections_then_articles(sample_pdf, pages):
    tree = outline(sample_pdf)
    assert [title for title, _, _ in tree] == [f"【{e.section.title}】" for e in SECTIONS]
    for (title, section_page, children), entry in zip(tree, SECTIONS, strict=True):
        assert section_page == page_with_large_text(pages, title).number - 1
        expected = [a.toc_label for a in entry.articles if a.title]
        assert [child for child, _ in children] == expected
        for (child, target), article in zip(children, [a for a in entry.articles if a.title],
                                            strict=True):
            assert target == page_with_large_text(pages, article.title).number - 1, child


def test_fonts_are_embedded_subset_and_only_the_configured_ones(sample_pdf):
    configured = load_fonts(ROOT / "fonts").family_names
    used = fonts(sample_pdf)
    assert len(used) >= 4  # 宋, 黑, 楷 and the bold title face
    for font in used:
        assert font.embedded, font.name
        assert re.match(r"/[A-Z]{6}\+", font.name), f"{font.name} is not subset"
        assert font.family in configured, f"{font.name} ({font.family}) is not configured"


def test_metadata_title_author_and_language(sample_pdf):
    with pikepdf.open(sample_pdf) as pdf:
        assert str(pdf.docinfo["/Title"]) == f"{ISSUE.name} 第{ISSUE.number}期"
        assert str(pdf.docinfo["/Author"]) == ISSUE.publisher
        assert str(pdf.Root.Lang) == "zh-CN"


def test_raw_page_geometry_is_a4(sample_pdf):
    with pikepdf.open(sample_pdf) as pdf:
        for page in pdf.pages:
            width, height = (float(value) for value in page.MediaBox[2:])
            assert abs(width - 210 * MM) < 0.5 and abs(height - 297 * MM) < 0.5


def _body_lines(sample_pdf):
    """Per numbered page: its body lines as (text, x0, x1, is set in the heading font).

    Only text of the body size: titles and section labels are not paragraph lines.
    """
    pages = []
    with pdfplumber.open(sample_pdf) as pdf:
        for page in pdf.pages[2:]:
            lines: dict[float, list[dict]] = {}
            for char in page.chars:
                if (37 * MM < char["top"] < page.height - 35 * MM and char["text"].strip()
                        and abs(char["size"] - BODY_SIZE) < 0.1):
                    lines.setdefault(round(char["bottom"], 1), []).append(char)
            pages.append([(
                "".join(c["text"] for c in sorted(chars, key=lambda c: c["x0"])),
                min(c["x0"] for c in chars), max(c["x1"] for c in chars),
                all("Sans" in c["fontname"] for c in chars))
                for _, chars in sorted(lines.items())])
    return pages


def test_no_heading_alone_at_a_page_bottom_and_no_single_line_widows(sample_pdf):
    pages = _body_lines(sample_pdf)
    checked = 0
    for number, (lines, following) in enumerate(itertools.pairwise(pages), 1):
        if not lines or len(following) < 2:
            continue
        text, _, x1, heading = lines[-1]
        assert not heading, f"page {number} ends with the heading {text}"
        # A justified line reaches the right edge of its page; a paragraph's last line does not.
        continues = abs(x1 - max(line[2] for line in lines)) < 1
        next_right = max(line[2] for line in following)
        first_text, first_x0, first_x1, _ = following[0]
        if continues:
            checked += 1
            next_starts_paragraph = following[1][1] > first_x0 + 20
            assert not (first_x1 < next_right - 1 and next_starts_paragraph), (
                f"page {number + 1} starts with a single widowed line: {first_text}")
    assert checked > 10
