"""The command line: what `build` and `check` print and write."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

import pikepdf
from conftest import ROOT

from bulletin_pdf.cli import main


def test_build_reports_what_it_wrote(project, capsys):
    assert main(["build", str(project.issue), "--keep-html", "--profile", "screen"]) == 0
    captured = capsys.readouterr()
    match = re.search(r"已写入 (\S+)（屏幕版）：(\d+) 页，(\d+) KB，用时 [\d.]+ 秒", captured.out)
    assert match, captured.out
    with pikepdf.open(project.pdf) as pdf:
        assert int(match.group(2)) == len(pdf.pages)
    assert match.group(1).endswith("build/test.pdf")
    assert round(project.pdf.stat().st_size / 1024) == int(match.group(3))
    assert "排版中" in captured.err  # progress is shown
    html = project.pdf.with_suffix(".html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html


def test_output_option_chooses_the_file(project, tmp_path):
    output = tmp_path / "elsewhere" / "简报.pdf"
    assert main(["build", "-q", str(project.issue), "-o", str(output)]) == 0
    # Both profiles by default: the print file takes the name with -print.
    assert output.read_bytes().startswith(b"%PDF-")
    assert output.with_name("简报-print.pdf").read_bytes().startswith(b"%PDF-")
    assert not project.pdf.exists()
    single = tmp_path / "only-print.pdf"
    assert main(["build", "-q", str(project.issue), "--profile", "print", "-o", str(single)]) == 0
    assert single.read_bytes().startswith(b"%PDF-")


def test_check_validates_without_writing(project, capsys):
    assert main(["check", "-q", str(project.issue)]) == 0
    out = capsys.readouterr().out
    assert "检查通过" in out and "（屏幕版、印刷版）" in out  # the outputs a build would make
    # Which font each role uses: the licensed candidates are not installed here.
    assert "字体：body Noto Serif CJK SC；heading Noto Sans CJK SC；" in out
    assert "kai LXGW WenKai；fangsong 同 body" in out
    assert not (project.root / "build").exists()
    project.write("articles/b.md", "---\ntitle: [1]\n---\n")
    assert main(["check", "-q", str(project.issue)]) == 2
    assert "articles/b.md:2：title：应为文字" in capsys.readouterr().err


def test_builds_are_deterministic(project, tmp_path):
    first, second = tmp_path / "1.pdf", tmp_path / "2.pdf"
    assert main(["build", "-q", str(project.issue), "-o", str(first)]) == 0
    assert main(["build", "-q", str(project.issue), "-o", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert (tmp_path / "1-print.pdf").read_bytes() == (tmp_path / "2-print.pdf").read_bytes()


STAGE_LIBRARIES = ("weasyprint", "jinja2", "fontTools", "pikepdf", "PIL", "markdown_it", "yaml")


def build_in_a_new_process(issue, libraries: tuple[str, ...]) -> tuple[str, list[str]]:
    """Build `issue` (screen) in a fresh Python: its output, and which of `libraries` it loaded."""
    check = subprocess.run(
        [sys.executable, "-c", "import sys; from bulletin_pdf.cli import main; "
         f"code = main(['build', '-q', '--profile', 'screen', {str(issue)!r}]); "
         f"print(code, [name for name in {libraries!r} if name in sys.modules])"],
        capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    *said, loaded = check.stdout.splitlines()
    return "\n".join(said), ast.literal_eval(loaded.split(" ", 1)[1])


def test_unchanged_inputs_are_not_rebuilt(project, capsys):
    assert project.build() == 0
    first = project.pdf.stat().st_mtime_ns
    capsys.readouterr()
    assert project.build() == 0
    assert "未改动，跳过" in capsys.readouterr().out
    assert project.pdf.stat().st_mtime_ns == first
    # A no-op build reads nothing it need not: no stage's library is even loaded.
    said, loaded = build_in_a_new_process(project.issue, STAGE_LIBRARIES)
    assert loaded == [] and "未改动，跳过" in said
    # An output touched but not changed is known as unchanged by its content.
    os.utime(project.pdf, ns=(first + 10**9, first + 10**9))
    assert project.build() == 0
    assert "未改动，跳过" in capsys.readouterr().out
    # Any input changing means a new build: an article, the layout, a forced rebuild.
    project.write("articles/b.md", "---\ntitle: 第二篇文章\n---\n\n改过的正文。\n")
    assert project.build() == 0
    assert "已写入" in capsys.readouterr().out
    stylesheet = project.root / "layouts" / "bulletin" / "css" / "bulletin.css"
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8") + "\n/* changed */\n",
                          encoding="utf-8")
    assert project.build() == 0
    assert "已写入" in capsys.readouterr().out
    assert project.build("--force") == 0
    assert "已写入" in capsys.readouterr().out
    # A PDF changed by hand since the build is rebuilt too.
    project.pdf.write_bytes(project.pdf.read_bytes() + b"\n")
    assert project.build() == 0
    assert "已写入" in capsys.readouterr().out


def test_a_build_with_its_articles_cached_does_not_cut_titles_into_words_again(project):
    """A title's line breaks need its words (jieba, whose dictionary takes 0.2 s to load):
    cut when the article is read, they are kept with it in the cache."""
    project.write("articles/b.md",
                  "---\ntitle: 松江区第九期处级干部轮训班召开骨干学员座谈会\n---\n\n正文。\n")
    assert project.build() == 0
    stylesheet = project.root / "layouts" / "bulletin" / "css" / "bulletin.css"
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8") + "\n/* changed */\n",
                          encoding="utf-8")
    said, loaded = build_in_a_new_process(project.issue, ("rjieba", "weasyprint"))
    assert "已写入" in said and loaded == ["weasyprint"]
