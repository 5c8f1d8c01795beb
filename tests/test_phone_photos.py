"""Photos as phones deliver them: iPhone HEIC (rotated by the file), WebP, PNG screenshots — in an
article and in a gallery, seen on the rendered pages of both PDFs. No HEIC reaches a PDF."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from conftest import MINIMAL_ARTICLES, MINIMAL_MANIFEST, Project, make_project
from PIL import Image
from render import ALIKE, PHOTO_GRID, alike, assert_print_looks_like_screen, photos_as_shown
from test_print_render import exif_rotated, picture

import bulletin_pdf.images  # noqa: F401  (registers pillow-heif's HEIC opener with Pillow)

LANDSCAPE = (1200, 800)  # a gallery photo two to a row: about 400 dpi
PORTRAIT = (900, 1350)  # a {.third} figure: about 440 dpi
SCREENSHOT = (750, 1334)  # an iPhone 8 screenshot


def phone_photos(folder: Path) -> list[tuple[str, Image.Image]]:
    """The article's photos as (file name, what it must look like), in reading order."""
    folder.mkdir(parents=True, exist_ok=True)
    upright = picture(PORTRAIT)
    stored, exif = exif_rotated(upright, 6)  # pixels stored sideways, as the camera held them
    stored.save(folder / "IMG_0001.HEIC", quality=90, exif=exif.tobytes())
    with Image.open(folder / "IMG_0001.HEIC") as check:  # the test's premise: the file is rotated
        assert check.format == "HEIF" and check.info["original_orientation"] == 6
        assert alike(check, upright, PHOTO_GRID) > ALIKE and alike(check, stored.resize(check.size),
                                                                    PHOTO_GRID) < ALIKE
    picture((900, 600)).save(folder / "photo.webp", quality=90)
    screenshot = picture(SCREENSHOT).convert("RGBA")
    screenshot.save(folder / "screenshot.png")
    return [("IMG_0001.HEIC", upright), ("photo.webp", picture((900, 600))),
            ("screenshot.png", screenshot.convert("RGB"))]


def gallery_photos(folder: Path) -> list[tuple[str, Image.Image]]:
    folder.mkdir(parents=True, exist_ok=True)
    picture(LANDSCAPE).save(folder / "合影.heic", quality=90)
    upright = picture(PORTRAIT)
    stored, exif = exif_rotated(upright, 8)
    stored.save(folder / "竖拍.HEIF", quality=90, exif=exif.tobytes())
    return [("合影.heic", picture(LANDSCAPE)), ("竖拍.HEIF", upright)]


@pytest.fixture(scope="module")
def phone_project(tmp_path_factory) -> tuple[Project, list[Image.Image]]:
    project = make_project(tmp_path_factory.mktemp("phone-photos"))
    figures = phone_photos(project.issue / "articles" / "images")
    gallery = gallery_photos(project.issue / "gallery")
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + "".join(
        f"\n![手机照片 {name}](images/{name}){{.third}}\n" for name, _ in figures))
    project.write("issue.yaml", MINIMAL_MANIFEST + "  - title: 学习掠影\n    kind: gallery\n"
                  "    photos:\n" + "".join(f"      - file: gallery/{name}\n        caption: {name}\n"
                                             for name, _ in gallery))
    assert project.build("--profile", "all") == 0
    return project, [expected for _, expected in [*figures, *gallery]]


@pytest.mark.parametrize("profile", ["screen", "print"])
def test_phone_photos_show_their_pictures_upright(phone_project, profile):
    project, expected = phone_project
    pdf = project.pdf if profile == "screen" else project.print_pdf
    shown = photos_as_shown(pdf)
    assert len(shown) == len(expected)
    likeness = [alike(image, picture, PHOTO_GRID) for image, picture in zip(shown, expected, strict=True)]
    assert min(likeness) > ALIKE, likeness


def test_print_of_phone_photos_looks_like_the_screen(phone_project):
    project, _ = phone_project
    assert_print_looks_like_screen(project.pdf, project.print_pdf)


@pytest.mark.parametrize("profile", ["screen", "print"])
def test_no_heic_in_the_pdf(phone_project, profile):
    project, expected = phone_project
    pdf = project.pdf if profile == "screen" else project.print_pdf
    with pikepdf.open(pdf) as document:
        images = [stream for stream in document.objects if isinstance(stream, pikepdf.Stream)
                  and stream.get("/Subtype") == pikepdf.Name.Image]
        masks = {image.SMask.objgen for image in images if "/SMask" in image}
        assert len([image for image in images if image.objgen not in masks]) == len(expected)
        for image in images:
            assert image.Filter in (pikepdf.Name.DCTDecode, pikepdf.Name.FlateDecode)
            assert b"ftyp" not in image.read_raw_bytes()[:64]  # an ISO media file: HEIF


def test_heic_is_converted_once_into_the_cache(phone_project):
    project, _ = phone_project
    cache = project.root / ".cache" / "images"
    converted = {path: path.stat().st_mtime_ns for path in cache.iterdir()}
    # Two HEIC in the gallery and one in the article, each a screen and a print JPEG.
    jpegs = [path for path in converted if path.read_bytes()[:2] == b"\xff\xd8"]
    assert len(jpegs) >= 6
    assert project.build("--profile", "all", "--force") == 0
    assert {path: path.stat().st_mtime_ns for path in cache.iterdir()} == converted


def test_a_truncated_heic_is_reported_with_its_article_line(project, capsys):
    folder = project.issue / "articles" / "images"
    folder.mkdir(parents=True)
    picture(LANDSCAPE).save(folder / "cut.heic", quality=90)
    data = (folder / "cut.heic").read_bytes()
    (folder / "cut.heic").write_bytes(data[:len(data) // 2])
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + "\n![截断](images/cut.heic)\n")
    assert project.build() == 2
    error = capsys.readouterr().err
    assert "issues/test/articles/b.md:8：图片 “articles/images/cut.heic” 无法完整读取" in error
    assert not project.pdf.exists()


def test_an_unknown_format_names_the_accepted_ones(project, capsys):
    folder = project.issue / "articles" / "images"
    folder.mkdir(parents=True)
    (folder / "photo.avif").write_bytes(b"\0\0\0\x1cftypavif")
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + "\n![图](images/photo.avif)\n")
    assert project.build() == 2
    assert ("不支持的图片格式 “.avif”：可用 JPEG、PNG、HEIC/HEIF（iPhone 照片）、WebP、GIF、TIFF、BMP 或 SVG"
            in capsys.readouterr().err)
