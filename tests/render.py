"""What a renderer shows: PDF pages drawn by poppler (`pdftoppm`) and compared by eye-like measures.

Labels (colour-space names, image counts, dpi figures) can all be right while every photo prints as
garbage; these helpers look at pixels instead. Typical uses in a test:

    assert_print_looks_like_screen(screen_pdf, print_pdf)       # every page, cropped to the TrimBox
    photos_as_shown(pdf)                                         # each placed photo, cut out
    plates = render_cmyk(print_pdf, page)                        # what each printing plate receives

Comparisons are made on a coarse grey grid with Pearson correlation, so that colour conversion and tone
shifts do not count while a corrupt, tiled, rotated, missing or blank picture does.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pymupdf
from PIL import Image

RESOLUTION = 36  # dpi: enough to see a photo's layout, fast for 70 pages
PAGE_GRID = (50, 71)  # cells over an A4 page (about 4 mm each)
PHOTO_GRID = (16, 12)  # cells over one placed photo
ALIKE = 0.9  # correct pages correlate above 0.95; a broken photo drags its page below this


@dataclass(frozen=True)
class Box:
    """A rectangle in PDF points, measured from the page's top-left corner (x right, y down)."""

    left: float
    top: float
    right: float
    bottom: float

    def scaled(self, resolution: float) -> tuple[int, int, int, int]:
        k = resolution / 72
        return (round(self.left * k), round(self.top * k), round(self.right * k),
                round(self.bottom * k))


def render(pdf: Path, resolution: float = RESOLUTION, first: int = 1, last: int | None = None,
           to_trim: bool = True) -> list[Image.Image]:
    """Pages `first`..`last` (1-based) as greyscale images, cropped to each page's TrimBox."""
    (pages,) = render_all([pdf], resolution, first, last, to_trim)
    return pages


def render_all(pdfs: list[Path], resolution: float = RESOLUTION, first: int = 1,
               last: int | None = None, to_trim: bool = True) -> list[list[Image.Image]]:
    """`render` for several PDFs at once, one poppler process each (they run in parallel)."""
    with tempfile.TemporaryDirectory() as folder:
        command = ["pdftoppm", "-r", str(resolution), "-gray", "-f", str(first)]
        command += ["-l", str(last)] if last else []
        running = [subprocess.Popen([*command, str(pdf), f"{folder}/{index}"])
                   for index, pdf in enumerate(pdfs)]
        assert all(process.wait() == 0 for process in running), "pdftoppm failed"
        rendered = [[Image.open(path).convert("L") for path in sorted(Path(folder).glob(f"{index}-*"))]
                    for index in range(len(pdfs))]
    if not to_trim:
        return rendered
    return [[image.crop(trim.scaled(resolution))
             for image, trim in zip(images, trim_boxes(pdf)[first - 1:], strict=False)]
            for pdf, images in zip(pdfs, rendered, strict=True)]


def trim_boxes(pdf: Path) -> list[Box]:
    """Each page's TrimBox (else MediaBox), relative to the top-left of its rendered MediaBox."""
    boxes = []
    with pikepdf.open(pdf) as document:
        for page in document.pages:
            media = [float(value) for value in page.obj.MediaBox]
            trim = [float(value) for value in page.obj.get("/TrimBox", page.obj.MediaBox)]
            boxes.append(Box(trim[0] - media[0], media[3] - trim[3], trim[2] - media[0],
                             media[3] - trim[1]))
    return boxes


def grid(image: Image.Image, cells: tuple[int, int]) -> list[int]:
    return list(image.convert("L").resize(cells, Image.Resampling.BOX).tobytes())


def correlation(a: list[int], b: list[int]) -> float:
    """Pearson correlation of two grids; two flat grids are alike when their tones are close."""
    n = len(a)
    mean_a, mean_b = sum(a) / n, sum(b) / n
    var_a = sum((x - mean_a) ** 2 for x in a)
    var_b = sum((y - mean_b) ** 2 for y in b)
    if var_a < n or var_b < n:  # (nearly) uniform on one side
        return 1.0 if var_a < n and var_b < n and abs(mean_a - mean_b) < 40 else 0.0
    return sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b, strict=True)) / (var_a * var_b) ** 0.5


def is_blank(image: Image.Image) -> bool:
    return min(grid(image, PAGE_GRID)) > 250


@dataclass(frozen=True)
class PlacedPhoto:
    page: int  # 1-based
    box: Box  # relative to the page's TrimBox, in points


def placed_photos(pdf: Path) -> list[PlacedPhoto]:
    """Every raster image drawn, in page and reading order (top to bottom, left to right)."""
    found = []
    trims = trim_boxes(pdf)
    with pymupdf.open(pdf) as document:
        for number, page in enumerate(document, 1):
            # MuPDF measures from the CropBox's top left; ours equals the MediaBox.
            trim = trims[number - 1]
            for x0, y0, x1, y1 in sorted((info["bbox"] for info in page.get_image_info()),
                                         key=lambda bbox: (round(bbox[1]), bbox[0])):
                found.append(PlacedPhoto(number, Box(x0 - trim.left, y0 - trim.top,
                                                     x1 - trim.left, y1 - trim.top)))
    return found


def cut_out(pages: list[Image.Image], photos: list[PlacedPhoto], resolution: float
            ) -> list[Image.Image]:
    """The rendered area of each photo, from pages rendered at `resolution` and cut to the trim."""
    return [pages[photo.page - 1].crop(photo.box.scaled(resolution)) for photo in photos]


def photos_as_shown(pdf: Path, resolution: float = 72) -> list[Image.Image]:
    """Each placed photo cut out of its rendered page, in reading order."""
    (pages,) = render_all([pdf], resolution)
    return cut_out(pages, placed_photos(pdf), resolution)


def alike(a: Image.Image, b: Image.Image, cells: tuple[int, int]) -> float:
    """Correlation of two renderings of the same thing (sizes may differ by a pixel)."""
    return correlation(grid(a, cells), grid(b.resize(a.size), cells))


def print_differences(screen: Path, printed: Path, floor: float = ALIKE) -> list[str]:
    """What in `printed` (cropped to the trim) does not look like `screen`: whole pages on a
    coarse grid, and each photo on its own (a small photo barely moves its page's figure).

    Pages the print PDF adds for the binding must be blank.
    """
    screen_pages, print_pages = render_all([screen, printed])
    differences = [f"page {number}: {value:.3f}" for number, (shown, printed_page)
                   in enumerate(zip(screen_pages, print_pages, strict=False), 1)
                   if (value := alike(shown, printed_page, PAGE_GRID)) < floor]
    differences += [f"page {number}: should be blank" for number, page
                    in enumerate(print_pages[len(screen_pages):], len(screen_pages) + 1)
                    if not is_blank(page)]
    photos = placed_photos(screen)
    differences += [f"photo {index + 1} on page {photo.page}: {value:.3f}"
                    for index, (photo, shown, printed_photo)
                    in enumerate(zip(photos, cut_out(screen_pages, photos, RESOLUTION),
                                     cut_out(print_pages, photos, RESOLUTION), strict=True))
                    if (value := alike(shown, printed_photo, PHOTO_GRID)) < floor]
    return differences


def assert_print_looks_like_screen(screen: Path, printed: Path, floor: float = ALIKE) -> None:
    differences = print_differences(screen, printed, floor)
    assert not differences, "print PDF unlike screen PDF: " + "; ".join(differences)


def render_cmyk(pdf: Path, page: int, resolution: float = 50) -> Image.Image:
    """One page as it is separated onto the four printing plates (CMYK), cropped to the TrimBox.

    MuPDF renders into a CMYK pixmap (poppler's Debian build cannot): DeviceCMYK colours
    arrive on the plates unchanged, RGB ones are converted, so a wrong colour shows.
    """
    with pymupdf.open(pdf) as document:
        shown = document[page - 1]
        pixmap = shown.get_pixmap(colorspace=pymupdf.csCMYK, dpi=resolution, clip=shown.trimbox)
        return Image.frombytes("CMYK", (pixmap.width, pixmap.height), pixmap.samples)


def main(arguments: list[str]) -> int:
    """`python tests/render.py SCREEN.pdf PRINT.pdf`: list what prints unlike the screen."""
    if len(arguments) != 2:
        print("usage: python tests/render.py build/<issue>.pdf build/<issue>-print.pdf")
        return 2
    differences = print_differences(Path(arguments[0]), Path(arguments[1]))
    print("\n".join(differences) or "print PDF looks like the screen PDF on every page and photo")
    return 1 if differences else 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
