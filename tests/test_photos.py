"""Figures in articles and the gallery, built for screen and print and read back."""

from __future__ import annotations

import re
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from conftest import MINIMAL_ARTICLES, MINIMAL_MANIFEST, Project, make_project
from pdfread import MM, squash, trim_box
from PIL import Image

FILLER = "这是一段用来填充版面的文字，" * 12
# Each photo has its own pixel width, so that it can be recognised in the PDF.
FIGURES = [("第一张照片", (3000, 2000)), ("竖幅照片", (2002, 3000)), ("左图", (3004, 2000)),
           ("右图", (3006, 2000)), ("末尾照片", (3008, 2000))]
GALLERY = [("掠影" + "甲乙丙丁戊"[i], (3010 + 2 * i, 2000) if i != 2 else (2006, 3000)) for i in range(5)]


def photo(path: Path, size: tuple[int, int], shade: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (60 + shade * 20 % 160, 90, 140)).save(path, quality=70, dpi=(300, 300))


@pytest.fixture(scope="module")
def photo_project(tmp_path_factory) -> Project:
    project = make_project(tmp_path_factory.mktemp("photos"))
    images = project.issue / "articles" / "images"
    for index, (_caption, size) in enumerate(FIGURES):
        photo(images / f"f{index}.jpg", size, index)
    for index, (_caption, size) in enumerate(GALLERY):
        photo(project.issue / "gallery" / f"g{index}.jpg", size, index + 5)
    body = "\n\n".join([FILLER] * 5 + ["![第一张照片](images/f0.jpg)", FILLER,
                                       "![竖幅照片](images/f1.jpg)", FILLER,
                                       "![左图](images/f2.jpg)\n![右图](images/f3.jpg)",
                                       FILLER, FILLER, "![末尾照片](images/f4.jpg){.half}"])
    project.write("articles/a.md", "---\ntitle: 图片测试\n---\n\n" + body + "\n")
    gallery = "".join(f"      - file: gallery/g{index}.jpg\n        caption: {caption}\n"
                      for index, (caption, _) in enumerate(GALLERY))
    project.write("issue.yaml", MINIMAL_MANIFEST + "  - title: 学习掠影\n    kind: gallery\n"
                  "    columns: 2\n    photos:\n" + gallery)
    assert project.build("--profile", "all") == 0
    return project


def placements(path: Path) -> list[dict]:
    """Every image drawn, with its page, box and pixel size."""
    found = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            left, top, right, bottom = trim_box(page)
            for image in page.images:
                found.append({"page": number, "x0": image["x0"], "x1": image["x1"],
                              "top": image["top"], "bottom": image["bottom"],
                              "pixels": tuple(image["srcsize"]),
                              "trim": (left, top, right, bottom)})
    return found


def test_every_photo_appears_once_in_source_order(photo_project):
    placed = placements(photo_project.print_pdf)
    widths = [image["pixels"][0] for image in placed]
    expected = [size[0] for _, size in FIGURES] + [size[0] for _, size in GALLERY]
    assert sorted(widths) == sorted(expected)  # each once
    article = [w for w in widths if w in {size[0] for _, size in FIGURES}]
    assert article == [size[0] for _, size in FIGURES]  # floated figures keep their order


def test_no_photo_crosses_the_trim_or_the_text_block(photo_project):
    for image in placements(photo_project.print_pdf):
        left, top, right, bottom = image["trim"]
        assert left + 20 * MM < image["x0"] < image["x1"] < right - 20 * MM, image
        assert top + 30 * MM < image["top"] < image["bottom"] < bottom - 30 * MM, image


def test_captions_sit_under_their_photo_on_the_same_page(photo_project):
    placed = placements(photo_project.pdf)
    by_width = sorted(placed, key=lambda image: (image["page"], image["top"], image["x0"]))
    with pdfplumber.open(photo_project.pdf) as pdf:
        for caption, _ in FIGURES + GALLERY:
            hits = []
            for number, page in enumerate(pdf.pages, 1):
                for word in page.extract_words():
                    if word["text"] == caption:
                        hits.append((number, word))
            assert len(hits) == 1, caption
            number, word = hits[0]
            above = [image for image in by_width if image["page"] == number
                     and image["x0"] - 1 <= word["x0"] and word["x1"] <= image["x1"] + 1
                     and 0 <= word["top"] - image["bottom"] < 10 * MM]
            assert above, f"{caption} is not right under a photo on page {number}"


def test_gallery_rows_fill_pages_in_order(photo_project):
    gallery_widths = [size[0] for _, size in GALLERY]
    placed = [image for image in placements(photo_project.print_pdf)
              if image["pixels"][0] in gallery_widths]
    assert [image["pixels"][0] for image in placed] == gallery_widths
    pages = sorted({image["page"] for image in placed})
    counts = [sum(1 for image in placed if image["page"] == page) for page in pages]
    assert sum(counts) == len(GALLERY)
    assert all(count % 2 == 0 for count in counts[:-1])  # whole rows of two
    rows = {}
    for image in placed:
        rows.setdefault((image["page"], round(image["top"])), []).append(image)
    assert all(len(row) <= 2 for row in rows.values())


def test_screen_photos_are_downsampled_print_photos_are_not(photo_project):
    for image in placements(photo_project.pdf):
        placed_inches = (image["x1"] - image["x0"]) / 72
        assert image["pixels"][0] / placed_inches == pytest.approx(150, abs=8)
    print_widths = sorted(image["pixels"][0] for image in placements(photo_project.print_pdf))
    assert print_widths == sorted(size[0] for _, size in FIGURES + GALLERY)
    with pikepdf.open(photo_project.print_pdf) as pdf:
        spaces = {str(xobject.ColorSpace) for page in pdf.pages
                  for xobject in page.Resources.get("/XObject", {}).values()
                  if xobject.Subtype == pikepdf.Name.Image}
    assert spaces == {"/DeviceCMYK"}


def test_exif_orientation_and_cmyk_jpeg(project):
    images = project.issue / "articles" / "images"
    images.mkdir(parents=True)
    rotated = Image.new("RGB", (3000, 2000), (120, 60, 60))
    exif = rotated.getexif()
    exif[0x0112] = 6  # the camera was turned: show it portrait
    rotated.save(images / "rotated.jpg", exif=exif, quality=70)
    Image.new("RGB", (3000, 2000), (40, 120, 60)).convert("CMYK").save(images / "cmyk.jpg")
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"]
                  + "\n![转过来的照片](images/rotated.jpg)\n\n![四色照片](images/cmyk.jpg)\n")
    assert project.build("--profile", "all") == 0
    for path in (project.pdf, project.print_pdf):
        placed = sorted(placements(path), key=lambda image: (image["page"], image["top"]))
        portrait, landscape = placed
        assert portrait["bottom"] - portrait["top"] > portrait["x1"] - portrait["x0"]
        assert landscape["bottom"] - landscape["top"] < landscape["x1"] - landscape["x0"]


def test_low_resolution_photo_is_named_with_its_size(project, capsys):
    images = project.issue / "articles" / "images"
    images.mkdir(parents=True)
    (images / "low.jpg").write_bytes((Path(__file__).parent / "data" / "low-res.jpg").read_bytes())
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + "\n![低分辨率照片](images/low.jpg)\n")
    assert project.build("--profile", "print") == 2
    error = capsys.readouterr().err
    assert re.search(r"图片 “articles/images/low.jpg”（640×427 像素）置入 156×104 mm，有效分辨率仅 "
                     r"\d+ dpi，印刷至少需要 300 dpi", error)
    assert not project.print_pdf.exists()
    assert project.build() == 0  # screen: 104 dpi is only a warning
    assert "屏幕至少需要 150 dpi" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "message"), [
    (b"not an image at all", "图片 “images/bad.jpg” 无法读取：不是有效的图片文件"),
    (b"<html></html>", "图片 “images/bad.svg” 不是有效的 SVG 图片"),
])
def test_files_that_are_not_images(project, capsys, content, message):
    suffix = ".svg" if b"html" in content else ".jpg"
    path = project.issue / "articles" / "images" / f"bad{suffix}"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + f"\n![坏图](images/bad{suffix})\n")
    assert project.build() == 2
    assert f"articles/b.md:8：{message}" in capsys.readouterr().err
    assert not project.pdf.exists()


def test_only_width_attributes_on_images(project, capsys):
    photo(project.issue / "articles" / "images" / "ok.jpg", (3000, 2000), 1)
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"]
                  + '\n![图](images/ok.jpg){style="display:none"}\n')
    assert project.build() == 2
    assert "的属性只能是宽度：{.full}、{.half}、{.third}" in capsys.readouterr().err


def test_gallery_mistakes_are_reported_with_their_keys(project, capsys):
    project.write("issue.yaml", MINIMAL_MANIFEST + "  - title: 学习掠影\n    kind: gallery\n"
                  "    photos:\n      - file: gallery/missing.jpg\n        caption: 缺\n"
                  "      - file: ../outside.jpg\n        caption: 外\n      - caption: 无文件\n"
                  "  - title: 空栏目\n    kind: gallery\n")
    assert project.build() == 2
    error = capsys.readouterr().err
    assert ("sections[2].photos[0].file（第 3 个栏目的第 1 张照片）："
            "图片 “gallery/missing.jpg” 不存在") in error
    assert ("sections[2].photos[1].file（第 3 个栏目的第 2 张照片）："
            "图片 “../outside.jpg” 在期刊文件夹之外") in error
    assert "sections[2].photos[2].file（第 3 个栏目的第 3 张照片）：缺少必填的键 “file”" in error
    # A gallery listing nothing yet is no mistake: `new` writes them so (test_new_issue.py).
    assert "sections[3]" not in error


def test_gallery_is_a_section_of_the_contents_and_outline(photo_project):
    with pikepdf.open(photo_project.pdf) as pdf, pdf.open_outline() as outline:
        assert [item.title for item in outline.root][-1] == "【学习掠影】"
    with pdfplumber.open(photo_project.pdf) as pdf:
        contents = squash(pdf.pages[0].extract_text())
    assert re.search(r"【学习掠影】\.+\d+", contents)


def test_svg_and_transparent_png(project):
    images = project.issue / "articles" / "images"
    images.mkdir(parents=True)
    (images / "chart.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="300">'
        '<rect width="600" height="300" fill="#2060a0"/></svg>', encoding="utf-8")
    logo = Image.new("RGBA", (3000, 2000), (0, 0, 0, 0))
    logo.paste((200, 30, 30, 255), (500, 500, 2500, 1500))
    logo.save(images / "logo.png")
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"]
                  + "\n![矢量图](images/chart.svg)\n\n![透明底标志](images/logo.png)\n")
    assert project.build("--profile", "all") == 0
    for path in (project.pdf, project.print_pdf):
        text = squash("".join(page.extract_text() for page in pdfplumber.open(path).pages))
        assert "矢量图" in text and "透明底标志" in text
    with pikepdf.open(project.print_pdf) as pdf:
        images = {xobject.objgen: xobject for page in pdf.pages
                  for xobject in page.Resources.get("/XObject", {}).values()
                  if xobject.get("/Subtype") == pikepdf.Name.Image}
        (png,) = [image for image in images.values() if int(image.Width) == 3000]
        # Print: flattened on white paper and converted, so no transparency is left.
        assert str(png.ColorSpace) == "/DeviceCMYK" and "/SMask" not in png
        # The SVG's RGB fill was rewritten in CMYK: preflight passed as part of the build.
        operators = {str(op) for page in pdf.pages for _, op in pikepdf.parse_content_stream(page)}
        assert not operators & {"rg", "RG"}
