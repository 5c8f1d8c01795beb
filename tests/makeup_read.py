"""Page make-up read back from a PDF: page fill, lines of text, the 目录's pages.

Used by the make-up tests and, as a script, to measure an issue before and after:

    .venv/bin/python tests/makeup_read.py build/2025-001.pdf

Lines are rebuilt from pdfplumber's characters (same baseline, same size); the
text block is the A4 one of layouts/bulletin/css/paper-a4.css (see pdfread.py).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
from pdfread import BODY_SIZE, BOTTOM_MARGIN, TOP_MARGIN, squash, trim_box

HAN = re.compile(r"[\u3400-\u9fff\U00020000-\U0003ffff]")


@dataclass(frozen=True)
class Line:
    text: str  # without spaces
    left: float
    right: float
    top: float
    bottom: float
    size: float


@dataclass(frozen=True)
class PageMakeup:
    number: int  # 1-based physical page
    lines: tuple[Line, ...]  # text lines inside the text block, top to bottom
    fill: float  # share of the text block's height down to its lowest text or image
    text_block: tuple[float, float, float, float]  # left, top, right, bottom
    footer: str

    @property
    def body_lines(self) -> list[Line]:
        return [line for line in self.lines if abs(line.size - BODY_SIZE) < 0.5]

    @property
    def large_lines(self) -> list[Line]:
        return [line for line in self.lines if line.size > BODY_SIZE * 1.1]


def _lines(chars: list[dict]) -> tuple[Line, ...]:
    rows: list[list[dict]] = []
    for char in sorted(chars, key=lambda c: (round(c["bottom"]), c["x0"])):
        if rows and abs(rows[-1][0]["bottom"] - char["bottom"]) < 2:
            rows[-1].append(char)
        else:
            rows.append([char])
    lines = []
    for row in rows:
        row.sort(key=lambda c: c["x0"])
        text = squash("".join(c["text"] for c in row))
        if text:
            lines.append(Line(text, row[0]["x0"], row[-1]["x1"], min(c["top"] for c in row),
                              max(c["bottom"] for c in row), max(c["size"] for c in row)))
    return tuple(lines)


def read_makeup(path: Path) -> list[PageMakeup]:
    pages = []
    with pdfplumber.open(path) as pdf:
        for index, page in enumerate(pdf.pages):
            left, top, right, bottom = trim_box(page)
            block = (left, top + TOP_MARGIN, right, bottom - BOTTOM_MARGIN)
            inside = page.crop(block)
            chars = [c for c in inside.chars if c["text"].strip()]
            bottoms = [c["bottom"] for c in chars] + [image["bottom"] for image in inside.images]
            fill = (max(bottoms) - block[1]) / (block[3] - block[1]) if bottoms else 0.0
            footer = page.crop((left, bottom - BOTTOM_MARGIN, right, bottom)).extract_text()
            pages.append(PageMakeup(index + 1, _lines(chars), round(fill, 3), block,
                                    squash(footer)))
    return pages


def cover_lines(path: Path, pages: int = 2) -> list[list[Line]]:
    """Every text line of the first `pages` pages (cover and 目录), whole page."""
    with pdfplumber.open(path) as pdf:
        return [list(_lines([c for c in page.chars if c["text"].strip()]))
                for page in pdf.pages[:pages]]


def one_character_ends(page: PageMakeup) -> list[str]:
    """Body lines holding one character and a full stop: a paragraph's stub of a last line."""
    return [line.text for line in page.body_lines
            if len(line.text) == 2 and HAN.match(line.text[0]) and line.text[1] == "。"]


def report(path: Path) -> None:
    pages = read_makeup(path)
    folio = {page.number: int(page.footer) for page in pages if page.footer.isdigit()}
    half = [folio[page.number] for page in pages if page.number in folio and page.fill < 0.5]
    print(f"{path}: {len(pages)} pages")
    print("pages under half full (folio: fill):",
          ", ".join(f"{folio[p.number]}:{p.fill:.2f}" for p in pages
                    if p.number in folio and p.fill < 0.5) or "none", f"({len(half)})")
    ends = [(folio.get(page.number), text) for page in pages for text in one_character_ends(page)]
    print("paragraphs ending in one character + 。:", ends or "none", f"({len(ends)})")
    titles = []
    for page in pages:
        if page.number in folio:
            big = [line for line in page.large_lines if line.size < BODY_SIZE * 1.5]
            if len(big) > 1:
                titles.append((folio[page.number], [line.text for line in big]))
    print("multi-line large lines (titles):")
    for number, lines in titles:
        print(f"  {number}: {' / '.join(lines)}")
    front = cover_lines(path)
    print("目录 lines per front page:", [len(lines) for lines in front])
    for number, lines in enumerate(front, 1):
        for line in lines:
            print(f"  p{number} {line.text}")


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        report(Path(argument))
