"""The `bulletin-pdf` command: the only module that knows every stage.

manifest → articles → fonts → layout (HTML) → pdf. Messages are in Chinese;
user mistakes exit with 2, internal errors with 1.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from . import __version__
from .articles import load_articles
from .errors import BulletinError, Problem, Problems, display_path
from .fonts import FONTS_FILE, load_fonts
from .layout import HtmlDocument, check_font_roles, load_layout, render_html
from .manifest import load_issue
from .pdf import harfbuzz_subset_available, write_pdf

EXIT_PROBLEMS = 2
EXIT_INTERNAL = 1

T = TypeVar("T")


@dataclass(frozen=True)
class Project:
    """The folder holding `layouts/` and `fonts/`, found upwards from the issue."""

    root: Path

    @property
    def layouts(self) -> Path:
        return self.root / "layouts"

    @property
    def fonts(self) -> Path:
        return self.root / "fonts"

    @property
    def build(self) -> Path:
        return self.root / "build"


def find_project(issue_folder: Path) -> Project:
    for folder in (issue_folder.resolve(), *issue_folder.resolve().parents):
        if (folder / "layouts").is_dir() and (folder / "fonts" / FONTS_FILE).is_file():
            return Project(folder)
    raise BulletinError([Problem(
        "找不到项目根目录：期刊文件夹的上级目录中应有 layouts/ 和 fonts/fonts.yaml", issue_folder)])


def prepare(issue_folder: Path, say) -> tuple[Project, HtmlDocument, str]:
    """Every stage short of WeasyPrint; `check` stops here."""
    project = find_project(issue_folder)
    say("读取期刊清单…")
    issue = load_issue(issue_folder)
    article_count = sum(len(section.articles) for section in issue.sections)
    say(f"读取 {len(issue.sections)} 个栏目、{article_count} 篇文章…")
    # Layout, fonts and articles do not depend on each other: report all their problems at once.
    problems = Problems()
    layout = _collecting(problems, load_layout, project.layouts, issue)
    fonts = _collecting(problems, load_fonts, project.fonts)
    sections = _collecting(problems, load_articles, issue)
    if layout and fonts:
        _collecting(problems, check_font_roles, layout, fonts, project.fonts / FONTS_FILE)
    problems.raise_if_any()
    return project, render_html(issue, sections, fonts, layout), issue.slug


def _collecting(problems: Problems, stage: Callable[..., T], *args: Any) -> T | None:
    try:
        return stage(*args)
    except BulletinError as error:
        problems.extend(error.problems)
        return None


def command_build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    say = _progress(args.quiet)
    if not harfbuzz_subset_available():
        print("警告：未安装 libharfbuzz-subset0，字体子集化将慢约 20 倍"
              "（sudo apt-get install libharfbuzz-subset0）", file=sys.stderr)
    project, document, slug = prepare(args.issue, say)
    output = args.output or project.build / f"{slug}.pdf"
    if args.keep_html:
        html_path = output.with_suffix(".html")
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(document.html, encoding="utf-8")
        say(f"已写入 {display_path(html_path)}")
    result = write_pdf(document, output, say, strict=args.strict)
    for warning in result.warnings:
        print(f"WeasyPrint 警告：{warning}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(f"已写入 {display_path(result.path)}：{result.pages} 页，"
          f"{_human_size(result.size)}，用时 {elapsed:.1f} 秒")
    return 0


def command_check(args: argparse.Namespace) -> int:
    prepare(args.issue, _progress(args.quiet))
    print(f"检查通过：{display_path(args.issue)}")
    return 0


def _progress(quiet: bool):
    def say(message: str) -> None:
        if not quiet:
            print(message, file=sys.stderr, flush=True)
    return say


def _human_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bulletin-pdf", description="把期刊清单与 Markdown 文章排成可印刷的简报 PDF")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="内部错误时显示完整的调用栈")
    commands = parser.add_subparsers(dest="command", required=True, metavar="命令")

    build = commands.add_parser("build", help="排版并写出 PDF")
    build.add_argument("issue", type=Path, help="期刊文件夹，如 issues/2025-001")
    build.add_argument("-o", "--output", type=Path, help="输出 PDF 路径（默认 build/<期刊>.pdf）")
    build.add_argument("--keep-html", action="store_true", help="同时写出排版用的 HTML，便于调试版式")
    build.add_argument("--strict", action="store_true", help="把 WeasyPrint 的警告也当作错误")
    build.add_argument("-q", "--quiet", action="store_true", help="不显示进度")
    build.set_defaults(run=command_build)

    check = commands.add_parser("check", help="检查清单、文章、字体与版式，不写 PDF")
    check.add_argument("issue", type=Path, help="期刊文件夹")
    check.add_argument("-q", "--quiet", action="store_true", help="不显示进度")
    check.set_defaults(run=command_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BulletinError as error:
        count = len(error.problems)
        print(f"发现 {count} 个问题：" if count > 1 else "发现问题：", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except Exception as error:  # a bug in bulletin-pdf, not in the user's files
        if args.debug:
            traceback.print_exc()
        print(f"内部错误：{type(error).__name__}: {error}\n"
              "这是 bulletin-pdf 的缺陷，请加 --debug 重新运行并报告。", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
