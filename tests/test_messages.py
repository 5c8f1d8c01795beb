"""Messages an office worker can act on: the value given, the line, the file meant, Chinese help.

Each bad input: exit 2, a Chinese message naming file, line and key, no PDF written.
"""

from __future__ import annotations

import argparse
import gettext
import json
import re
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from conftest import MINIMAL_ARTICLES, MINIMAL_MANIFEST, ROOT, Project
from PIL import Image
from test_bad_input import failed_build
from test_preflight import make_pdf

from bulletin_pdf import build
from bulletin_pdf.cli import main

SUGGESTION = re.compile(r"是否想写 “([^”]+)”")


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of `text` containing `needle`."""
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def photo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (3000, 2000), (90, 120, 150)).save(path, quality=70, dpi=(300, 300))


# 1. The value given, the place it was given ---------------------------------

@pytest.mark.parametrize(("written", "shown"), [
    ("0", "0"), ("-2", "-2"), ("1.5", "1.5"), ("三", "“三”"), ("[1, 2]", "列表 [1, 2]"),
])
def test_a_wrong_value_is_named(project, capsys, written, shown):
    manifest = MINIMAL_MANIFEST.replace("number: 3", f"number: {written}")
    project.write("issue.yaml", manifest)
    error = failed_build(project, capsys)
    assert f"issue.yaml:{line_of(manifest, 'number:')}：number：应为正整数，而不是 {shown}\n" in error


def test_a_wrong_choice_is_named_with_the_nearest_option(project, capsys):
    manifest = MINIMAL_MANIFEST.replace("publisher: 测试单位\n", "publisher: 测试单位\nbinding: sadle\n")
    project.write("issue.yaml", manifest)
    error = failed_build(project, capsys)
    assert (f"issue.yaml:{line_of(manifest, 'binding:')}：binding：“sadle” 不是可选值；"
            "可选：saddle、perfect、none，是否想写 “saddle”？") in error


@pytest.mark.parametrize(("written", "what"), [
    ("https://example.com/kaiban.jpg", "是网络地址：简报只使用本期文件夹内的文件，请把文件放进期刊文件夹，"),
    ("C:\\照片\\kaiban.jpg", "是绝对路径："),
    ("/home/editor/kaiban.jpg", "是绝对路径："),
    ("file:///home/editor/kaiban.jpg", "是 file: 地址，不是本期文件夹内的文件："),
])
def test_a_gallery_photo_must_be_a_file_in_the_issue(project, capsys, written, what):
    manifest = (MINIMAL_MANIFEST + "  - title: 学习掠影\n    kind: gallery\n    photos:\n"
                f"      - file: '{written}'\n        caption: 开班\n")
    project.write("issue.yaml", manifest)
    error = failed_build(project, capsys)
    assert (f"issue.yaml:{line_of(manifest, 'kaiban.jpg')}：sections[2].photos[0].file"
            f"（第 3 个栏目的第 1 张照片）：图片 “{written}” {what}请写相对于期刊文件夹的路径，"
            "如 gallery/01.jpg") in error
    assert "不存在" not in error


@pytest.mark.parametrize(("key", "value", "message"), [
    ("paper", "Letter", "paper：版式 “bulletin” 不支持纸张 “Letter”；可选：A4、A5"),
    ("layout", "fancy", "layout：版式 “fancy” 不存在；可用版式：bulletin"),
])
def test_paper_and_layout_errors_give_their_line(project, capsys, key, value, message):
    # The key in the middle of the manifest, so that neither line 1 nor the last line is right.
    manifest = MINIMAL_MANIFEST.replace("publisher: 测试单位\n", f"publisher: 测试单位\n{key}: {value}\n")
    project.write("issue.yaml", manifest)
    error = failed_build(project, capsys)
    assert f"issue.yaml:{line_of(manifest, f'{key}:')}：{message}" in error


# 2. "是否想写 …": the file that exists, written as the editor would ----------------

def misspell_article(project: Project, written: str) -> None:
    project.write("issue.yaml", MINIMAL_MANIFEST.replace("articles/b.md", written))


def misspell_photo(project: Project, written: str) -> None:
    photo(project.issue / "articles" / "images" / "IMG_4521.JPG")
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + f"\n![开班]({written})\n")


def misspell_gallery_photo(project: Project, written: str) -> None:
    photo(project.issue / "gallery" / "01-kaiban.jpg")
    project.write("issue.yaml", MINIMAL_MANIFEST + "  - title: 学习掠影\n    kind: gallery\n"
                  f"    photos:\n      - file: {written}\n        caption: 开班\n")


@pytest.mark.parametrize(("misspell", "written", "suggested", "why"), [
    (misspell_article, "articles/B.md", "articles/b.md", "（文件名区分大小写）"),
    (misspell_article, "articles\\b.md", "articles/b.md", "（路径中的 “\\” 应为 “/”）"),
    (misspell_article, "artciles/bb.md", "articles/b.md", ""),
    (misspell_photo, "images/IMG_4521.jpg", "images/IMG_4521.JPG", "（文件名区分大小写）"),
    (misspell_photo, "images\\IMG_4521.JPG", "images/IMG_4521.JPG", "（路径中的 “\\” 应为 “/”）"),
    (misspell_gallery_photo, "Gallery/01-kaiban.JPG", "gallery/01-kaiban.jpg", "（文件名区分大小写）"),
    (misspell_gallery_photo, "gallery/01-kiaban.jpg", "gallery/01-kaiban.jpg", ""),
])
def test_a_missing_file_gets_the_nearest_existing_one(project, capsys, misspell, written,
                                                      suggested, why):
    misspell(project, written)
    error = failed_build(project, capsys)
    assert f"“{written}” 不存在，是否想写 “{suggested}”？{why}" in error
    # The suggestion, followed, builds.
    (found,) = SUGGESTION.findall(error)
    misspell(project, found)
    assert project.build() == 0


def test_no_suggestion_without_a_likely_file(project, capsys):
    misspell_article(project, "articles/zhuanlan-03.md")
    error = failed_build(project, capsys)
    assert "文章文件 “articles/zhuanlan-03.md” 不存在\n" in error


# 3. Several names in one item -------------------------------------------------

@pytest.mark.parametrize(("key", "written", "joined", "mark", "fixed"), [
    ("authors", "[陈思远，刘洋]", "陈思远，刘洋", "，", "[陈思远, 刘洋]"),
    ("authors", "[王五, 陈思远、刘洋]", "陈思远、刘洋", "、", "[王五, 陈思远, 刘洋]"),
    ("authors", "陈思远, 刘洋", "陈思远, 刘洋", ",", "[陈思远, 刘洋]"),
    ("photographers", "[吴昊；钱 堃]", "吴昊；钱 堃", "；", "[吴昊, 钱 堃]"),
])
def test_names_joined_in_one_item_are_refused_with_the_fix(project, capsys, key, written,
                                                          joined, mark, fixed):
    article = f"---\ntitle: 第二篇文章\n{key}: {written}\n---\n\n第二篇的正文。\n"
    project.write("articles/b.md", article)
    error = failed_build(project, capsys)
    assert (f"articles/b.md:{line_of(article, key)}：{key}：“{joined}” 是几个名字写在了一项里"
            f"（中间有“{mark}”）：请写成 {fixed}，名字之间用半角逗号分隔") in error
    # The fix, as the message gives it, builds.
    project.write("articles/b.md", article.replace(written, fixed))
    assert project.build() == 0


# 4. 0-based key paths, counted in words ---------------------------------------

def test_key_paths_are_also_counted_from_one(project, capsys):
    manifest = MINIMAL_MANIFEST.replace("      - articles/c.md", "      - articles/c.md\n"
                                        "      - articles/d.md")
    project.write("issue.yaml", manifest)
    error = failed_build(project, capsys)
    assert (f"issue.yaml:{line_of(manifest, 'articles/d.md')}：sections[1].articles[1]"
            "（第 2 个栏目的第 2 篇文章）：文章文件 “articles/d.md” 不存在") in error


# 5. The command line speaks Chinese -------------------------------------------

COMMANDS = ("build", "watch", "check", "new", "import", "fonts", "lint", "preflight")
# What may stay Latin in the help: what the user types, and acronyms.
LATIN_ALLOWED = {"bulletin", "pdf", "PDF", "X", "CMYK", "HTML", "CSS", "JSON", "CI", "dpi",
                 "Markdown", "Word", "WPS", "LibreOffice", "JPEG", "PNG", "HEIC",
                 "screen", "print", "all", "saddle",
                 "perfect", "none", "Ctrl", "C", "YYYY", "MM", "DD", *COMMANDS}


def help_text(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def latin_words(text: str) -> set[str]:
    """Latin words, leaving out option names (`--icc-profile`), paths (`build/<期刊>.pdf`) and
    values that start with a digit (`--pdfx 1a`)."""
    text = re.sub(r"--?[a-z][a-z-]*|\S*[/.]\S*|\b\d\w*", " ", text)
    return set(re.findall(r"[A-Za-z]+", text))


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_is_chinese_with_a_description_and_an_example(capsys, command):
    text = help_text(capsys, *([command] if command else []))
    assert text.startswith("用法：bulletin-pdf")
    assert "\n选项：\n  -h, --help" in text and "显示本帮助并退出" in text
    assert latin_words(text) <= LATIN_ALLOWED, latin_words(text) - LATIN_ALLOWED
    examples = text.split("示例：\n")[1].splitlines()
    assert examples[0].startswith(f"  bulletin-pdf {command}".rstrip())


def test_help_in_a_plain_process_under_an_english_locale():
    result = subprocess.run([sys.executable, "-m", "bulletin_pdf", "build", "--help"],
                            capture_output=True, text=True, cwd=ROOT,
                            env={"PATH": "/usr/bin:/bin", "LANG": "C", "LC_ALL": "C.UTF-8",
                                 "PYTHONPATH": str(ROOT / "src")})
    assert result.returncode == 0
    assert result.stdout.startswith("用法：bulletin-pdf build") and "显示本帮助并退出" in result.stdout
    assert latin_words(result.stdout) <= LATIN_ALLOWED


@pytest.mark.parametrize(("argv", "message"), [
    (["buidl", "issues/x"], "bulletin-pdf：错误：参数 命令：“buidl” 不是可选值"
                            "（可选：build、watch、check、new、import、fonts、lint、preflight），"
                            "是否想写 “build”？"),
    ([], "bulletin-pdf：错误：缺少必需的参数：命令"),
    (["build"], "bulletin-pdf build：错误：缺少必需的参数：期刊文件夹"),
    (["build", "issues/x", "--bogus"], "错误：无法识别的参数：--bogus"),
    (["build", "issues/x", "--profile", "prnt"],
     "错误：参数 --profile：“prnt” 不是可选值（可选：screen、print、all），是否想写 “print”？"),
    (["preflight", "a.pdf", "--min-dpi", "高"], "错误：参数 --min-dpi：“高” 不是整数"),
    (["preflight", "a.pdf", "--bleed"], "错误：参数 --bleed：后面须跟一个值"),
])
def test_command_line_mistakes_are_chinese(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("用法：bulletin-pdf") and message in error
    assert "usage" not in error and "error" not in error and "argument" not in error


def test_argparse_speaks_english_again_after_our_parser(capsys):
    """The Chinese catalog answers argparse only while our parser runs."""
    help_text(capsys, "build")
    assert argparse._ is gettext.gettext  # type: ignore[attr-defined]
    assert "usage:" in argparse.ArgumentParser(prog="other").format_usage()


@pytest.mark.parametrize("argv", [
    ["--debug", "check", "ISSUE"], ["check", "ISSUE", "--debug"],
])
def test_debug_works_before_and_after_the_command(project, capsys, monkeypatch, argv):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")
    monkeypatch.setattr(build, "prepare", broken)  # a bug in the program, to see it reported
    assert main([str(project.issue) if arg == "ISSUE" else arg for arg in argv]) == 1
    error = capsys.readouterr().err
    assert "Traceback" in error and "ZeroDivisionError: a bug" in error
    assert main(["check", str(project.issue)]) == 1
    error = capsys.readouterr().err
    assert "Traceback" not in error and "内部错误：ZeroDivisionError: a bug" in error


# preflight: which output a file is for, files that are no PDF, a reader that stops

def pdfx_without_boxes(path: Path) -> Path:
    """A file that says it is PDF/X, but has no TrimBox: an error for print only."""
    make_pdf(path)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.docinfo["/GTS_PDFXVersion"] = "PDF/X-1a:2001"
        pdf.save(path)
    return path


@pytest.mark.parametrize(("make", "name", "why"), [
    (pdfx_without_boxes, "from-the-printer.pdf", "文件为 PDF/X-1a:2001"),
    (make_pdf, "2025-001-print.pdf", "文件名以 -print.pdf 结尾"),
])
def test_preflight_checks_a_print_file_for_print(tmp_path, capsys, make, name, why):
    path = make(tmp_path / name)
    assert main(["preflight", str(path), "--json"]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["profile"] == "print"
    assert "boxes" in {finding["rule"] for finding in report["findings"]}  # a print-only rule
    assert f"按印刷版检查（{why}）" in captured.err
    assert main(["preflight", str(path), "--profile", "screen", "--json"]) in (0, 1)
    report = json.loads(capsys.readouterr().out)
    assert report["profile"] == "screen" and "boxes" not in {f["rule"] for f in report["findings"]}


def test_preflight_checks_other_files_for_screen(tmp_path, capsys):
    assert main(["preflight", str(make_pdf(tmp_path / "plain.pdf"))]) == 0
    captured = capsys.readouterr()
    assert "（按屏幕版，非 PDF/X，1 页）" in captured.out and "印刷版" not in captured.err


def cut_short(path: Path) -> Path:
    data = make_pdf(path).read_bytes()
    path.write_bytes(data[:len(data) * 6 // 10])
    return path


def not_a_pdf(path: Path) -> Path:
    path.write_text("这是一份 Word 文档另存的文字\n", encoding="utf-8")
    return path


def empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def folder(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.parametrize(("make", "message"), [
    (cut_short, "PDF 文件不完整（末尾缺少 %%EOF 标记），可能是下载或复制时中断了：请重新导出或重新复制"),
    (not_a_pdf, "不是 PDF 文件（开头没有 %PDF- 标记）"),
    (empty, "文件是空的（0 字节），不是 PDF"),
    (folder, "这是文件夹，不是 PDF 文件"),
])
def test_preflight_of_a_file_that_is_no_pdf(tmp_path, capsys, make, message):
    path = make(tmp_path / "2025-001-print.pdf")
    assert main(["preflight", str(path)]) == 2
    captured = capsys.readouterr()
    assert f"2025-001-print.pdf：{message}\n" in captured.err
    assert not re.search(r"[A-Za-z]{4,}", captured.err.replace(str(path), ""))  # no qpdf English
    assert captured.out == ""


def test_preflight_of_a_damaged_pdf_says_so(tmp_path, capsys):
    """Complete, but its cross-reference table is wrong: readable only after a repair."""
    data = make_pdf(tmp_path / "damaged.pdf").read_bytes()
    start = data.rindex(b"startxref")
    (tmp_path / "damaged.pdf").write_bytes(data[:start] + b"startxref\n99\n%%EOF\n")
    assert main(["preflight", str(tmp_path / "damaged.pdf")]) == 1
    out = capsys.readouterr().out.replace(str(tmp_path / "damaged.pdf"), "")
    assert "错误 [文件] 文件结构已损坏" in out and not re.search(r"[a-z]{4,}", out)  # no qpdf English


def test_preflight_rule_tags_are_chinese_in_text_and_ids_in_json(tmp_path, capsys):
    helvetica = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                   BaseFont=pikepdf.Name.Helvetica)
    path = make_pdf(tmp_path / "font.pdf", b"BT /F1 12 Tf 100 700 Td (Hello) Tj ET",
                    {"/Font": pikepdf.Dictionary(F1=helvetica)}, pages=3)
    assert main(["preflight", str(path), "--binding", "saddle"]) == 1
    out = capsys.readouterr().out
    assert "错误 [字体] 第 1 页 字体 Helvetica 没有嵌入" in out
    assert "错误 [页数] 共 3 页，骑马钉装订需要 4 的倍数" in out
    assert not re.search(r"\[[a-z-]+\]", out)
    assert main(["preflight", str(path), "--binding", "saddle", "--json"]) == 1
    rules = {finding["rule"] for finding in json.loads(capsys.readouterr().out)["findings"]}
    assert rules == {"fonts", "pages"}


def test_preflight_into_a_reader_that_stops_ends_quietly(tmp_path):
    """`bulletin-pdf preflight … --json | head`: the reader has gone before we write."""
    path = make_pdf(tmp_path / "plain.pdf")
    process = subprocess.Popen([sys.executable, "-m", "bulletin_pdf", "preflight", str(path), "--json"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # before the program has written anything: it is still starting
    error = process.stderr.read().decode()
    assert process.wait() == 141  # 128 + SIGPIPE, as for any program whose reader stopped
    assert error == ""


# 6. Progress lines name their output, in an office worker's words -------------

def test_progress_names_the_output_in_plain_words(project, capsys):
    assert main(["build", str(project.issue), "--profile", "all"]) == 0
    captured = capsys.readouterr()
    progress = captured.err.splitlines()
    for label in ("屏幕版", "印刷版"):
        steps = [line for line in progress if line.startswith(f"{label}：")]
        assert any("排版中" in line for line in steps) and any("检查成品" in line for line in steps)
    # A step of one output is never shown without saying which.
    assert all(line.startswith(("屏幕版：", "印刷版：")) for line in progress
               if re.search("排版中|已排|检查成品|交付印刷", line))
    assert re.search(r"已写入 \S+test\.pdf（屏幕版）：", captured.out)
    assert re.search(r"已写入 \S+test-print\.pdf（印刷版，PDF/X-4）：", captured.out)
    words = captured.err + captured.out
    for jargon in ("WeasyPrint", "postprocess", "后处理", "输出意图", "screen", "print）", "（print"):
        assert jargon not in words
