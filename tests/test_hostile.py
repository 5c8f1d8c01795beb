"""Hostile and careless input (issue 9): nothing read from outside the project, bounded time and
memory, broken resources reported as the user's mistakes (exit 2, file and line, no PDF)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pikepdf
import pytest
from conftest import MINIMAL_ARTICLES, MINIMAL_MANIFEST, Project
from PIL import Image

from bulletin_pdf.cli import main
from bulletin_pdf.pdf import ForbiddenResource, LocalFetcher

GOOD_PDF = b"%PDF-1.7 a good PDF from an earlier build\n"
WENKAI = Path("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf")


def failed(project: Project, capsys: pytest.CaptureFixture[str], *command: str) -> str:
    """Run `check` or `build` over an earlier good PDF: exit 2, that PDF untouched; the messages."""
    project.pdf.parent.mkdir(parents=True, exist_ok=True)
    project.pdf.write_bytes(GOOD_PDF)
    capsys.readouterr()
    if command[0] == "build":
        assert project.build(*command[1:]) == 2
    else:
        assert main([*command, "-q", str(project.issue)]) == 2
    assert project.pdf.read_bytes() == GOOD_PDF
    assert [path.name for path in project.pdf.parent.iterdir()] == ["test.pdf"]
    error = capsys.readouterr().err
    assert "内部错误" not in error and "Traceback" not in error
    return error


def manifest_line(project: Project, text: str) -> int:
    lines = (project.issue / "issue.yaml").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


# Run the command line in a child process whose address space is capped, and measure it.
MEASURED = """\
import resource, subprocess, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
code = subprocess.run([sys.executable, "-m", "bulletin_pdf", *sys.argv[2:]]).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
sys.exit(code)
"""


def measured(*arguments: str, limit_gb: float = 3) -> tuple[int, str, float, int]:
    """(exit code, stderr, seconds, peak RSS in MB of the largest process) of `bulletin-pdf …`."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", MEASURED, str(int(limit_gb * 2**30)), *arguments],
                            capture_output=True, text=True, timeout=120)
    return (result.returncode, result.stderr, time.perf_counter() - started,
            int(result.stdout.split()[-1]))


# --- Nothing read from outside the project -------------------------------------------------------

def outside_layout(project: Project) -> Path:
    """A complete layout outside `layouts/`: the build would print with it if it were accepted."""
    folder = project.root.parent / f"{project.root.name}-elsewhere" / "evil"
    shutil.copytree(project.root / "layouts" / "bulletin", folder)
    return folder


@pytest.mark.parametrize("kind", ["absolute", "relative", "symlink"])
def test_layout_is_a_folder_name_in_layouts_never_a_path(project, capsys, kind):
    folder = outside_layout(project)
    if kind == "symlink":
        (project.root / "layouts" / "evil").symlink_to(folder)
        value = "evil"
    else:
        value = str(folder) if kind == "absolute" else os.path.relpath(folder, project.root / "layouts")
    project.write("issue.yaml", MINIMAL_MANIFEST.replace("sections:", f"layout: {value}\nsections:"))
    error = failed(project, capsys, "build")
    line = manifest_line(project, "layout:")
    assert f"issue.yaml:{line}：layout：版式 “{value}” " in error
    assert ("不写路径" if kind != "symlink" else "指向 layouts/ 之外") in error
    assert "可用版式：bulletin" in error


def test_a_template_linked_from_outside_the_layout_is_refused(project, capsys):
    secret = project.root.parent / f"{project.root.name}-secret.html.j2"
    secret.write_text("<p>不该印出的秘密</p>\n", encoding="utf-8")
    colophon = project.root / "layouts" / "bulletin" / "templates" / "cover.html.j2"
    colophon.unlink()
    colophon.symlink_to(secret)
    error = failed(project, capsys, "check")
    assert "templates/cover.html.j2：模板 “cover.html.j2” 指向版式文件夹之外" in error


def test_a_stylesheet_linked_from_outside_the_layout_is_refused_by_check(project, capsys):
    outside = project.root.parent / f"{project.root.name}-outside.css"
    stylesheet = project.root / "layouts" / "bulletin" / "css" / "paper-a4.css"
    shutil.copy(stylesheet, outside)
    stylesheet.unlink()
    stylesheet.symlink_to(outside)
    error = failed(project, capsys, "check")
    assert "css/paper-a4.css：样式表指向版式文件夹之外" in error


def test_a_photo_linked_from_outside_the_issue_is_refused(project, capsys):
    outside = project.root / "outside.jpg"
    Image.new("RGB", (3000, 2000), (200, 30, 30)).save(outside)
    images = project.issue / "articles" / "images"
    images.mkdir(parents=True)
    (images / "photo.jpg").symlink_to(outside)
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + "\n![照片](images/photo.jpg)\n")
    error = failed(project, capsys, "build")
    assert re.search(r"articles/b.md:8：.*“images/photo.jpg”.*期刊文件夹之外", error), error


def test_a_font_file_linked_from_outside_fonts_is_refused(project, capsys):
    (project.root / "fonts" / "kai.ttf").symlink_to(WENKAI)
    kai_from_file(project, "kai.ttf")
    error = failed(project, capsys, "build")
    assert re.search(r"fonts/fonts.yaml:\d+：roles.kai.fonts.*字体文件 “kai.ttf”指向 fonts/ 之外", error)


def kai_from_file(project: Project, name: str) -> None:
    """The 楷体 role printed with the file `fonts/<name>` instead of the installed LXGW WenKai."""
    fonts_yaml = project.root / "fonts" / "fonts.yaml"
    text = fonts_yaml.read_text(encoding="utf-8")
    fonts_yaml.write_text(text.replace("      - family: LXGW WenKai", f"      - file: {name}"),
                          encoding="utf-8")


def test_the_fetcher_reads_only_real_files_under_its_roots(tmp_path):
    root = tmp_path / "issue"
    root.mkdir()
    (root / "inside.css").write_text("p { color: red; }", encoding="utf-8")
    secret = tmp_path / "secret.css"
    secret.write_text("p { color: blue; }", encoding="utf-8")
    (root / "link.css").symlink_to(secret)
    fetcher = LocalFetcher((root,))
    assert fetcher.fetch((root / "inside.css").as_uri()).read() == b"p { color: red; }"
    for url in [(root / "link.css").as_uri(), secret.as_uri(), f"file://example.com{root}/inside.css",
                (root / ".." / "secret.css").as_uri(), "http://example.com/x.css",
                "data:text/css,p{}"]:
        with pytest.raises(ForbiddenResource):
            fetcher.fetch(url)


SVG_WITH_REFERENCES = """\
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="600" height="300">
  <style>rect.b {{ stroke: url(http://example.com/paint.svg#p); }}</style>
  <rect class="b" width="600" height="300" fill="#2060a0"/>
  <image href="{outside}" width="300" height="300"/>
  <use xlink:href="../../../elsewhere.svg#shape"/>
  <circle cx="450" cy="150" r="100" fill="#2060a0" style="filter: url(file:///etc/f.svg#x)"/>
</svg>
"""


def test_svg_references_are_dropped_with_a_warning_naming_file_and_reference(project, capsys):
    outside = project.root / "outside.png"
    Image.new("RGB", (300, 300), (250, 20, 20)).save(outside)
    images = project.issue / "articles" / "images"
    images.mkdir(parents=True)
    (images / "chart.svg").write_text(SVG_WITH_REFERENCES.format(outside=outside.as_uri()),
                                      encoding="utf-8")
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + "\n![图表](images/chart.svg)\n")
    capsys.readouterr()
    assert main(["check", "-q", str(project.issue)]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "chart.svg" in line]
    for reference in (outside.as_uri(), "../../../elsewhere.svg#shape",
                      "http://example.com/paint.svg#p", "file:///etc/f.svg#x"):
        assert any(f"articles/b.md:8：SVG 图片 “articles/images/chart.svg” 引用了其他文件 “{reference}”"
                   in line for line in warnings), reference
    assert project.build() == 0
    # The picture itself is drawn (before, one forbidden reference lost all of it, silently) …
    page = rendered_colour_page(project.pdf, (0x20, 0x60, 0xa0))
    assert page is not None
    # … and nothing it referred to: the red picture outside the issue is nowhere.
    assert rendered_colour_page(project.pdf, (250, 20, 20)) is None
    with pikepdf.open(project.pdf) as pdf:
        assert not [name for page in pdf.pages for name, xobject
                    in page.Resources.get("/XObject", {}).items()
                    if xobject.get("/Subtype") == pikepdf.Name.Image]


def rendered_colour_page(pdf: Path, colour: tuple[int, int, int]) -> int | None:
    """The first page (1-based) on which a patch of `colour` is seen when rendered."""
    with pikepdf.open(pdf) as document:
        count = len(document.pages)
    for page in range(1, count + 1):
        png = subprocess.run(["pdftoppm", "-r", "20", "-f", str(page), "-l", str(page), "-png", str(pdf)],
                             capture_output=True, check=True).stdout
        pixels = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
        near = sum(1 for index in range(0, len(pixels), 3)
                   if all(abs(pixels[index + channel] - colour[channel]) <= 12 for channel in range(3)))
        if near >= 20:
            return page
    return None


# --- Bounded time and memory ---------------------------------------------------------------------

BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_a_yaml_alias_bomb_fails_fast_in_little_memory(project):
    project.write("issue.yaml", MINIMAL_MANIFEST + BILLION_LAUGHS)
    code, error, seconds, peak_mb = measured("check", str(project.issue))
    line = MINIMAL_MANIFEST.count("\n") + 4  # the first alias that goes past the limit: *c
    assert code == 2, error
    assert f"issue.yaml:{line}：YAML 别名 “*c” 展开后，别名共代表超过 1000 个值" in error
    assert seconds < 30 and peak_mb < 400, (seconds, peak_mb)


# 9^5 values: small enough that walking them does not hurt, far over the limit (at *c, line 4).
SMALL_BOMB = "\n".join(BILLION_LAUGHS.splitlines()[:5])


@pytest.mark.parametrize("where", ["front matter", "fonts.yaml", "layout.yaml"])
def test_every_yaml_file_refuses_alias_bombs(project, capsys, where):
    if where == "front matter":
        project.write("articles/b.md", "---\ntitle: 第二篇\n" + SMALL_BOMB + "\n---\n\n正文。\n")
        file, line = "articles/b.md", 2 + 4
    else:
        path = project.root / ("fonts" if where == "fonts.yaml" else "layouts/bulletin") / where
        text = path.read_text(encoding="utf-8")
        path.write_text(text + SMALL_BOMB + "\n", encoding="utf-8")
        file, line = where, text.count("\n") + 4
    error = failed(project, capsys, "check")
    assert f"{file}:{line}：YAML 别名 “*c” 展开后" in error


def test_an_alias_inside_itself_is_refused(project, capsys):
    project.write("issue.yaml", MINIMAL_MANIFEST + "loop: &loop [1, *loop]\n")
    error = failed(project, capsys, "check")
    assert "YAML 别名 “*loop” 引用了包含它自己的内容" in error


@pytest.mark.parametrize(("mistake", "replace", "line", "message"), [
    ("full-width colon", ("publisher: 测试单位", "publisher：测试单位"), 5,
     "“publisher：” 用了全角冒号：键后须为半角冒号加空格，如 “publisher: …”"),
    ("full-width colon in a list", ("  - title: 感悟", "  - title：感悟"), 11, "“title：” 用了全角冒号"),
    ("full-width space", ("publisher: 测试单位", "publisher:\u3000测试单位"), 5, "用了全角空格"),
    ("full-width indent", ("      - articles/c.md", "\u3000\u3000\u3000- articles/c.md"), 15,
     "用了全角空格"),
    ("tab", ("  - title: 感悟", "\t- title: 感悟"), 11, "用了制表符（Tab）"),
    ("unclosed quote", ("slogan: 测试口号", 'slogan: "测试口号'), 2, "引号没有配对"),
    ("unclosed bracket", ("      - articles/a.md\n      - articles/b.md",
                          "      [articles/a.md, articles/b.md"), 9, "方括号 “[” 没有配对的 “]”"),
    ("no space after the colon", ("number: 3", "number:3"), 3, "“number:” 后缺少空格"),
])
def test_yaml_syntax_errors_name_the_mistake_at_its_line(project, capsys, mistake, replace, line,
                                                        message):
    project.write("issue.yaml", MINIMAL_MANIFEST.replace(*replace))
    error = failed(project, capsys, "check")
    assert f"issue.yaml:{line}：" in error and message in error, error


def test_yaml_syntax_errors_in_front_matter_count_lines_of_the_whole_file(project, capsys):
    project.write("articles/b.md", "---\ntitle: 第二篇\nauthors：[王五]\n---\n\n正文。\n")
    error = failed(project, capsys, "check")
    assert "articles/b.md:3：YAML 语法错误：“authors：” 用了全角冒号" in error


def bomb_png(path: Path, width: int, height: int) -> None:
    """A real, valid RGB PNG of `width`×`height` that is tiny on disk: a decompression bomb."""
    row = b"\0" * (1 + 3 * width)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (len(body).to_bytes(4, "big") + kind + body
                + zlib.crc32(kind + body).to_bytes(4, "big"))

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data)
                     + chunk(b"IEND", b""))


def test_a_photo_over_the_pixel_limit_is_refused_quickly_before_decoding(project, tmp_path):
    images = project.issue / "articles" / "images"
    images.mkdir(parents=True)
    bomb_png(images / "huge.png", 12000, 12000)  # 432 MB decoded
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + "\n![大图](images/huge.png)\n")
    code, error, seconds, peak_mb = measured("build", "--profile", "all", str(project.issue))
    assert code == 2, error
    assert ("articles/b.md:8：图片 “articles/images/huge.png” 有 12000×12000 像素（144 百万像素），"
            "超过上限 100 百万像素") in error
    assert "DecompressionBomb" not in error and "Traceback" not in error
    assert not project.pdf.exists() and not project.print_pdf.exists()
    assert seconds < 30 and peak_mb < 400, (seconds, peak_mb)


def test_the_pixel_limit_is_set_in_the_layout(project, capsys):
    images = project.issue / "articles" / "images"
    images.mkdir(parents=True)
    Image.new("RGB", (3000, 2000), (90, 120, 160)).save(images / "photo.jpg", dpi=(300, 300))
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + "\n![照片](images/photo.jpg)\n")
    layout = project.root / "layouts" / "bulletin" / "layout.yaml"
    layout.write_text(layout.read_text(encoding="utf-8") + "max_image_megapixels: 5\n",
                      encoding="utf-8")
    error = failed(project, capsys, "build")
    assert "图片 “articles/images/photo.jpg” 有 3000×2000 像素（6 百万像素），超过上限 5 百万像素" in error


def test_a_huge_photo_prints_decoded_at_reduced_scale_in_bounded_memory(project):
    images = project.issue / "articles" / "images"
    images.mkdir(parents=True)
    Image.new("RGB", (8000, 6000), (90, 120, 160)).save(images / "huge.jpg", dpi=(300, 300))
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + "\n![大照片](images/huge.jpg)\n")
    code, error, _, peak_mb = measured("build", "--profile", "print", str(project.issue))
    assert code == 0, error
    # 48 megapixels decoded at half scale: 12 megapixels, still 650 dpi across the text block.
    with pikepdf.open(project.print_pdf) as pdf:
        (image,) = {xobject.objgen: xobject for page in pdf.pages
                    for xobject in page.Resources.get("/XObject", {}).values()
                    if xobject.get("/Subtype") == pikepdf.Name.Image}.values()
        assert (int(image.Width), int(image.Height)) == (4000, 3000)
    assert peak_mb < 400, peak_mb


def truncated(source: Path, target: Path) -> None:
    data = source.read_bytes()
    target.write_bytes(data[:len(data) // 2])


@pytest.mark.parametrize("suffix", ["jpg", "png"])
@pytest.mark.parametrize("command", ["check", "build"])
def test_a_photo_that_does_not_decode_to_the_end_is_an_error(project, capsys, suffix, command):
    images = project.issue / "articles" / "images"
    images.mkdir(parents=True)
    whole = project.root / f"whole.{suffix}"
    noise(whole)
    truncated(whole, images / f"cut.{suffix}")
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + f"\n![半张照片](images/cut.{suffix})\n")
    error = failed(project, capsys, command)
    # (The article names the file as written; a PNG's broken checksums are found as it is read.)
    assert re.search(rf"articles/b.md:8：图片 “(articles/)?images/cut.{suffix}” "
                     "(无法完整读取：文件不完整或已损坏|无法读取：不是有效的图片文件)", error), error


def noise(path: Path) -> None:
    """A photo that compresses poorly, at 300 dpi when set full width: every byte matters."""
    Image.effect_noise((2000, 1300), 60).convert("RGB").save(path, dpi=(300, 300))


def test_a_truncated_gallery_photo_names_its_manifest_entry(project, capsys):
    whole = project.root / "whole.jpg"
    noise(whole)
    (project.issue / "gallery").mkdir()
    truncated(whole, project.issue / "gallery" / "cut.jpg")
    project.write("issue.yaml", MINIMAL_MANIFEST + "  - title: 学习掠影\n    kind: gallery\n"
                  "    photos:\n      - file: gallery/cut.jpg\n        caption: 半张\n")
    error = failed(project, capsys, "check")
    line = manifest_line(project, "file: gallery/cut.jpg")
    assert re.search(rf"issue.yaml:{line}：sections\[2\].photos\[0\].*：图片 “gallery/cut.jpg” 无法完整读取",
                     error), error


# --- Broken resources are the user's mistakes ----------------------------------------------------

def broken_font(path: Path) -> None:
    data = WENKAI.read_bytes()
    path.write_bytes(data[:len(data) // 3])


def test_a_broken_font_file_nobody_uses_does_not_stop_the_build(project, capsys):
    broken_font(project.root / "fonts" / "broken.ttf")
    assert project.build() == 0
    assert "fonts/broken.ttf：字体文件无法读取" in capsys.readouterr().err


def test_a_broken_font_file_in_use_is_named(project, capsys):
    broken_font(project.root / "fonts" / "kai.ttf")
    kai_from_file(project, "kai.ttf")
    error = failed(project, capsys, "build")
    assert re.search(r"fonts/fonts.yaml:\d+：roles.kai.fonts.*字体文件 “kai.ttf”无法读取：文件不完整", error)


def append_to_layout_file(project: Project, relative: str, text: str) -> int:
    """Add `text` as the last line of a file of the layout; its line number."""
    path = project.root / "layouts" / "bulletin" / relative
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, text]) + "\n", encoding="utf-8")
    return len(lines) + 1


@pytest.mark.parametrize(("text", "message"), [
    ("<p>{{ issue.nmae }}</p>", "模板错误：“bulletin_pdf.manifest.Issue object” 没有属性 “nmae”"),
    ("<p>{{ undefined_thing }}</p>", "模板错误：未定义的变量 “undefined_thing”"),
    ("<p>{% if %}</p>", "模板语法错误"),
])
def test_template_errors_name_template_and_line_once(project, capsys, text, message):
    line = append_to_layout_file(project, "templates/cover.html.j2", text)
    error = failed(project, capsys, "check")
    assert f"templates/cover.html.j2:{line}：{message}" in error
    # A real build lays out screen and print in two processes: still said once.
    build = subprocess.run([sys.executable, "-m", "bulletin_pdf", "build", "--profile", "all",
                            str(project.issue)], capture_output=True, text=True)
    assert build.returncode == 2 and build.stderr.count(f"cover.html.j2:{line}") == 1, build.stderr


def test_css_problems_name_stylesheet_and_line_and_are_shown_once(project, capsys):
    line = append_to_layout_file(project, "css/bulletin.css", ".masthead { colr: red; margin: banana; }")
    capsys.readouterr()
    assert main(["check", "-q", str(project.issue)]) == 0
    error = capsys.readouterr().err
    assert f"css/bulletin.css:{line}：样式 “colr: red” 被 WeasyPrint 忽略（未知的属性）" in error
    assert f"css/bulletin.css:{line}：样式 “margin: banana” 被 WeasyPrint 忽略（无效的值）" in error
    assert project.build("--profile", "all") == 0
    error = capsys.readouterr().err
    assert error.count("colr") == 1 and error.count("banana") == 1, error
    assert "排版警告" not in error and "WeasyPrint 警告" not in error
    project.print_pdf.unlink()
    strict = failed(project, capsys, "build", "--strict")
    assert f"css/bulletin.css:{line}：样式 “colr: red” 被 WeasyPrint 忽略" in strict
