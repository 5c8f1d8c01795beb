"""Photo resolution at the placed size, checked before layout (by `check` as by `build`).

How large a photo is printed is presentation: the layout declares in its
`layout.yaml` what its stylesheets do — the text block's width per paper
(`fit.text_width_mm`) and, in `photo_sizes`, the share of it a figure, a row
of figures or a gallery photo takes, and the heights that cap them. From the photo's pixel size
(EXIF rotation applied) we compute the largest size it can be placed at, so
the lowest effective resolution it can print with. Below the print profile's
`min_image_dpi` that is an error (of the print output only), below the screen
profile's resolution a warning, each naming the article line (or the gallery
entry) and what to do.
The build measures the placed images again after layout (pdf.py), as a
backstop for what this declaration cannot foresee.

`check_photo_files` goes over the same placements for what would break the
build itself: photos over the layout's pixel limit or not decoding to the
end (errors), and what an SVG refers to outside itself (warnings).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import KeyPath, Problem, Problems
from .gallery import GALLERY_SIZES_SCHEMA, GallerySizes, gallery_rows
from .images import is_raster, original_size, photo_problem, svg_references
from .schema import Field, Invalid, Schema, positive_number, positive_numbers

if TYPE_CHECKING:
    from .articles import Figure, SectionArticles
    from .layout import Layout, Profile
    from .manifest import Issue, Section

MM_PER_INCH = 25.4


def shares(value: object) -> dict[str, float]:
    """`{half: 0.5, third: 0.33}`: parts of the text block's width, each at most 1."""
    widths = positive_numbers(value)
    for name, share in widths.items():
        if share > 1:
            raise Invalid(f"{name}：占版心宽的比例应在 0 与 1 之间，而不是 {share:g}")
    return widths


PHOTO_SIZES_SCHEMA: Schema = {
    "figure": Field(shares, required=True),  # a figure alone, by width class
    "figure_max_height_mm": Field(positive_number, required=True),
    "row": Field(shares, required=True),  # figures side by side, by how many
    "row_max_height_mm": Field(positive_number, required=True),
    "gallery": Field(required=True, fields=GALLERY_SIZES_SCHEMA),  # justified rows (gallery.py)
}


@dataclass(frozen=True)
class PhotoSizes:
    """What the layout's stylesheets make of a photo's size (see `layout.yaml`)."""

    figure: dict[str, float]
    figure_max_height_mm: float
    row: dict[str, float]
    row_max_height_mm: float
    gallery: GallerySizes

    @classmethod
    def of(cls, values: dict) -> PhotoSizes:
        return cls(**{**values, "gallery": GallerySizes(**values["gallery"])})

    @staticmethod
    def share(table: dict[str, float], key: str) -> float:
        """A box's share of the text block; an arrangement the table lacks, at its widest."""
        return table.get(key, max(table.values()))


@dataclass(frozen=True)
class Placed:
    """A photo in its place: where it is named, and the largest box it is fitted into."""

    path: Path
    file: Path  # the file that names it (article or manifest)
    line: int | None
    key: KeyPath
    width_mm: float
    max_height_mm: float | None
    advice: str


@dataclass(frozen=True)
class CoarsePhotos:
    """Photos below the print resolution (errors) and below the screen's (warnings)."""

    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()


def check_photo_resolution(issue: Issue, sections: tuple[SectionArticles, ...], layout: Layout,
                           profiles: Iterable[Profile]) -> CoarsePhotos:
    """Each photo against the strictest of `profiles` it fails."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    needs = sorted(((profile.minimum_dpi, profile.is_print)
                    for profile in profiles), key=lambda need: not need[1])
    for placed in placements(issue, sections, layout):
        if not is_raster(placed.path) or not placed.path.is_file():
            continue  # vector art has no resolution; a missing file is reported elsewhere
        pixels = original_size(placed.path)
        width, height = fitted(pixels, placed.width_mm, placed.max_height_mm)
        dpi = pixels[0] / (width / MM_PER_INCH)
        for minimum, printing in needs:
            if round(dpi) < minimum:
                problem = _problem(placed, issue.folder, pixels, (width, height), dpi, minimum,
                                   printing)
                (errors if printing else warnings).append(problem)
                break
    return CoarsePhotos(tuple(errors), tuple(warnings))


def check_photo_files(issue: Issue, sections: tuple[SectionArticles, ...], layout: Layout,
                      cache: Path | None = None) -> tuple[Problem, ...]:
    """Every photo once, where it is first placed: raise those too large or not decoding to
    the end (`images.photo_problem`, remembered in `cache`); return warnings for SVG
    references the build drops."""
    problems = Problems()
    warnings = []
    seen = set()
    for placed in placements(issue, sections, layout):
        if placed.path in seen or not placed.path.is_file():
            continue  # a missing file is reported by the manifest or the article
        seen.add(placed.path)
        shown = _shown(placed.path, issue.folder)
        if not is_raster(placed.path):
            warnings += [Problem(f"SVG 图片 “{shown}” 引用了其他文件 “{_short(reference)}”：排版时不读取"
                                 "SVG 之外的任何内容，已去掉这个引用（它所指的内容不会印出）；"
                                 "请把内容画进 SVG 或删去这个引用",
                                 placed.file, placed.line, placed.key)
                         for reference in svg_references(placed.path)]
        elif problem := photo_problem(placed.path, layout.max_image_pixels, cache):
            problems.add(f"图片 “{shown}” {problem}", placed.file, placed.line, placed.key)
    problems.raise_if_any()
    return tuple(warnings)


def _short(reference: str) -> str:
    """A reference as shown: an embedded `data:` image is thousands of characters long."""
    return reference if len(reference) <= 200 else reference[:80] + "…"


def fitted(pixels: tuple[int, int], width_mm: float, max_height_mm: float | None
            ) -> tuple[float, float]:
    """The photo scaled to the box's width, and down again if taller than allowed."""
    ratio = pixels[1] / pixels[0]
    width, height = width_mm, width_mm * ratio
    if max_height_mm is not None and height > max_height_mm:
        width, height = max_height_mm / ratio, max_height_mm
    return width, height


def placements(issue: Issue, sections: tuple[SectionArticles, ...], layout: Layout
               ) -> Iterator[Placed]:
    """Every photo of the issue with the largest box it may be placed in."""
    sizes = layout.photo_sizes
    text_width = layout.fit.text_width_mm[issue.paper]
    for index, entry in enumerate(sections):
        for article in entry.articles:
            for figure in article.figures:
                yield _figure_placement(figure, article.source, sizes, text_width)
        if entry.section.photos:
            yield from _gallery_placements(issue, entry.section, index, layout)


def _gallery_placements(issue: Issue, section: Section, index: int, layout: Layout
                        ) -> Iterator[Placed]:
    """A gallery's photos at their places in its rows (gallery.py): a row is only as tall as
    its photos' pixels allow, down to the layout's lowest row."""
    for row in gallery_rows(issue, section, layout):
        for cell in row.cells:
            photo = section.photos[cell.photo]
            key = photo.key or ("sections", index, "photos")
            yield Placed(issue.folder / photo.file, issue.manifest, photo.line, key,
                         cell.width_mm, None, "")


def _figure_placement(figure: Figure, article: Path, sizes: PhotoSizes, text_width: float
                      ) -> Placed:
    if figure.placement == "inline":  # inside a line of text: at most the text block's width
        return Placed(figure.path, article, figure.line, (), text_width, None, "")
    if figure.placement == "row":
        width = text_width * sizes.share(sizes.row, str(figure.row_size))
        smaller = [name for name, share in sizes.figure.items() if text_width * share < width]
        advice = (f"把并排的图片各自单独成段并加 {{.{smaller[-1]}}}，" if smaller else "")
        return Placed(figure.path, article, figure.line, (), width, sizes.row_max_height_mm,
                       advice)
    width = text_width * sizes.share(sizes.figure, figure.placement)
    smaller = [name for name, share in sizes.figure.items() if text_width * share < width]
    advice = f"缩小置入宽度（在图片后加 {'或'.join(f'{{.{name}}}' for name in smaller)}），" \
        if smaller else ""
    return Placed(figure.path, article, figure.line, (), width, sizes.figure_max_height_mm,
                   advice)


def _shown(path: Path, issue_folder: Path) -> str:
    return path.relative_to(issue_folder).as_posix() if path.is_relative_to(issue_folder) \
        else str(path)


def _problem(placed: Placed, issue_folder: Path, pixels: tuple[int, int],
             size: tuple[float, float], dpi: float, minimum: int, printing: bool) -> Problem:
    shown = _shown(placed.path, issue_folder)
    needed = math.ceil(minimum * size[0] / MM_PER_INCH)
    message = (f"图片 “{shown}”（{pixels[0]}×{pixels[1]} 像素）置入 {size[0]:.0f}×{size[1]:.0f} mm，"
               f"有效分辨率仅 {dpi:.0f} dpi，{'印刷' if printing else '屏幕'}至少需要 {minimum} dpi："
               f"请{placed.advice}{'或' if placed.advice else ''}换用更大的原图"
               f"（按此宽度至少需要 {needed} 像素宽）")
    return Problem(message, placed.file, placed.line, placed.key)
