"""A contact sheet of a PDF: every page rendered small (poppler's pdftoppm), in one PNG.

    .venv/bin/python scripts/contact_sheet.py build/2025-001.pdf   # → build/2025-001-contact-sheet.png

Pages sit in spreads as they are read in print: the first page alone on the right,
then left and right pages side by side, so a hole or a stray line shows at a glance.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

SPREADS_PER_ROW = 5
GAP = 12  # pixels between spreads and rows


def render_pages(pdf: Path, dpi: int, folder: Path) -> list[Image.Image]:
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(folder / "page")], check=True)
    return [Image.open(path).convert("RGB") for path in sorted(folder.glob("page-*.png"))]


def spreads(pages: list[Image.Image]) -> list[tuple[Image.Image | None, Image.Image | None]]:
    """(left, right) pairs: the cover alone on the right, then 2–3, 4–5 …"""
    paired: list[tuple[Image.Image | None, Image.Image | None]] = [(None, pages[0])]
    rest = pages[1:]
    paired += [(rest[index], rest[index + 1] if index + 1 < len(rest) else None)
               for index in range(0, len(rest), 2)]
    return paired


def contact_sheet(pages: list[Image.Image]) -> Image.Image:
    width, height = pages[0].size
    pairs = spreads(pages)
    rows = (len(pairs) + SPREADS_PER_ROW - 1) // SPREADS_PER_ROW
    sheet = Image.new("RGB", (SPREADS_PER_ROW * (2 * width + GAP) + GAP, rows * (height + GAP) + GAP),
                      (128, 128, 128))
    draw = ImageDraw.Draw(sheet)
    for index, (left, right) in enumerate(pairs):
        x = GAP + (index % SPREADS_PER_ROW) * (2 * width + GAP)
        y = GAP + (index // SPREADS_PER_ROW) * (height + GAP)
        for offset, page in ((0, left), (width, right)):
            if page is not None:
                sheet.paste(page, (x + offset, y))
                draw.rectangle([x + offset, y, x + offset + width - 1, y + height - 1], outline=(90, 90, 90))
    return sheet


def main() -> int:
    parser = argparse.ArgumentParser(description="把 PDF 的每一页缩小排在一张 PNG 上（按对页排列）。")
    parser.add_argument("pdf", type=Path, help="如 build/2025-001.pdf")
    parser.add_argument("-o", "--output", type=Path, help="默认：与 PDF 同名的 -contact-sheet.png")
    parser.add_argument("--dpi", type=int, default=20, help="每页的渲染分辨率（默认 20）")
    args = parser.parse_args()
    if not args.pdf.is_file():
        print(f"{args.pdf}：找不到此文件", file=sys.stderr)
        return 2
    output = args.output or args.pdf.with_name(f"{args.pdf.stem}-contact-sheet.png")
    with tempfile.TemporaryDirectory() as folder:
        contact_sheet(render_pages(args.pdf, args.dpi, Path(folder))).save(output)
    print(f"已写入 {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
