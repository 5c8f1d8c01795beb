"""The `bulletin-pdf` command: its parser and a short runner per command.

The pipeline itself is the `build` module (`prepare`, `build`), which takes
typed options. Messages are in Chinese; user mistakes exit with 2, internal
errors with 1.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

import pikepdf

from . import __version__
from .build import BuildOptions, build, find_project, prepare
from .errors import BulletinError, Problem, Problems, display_path
from .files import system_refusals_as_problems
from .fonts import FONTS_FILE, RoleFont, load_fonts
from .forked import ChildDied
from .layout import PROFILE_NAMES, load_layout, render_html
from .lint import count_by_rule, lint_file, write_fixes
from .manifest import BINDINGS, load_issue
from .pdf import harfbuzz_subset_available
from .preflight import preflight
from .typography import Typography

EXIT_PROBLEMS = 2
EXIT_INTERNAL = 1


def command_build(args: argparse.Namespace) -> int:
    say = _progress(args.quiet)
    if not harfbuzz_subset_available():
        print("警告：未安装 libharfbuzz-subset0，字体子集化将慢约 20 倍"
              "（sudo apt-get install libharfbuzz-subset0）", file=sys.stderr)
    options = BuildOptions(args.issue, args.output, args.profile, args.pdfx, args.icc_profile,
                           args.keep_html, args.strict, args.force)
    try:
        made = build(options, say)
    except ChildDied as error:  # the OOM killer, or someone, ended a layout process
        print(f"构建失败：{error}（可能是内存不足或被手动终止）；未写入任何文件，原有文件不变",
              file=sys.stderr)
        return EXIT_INTERNAL
    for output in made:
        shown = display_path(output.path)
        if output.unchanged:
            print(f"未改动，跳过 {shown}（{output.profile}；--force 可强制重排）")
            continue
        kind = f"{output.profile}，{output.pdfx}" if output.pdfx else output.profile
        print(f"已写入 {shown}（{kind}）：{output.pages} 页，"
              f"{_human_size(output.path.stat().st_size)}，用时 {output.seconds:.1f} 秒"
              + "".join(f"；{note}" for note in output.notes))
    return 0


def command_check(args: argparse.Namespace) -> int:
    prepared = prepare(BuildOptions(args.issue, profile=args.profile), _progress(args.quiet))
    for profile in prepared.layout.profiles.values():  # the templates render for every profile
        render_html(prepared.issue, prepared.sections, prepared.fonts, prepared.layout, profile)
    for warning in prepared.photos.warnings:
        print(f"警告：{warning}", file=sys.stderr)
    print(f"字体：{'；'.join(_role_summary(role) for role in prepared.fonts.roles.values())}")
    print(f"检查通过：{display_path(args.issue)}（{'、'.join(prepared.profile_names)}）")
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
    problems = Problems()
    results = []
    for path in paths:  # every unreadable article is reported, not only the first
        try:
            with system_refusals_as_problems():
                results.append(lint_file(path, rules))
        except BulletinError as error:
            problems.extend(error.problems)
    for result in results:
        shown = display_path(result.path)
        for entry in result.entries:
            print(entry.format(shown))
    problems.raise_if_any()  # an unreadable article: --fix writes nothing
    counts = count_by_rule(results)
    unfixable = sum(not entry.automatic for result in results for entry in result.entries)
    summary = "，".join(f"{rule} {count}" for rule, count in counts.most_common()) or "无"
    if args.fix:
        fixed = write_fixes(results)  # all or none
        print(f"已修改 {len(fixed)} 个文件，共 {counts.total()} 处：{summary}")
    else:
        print(f"共 {counts.total()} 处可自动修正：{summary}"
              + ("；用 --fix 写回文件" if counts else ""))
    if unfixable:
        print(f"另有 {unfixable} 处须人工处理", file=sys.stderr)
    return 1 if unfixable or (counts and not args.fix) else 0


def command_preflight(args: argparse.Namespace) -> int:
    if not args.pdf.is_file():
        raise BulletinError([Problem("文件不存在", args.pdf)])
    try:
        report = preflight(args.pdf, args.profile, args.binding, args.bleed, args.min_dpi)
    except pikepdf.PdfError as error:
        raise BulletinError([Problem(f"无法读取 PDF：{error}", args.pdf)]) from None
    print(report.to_json() if args.json else report.to_text())
    return 1 if report.errors else 0


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
    build.add_argument("--profile", choices=(*PROFILE_NAMES, "all"),
                       help="输出方案：screen（屏幕）、print（印刷）或 all（默认按版式设置）")
    build.add_argument("--pdfx", choices=("4", "1a"), help="印刷版的 PDF/X 版本（默认按版式设置，通常为 4）")
    build.add_argument("--icc-profile", type=Path, help="印刷厂提供的 CMYK 输出特性文件（.icc）")
    build.add_argument("--keep-html", action="store_true", help="同时写出排版用的 HTML，便于调试版式")
    build.add_argument("--strict", action="store_true", help="把 WeasyPrint 的警告也当作错误")
    build.add_argument("--force", action="store_true", help="即使输入未改动也重新排版")
    build.add_argument("-q", "--quiet", action="store_true", help="不显示进度")
    build.set_defaults(run=command_build)

    check = commands.add_parser("check", help="检查清单、文章、字体与版式，不写 PDF")
    check.add_argument("issue", type=Path, help="期刊文件夹")
    check.add_argument("--profile", choices=(*PROFILE_NAMES, "all"),
                       help="按哪种输出检查照片分辨率（默认与 build 相同，按版式设置）")
    check.add_argument("-q", "--quiet", action="store_true", help="不显示进度")
    check.set_defaults(run=command_check)

    fonts = commands.add_parser("fonts", help="列出每个字体角色实际使用的字体与后备字体")
    fonts.add_argument("issue", type=Path, nargs="?", default=Path("."),
                       help="期刊文件夹或项目文件夹（默认当前文件夹）")
    fonts.set_defaults(run=command_fonts)

    lint = commands.add_parser("lint", help="检查文章的标点、引号、空格等，--fix 写回修正")
    lint.add_argument("issue", type=Path, help="期刊文件夹")
    lint.add_argument("--fix", action="store_true", help="把修正写回 Markdown 文件")
    lint.set_defaults(run=command_lint)

    check_pdf = commands.add_parser("preflight", help="印前检查任意 PDF：字体、缺字、页面框、图片、PDF/X")
    check_pdf.add_argument("pdf", type=Path, help="要检查的 PDF 文件")
    check_pdf.add_argument("--profile", choices=PROFILE_NAMES, default="screen",
                           help="按哪种输出检查（默认 screen；印刷文件用 print）")
    check_pdf.add_argument("--binding", choices=BINDINGS, help="检查页数是否适合该装订方式")
    check_pdf.add_argument("--bleed", type=float, metavar="MM", help="检查出血是否恰为 MM 毫米")
    check_pdf.add_argument("--min-dpi", type=int, help="图片最低有效分辨率（默认 print 300，screen 150）")
    check_pdf.add_argument("--json", action="store_true", help="以 JSON 输出，供 CI 使用")
    check_pdf.set_defaults(run=command_preflight)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BulletinError as error:
        _print_problems(error)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except Exception as error:  # a bug in bulletin-pdf, not in the user's files
        _print_internal_error(error, args.debug)
        return EXIT_INTERNAL


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
