"""The torture-test article (tests/data/torture.md) typeset and read back line by line."""

from __future__ import annotations

import itertools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pytest
from conftest import MINIMAL_MANIFEST, make_project
from pdfread import MM, squash, trim_box

TORTURE = Path(__file__).parent / "data" / "torture.md"
NOT_AT_LINE_START = set("、，。：；！？”’」』）〕］｝】〗〉》–～-·/")
NOT_AT_LINE_END = set("“‘「『（〔［｛【〖《〈")
BODY = 156 * MM / 28  # the body text size (paper-a4.css)
HAN = r"[\u3400-\u9fff]"


@dataclass
class Line:
    chars: list[dict]
    right_edge: float  # of the text block on this line's page

    @property
    def text(self) -> str:
        return "".join(char["text"] for char in self.chars)

    @property
    def x0(self) -> float:
        return self.chars[0]["x0"]

    @property
    def x1(self) -> float:
        return self.chars[-1]["x1"]


@dataclass
class Paragraph:
    lines: list[Line]

    @property
    def text(self) -> str:
        return "".join(line.text for line in self.lines)


@pytest.fixture(scope="module")
def typeset(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("torture"))
    project.write("issue.yaml", MINIMAL_MANIFEST.replace("      - articles/b.md\n", ""))
    project.write("articles/a.md", TORTURE.read_text(encoding="utf-8"))
    assert project.build() == 0
    return project.pdf


@pytest.fixture(scope="module")
def paragraphs(typeset) -> list[Paragraph]:
    """Body paragraphs of the article: a new one starts at each indented line."""
    found: list[Paragraph] = []
    with pdfplumber.open(typeset) as pdf:
        for page in pdf.pages[2:]:
            _, top, _, bottom = trim_box(page)
            chars = [char for char in page.chars if top + 37 * MM < char["top"]
                     < bottom - 35 * MM and abs(char["size"] - BODY) < 0.1]
            if not chars:
                continue
            block_left = min(char["x0"] for char in chars)
            lines: dict[float, list[dict]] = {}
            for char in chars:
                lines.setdefault(round(char["bottom"], 1), []).append(char)
            for key in sorted(lines):
                line = Line(sorted(lines[key], key=lambda char: char["x0"]),
                            block_left + 156 * MM)
                indented = line.x0 > block_left + 1.5 * BODY
                if indented or not found:
                    found.append(Paragraph([]))
                found[-1].lines.append(line)
    return found


def test_no_line_starts_or_ends_with_a_forbidden_mark(paragraphs):
    lines = [line for paragraph in paragraphs for line in paragraph.lines]
    assert len(lines) > 90
    for paragraph in paragraphs:
        for line in paragraph.lines[1:]:
            assert line.text[0] not in NOT_AT_LINE_START, line.text
            assert not line.text.startswith(("——", "……")), line.text
        for line in paragraph.lines[:-1]:
            assert line.text[-1] not in NOT_AT_LINE_END, line.text


def test_dashes_and_ellipses_are_never_split(paragraphs):
    for paragraph in paragraphs:
        for line in paragraph.lines:
            assert len(re.findall("—", line.text)) % 2 == 0, line.text
            assert len(re.findall("…", line.text)) % 2 == 0, line.text


def test_a_number_stays_with_its_unit(paragraphs):
    for paragraph in paragraphs:
        for first, second in zip(paragraph.lines, paragraph.lines[1:], strict=False):
            assert not (first.text[-1].isdigit() and re.match(HAN, second.text[0])), (
                first.text, second.text)
    text = "".join(paragraph.text for paragraph in paragraphs)
    assert "37 名" in text and "2025年" in text


def test_every_line_but_the_last_is_flush_with_the_right_edge(paragraphs):
    checked = 0
    for paragraph in paragraphs:
        for line in paragraph.lines[:-1]:
            assert abs(line.x1 - line.right_edge) < 0.5, (line.text, line.x1, line.right_edge)
            checked += 1
    assert checked > 45


def test_the_normalised_characters_are_what_the_pdf_contains(paragraphs):
    text = squash("".join(paragraph.text for paragraph in paragraphs))
    for expected in ("5月12日上午，2023-2027年", "第九期处级干部轮训班", "他说：“要把握主题主线，",
                     "凝心铸魂……”又说——要坚持党校姓党！对吗？", "使用DeepSeek、Kimi和",
                     "联东U谷", "从0.7提升至2.0，", "G60科创走廊", "把‘双减’政策"):
        assert expected in text, expected
    assert not re.search(r'[,:!?"]', text.replace("2,", ""))


def test_extracted_text_has_no_spaces_between_chinese_characters(typeset):
    # The article's pages (the cover's letter-spaced masthead is not justified text).
    text = subprocess.run(["pdftotext", "-f", "3", str(typeset), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "排版测试" in text
    assert not re.search(f"{HAN}[ \u3000]+{HAN}", text)
    with pdfplumber.open(typeset) as pdf:
        extracted = "".join(page.extract_text() for page in pdf.pages[2:])
    assert not re.search(f"{HAN} +{HAN}", extracted)


def _one_line(paragraphs, start: str) -> Line:
    (paragraph,) = [p for p in paragraphs if p.text.startswith(start)]
    assert len(paragraph.lines) == 1
    return paragraph.lines[0]


def _pair_width(line: Line, pair: str) -> float:
    """From the first mark's start to the start of the character after the pair."""
    text = line.text
    index = text.index(pair)
    return line.chars[index + len(pair)]["x0"] - line.chars[index]["x0"]


def test_adjacent_punctuation_is_compressed_to_one_and_a_half_em(paragraphs):
    line = _one_line(paragraphs, "他说：“好。”然后")
    for pair in ("：“", "。”", "（《", "》）"):
        assert _pair_width(line, pair) == pytest.approx(1.5 * BODY, abs=0.3), pair
    assert _pair_width(line, "然后") == pytest.approx(2 * BODY, abs=0.3)  # untouched


def _gaps(line: Line) -> dict[tuple[str, str], float]:
    """Blank between each two neighbouring visible characters (spaces are blank)."""
    chars = [char for char in line.chars if char["text"].strip()]
    return {(a["text"], b["text"]): b["x0"] - a["x1"] for a, b in itertools.pairwise(chars)}


def test_quarter_em_between_chinese_and_latin(paragraphs):
    gap = _gaps(_one_line(paragraphs, "用 DeepSeek 赋能"))
    assert gap[("用", "D")] == pytest.approx(BODY / 4, abs=0.3)
    assert gap[("k", "赋")] == pytest.approx(BODY / 4, abs=0.3)
    assert gap[("赋", "能")] == pytest.approx(0, abs=0.1)


def test_no_space_between_digits_and_the_house_units(paragraphs):
    gap = _gaps(_one_line(paragraphs, "在 2024年举办"))
    assert gap[("在", "2")] == pytest.approx(BODY / 4, abs=0.3)
    assert gap[("4", "年")] == pytest.approx(0, abs=0.3)  # autospace_units: 年月日时分秒
    assert gap[("7", "场")] == pytest.approx(BODY / 4, abs=0.3)  # 场 is not one of them
