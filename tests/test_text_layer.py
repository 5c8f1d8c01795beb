"""The sample's text as three PDF engines read it back: copy and search must work in every viewer.

poppler (Evince, Okular, pdftotext), pdf.js (Firefox; npm `pdfjs-dist`, run in node) and
MuPDF (PyMuPDF) each rebuild lines and words from glyph positions and widths. What is
seen on the page comes from pdfplumber's glyph boxes; what was printed, from the articles.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import shutil
import subprocess
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pdfplumber
import pikepdf
import pymupdf
import pytest
from conftest import MINIMAL_ARTICLES, ROOT, SAMPLE_ISSUE
from pdfread import BODY_SIZE, BOTTOM_MARGIN, MM, TOP_MARGIN, squash, trim_box
from PIL import Image

from bulletin_pdf.articles import load_articles
from bulletin_pdf.manifest import load_issue
from bulletin_pdf.normalize import is_han
from bulletin_pdf.typography import LEADING_BLANK, TRAILING_BLANK

ENGINES = ("poppler", "pdfjs", "mupdf")
A4_HEIGHT = 297 * MM
PDFJS_SCRIPT = ROOT / "tests" / "pdfjs_text.mjs"
# Han character, a run of spaces (not a line break), Han character.
SPACED_HAN = re.compile(r"([\u3400-\u9fff])[ \t\u00a0]+(?=([\u3400-\u9fff]))")


def poppler_pages(path: Path, block: bool = False) -> list[str]:
    """`block`: only the text block of an A4 page (no running head, no page number)."""
    crop = ["-y", str(round(TOP_MARGIN)), "-W", "1000",
            "-H", str(round(A4_HEIGHT - TOP_MARGIN - BOTTOM_MARGIN))]
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", *(crop if block else []), str(path), "-"],
                            capture_output=True, text=True, check=True)
    return result.stdout.split("\f")[:-1]


def pdfjs_pages(path: Path, block: bool = False) -> list[str]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "pdfjs-dist").is_dir():
        pytest.fail("pdf.js is not installed: run `make setup` (node and `npm ci`)")
    margins = [str(TOP_MARGIN), str(BOTTOM_MARGIN)] if block else []
    result = subprocess.run([node, str(PDFJS_SCRIPT), str(path), *margins], capture_output=True,
                            text=True, check=True, cwd=ROOT)
    return json.loads(result.stdout)


def mupdf_pages(path: Path, block: bool = False) -> list[str]:
    with pymupdf.open(path) as document:
        return [page.get_text(clip=pymupdf.Rect(0, TOP_MARGIN, page.rect.width,
                                                page.rect.height - BOTTOM_MARGIN) if block else None)
                for page in document]


READERS = {"poppler": poppler_pages, "pdfjs": pdfjs_pages, "mupdf": mupdf_pages}


def seen_lines(path: Path) -> list[list[str]]:
    """Each page's lines of body-size text, as drawn: glyphs on one baseline, left to right.

    Without lines with a wide gap (a signature and its date, a byline set apart
    with an ideographic space), which engines rightly read as two columns.
    """
    pages = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            rows = defaultdict(list)
            _, trim_top, _, trim_bottom = trim_box(page)
            for char in page.chars:  # in the text block: no running head or page number
                if (abs(char["size"] - BODY_SIZE) < 0.6 and char["top"] > trim_top + TOP_MARGIN
                        and char["bottom"] < trim_bottom - BOTTOM_MARGIN):
                    rows[round(char["bottom"])].append(char)
            lines = []
            for _, row in sorted(rows.items()):
                row.sort(key=lambda char: char["x0"])
                gaps = [right["x0"] - left["x1"] for left, right in itertools.pairwise(row)]
                text = "".join(char["text"] for char in row)
                if "\u3000" not in text and all(gap < BODY_SIZE for gap in gaps):
                    lines.append(text)
            pages.append(lines)
    return pages


@pytest.fixture(scope="module")
def read(sample_pdf):
    """The sample's pages as each engine reads them (each engine runs once)."""
    return {engine: READERS[engine](sample_pdf) for engine in ENGINES}


@pytest.fixture(scope="module")
def seen(sample_pdf):
    return seen_lines(sample_pdf)


def broken_lines(seen_pages: list[list[str]], pages: list[str]) -> list[str]:
    """Lines on the page that the engine's text holds in no single line of its own."""
    broken = []
    for lines, text in zip(seen_pages, pages, strict=True):
        read_lines = [squash(line) for line in text.splitlines()]
        broken += [line for line in map(squash, lines)
                   if len(line) > 1 and not any(line in read for read in read_lines)]
    return broken


@pytest.mark.parametrize("engine", ENGINES)
def test_every_body_line_is_read_whole(engine, read, seen):
    assert sum(map(len, seen)) > 800  # the sample's body text, not an empty reading
    assert broken_lines(seen, read[engine]) == []


def spaced_pairs(text: str) -> Counter:
    return Counter(match.group(1) + match.group(2) for match in SPACED_HAN.finditer(text))


@pytest.mark.parametrize("engine", ENGINES)
def test_no_space_read_between_two_chinese_characters(engine, read, seen):
    """Justification gaps are no spaces: only spaces drawn as such (a name 王 芳) are read."""
    invented = []
    for number, (lines, text) in enumerate(zip(seen, read[engine], strict=True), 1):
        drawn = spaced_pairs("\n".join(lines))
        body = "\n".join(line for line in text.splitlines()
                         if any(squash(line) in squash(seen_line) for seen_line in lines))
        invented += [(number, pair) for pair in spaced_pairs(body) - drawn]
    assert invented == []


class _Paragraphs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.paragraphs: list[str] = []
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "p":
            self.paragraphs.append("")
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "p":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.paragraphs[-1] += data


def printed_paragraphs() -> list[str]:
    """The body paragraphs of the sample as the build printed them (normalised text)."""
    paragraphs = []
    for entry in load_articles(load_issue(SAMPLE_ISSUE)):
        for article in entry.articles:
            parser = _Paragraphs()
            parser.feed(str(article.body_html))
            paragraphs += [squash(re.sub("[\u2060\u200b]", "", text)) for text in parser.paragraphs]
    return [paragraph for paragraph in paragraphs if len(paragraph) >= 20]


@pytest.mark.parametrize("engine", ENGINES)
def test_no_character_lost_or_doubled(engine, sample_pdf):
    """Each paragraph of the articles is read once, character for character, from the
    text blocks of the pages (photos and their captions may come between two lines)."""
    paragraphs = printed_paragraphs()
    assert len(paragraphs) > 100
    body = squash("".join(READERS[engine](sample_pdf, block=True)))
    assert [paragraph for paragraph in paragraphs if body.count(paragraph) != 1] == []


def compressed_phrases(seen_pages: list[list[str]]) -> list[tuple[int, str]]:
    """(page, phrase): three characters either side of each compressed pair of marks,
    within one line as seen (…“三重革命”，加 / 》《 / 《“健康)."""
    phrases = []
    for number, lines in enumerate(seen_pages):
        for line in lines:
            for index, (left, right) in enumerate(itertools.pairwise(line)):
                if ((left in TRAILING_BLANK and (right in TRAILING_BLANK or right in LEADING_BLANK))
                        or (left in LEADING_BLANK and right in LEADING_BLANK)):
                    before, after = line[max(0, index - 3):index], line[index + 2:index + 5]
                    phrase = re.split(r"\s", before)[-1] + left + right + re.split(r"\s", after)[0]
                    if sum(map(is_han, phrase)) >= 2:
                        phrases.append((number, phrase))
    return phrases


def found(engine: str, page_text: str, phrase: str, page=None) -> bool:
    if engine == "mupdf":
        return bool(page.search_for(phrase))
    if engine == "pdfjs":  # Firefox's find joins the lines of a page
        return phrase in page_text.replace("\n", "")
    return any(phrase in line for line in page_text.splitlines())  # Evince searches in a line


@pytest.mark.parametrize("engine", ENGINES)
def test_phrases_across_compressed_punctuation_are_found(engine, read, seen, sample_pdf):
    phrases = compressed_phrases(seen)
    assert len(phrases) > 60
    assert any("《“" in phrase for _, phrase in phrases)  # an opening mark shifted back
    with pymupdf.open(sample_pdf) as document:
        missed = [phrase for number, phrase in phrases
                  if not found(engine, read[engine][number], phrase, document[number])]
    assert missed == []


def test_print_pdf_is_read_whole_too(sample_print_pdf):
    """PDF/X-4 (post-processed, padded with blank pages) keeps the same text layer."""
    assert broken_lines(seen_lines(sample_print_pdf), poppler_pages(sample_print_pdf)) == []


def test_halved_marks_share_the_embedded_font(sample_pdf):
    """Halted marks are drawn with a second font dictionary over the same font program."""
    with pikepdf.open(sample_pdf) as pdf:
        fonts = {font.objgen: font for page in pdf.pages
                 for font in page.Resources.Font.values()}
        programs = Counter(_font_program(font).objgen for font in fonts.values())
        names = Counter(str(font.BaseFont) for font in fonts.values())
    assert len(programs) == len(set(names)) < len(fonts)  # one program per face, a twin uses it
    assert max(programs.values()) == 2


def _font_program(font: pikepdf.Dictionary) -> pikepdf.Stream:
    descriptor = font.DescendantFonts[0].FontDescriptor
    return descriptor.get("/FontFile2") or descriptor.FontFile3


LOOSE_LINE = ("---\ntitle: 松散的一行\nauthors: [王五]\n---\n\n"
              "区委党校举办处级干部轮训班，学员围绕高质量发展开展专题研讨交流，"
              "大家结合工作实际谈体会讲打算，气氛热烈Supercalifragilisticexpialidocious，"
              "会后形成调研报告。\n")


def test_a_loose_line_opens_no_gap_read_as_a_space(project):
    """A long word pushed to the next line leaves 4 em to share among a line of Chinese:
    spread over its gaps, each would read as a space (pdf.js, pdfminer from 0.1 em)."""
    project.write("articles/a.md", LOOSE_LINE)
    assert project.build() == 0
    gaps = []
    with pdfplumber.open(project.pdf) as pdf:
        for page in pdf.pages:
            chars = [char for char in page.chars if abs(char["size"] - BODY_SIZE) < 0.6]
            for left, right in itertools.pairwise(chars):
                if is_han(left["text"]) and is_han(right["text"]) and abs(
                        left["bottom"] - right["bottom"]) < 1:
                    gaps.append((right["x0"] - left["x1"]) / left["size"])
    assert len(gaps) > 40 and max(gaps) < 0.1
    for engine in ENGINES:
        article = [text for text in READERS[engine](project.pdf) if "调研报告" in squash(text)]
        assert len(article) == 1 and not SPACED_HAN.search(article[0]), engine


def test_the_pdf_is_tagged(sample_pdf, sample_print_pdf):
    """Headings, paragraphs, each photo with its caption as alt text, the 目录 a list of links."""
    captions = {html.unescape(alt) for entry in load_articles(load_issue(SAMPLE_ISSUE))
                for article in entry.articles
                for alt in re.findall(r'<img [^>]*alt="([^"]+)"', str(article.body_html))}
    for path in (sample_pdf, sample_print_pdf):
        with pikepdf.open(path) as pdf:
            assert pdf.Root.MarkInfo.Marked
            elements = structure_of(pdf.Root.StructTreeRoot)
            kinds = Counter(str(element.S) for element in elements)
            assert kinds["/H1"] and kinds["/H2"] and kinds["/P"] > 100
            alts = {str(element.Alt) for element in elements if element.S == "/Figure"}
            assert captions and captions <= alts
            lists = [element for element in elements if element.S == "/L"]
            assert any(sum(kid.get("/S") == "/Link" for kid in structure_of(element)) > 20
                       for element in lists)


def structure_of(element: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    """The structure elements below `element`, depth first."""
    found = []
    kids = element.get("/K", pikepdf.Array())
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            found += [kid, *structure_of(kid)]
    return found


def test_photos_without_captions_are_tagged_with_a_plain_alt_text(project):
    """Tagging needs an alt text for every image: one without a caption (Markdown `![](…)`, or a
    gallery photo named by a phone) is tagged 照片 and printed without a caption."""
    images = project.issue / "articles" / "images"
    images.mkdir(parents=True)
    Image.new("RGB", (1800, 1200), (90, 120, 160)).save(images / "plain.jpg")
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + "\n![](images/plain.jpg)\n\n后面的一段。\n")
    assert project.build() == 0
    with pikepdf.open(project.pdf) as pdf:
        figures = [element for element in structure_of(pdf.Root.StructTreeRoot) if element.S == "/Figure"]
        assert [str(figure.Alt) for figure in figures] == ["照片"]
    assert "照片" not in squash(" ".join(READERS["poppler"](project.pdf)))
