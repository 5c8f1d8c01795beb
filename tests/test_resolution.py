"""Photo resolution at the placed size, found by `check` before any layout."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pdfplumber
import pytest
from conftest import MINIMAL_ARTICLES, MINIMAL_MANIFEST, Project, make_project
from pdfread import MM
from PIL import Image

from bulletin_pdf.articles import load_articles
from bulletin_pdf.cli import main
from bulletin_pdf.images import original_size
from bulletin_pdf.layout import load_layout
from bulletin_pdf.manifest import load_issue
from bulletin_pdf.resolution import fitted, placements

LOW_RES = Path(__file__).parent / "data" / "low-res.jpg"
A4_TEXT_WIDTH_MM = 156  # layouts/bulletin/css/paper-a4.css: 版心 156 mm


def photo(path: Path, size: tuple[int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (90, 120, 150)).save(path, quality=70)


def with_figure(project: Project, markdown: str) -> int:
    """Add `markdown` to article b after a blank line; return the line it is on."""
    text = MINIMAL_ARTICLES["b.md"] + "\n" + markdown + "\n"
    project.write("articles/b.md", text)
    return text.count("\n")


def check(project: Project, *options: str) -> int:
    return main(["check", "-q", str(project.issue), *options])


def test_check_finds_a_low_resolution_photo_with_its_line_and_what_to_do(project, capsys):
    (project.issue / "articles" / "images").mkdir(parents=True)
    shutil.copy(LOW_RES, project.issue / "articles" / "images" / "low.jpg")
    line = with_figure(project, "![低分辨率照片](images/low.jpg)")
    assert check(project) == 2
    error = capsys.readouterr().err
    width, height = original_size(LOW_RES)
    placed_height = A4_TEXT_WIDTH_MM * height / width
    dpi = width / (A4_TEXT_WIDTH_MM / 25.4)
    needed = math.ceil(300 * A4_TEXT_WIDTH_MM / 25.4)
    assert (f"issues/test/articles/b.md:{line}：图片 “articles/images/low.jpg”（{width}×{height} 像素）"
            f"置入 {A4_TEXT_WIDTH_MM}×{placed_height:.0f} mm，有效分辨率仅 {dpi:.0f} dpi，"
            "印刷至少需要 300 dpi：请缩小置入宽度（在图片后加 {.half}或{.third}），"
            f"或换用更大的原图（按此宽度至少需要 {needed} 像素宽）") in error
    assert not (project.root / "build").exists()
    # Screen alone: below its 150 dpi only a warning.
    assert check(project, "--profile", "screen") == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("警告：")
    assert f"issues/test/articles/b.md:{line}：图片 “articles/images/low.jpg”" in captured.err
    assert "屏幕至少需要 150 dpi" in captured.err and "检查通过" in captured.out


def test_a_third_of_the_width_needs_fewer_pixels(project, capsys):
    photo(project.issue / "articles" / "images" / "small.jpg", (1500, 1000))
    with_figure(project, "![三分之一宽](images/small.jpg){.third}")
    assert check(project) == 0
    assert "检查通过" in capsys.readouterr().out
    with_figure(project, "![通栏](images/small.jpg)")
    assert check(project) == 2  # the same photo at full width is too coarse for print


def test_a_gallery_photo_names_its_manifest_entry(project, capsys):
    # The gallery sets a row no taller than its photos' pixels allow, down to its lowest row
    # (6 em, 33 mm): a photo 200 pixels tall is too coarse even there.
    (project.issue / "gallery").mkdir()
    photo(project.issue / "gallery" / "low.jpg", (300, 200))
    photo(project.issue / "gallery" / "fine.jpg", (3000, 2000))
    manifest = (MINIMAL_MANIFEST + "  - title: 学习掠影\n    kind: gallery\n    photos:\n"
                "      - file: gallery/fine.jpg\n        caption: 清晰\n"
                "      - file: gallery/low.jpg\n        caption: 模糊\n")
    project.write("issue.yaml", manifest)
    line = manifest.splitlines().index("      - file: gallery/low.jpg") + 1
    assert check(project) == 2
    error = capsys.readouterr().err
    assert (f"issues/test/issue.yaml:{line}：sections[2].photos[1]（第 3 个栏目的第 2 张照片）："
            "图片 “gallery/low.jpg”（300×200 像素）置入 50×33 mm") in error
    assert "印刷至少需要 300 dpi：请换用更大的原图" in error
    assert "fine.jpg" not in error


@pytest.fixture(scope="module")
def placed_project(tmp_path_factory) -> Project:
    """Photos in every arrangement the layout has, each with its own pixel width."""
    project = make_project(tmp_path_factory.mktemp("placed"))
    images = project.issue / "articles" / "images"
    arrangements = [
        "![通栏](images/p2000.jpg)", "![竖幅](images/p2002.jpg)",  # the portrait hits max-height
        "![半栏](images/p2004.jpg){.half}", "![三分之一](images/p2006.jpg){.third}",
        "![左](images/p2008.jpg)\n![右](images/p2010.jpg)",
        "![一](images/p2012.jpg)\n![二](images/p2014.jpg)\n![三](images/p2016.jpg)",
    ]
    portraits = (2002, 2010, 2022)  # capped by the figure, row and gallery heights
    for width in range(2000, 2018, 2):
        photo(images / f"p{width}.jpg", (width, 3000) if width in portraits else (width, 1333))
    for width in (2020, 2022, 2024, 2026):
        photo(project.issue / "gallery" / f"g{width}.jpg",
              (width, 3000) if width in portraits else (width, 1333))
    body = "\n\n".join(f"段落。\n\n{figure}" for figure in arrangements)
    project.write("articles/b.md", f"---\ntitle: 第二篇文章\n---\n\n{body}\n")
    gallery = "".join(f"      - file: gallery/g{width}.jpg\n        caption: 图{width}\n"
                      for width in (2020, 2022))
    gallery3 = "".join(f"      - file: gallery/g{width}.jpg\n        caption: 图{width}\n"
                       for width in (2024, 2026))
    project.write("issue.yaml", MINIMAL_MANIFEST
                  + f"  - title: 掠影\n    kind: gallery\n    photos:\n{gallery}"
                  + f"  - title: 三栏\n    kind: gallery\n    columns: 3\n    photos:\n{gallery3}")
    assert project.build("--profile", "print") == 0
    return project


def test_declared_photo_sizes_are_what_the_layout_prints(placed_project):
    """layout.yaml's photo_sizes against the print PDF: every photo as large as declared."""
    issue = load_issue(placed_project.issue)
    layout = load_layout(placed_project.root / "layouts", issue)
    sections = load_articles(issue)
    expected = {}
    text_width = layout.fit.text_width_mm[issue.paper]
    assert text_width == A4_TEXT_WIDTH_MM
    for placed in placements(issue, sections, layout):
        pixels = original_size(placed.path)
        expected[pixels[0]] = fitted(pixels, placed.width_mm, placed.max_height_mm)
    assert len(expected) == 13
    with pdfplumber.open(placed_project.print_pdf) as pdf:
        measured = {int(image["srcsize"][0]): ((image["x1"] - image["x0"]) / MM,
                                               (image["bottom"] - image["top"]) / MM)
                    for page in pdf.pages for image in page.images}
    assert set(measured) == set(expected)
    for width, (placed_width, placed_height) in measured.items():
        assert placed_width == pytest.approx(expected[width][0], abs=0.5), width
        assert placed_height == pytest.approx(expected[width][1], abs=0.5), width


def test_bad_photo_sizes_in_the_layout_are_reported(project, capsys):
    layout = project.root / "layouts" / "bulletin" / "layout.yaml"
    text = layout.read_text(encoding="utf-8")
    layout.write_text(text.replace("figure: {full: 1.0, half: 0.5,", "figure: {full: 1.5, half: 0.5,"),
                      encoding="utf-8")
    line = next(number for number, content in enumerate(text.splitlines(), 1)
                if content.startswith("  figure: "))
    assert check(project) == 2
    error = capsys.readouterr().err
    assert (f"layout.yaml:{line}：photo_sizes.figure：full："
            "占版心宽的比例应在 0 与 1 之间，而不是 1.5") in error
    layout.write_text(text.replace("min_row_height_em: 6", "min_row_height_em: 0"),
                      encoding="utf-8")
    assert check(project) == 2
    assert "photo_sizes.gallery.min_row_height_em：应为大于 0 的数，而不是 0" in capsys.readouterr().err
