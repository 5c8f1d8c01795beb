"""The `bulletin-pdf` command: the only module that knows every stage.

manifest → articles → fonts → layout (HTML) → pdf. Messages are in Chinese;
user mistakes exit with 2, internal errors with 1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from . import __version__
from .argparse_zh import ArgumentParser, integer, number
from .articles import SectionArticles, load_articles
from .coverage import check_coverage
from .errors import BulletinError, Problem, Problems, display_path
from .fonts import FONTS_FILE, FontSet, RoleFont, load_fonts
from .images import is_raster, warm_cache
from .layout import PROFILE_NAMES, Layout, Profile, check_fit, check_font_roles, load_layout, render_html
from .lint import count_by_rule, count_summary, lint_file, write_fix
from .manifest import BINDING_NAMES, BINDINGS, Issue, load_issue
from .pdf import harfbuzz_subset_available, replace_when_done, write_pdf
from .postprocess import finish_print
from .preflight import PROFILE_LABELS, preflight
from .resolution import CoarsePhotos, check_photo_resolution
from .stamps import build_digest, record, up_to_date
from .typography import Typography

EXIT_PROBLEMS = 2
EXIT_INTERNAL = 1
EXIT_BROKEN_PIPE = 128 + 13  # as for any program whose reader stopped reading (SIGPIPE)

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

    @property
    def cache(self) -> Path:
        return self.root / ".cache"


def find_project(issue_folder: Path) -> Project:
    for folder in (issue_folder.resolve(), *issue_folder.resolve().parents):
        if (folder / "layouts").is_dir() and (folder / "fonts" / FONTS_FILE).is_file():
            return Project(folder)
    raise BulletinError([Problem(
        "找不到项目根目录：期刊文件夹的上级目录中应有 layouts/ 和 fonts/fonts.yaml", issue_folder)])


@dataclass(frozen=True)
class Prepared:
    """Everything a build needs before WeasyPrint, validated."""

    project: Project
    issue: Issue
    sections: tuple[SectionArticles, ...]
    fonts: FontSet
    layout: Layout
    profile_names: tuple[str, ...]  # the outputs to make
    photos: CoarsePhotos  # too coarse for print (errors) or for screen


def prepare(issue_folder: Path, say: Callable[[str], None], profile: str | None = None,
            print_photos_fatal: bool = True) -> Prepared:
    """Every stage short of WeasyPrint; `check` stops here.

    `profile`: "screen", "print", "all", or None for the layout's default outputs.
    `print_photos_fatal`: photos too coarse for print stop here; otherwise only the print
    output fails on them (a build still makes the screen PDF).
    """
    project = find_project(issue_folder)
    say("读取期刊清单…")
    issue = load_issue(issue_folder)
    article_count = sum(len(section.articles) for section in issue.sections)
    say(f"读取 {len(issue.sections)} 个栏目、{article_count} 篇文章…")
    # Layout, fonts and articles do not depend on each other: report all their problems at once.
    problems = Problems()
    layout = _collecting(problems, load_layout, project.layouts, issue)
    fonts = _collecting(problems, load_fonts, project.fonts)
    typography = Typography.merged(layout.typography if layout else None, issue.typography)
    sections = _collecting(problems, load_articles, issue, typography)
    for warning in fonts.warnings if fonts else ():
        print(f"警告：{warning}", file=sys.stderr)
    names = _profile_names(profile, layout) if layout else ()
    photos = CoarsePhotos()
    if layout and sections is not None:
        say("检查照片按版面上的尺寸是否够清晰…")
        photos = check_photo_resolution(issue, sections, layout,
                                        [layout.profiles[name] for name in names])
    if layout and fonts:
        _collecting(problems, check_font_roles, layout, fonts, project.fonts / FONTS_FILE)
        if sections is not None and not problems:
            say("检查每个字在字体中是否都有…")
            _collecting(problems, check_coverage, issue, sections, fonts, layout.text_roles,
                        project.cache)
            _collecting(problems, check_fit, issue, sections, fonts, layout)
    if print_photos_fatal:  # after the checks they do not stop, so all are reported at once
        problems.extend(photos.errors)
    problems.raise_if_any()
    return Prepared(project, issue, sections, fonts, layout, names, photos)


def _profile_names(choice: str | None, layout: Layout) -> tuple[str, ...]:
    if choice == "all":
        return PROFILE_NAMES
    return (choice,) if choice else layout.default_profiles


def _collecting(problems: Problems, stage: Callable[..., T], *args: Any) -> T | None:
    try:
        return stage(*args)
    except BulletinError as error:
        problems.extend(error.problems)
        return None


def command_build(args: argparse.Namespace) -> int:
    say = _progress(args.quiet)
    if not harfbuzz_subset_available():
        print("警告：未安装 libharfbuzz-subset0，字体子集化将慢约 20 倍"
              "（sudo apt-get install libharfbuzz-subset0）", file=sys.stderr)
    # Photos too coarse for screen are reported by the layout itself, at their measured size.
    prepared = prepare(args.issue, say, args.profile, print_photos_fatal=False)
    names = prepared.profile_names

    profiles = [_override(prepared.layout.profiles[name], args) for name in names]

    def build(profile: Profile) -> None:
        build_profile(prepared, profile, _output_path(prepared, profile, args.output, names), args,
                      _progress(args.quiet, profile.name))

    printing = next((profile for profile in profiles if profile.is_print), None)
    photos = [path for path in _photos(prepared) if is_raster(path)]
    if photos:
        say(f"准备 {len(photos)} 张照片（印刷版转为四色、屏幕版缩小；处理过的不再重复）…")
        warm_cache(photos, printing.icc_profile if printing else None,
                   any(not profile.is_print for profile in profiles),
                   prepared.project.cache / "images", os.cpu_count() or 2)
    if len(names) > 1 and _can_fork():
        # Screen and print are independent: lay them out on two cores at once.
        return _in_parallel([lambda profile=profile: build(profile) for profile in profiles])
    for profile in profiles:
        build(profile)
    return 0


def _photos(prepared: Prepared) -> list[Path]:
    paths = [path for entry in prepared.sections for article in entry.articles
             for path in article.images]
    paths += [prepared.issue.folder / photo.file for entry in prepared.sections
              for photo in entry.photos]
    return list(dict.fromkeys(paths))


def _can_fork() -> bool:
    """Fork only when output goes to real files (not to a test's captured streams)."""
    try:
        sys.stdout.fileno()
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return hasattr(os, "fork")


def _in_parallel(jobs: list[Callable[[], None]]) -> int:
    """Run all but the first job in forked children; the worst exit code wins."""
    sys.stdout.flush()
    sys.stderr.flush()
    children = []
    for job in jobs[1:]:
        pid = os.fork()
        if pid == 0:
            code = _exit_code_of(job)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        children.append(pid)
    code = _exit_code_of(jobs[0])
    for pid in children:
        status = os.waitpid(pid, 0)[1]
        code = max(code, os.waitstatus_to_exitcode(status))
    return code


def _exit_code_of(job: Callable[[], None]) -> int:
    try:
        job()
    except BulletinError as error:
        _print_problems(error)
        return EXIT_PROBLEMS
    except Exception as error:  # a bug: report it like main() does
        _print_internal_error(error, debug=False)
        return EXIT_INTERNAL
    return 0


def _override(profile: Profile, args: argparse.Namespace) -> Profile:
    """Command-line choices win over the layout's for the print profile."""
    if not profile.is_print:
        return profile
    changes: dict[str, Any] = {}
    if args.pdfx:
        changes["pdfx"] = args.pdfx
    if args.icc_profile:
        if not args.icc_profile.is_file():
            raise BulletinError([Problem("ICC 输出特性文件不存在", args.icc_profile)])
        changes["icc_profile"] = args.icc_profile.resolve()
        changes["output_condition"] = args.icc_profile.stem
    return replace(profile, **changes)


def _output_path(prepared: Prepared, profile: Profile, output: Path | None,
                 names: tuple[str, ...]) -> Path:
    """`build/<issue>.pdf` for screen, `build/<issue>-print.pdf` for print.

    With `-o`, a single profile writes exactly there; with both, print adds `-print`.
    """
    if output is None:
        output = prepared.project.build / f"{prepared.issue.slug}.pdf"
    elif len(names) == 1:
        return output
    return output.with_name(f"{output.stem}-print.pdf") if profile.is_print else output


def build_profile(prepared: Prepared, profile: Profile, output: Path, args: argparse.Namespace,
                  say: Callable[[str], None]) -> None:
    """Render, finish and preflight one profile; the PDF appears only if all of it passes."""
    if profile.is_print and prepared.photos.errors:
        raise BulletinError(prepared.photos.errors)
    started = time.perf_counter()
    issue = prepared.issue
    cache = prepared.project.cache
    digest = build_digest(issue.folder, prepared.layout.folder, prepared.project.fonts,
                          prepared.fonts, profile)
    if not args.force and up_to_date(cache, output, digest):
        print(f"未改动，跳过 {display_path(output)}（{PROFILE_LABELS[profile.name]}；--force 可强制重排）")
        return
    document = render_html(issue, prepared.sections, prepared.fonts, prepared.layout, profile)
    if args.keep_html:
        html_path = output.with_suffix(".html")
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(document.html, encoding="utf-8")
        say(f"已写入 {display_path(html_path)}")
    with replace_when_done(output) as temporary:
        result = write_pdf(document, temporary, profile, prepared.project.cache, say, args.strict)
        for warning in result.warnings:
            print(f"排版警告：{warning}", file=sys.stderr)
        notes = []
        if profile.is_print:
            say("交付印刷前的处理：出血、裁切线、色彩标准、补空白页…")
            finish = finish_print(temporary, profile, issue.binding,
                                  keep_last_page_last=issue.colophon is not None)
            if finish.blank_pages_added:
                where = "版记前" if issue.colophon else "末尾"
                notes.append(f"为{BINDING_NAMES[issue.binding]}在{where}补了 "
                             f"{finish.blank_pages_added} 个空白页")
        say("检查成品：字体、缺字、图片、页面…")
        report = preflight(temporary, profile.name,
                           binding=issue.binding if profile.is_print else None,
                           bleed_mm=profile.bleed_mm if profile.is_print else None,
                           min_image_dpi=profile.minimum_dpi)
        for finding in report.warnings:
            print(f"预检{finding}", file=sys.stderr)
        if report.errors:
            raise BulletinError([Problem(f"预检未通过：{finding}", output)
                                 for finding in report.errors])
    record(cache, output, digest)
    kind = PROFILE_LABELS[profile.name] + (f"，{report.pdfx}" if report.pdfx else "")
    elapsed = time.perf_counter() - started
    print(f"已写入 {display_path(output)}（{kind}）：{report.pages} 页，"
          f"{_human_size(output.stat().st_size)}，用时 {elapsed:.1f} 秒"
          + "".join(f"；{note}" for note in notes))


def command_check(args: argparse.Namespace) -> int:
    prepared = prepare(args.issue, _progress(args.quiet), args.profile)
    for profile in prepared.layout.profiles.values():  # the templates render for every profile
        render_html(prepared.issue, prepared.sections, prepared.fonts, prepared.layout, profile)
    for warning in prepared.photos.warnings:
        print(f"警告：{warning}", file=sys.stderr)
    print(f"字体：{'；'.join(_role_summary(role) for role in prepared.fonts.roles.values())}")
    print(f"检查通过：{display_path(args.issue)}"
          f"（{'、'.join(PROFILE_LABELS[name] for name in prepared.profile_names)}）")
    return 0


def _role_summary(role: RoleFont) -> str:
    used = f"同 {role.borrowed_from}" if role.borrowed_from else role.families[0]
    return f"{role.role} {used}"


def command_fonts(args: argparse.Namespace) -> int:
    """Which font prints each role, its fallbacks, and the candidates skipped."""
    project = find_project(args.issue)
    fonts = load_fonts(project.fonts)
    for warning in fonts.warnings:
        print(f"警告：{warning}", file=sys.stderr)
    print(f"字体角色（{display_path(project.fonts / FONTS_FILE)}）：")
    for role in fonts.roles.values():
        print(f"  {role.role}：{role.label}")
        if role.borrowed_from:
            print(f"    无可用字体，使用 {role.borrowed_from} 角色的字体")
        for position, (family, file) in enumerate(zip(role.families, role.files, strict=True)):
            kind = "使用" if position == 0 else "后备"
            print(f"    {kind}：{family}（{role.weight if position == 0 else file.weight}，"
                  f"{display_path(file.path)}{f' #{file.index}' if file.index else ''}）")
        if role.skipped:
            print(f"    未找到，已跳过：{'、'.join(role.skipped)}")
    return 0


def command_lint(args: argparse.Namespace) -> int:
    project = find_project(args.issue)
    issue = load_issue(args.issue)
    layout = load_layout(project.layouts, issue)
    rules = Typography.merged(layout.typography, issue.typography).rules
    paths = dict.fromkeys(ref.path for section in issue.sections for ref in section.articles)
    results = [lint_file(path, rules) for path in paths]
    for result in results:
        shown = display_path(result.path)
        for entry in result.entries:
            print(entry.format(shown))
    counts = count_by_rule(results)
    unfixable = sum(not entry.automatic for result in results for entry in result.entries)
    summary = count_summary(counts)
    if args.fix:
        fixed = [result for result in results if result.fixable and write_fix(result)]
        changed = [display_path(r.path) for r in results if r.fixable and r not in fixed]
        print(f"已修改 {len(fixed)} 个文件，共 {counts.total()} 处：{summary}")
        if changed:
            print(f"以下文件在检查后被改动，未写入，请重新运行：{'、'.join(changed)}", file=sys.stderr)
            return 1
    else:
        print(f"共 {counts.total()} 处可自动修正：{summary}"
              + ("；用 --fix 写回文件" if counts else ""))
    if unfixable:
        print(f"另有 {unfixable} 处须人工处理", file=sys.stderr)
    return 1 if unfixable or (counts and not args.fix) else 0


def command_preflight(args: argparse.Namespace) -> int:
    named_print = args.pdf.name.endswith("-print.pdf")  # as `build` names the print output
    report = preflight(args.pdf, args.profile or ("print" if named_print else None),
                       args.binding, args.bleed, args.min_dpi)
    if args.profile is None and report.profile == "print":
        why = "文件名以 -print.pdf 结尾" if named_print else f"文件为 {report.pdfx}"
        print(f"按印刷版检查（{why}）；按屏幕版检查请加 --profile screen", file=sys.stderr)
    print(report.to_json() if args.json else report.to_text())
    return 1 if report.errors else 0


def _progress(quiet: bool, output: str | None = None) -> Callable[[str], None]:
    """Progress on stderr; `output` ("screen" or "print") is named, as both are made at once."""
    prefix = f"{PROFILE_LABELS[output]}：" if output else ""

    def say(message: str) -> None:
        if not quiet:
            print(prefix + message, file=sys.stderr, flush=True)
    return say


def _human_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="bulletin-pdf", description="把期刊清单与 Markdown 文章排成可印刷的简报 PDF。",
        epilog=_examples("bulletin-pdf build issues/2025-001      排出屏幕版与印刷版",
                         "bulletin-pdf check issues/2025-001      只检查，不写 PDF",
                         "bulletin-pdf build --help               查看某个命令的用法")
        + "\n\n退出码：0 成功；2 输入有误（所有问题一次列出）；1 见各命令（预检发现错误、内部错误）")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                        help="显示版本号并退出")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    # `--debug` also after the command; SUPPRESS keeps a `--debug` given before it.
    common = ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    commands = parser.add_subparsers(dest="command", required=True, metavar="命令")

    def command(name: str, summary: str, description: str, *examples: str) -> ArgumentParser:
        return commands.add_parser(name, help=summary, description=description,
                                   epilog=_examples(*examples), parents=[common])

    build = command("build", "排版并写出 PDF",
                    "排版并写出 PDF：屏幕版 build/<期刊>.pdf 与印刷版 build/<期刊>-print.pdf。\n"
                    "输入未改动时不重排；任何一版未通过检查时，两版都不写出。",
                    "bulletin-pdf build issues/2025-001",
                    "bulletin-pdf build issues/2025-001 --profile print --icc-profile 印刷厂.icc",
                    "bulletin-pdf build issues/2025-001 -o 第1期.pdf")
    build.add_argument("issue", type=Path, metavar="期刊文件夹", help="如 issues/2025-001")
    build.add_argument("-o", "--output", type=Path, metavar="文件.pdf",
                       help="输出 PDF 路径（默认 build/<期刊>.pdf；两版都出时印刷版为 文件-print.pdf）")
    build.add_argument("--profile", choices=(*PROFILE_NAMES, "all"),
                       help="输出哪一版：screen（屏幕版）、print（印刷版）或 all（两版；默认按版式设置）")
    build.add_argument("--pdfx", choices=("4", "1a"), help="印刷版的 PDF/X 版本（默认按版式设置，通常为 4）")
    build.add_argument("--icc-profile", type=Path, metavar="文件.icc",
                       help="印刷厂提供的 CMYK 输出特性文件")
    build.add_argument("--keep-html", action="store_true", help="同时写出排版用的 HTML，便于调试版式")
    build.add_argument("--strict", action="store_true", help="把排版警告（如被忽略的 CSS）也当作错误")
    build.add_argument("--force", action="store_true", help="即使输入未改动也重新排版")
    build.add_argument("-q", "--quiet", action="store_true", help="不显示进度")
    build.set_defaults(run=command_build)

    check = command("check", "检查清单、文章、照片、字体与版式，不写 PDF",
                    "做 build 的全部检查（期刊清单、文章、照片分辨率、字体缺字、版式模板），\n"
                    "但不排版、不写 PDF。",
                    "bulletin-pdf check issues/2025-001",
                    "bulletin-pdf check issues/2025-001 --profile print")
    check.add_argument("issue", type=Path, metavar="期刊文件夹", help="如 issues/2025-001")
    check.add_argument("--profile", choices=(*PROFILE_NAMES, "all"),
                       help="按哪一版检查照片分辨率（默认与 build 相同，按版式设置）")
    check.add_argument("-q", "--quiet", action="store_true", help="不显示进度")
    check.set_defaults(run=command_check)

    fonts = command("fonts", "列出每个字体角色实际使用的字体与后备字体",
                    "列出 fonts/fonts.yaml 中每个字体角色实际使用的字体、后备字体和找不到而跳过的字体。",
                    "bulletin-pdf fonts", "bulletin-pdf fonts issues/2025-001")
    fonts.add_argument("issue", type=Path, nargs="?", default=Path("."), metavar="文件夹",
                       help="期刊文件夹或项目文件夹（默认当前文件夹）")
    fonts.set_defaults(run=command_fonts)

    lint = command("lint", "检查文章的标点、引号、空格等，--fix 写回修正",
                   "列出文章中可自动修正的标点、引号、省略号、空格等（文件:行:列 规则 原文 → 改为），\n"
                   "以及须人工处理之处。排版时会在内存中做同样的修正，源文件不变。",
                   "bulletin-pdf lint issues/2025-001", "bulletin-pdf lint issues/2025-001 --fix")
    lint.add_argument("issue", type=Path, metavar="期刊文件夹", help="如 issues/2025-001")
    lint.add_argument("--fix", action="store_true", help="把修正写回文章文件")
    lint.set_defaults(run=command_lint)

    check_pdf = command("preflight", "印前检查任意 PDF：字体、缺字、页面框、图片、PDF/X",
                        "印前检查任意 PDF（不限于本工具生成的）：字体嵌入、缺字、页面框与出血、图片分辨率与\n"
                        "数据、超出页面的内容、颜色、PDF/X 标识、页数。文件名以 -print.pdf 结尾或文件为\n"
                        "PDF/X 时按印刷版检查，否则按屏幕版。退出码：0 通过；1 有错误；2 文件无法读取。",
                        "bulletin-pdf preflight build/2025-001-print.pdf",
                        "bulletin-pdf preflight 外来文件.pdf --profile print --binding saddle --bleed 3",
                        "bulletin-pdf preflight build/2025-001.pdf --json")
    check_pdf.add_argument("pdf", type=Path, metavar="PDF文件", help="要检查的 PDF 文件")
    check_pdf.add_argument("--profile", choices=PROFILE_NAMES,
                           help="按哪一版检查：screen（屏幕版）或 print（印刷版）；默认见上")
    check_pdf.add_argument("--binding", choices=BINDINGS,
                           help="检查页数是否适合装订方式：saddle（骑马钉）、perfect（胶装）、none")
    check_pdf.add_argument("--bleed", type=number, metavar="毫米", help="检查出血是否恰为这么多毫米")
    check_pdf.add_argument("--min-dpi", type=integer, metavar="分辨率",
                           help="图片最低有效分辨率，单位 dpi（默认印刷版 300，屏幕版 150）")
    check_pdf.add_argument("--json", action="store_true", help="以 JSON 输出（规则用英文代号），供 CI 使用")
    check_pdf.set_defaults(run=command_preflight)
    return parser


DEBUG_HELP = "内部错误时显示完整的调用栈"


def _examples(*commands: str) -> str:
    return "示例：\n" + "\n".join(f"  {command}" for command in commands)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.run(args)
        sys.stdout.flush()  # a reader that stopped early (`| head`) shows here, not at exit
        return code
    except BulletinError as error:
        _print_problems(error)
        return EXIT_PROBLEMS
    except BrokenPipeError:
        _stop_writing()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except Exception as error:  # a bug in bulletin-pdf, not in the user's files
        _print_internal_error(error, args.debug)
        return EXIT_INTERNAL


def _stop_writing() -> None:
    """The reader of our output went away: point stdout and stderr at /dev/null, so that
    nothing more (Python's own flush at exit included) fails or prints a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        # Not a real file (a test's captured output): nothing to redirect.
        with contextlib.suppress(AttributeError, OSError, ValueError):
            os.dup2(devnull, stream.fileno())
    os.close(devnull)


def _print_problems(error: BulletinError) -> None:
    count = len(error.problems)
    print(f"发现 {count} 个问题：" if count > 1 else "发现问题：", file=sys.stderr)
    for problem in error.problems:
        print(f"  {problem}", file=sys.stderr)


def _print_internal_error(error: Exception, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    print(f"内部错误：{type(error).__name__}: {error}\n"
          "这是 bulletin-pdf 的缺陷，请加 --debug 重新运行并报告。", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
