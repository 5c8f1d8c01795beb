"""The print PDF shows what the screen PDF shows: rendered by poppler and compared, page by page
and photo by photo, for the sample and for every kind of image an editor brings."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MINIMAL_ARTICLES, Project, make_project
from PIL import Image, ImageDraw, ImageOps
from render import (
    ALIKE,
    PHOTO_GRID,
    alike,
    assert_print_looks_like_screen,
    photos_as_shown,
    placed_photos,
    render_cmyk,
)

ICC_FOLDER = Path("/usr/share/color/icc/ghostscript")
SIZE = (900, 600)  # shown at a third of the text block: about 450 dpi
PORTRAIT = (600, 900)


def picture(size: tuple[int, int]) -> Image.Image:
    """A picture no rotation, mirroring or tiling leaves alike: a tone ramp, a dark block at the
    top left, a light disc at the bottom right."""
    width, height = size
    image = Image.linear_gradient("L").rotate(90).resize(size)
    image = Image.merge("RGB", [image.point(lambda v: 230 - v * 0.6),
                                image.point(lambda v: 200 - v * 0.3),
                                image.point(lambda v: 120 + v * 0.3)])
    draw = ImageDraw.Draw(image)
    draw.rectangle((0.08 * width, 0.1 * height, 0.45 * width, 0.5 * height), fill=(30, 30, 40))
    radius = 0.18 * min(size)
    draw.ellipse((0.72 * width - radius, 0.7 * height - radius, 0.72 * width + radius,
                  0.7 * height + radius), fill=(250, 250, 240))
    return image


def exif_rotated(upright: Image.Image, orientation: int) -> tuple[Image.Image, Image.Exif]:
    """The pixels a camera stores for `upright` when its EXIF tag says `orientation`."""
    stored = upright.transpose({3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90,
                                8: Image.Transpose.ROTATE_270}[orientation])
    exif = stored.getexif()
    exif[0x0112] = orientation
    return stored, exif


def on_white(image: Image.Image) -> Image.Image:
    paper = Image.new("RGB", image.size, "white")
    paper.paste(image, mask=image.getchannel("A"))
    return paper


def write_images(folder: Path) -> list[tuple[str, str, Image.Image]]:
    """Every kind of photo, as (file name, caption, what it must look like on the page)."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []

    def keep(name: str, caption: str, expected: Image.Image) -> None:
        made.append((name, caption, expected))

    landscape, portrait = picture(SIZE), picture(PORTRAIT)
    landscape.save(folder / "rgb.jpg", quality=90)
    keep("rgb.jpg", "RGB JPEG", landscape)
    landscape.convert("CMYK").save(folder / "cmyk.jpg", quality=90)
    keep("cmyk.jpg", "CMYK JPEG", landscape)
    for orientation in (6, 3, 8):
        upright = portrait if orientation != 3 else landscape
        stored, exif = exif_rotated(upright, orientation)
        name = f"exif-{orientation}.jpg"
        stored.save(folder / name, quality=90, exif=exif)
        with Image.open(folder / name) as check:  # the test's own premise
            assert ImageOps.exif_transpose(check).size == upright.size
        keep(name, f"EXIF 方向 {orientation}", upright)
    landscape.save(folder / "rgb.png")
    keep("rgb.png", "RGB PNG", landscape)
    grey = landscape.convert("L")
    grey.save(folder / "grey.jpg", quality=90)
    keep("grey.jpg", "灰度 JPEG", grey)
    grey.save(folder / "grey.png")
    keep("grey.png", "灰度 PNG", grey)
    grey.convert("I").point(lambda value: value * 257).convert("I;16").save(folder / "grey16.png")
    keep("grey16.png", "16 位灰度 PNG", grey)
    transparent = landscape.convert("RGBA")
    alpha = Image.new("L", SIZE, 0)
    alpha.paste(255, (90, 60, 810, 540))  # a clear frame around the picture
    transparent.putalpha(alpha)
    transparent.save(folder / "alpha.png")
    keep("alpha.png", "透明 PNG", on_white(transparent))
    landscape.quantize(64).save(folder / "palette.png")
    keep("palette.png", "调色板 PNG", landscape)
    return made


SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="900" height="600">
<rect width="900" height="600" fill="#b0c8e0"/><rect x="72" y="60" width="333" height="240" fill="#202030"/>
<circle cx="648" cy="420" r="108" fill="#fafaf0"/></svg>"""


@pytest.fixture(scope="module")
def image_kinds(tmp_path_factory) -> tuple[Project, list[tuple[str, str, Image.Image]]]:
    project = make_project(tmp_path_factory.mktemp("image-kinds"))
    images = write_images(project.issue / "articles" / "images")
    (project.issue / "articles" / "images" / "chart.svg").write_text(SVG, encoding="utf-8")
    figures = [f"![{caption}](images/{name})" for name, caption, _ in images]
    figures.append("![矢量图](images/chart.svg)")
    rows = ["\n".join(figures[start:start + 3]) for start in range(0, len(figures), 3)]
    assert len(figures) % 3 == 0  # rows of three: each photo a third of the text block
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + "\n" + "\n\n".join(rows) + "\n")
    assert project.build("--profile", "all") == 0
    return project, images


PRINT_VARIANTS = {
    "PDF/X-4": (),
    "PDF/X-1a": ("--pdfx", "1a"),
    "PDF/X-4, another printer's ICC profile": ("--icc-profile", str(ICC_FOLDER / "ps_cmyk.icc")),
}


@pytest.fixture(scope="module", params=list(PRINT_VARIANTS))
def image_kinds_print(request, image_kinds) -> Path:
    project, _ = image_kinds
    options = PRINT_VARIANTS[request.param]
    if not options:
        return project.print_pdf
    output = project.root / "build" / f"variant-{list(PRINT_VARIANTS).index(request.param)}.pdf"
    assert project.build("--profile", "print", "-o", str(output), *options) == 0
    return output


def assert_photos_show(pdf: Path, expected: list[tuple[str, str, Image.Image]]) -> None:
    shown = photos_as_shown(pdf)
    assert len(shown) == len(expected), f"{len(shown)} photos drawn, {len(expected)} expected"
    unlike = [f"{name}: {value:.2f}" for (name, _, picture), image in zip(expected, shown, strict=True)
              if (value := alike(image, picture, PHOTO_GRID)) < ALIKE]
    assert not unlike, f"{pdf.name}: photos that do not show their picture: {', '.join(unlike)}"


def test_screen_photos_show_their_pictures(image_kinds):
    project, images = image_kinds
    assert_photos_show(project.pdf, images)


def test_print_photos_show_their_pictures(image_kinds, image_kinds_print):
    _, images = image_kinds
    assert_photos_show(image_kinds_print, images)


def test_print_pages_look_like_screen_pages(image_kinds, image_kinds_print):
    project, _ = image_kinds
    assert_print_looks_like_screen(project.pdf, image_kinds_print)


def test_sample_print_looks_like_screen_page_by_page_and_photo_by_photo(sample_pdf,
                                                                         sample_print_pdf):
    assert len(placed_photos(sample_pdf)) >= 30
    assert_print_looks_like_screen(sample_pdf, sample_print_pdf)


def test_print_plates_text_in_black_only_masthead_in_magenta_and_yellow(sample_print_pdf):
    """README: 报头红 M100 Y100, text in pure K: what each printing plate receives."""
    cover = render_cmyk(sample_print_pdf, 1)
    pixels = list(cover.get_flattened_data())
    inked = [pixel for pixel in pixels if max(pixel) > 128]
    black = [pixel for pixel in inked if pixel[3] > 128]
    red = [pixel for pixel in inked if pixel[1] > 128 and pixel[2] > 128]
    assert black and red
    # Anti-aliased edges mix with white paper only, never with other inks.
    assert all(max(pixel[:3]) < 40 for pixel in black), "text must print on the black plate only"
    assert all(pixel[0] < 40 and pixel[3] < 40 for pixel in red), "the red is M + Y only"
