"""The `bulletin-pdf` command: its parser and a short runner per command.

The pipeline itself is the `build` module (`prepare`, `build`), which takes
typed options. Messages are in Chinese; user mistakes exit with 2, internal
errors with 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .argparse_zh import ArgumentParser, integer, iso_date, number, port_number, positive_integer
from .errors import BulletinError, Problem, Problems, display_path
from .forked import ChildDied
from .names import BINDINGS, DEFAULT_PORT, FONTS_FILE, MANIFEST_NAME, PROFILE_LABELS, PROFILE_NAMES
from .request import BuildOptions, Made, Shortcut, find_project, is_several, issue_folders

# Each command loads the stages it runs when it runs: a build with nothing to do, the
# common case in CI and after a save that changed nothing, loads none of them.
if TYPE_CHECKING:
    from .batch import IssueBuild
    from .fonts import RoleFont
    from .importing import ImportResult

EXIT_PROBLEMS = 2
EXIT_INTERNAL = 1
EXIT_BROKEN_PIPE = 128 + 13  # as for any program whose reader stopped reading (SIGPIPE)


def command_build(args: argparse.Namespace) -> int:
    say = _progress(args.quiet or args.json)
    options = BuildOptions(args.issues[0], args.output, args.profile, args.pdfx, args.icc_profile,
                           args.keep_html, args.strict, args.force, args.whole_document,
                           fresh=args.force)
    if args.json or is_several(args.issues):
        return _build_several(args, options, say)
    try:
        shortcut = Shortcut.of(options)
        made = shortcut.outputs() or _build(options, say, shortcut)
    except ChildDied as error:  # the OOM killer, or someone, ended a layout process
        print(f"构建失败：{error}（可能是内存不足或被手动终止）；未写入任何文件，原有文件不变",
              file=sys.stderr)
        return EXIT_INTERNAL
    for output in made:
        print(_made_line(output))
    return 0


def _build(options: BuildOptions, say: Callable[[str], None], shortcut: Shortcut) -> list[Made]:
    from .build import build  # only with something to build

    return build(options, say, shortcut=shortcut)


def _made_line(output: Made) -> str:
    shown = display_path(output.path)
    if output.unchanged:
        return f"未改动，跳过 {shown}（{PROFILE_LABELS[output.profile]}；--force 可强制重排）"
    kind = PROFILE_LABELS[output.profile] + (f"，{output.pdfx}" if output.pdfx else "")
    return (f"已写入 {shown}（{kind}）：{output.pages} 页，"
            f"{_human_size(output.path.stat().st_size)}，用时 {output.seconds:.1f} 秒"
            + "".join(f"；{note}" for note in output.notes))


def _build_several(args: argparse.Namespace, options: BuildOptions, say: Callable[[str], None]) -> int:
    """Several issues (or `--json`): every issue built, one summary, non-zero if any failed."""
    from .batch import build_issues, summary

    folders = issue_folders(args.issues)
    if args.output and len(folders) > 1:
        raise BulletinError([Problem("-o 只能用于一期：构建多期时，各期写入各自的 build/<期刊>.pdf")])
    outcomes = build_issues(folders, options,
                            lambda folder, message: say(f"{display_path(folder)}：{message}"))
    failed = [outcome for outcome in outcomes if not outcome.ok]
    if args.json:
        print(json.dumps(summary(outcomes), ensure_ascii=False, indent=2))
        return EXIT_PROBLEMS if failed else 0
    for outcome in outcomes:
        failure = "" if outcome.ok else f"发现 {len(outcome.problems)} 个问题："
        print(f"\n{display_path(outcome.issue)}：{failure}")
        for line in [_made_line(output) for output in outcome.made] or map(str, outcome.problems):
            print(f"  {line}")
        for warning in outcome.warnings:
            print(f"  警告：{warning}")
    print("\n汇总：")
    for outcome in outcomes:
        print(f"  {display_path(outcome.issue)}  {_outcome_cells(outcome)}")
    if failed:
        print(f"{len(outcomes) - len(failed)} 期成功，{len(failed)} 期未通过："
              + "、".join(display_path(outcome.issue) for outcome in failed), file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"{len(outcomes)} 期全部完成")
    return 0


def _outcome_cells(outcome: IssueBuild) -> str:
    if not outcome.ok:
        return f"未通过（{len(outcome.problems)} 个问题，未写入任何文件）"
    cells = [f"{PROFILE_LABELS[made.profile]} " + (
        "未改动" if made.unchanged else f"{made.pages} 页 {_human_size(made.path.stat().st_size)}")
        for made in outcome.made]
    return "，".join(cells) + f"；用时 {outcome.seconds:.1f} 秒"


def command_watch(args: argparse.Namespace) -> int:
    from .watch import Reporter, start_server, watch  # only the commands that use them load them

    server, project = start_server(args.issue, args.port)
    print(f"预览：{server.url}    （保存文件即重排；按 Ctrl-C 停止）", flush=True)

    def updated(made: Made, seconds: float) -> None:
        print(f"{time.strftime('%H:%M:%S')} 已更新 {display_path(made.path)}：{made.pages} 页，"
              f"用时 {seconds:.1f} 秒", flush=True)

    def failed(problems: list[str]) -> None:
        print(f"{time.strftime('%H:%M:%S')} 发现问题，保留上一次的 PDF：", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr, flush=True)

    reporter = Reporter(_progress(args.quiet), updated, failed)
    # Ctrl-C ends a watch even when started from a program that ignored SIGINT (which a
    # child inherits, and Python then never turns into KeyboardInterrupt).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a watch ends
        watch(args.issue, server, project, reporter, args.open)
    print("已停止预览", flush=True)
    return 0


def command_check(args: argparse.Namespace) -> int:
    from .build import prepare
    from .layout import render_html

    prepared = prepare(BuildOptions(args.issue, profile=args.profile), _progress(args.quiet))
    for profile in prepared.layout.profiles.values():  # the templates render for every profile
        render_html(prepared.issue, prepared.sections, prepared.fonts, prepared.layout, profile)
    for warning in prepared.photos.warnings:
        print(f"警告：{warning}", file=sys.stderr)
    print(f"字体：{'；'.join(_role_summary(role) for role in prepared.fonts.roles.values())}")
    print(f"检查通过：{display_path(args.issue)}"
          f"（{'、'.join(PROFILE_LABELS[name] for name in prepared.profile_names)}）")
    return 0


def command_new(args: argparse.Namespace) -> int:
    from .new_issue import create_issue

    made = create_issue(args.issue, args.source, args.number, args.date)
    for warning in made.skipped:
        print(f"警告：{warning}", file=sys.stderr)
    shown = display_path(made.folder)
    origin = (f"沿用 {display_path(made.source)} 的简报名、报头、版记、栏目等设置，文章与照片已清空"
              if made.source else "新模板：请先把标有“（请修改）”的简报名和编印单位改成实际内容")
    print(f"已创建第 {made.number} 期（{made.date.isoformat()}）：{shown}")
    print(f"  {display_path(made.manifest)}  期刊清单（{origin}）")
    print(f"  {display_path(made.articles)}/  放文章的文件夹")
    print("栏目：" + "、".join(title + ("（图片栏目）" if kind == "gallery" else "")
                              for title, kind in made.sections))
    section = next((title for title, kind in made.sections if kind != "gallery"), None)
    print("下一步：")
    if section is not None:
        print(f"  bulletin-pdf import {shown} 稿件.docx --section {section}    把 Word 稿件导入为文章")
    if any(kind == "gallery" for _, kind in made.sections):
        print(f"  bulletin-pdf import {shown} 照片文件夹/    把手机照片导入图片栏目（文件名即图注）")
    print(f"  bulletin-pdf check {shown}    检查还缺什么")
    print(f"  bulletin-pdf build {shown}    排出 PDF")
    return 0


def _role_summary(role: RoleFont) -> str:
    used = f"同 {role.borrowed_from}" if role.borrowed_from else role.families[0]
    return f"{role.role} {used}"


def command_import(args: argparse.Namespace) -> int:
    from .importing import import_files  # Word's libraries: only for import

    result = import_files(args.issue, args.files, args.section, args.force)
    shown = display_path(args.issue)
    manifest = display_path(args.issue / MANIFEST_NAME)
    if result.files:
        print(f"已导入 {len(result.files)} 篇文章，列在栏目“{result.section}”的末尾（{manifest}）")
    for imported in result.files:
        notes = [f"图片 {len(imported.images)} 张" if imported.images else "",
                 "替换了原有文章" if imported.overwritten else "",
                 "期刊清单中已有，未重复列出" if imported.already_listed else ""]
        print(f"\n{imported.source.name} → {display_path(imported.article)}"
              + (f"（{'，'.join(note for note in notes if note)}）" if any(notes) else ""))
        for line in imported.report.lines():
            print(f"  {line}")
    if result.photos:
        _print_photos(result, manifest)
    for path in result.skipped:
        print(f"跳过（不是 Word 稿件或照片）：{display_path(path)}", file=sys.stderr)
    print(f"\n下一步：\n  bulletin-pdf check {shown}    检查文章、照片与字体"
          f"\n  bulletin-pdf build {shown}    排出 PDF")
    return 0


def _print_photos(result: ImportResult, manifest: str) -> None:
    print(f"\n已导入 {len(result.photos)} 张照片，列在图片栏目“{result.gallery}”的末尾（{manifest}）")
    for photo in result.photos:
        notes = ["已有同样的照片，未再复制" if not photo.copied else "",
                 "期刊清单中已有，未重复列出" if photo.already_listed else ""]
        caption = f"图注：{photo.caption}" if photo.caption else "没有图注（文件名不是图注）"
        print(f"  {photo.source.name} → {display_path(photo.target)}  {caption}"
              + (f"（{'，'.join(note for note in notes if note)}）" if any(notes) else ""))
    if any(photo.caption is None for photo in result.photos):
        print(f"  要加图注：在 {manifest} 中这些照片的 file 下加一行 caption: 图注"
              "（下次导入前，也可先把照片改名为图注，如 开班式现场.jpg）")


def command_fonts(args: argparse.Namespace) -> int:
    """Which font prints each role, its fallbacks, and the candidates skipped."""
    from .fonts import load_fonts

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
    from .files import system_refusals_as_problems
    from .layout import load_layout
    from .lint import count_by_rule, count_summary, lint_file, write_fixes
    from .manifest import load_issue
    from .typography import Typography

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
    summary = count_summary(counts)
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
    from .preflight import preflight

    named_print = args.pdf.name.endswith("-print.pdf")  # as `build` names the print output
    report = preflight(args.pdf, args.profile or ("print" if named_print else None),
                       args.binding, args.bleed, args.min_dpi)
    if args.profile is None and report.profile == "print":
        why = "文件名以 -print.pdf 结尾" if named_print else f"文件为 {report.pdfx}"
        print(f"按印刷版检查（{why}）；按屏幕版检查请加 --profile screen", file=sys.stderr)
    print(report.to_json() if args.json else report.to_text())
    return 1 if report.errors else 0


def _progress(quiet: bool) -> Callable[[str], None]:
    """Progress on stderr (each output's steps are named by the build)."""
    def say(message: str) -> None:
        if not quiet:
            print(message, file=sys.stderr, flush=True)
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
                    "bulletin-pdf build issues/2025-001 -o 第1期.pdf",
                    "bulletin-pdf build issues/ --json")
    build.add_argument("issues", type=Path, nargs="+", metavar="期刊文件夹",
                       help="如 issues/2025-001；可写几期，或写 issues/ 构建其中的每一期")
    build.add_argument("-o", "--output", type=Path, metavar="文件.pdf",
                       help="输出 PDF 路径（默认 build/<期刊>.pdf；两版都出时印刷版为 文件-print.pdf）")
    build.add_argument("--profile", choices=(*PROFILE_NAMES, "all"),
                       help="输出哪一版：screen（屏幕版）、print（印刷版）或 all（两版；默认按版式设置）")
    build.add_argument("--pdfx", choices=("4", "1a"), help="印刷版的 PDF/X 版本（默认按版式设置，通常为 4）")
    build.add_argument("--icc-profile", type=Path, metavar="文件.icc",
                       help="印刷厂提供的 CMYK 输出特性文件")
    build.add_argument("--keep-html", action="store_true", help="同时写出排版用的 HTML，便于调试版式")
    build.add_argument("--strict", action="store_true", help="把排版警告（如被忽略的 CSS）也当作错误")
    build.add_argument("--force", action="store_true", help="即使输入未改动也重新排版，且不用缓存的排版结果")
    build.add_argument("--whole-document", action="store_true",
                       help="整期一次排版，不分单元、不用单元缓存（较慢，用于对照检查）")
    build.add_argument("-q", "--quiet", action="store_true", help="不显示进度")
    build.add_argument("--json", action="store_true",
                       help="以 JSON 打印结果（各期的文件、页数、大小、用时、是否跳过、问题），供 CI 使用")
    build.set_defaults(run=command_build)

    watching = command("watch", "边改边看：保存即重排屏幕版，在浏览器中预览",
                       "先排出屏幕版 PDF，再监视期刊文件夹、版式与 fonts/：每次保存都重排，\n"
                       "并在本机（127.0.0.1）提供预览页：显示 PDF、排版状态与问题，新的 PDF 排好后\n"
                       "自动刷新并停在正在看的那一页。有问题时保留上一次排好的 PDF。按 Ctrl-C 停止。",
                       "bulletin-pdf watch issues/2025-001 --open",
                       "bulletin-pdf watch issues/2025-001 --port 8800")
    watching.add_argument("issue", type=Path, metavar="期刊文件夹", help="如 issues/2025-001")
    watching.add_argument("--port", type=port_number, metavar="端口",
                          help=f"预览页的端口（默认 {DEFAULT_PORT}，被占用时自动另选）")
    watching.add_argument("--open", action="store_true", help="用默认浏览器打开预览页")
    watching.add_argument("-q", "--quiet", action="store_true", help="不显示每次排版的进度")
    watching.set_defaults(run=command_watch)

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

    new = command("new", "新建一期：沿用上一期的设置与栏目，文章清空",
                  "新建一期简报的文件夹：issue.yaml 与 articles/ 文件夹。\n"
                  "沿用 issues/ 中最新一期（期号最大，其次日期最晚）的简报名、报头、口号、编印单位、\n"
                  "版式、纸张、装订、版记和栏目（保留注释），期号加 1，日期为今天，文章与照片清空；\n"
                  "还没有任何一期时写出带注释的模板。不会覆盖已有的文件夹。",
                  "bulletin-pdf new issues/2025-002",
                  "bulletin-pdf new issues/2025-002 --from issues/2025-001",
                  "bulletin-pdf new issues/2026-001 --number 1 --date 2026-01-15")
    new.add_argument("issue", type=Path, metavar="期刊文件夹",
                     help="新一期的文件夹，须还不存在，如 issues/2025-002")
    new.add_argument("--from", dest="source", type=Path, metavar="期刊文件夹",
                     help="沿用这一期的设置（默认：issues/ 中最新的一期）")
    new.add_argument("--number", type=positive_integer, metavar="期号",
                     help="新一期的期号（默认：所沿用一期的期号加 1）")
    new.add_argument("--date", type=iso_date, metavar="YYYY-MM-DD", help="新一期的日期（默认：今天）")
    new.set_defaults(run=command_new)

    word = command("import", "把 Word 稿件导入为本期的文章，把照片导入图片栏目",
                   "把 Word 稿件转换为文章（Markdown 与头信息，图片放在 articles/images/），\n"
                   "列在 issue.yaml 中栏目的末尾（保留清单的注释与顺序），并逐篇报告：标题、署名、\n"
                   "小标题、图片、表格、脚注，以及去掉的内容（批注、修订中删除的文字、文本框等）。\n"
                   "照片（JPEG、HEIC、PNG 等）复制到 gallery/，列入图片栏目；文件名即图注\n"
                   "（如 开班式现场.jpg；IMG_0001.HEIC 这样的名字不作图注）。给出文件夹时，导入其中的\n"
                   "Word 稿件与照片。不会覆盖已有的文件（加 --force 才替换）；任何一个导入失败时，\n"
                   "什么都不写。.doc 与 WPS 的 .wps 文件在装有 LibreOffice 时先转换为 .docx。",
                   "bulletin-pdf import issues/2025-002 稿件.docx",
                   "bulletin-pdf import issues/2025-002 开班.docx 座谈会.docx --section 简讯",
                   "bulletin-pdf import issues/2025-002 手机照片/",
                   "bulletin-pdf import issues/2025-002 开班.docx --force")
    word.add_argument("issue", type=Path, metavar="期刊文件夹", help="如 issues/2025-002")
    word.add_argument("files", type=Path, nargs="+", metavar="文件",
                      help="Word 文件（.docx）、照片，或装着它们的文件夹")
    word.add_argument("--section", metavar="栏目",
                      help="列在哪个栏目（栏目名，如 简讯；默认：文章列在第一个文章栏目，"
                           "照片列在第一个图片栏目）")
    word.add_argument("--force", action="store_true", help="替换已有的同名文章、图片与照片")
    word.set_defaults(run=command_import)

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
