"""Building an issue, as a library: every stage in order, every requested output or none.

manifest → articles → fonts → layout (HTML) → pdf → postprocess → preflight.
`prepare` runs every check short of WeasyPrint (`check` stops there) and
reports all it finds at once. `build` then lays the outputs out — on several
cores at once, in forked children that die with the run — into a hidden
staging folder, and renames them over the old files only when every one of
them has passed. A failed or killed run leaves the old files as they were.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .articles import SectionArticles, load_articles_collecting
from .coverage import check_coverage
from .errors import BulletinError, Problem, Problems
from .files import StagingFolder, remove_unused, system_refusals_as_problems, writable
from .fonts import FontSet, load_fonts
from .forked import can_fork, run_jobs
from .icc import output_profile_problem
from .images import is_raster, warm_cache
from .incremental import SUBSETS_FOLDER, write_by_units
from .layout import (
    PROFILE_NAMES,
    HtmlDocument,
    Layout,
    Profile,
    check_fit,
    check_font_roles,
    load_layout,
    render_html,
)
from .manifest import BINDING_NAMES, Issue, load_issue_collecting, printable
from .names import FONTS_FILE, PROFILE_LABELS
from .postprocess import finish_print
from .preflight import preflight
from .request import BuildOptions, Made, Project, Shortcut, find_project
from .resolution import CoarsePhotos, check_photo_files, check_photo_resolution
from .stamps import build_digest, record, up_to_date
from .typography import Typography
from .units import worth_units

if TYPE_CHECKING:
    from .makeup import MakeupReport

T = TypeVar("T")
# Caches whose entries are touched when used; an entry unused this long goes.
PHOTO_CHECKS = "photo-checks"
CACHES_PRUNED_BY_USE = ("articles", "preflight", PHOTO_CHECKS, SUBSETS_FOLDER)
UNUSED_CACHE_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class Prepared:
    """Everything a build needs before WeasyPrint, validated."""

    project: Project
    issue: Issue
    sections: tuple[SectionArticles, ...]
    fonts: FontSet
    layout: Layout
    profiles: tuple[Profile, ...]  # the outputs to make, with the command line's choices
    outputs: dict[str, Path]  # where each profile's PDF goes
    photos: CoarsePhotos  # too coarse for print (errors) or for screen (warnings)

    @property
    def profile_names(self) -> tuple[str, ...]:
        return tuple(profile.name for profile in self.profiles)


def warn_on_stderr(warning: str) -> None:
    print(f"警告：{warning}", file=sys.stderr)


def prepare(options: BuildOptions, say: Callable[[str], None],
            warn: Callable[[str], None] = warn_on_stderr) -> Prepared:
    """Every check a build makes short of WeasyPrint, all problems reported at once.

    Only a manifest too broken to read stops early; otherwise the articles that load
    are checked (fonts, photos, tables) beside the problems of those that do not.
    """
    with system_refusals_as_problems():  # an unreadable file is the user's to fix, not a bug
        return _prepare(options, say, warn)


def _prepare(options: BuildOptions, say: Callable[[str], None], warn: Callable[[str], None]) -> Prepared:
    project = find_project(options.issue)
    say("读取期刊清单…")
    problems = Problems()
    ready = printable(load_issue_collecting(options.issue, problems))
    issue = ready.issue
    problems.extend(ready.problems)
    article_count = sum(len(section.articles) for section in issue.sections)
    say(f"读取 {len(issue.sections)} 个栏目、{article_count} 篇文章…")
    layout = _collecting(problems, load_layout, project.layouts, issue)
    fonts = _collecting(problems, load_fonts, project.fonts)
    typography = Typography.merged(layout.typography if layout else None, issue.typography)
    sections = load_articles_collecting(issue, typography, problems,
                                        None if options.fresh else project.cache)
    for warning in fonts.warnings if fonts else ():
        warn(str(warning))
    problems.extend(_option_problems(options))
    profiles: tuple[Profile, ...] = ()
    outputs: dict[str, Path] = {}
    photos = CoarsePhotos()
    warnings: list[Problem] = [*ready.warnings, *_left_for_a_person(sections)]
    if layout:
        profiles = tuple(_override(layout.profiles[name], options)
                         for name in _profile_names(options.profile, layout))
        outputs = {profile.name: _output_path(project, issue, profile, options, len(profiles))
                   for profile in profiles}
        problems.extend(_output_problems(outputs, options))
        say("检查照片按版面上的尺寸是否够清晰…")
        warnings += _collecting(problems, check_photo_files, issue, sections, layout,
                                None if options.fresh else project.cache / PHOTO_CHECKS) or ()
        photos = check_photo_resolution(issue, sections, layout, profiles)
        problems.extend(photos.errors)  # print needs them all: no output is made without it
        from .pdf import check_stylesheets  # WeasyPrint loads only when a build gets this far

        warnings += _collecting(problems, check_stylesheets, layout) or ()
    for warning in warnings:
        warn(str(warning))
    if layout and fonts:
        if _passes(problems, check_font_roles, layout, fonts, project.fonts / FONTS_FILE):
            _collecting(problems, check_fit, issue, sections, fonts, layout)
        say("检查每个字在字体中是否都有…")
        _collecting(problems, check_coverage, issue, sections, fonts, layout.text_roles)
    problems.raise_if_any()
    return Prepared(project, issue, sections, fonts, layout, profiles, outputs, photos)


def _left_for_a_person(sections: tuple[SectionArticles, ...]) -> list[Problem]:
    """What normalisation could not decide (straight quotes that do not pair): printed as
    written, so the editor is told where."""
    return [Problem(note.message, article.source, note.place[0])
            for entry in sections for article in entry.articles for note in article.notes]


def build(options: BuildOptions, say: Callable[[str], None],
          warn: Callable[[str], None] = warn_on_stderr, shortcut: Shortcut | None = None
          ) -> list[Made]:
    """Make every requested output, or none: old files stay until all new ones passed.
    `shortcut`: the no-op stamp, when the caller has made it already (the command line
    looks at it before loading any stage)."""
    with system_refusals_as_problems():
        shortcut = shortcut or Shortcut.of(options)
        if (done := shortcut.outputs()) is not None:
            return done  # nothing changed since every output was written: not even read
        prepared = prepare(options, say, warn)
        cache = prepared.project.cache
        digests = {profile.name: build_digest(prepared.issue.folder, prepared.layout.folder,
                                              prepared.project.fonts, prepared.fonts, profile)
                   for profile in prepared.profiles}
        stale = [profile for profile in prepared.profiles if options.force or not up_to_date(
            cache, prepared.outputs[profile.name], digests[profile.name])]
        made = {profile.name: Made(profile.name, prepared.outputs[profile.name], unchanged=True)
                for profile in prepared.profiles if profile not in stale}
        if stale:
            from .pdf import harfbuzz_subset_available  # WeasyPrint: only with something to lay out

            if not harfbuzz_subset_available():
                warn("未安装 libharfbuzz-subset0，字体子集化将慢约 20 倍"
                     "（sudo apt-get install libharfbuzz-subset0）")
            _warm_photos(prepared, stale, say)
            # By units, each unit renders its own HTML: the whole issue's only when asked for.
            whole = whole_document(prepared, options)
            documents = _render_html(prepared, stale) if whole or options.keep_html else {}
            made |= _make_all(prepared, stale, documents, options, say, warn)
            for profile in stale:
                record(cache, prepared.outputs[profile.name], digests[profile.name])
            for folder in CACHES_PRUNED_BY_USE:
                remove_unused(cache / folder, UNUSED_CACHE_SECONDS)
        shortcut.record(_system_files(prepared),
                        [(profile.name, prepared.outputs[profile.name]) for profile in prepared.profiles])
    return [made[profile.name] for profile in prepared.profiles]


def _system_files(prepared: Prepared) -> list[Path]:
    """Files outside the project a build read: font files, output profiles."""
    return [file.path for file in prepared.fonts.files] + [
        profile.icc_profile for profile in prepared.profiles if profile.icc_profile is not None]


def _make_all(prepared: Prepared, profiles: list[Profile], documents: dict[str, HtmlDocument],
              options: BuildOptions, say: Callable[[str], None],
              warn: Callable[[str], None]) -> dict[str, Made]:
    """Lay out every profile into staging; rename them all into place if all passed."""
    started_at = time.time()
    targets = {profile.name: _targets(prepared.outputs[profile.name], options)
               for profile in profiles}
    with ExitStack() as stack:
        staging = {folder: stack.enter_context(StagingFolder(folder)) for folder in
                   dict.fromkeys(path.parent for paths in targets.values() for path in paths)}

        def staged(target: Path) -> Path:
            return staging[target.parent].file(target)

        jobs = [(PROFILE_LABELS[profile.name],
                 partial(_make, prepared, profile, documents.get(profile.name),
                         [staged(target) for target in targets[profile.name]], options,
                         _labelled(say, profile.name), started_at))
                for profile in profiles]
        # By units, each output is laid out on every core: one after the other.
        outcomes = run_jobs(jobs, fork=len(jobs) > 1 and can_fork()
                            and whole_document(prepared, options))
        for warning in dict.fromkeys(warning for outcome in outcomes if outcome.value
                                     for warning in outcome.value.warnings):
            warn(warning)
        problems = list(dict.fromkeys(problem for outcome in outcomes
                                      for problem in outcome.problems))
        if problems:
            raise BulletinError(problems)
        for folder, stage in staging.items():
            stage.commit([target for paths in targets.values() for target in paths
                          if target.parent == folder])
    return {outcome.value.profile: outcome.value for outcome in outcomes}


def _labelled(say: Callable[[str], None], profile: str) -> Callable[[str], None]:
    """Progress of one output, named: both are made at once."""
    return lambda message: say(f"{PROFILE_LABELS[profile]}：{message}")


def _make(prepared: Prepared, profile: Profile, document: HtmlDocument | None, staged: list[Path],
          options: BuildOptions, say: Callable[[str], None], started_at: float) -> Made:
    """Render, finish and preflight one profile into its staged file(s); `started_at`:
    when the build began (`fresh`: nothing cached before it is used)."""
    started = time.perf_counter()
    issue = prepared.issue
    pdf_path = staged[0]
    with system_refusals_as_problems():
        if options.keep_html and document is not None:
            staged[1].write_text(document.html, encoding="utf-8")
        if whole_document(prepared, options) and document is not None:
            from .pdf import write_pdf

            result = write_pdf(document, pdf_path, profile, prepared.project.cache, say,
                               options.strict)
        else:
            result = write_by_units(prepared, profile, pdf_path, say, options.strict,
                                    since=started_at if options.fresh else None)
        warnings = [f"排版：{warning}" for warning in result.warnings]
        warnings += makeup_warnings(result.makeup)
        notes = []
        if profile.is_print:
            say("交付印刷前的处理：出血、裁切线、色彩标准、补空白页…")
            finish = finish_print(pdf_path, profile, issue.binding,
                                  keep_last_page_last=issue.colophon is not None)
            if finish.blank_pages_added:
                where = "版记前" if issue.colophon else "末尾"
                notes.append(f"为{BINDING_NAMES[issue.binding]}在{where}补了 "
                             f"{finish.blank_pages_added} 个空白页")
        say("检查成品：字体、缺字、图片、页面…")
        report = preflight(pdf_path, profile.name,
                           binding=issue.binding if profile.is_print else None,
                           bleed_mm=profile.bleed_mm if profile.is_print else None,
                           min_image_dpi=profile.minimum_dpi,
                           page_cache=None if options.fresh else prepared.project.cache / "preflight")
        warnings += [f"预检：{str(finding).removeprefix('警告 ')}" for finding in report.warnings]
        if report.errors:
            raise BulletinError([Problem(f"预检未通过：{finding}", prepared.outputs[profile.name])
                                 for finding in report.errors])
        os.chmod(pdf_path, 0o644)
    return Made(profile.name, prepared.outputs[profile.name], pages=report.pages, pdfx=report.pdfx,
                notes=tuple(notes), seconds=time.perf_counter() - started,
                warnings=tuple(warnings))


def whole_document(prepared: Prepared, options: BuildOptions) -> bool:
    """Lay the issue out in one piece: when asked to, or when it has too few units for
    laying them out apart (units.py) to pay for the fixed cost of each."""
    return options.whole_document or not worth_units(prepared.sections,
                                                     prepared.issue.colophon is not None)


def makeup_warnings(report: MakeupReport) -> list[str]:
    """The pages a typesetter would still look at, by their printed page numbers."""
    warnings = []
    if report.sparse:
        warnings.append(f"版面：第 {'、'.join(map(str, report.sparse))} 页不足半页"
                        "（不是文章按计划的末页），可删减文字或调整照片")
    if report.holes:
        warnings.append(f"版面：第 {'、'.join(map(str, report.holes))} 页页末留有空白，"
                        "文章在下一页继续")
    return warnings


def _targets(output: Path, options: BuildOptions) -> list[Path]:
    """The files one profile writes: its PDF, and with `--keep-html` the HTML beside it."""
    return [output, output.with_suffix(".html")] if options.keep_html else [output]


def _render_html(prepared: Prepared, profiles: list[Profile]) -> dict[str, HtmlDocument]:
    """Each profile's HTML, before any layout: a template's problems are reported once."""
    problems = Problems()
    documents = {profile.name: _collecting(problems, render_html, prepared.issue, prepared.sections,
                                           prepared.fonts, prepared.layout, profile)
                 for profile in profiles}
    if problems:
        raise BulletinError(dict.fromkeys(problems))
    return {name: document for name, document in documents.items() if document is not None}


def _warm_photos(prepared: Prepared, profiles: list[Profile], say: Callable[[str], None]) -> None:
    photos = [path for path in _photos(prepared) if is_raster(path)]
    if not photos:
        return
    printing = next((profile for profile in profiles if profile.is_print), None)
    say(f"准备 {len(photos)} 张照片（印刷版转为四色、屏幕版缩小；处理过的不再重复）…")
    warm_cache(photos, printing.icc_profile if printing else None,
               any(not profile.is_print for profile in profiles),
               prepared.project.cache / "images", os.cpu_count() or 2)


def _photos(prepared: Prepared) -> list[Path]:
    paths = [path for entry in prepared.sections for article in entry.articles
             for path in article.images]
    paths += [prepared.issue.folder / photo.file for entry in prepared.sections
              for photo in entry.photos]
    return list(dict.fromkeys(paths))


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


def _passes(problems: Problems, check: Callable[..., None], *args: Any) -> bool:
    """Run `check`; its problems go to `problems`; True if it found none."""
    try:
        check(*args)
    except BulletinError as error:
        problems.extend(error.problems)
        return False
    return True


def _override(profile: Profile, options: BuildOptions) -> Profile:
    """Command-line choices win over the layout's for the print profile."""
    if not profile.is_print:
        return profile
    changes: dict[str, Any] = {}
    if options.pdfx:
        changes["pdfx"] = options.pdfx
    if options.icc_profile:
        changes["icc_profile"] = options.icc_profile.resolve()
        changes["output_condition"] = options.icc_profile.stem
    return replace(profile, **changes)


def _option_problems(options: BuildOptions) -> list[Problem]:
    """The output profile given on the command line, checked before anything is laid out."""
    if options.icc_profile and (reason := output_profile_problem(options.icc_profile)):
        return [Problem(f"--icc-profile：{reason}", options.icc_profile)]
    return []


def _output_path(project: Project, issue: Issue, profile: Profile, options: BuildOptions,
                 profile_count: int) -> Path:
    """`build/<issue>.pdf` for screen, `build/<issue>-print.pdf` for print.

    With `-o`, a single profile writes exactly there; with both, print adds `-print`.
    """
    output = options.output
    if output is None:
        output = project.build / f"{issue.slug}.pdf"
    elif profile_count == 1:
        return output.absolute()
    output = output.absolute()
    return output.with_name(f"{output.stem}-print.pdf") if profile.is_print else output


def _output_problems(outputs: dict[str, Path], options: BuildOptions) -> list[Problem]:
    """Where the outputs go must take files: found before anything is laid out."""
    problems = []
    elsewhere = "用 -o 指定另一个输出文件"
    targets = [target for output in outputs.values() for target in _targets(output, options)]
    for target in targets:
        if target.is_dir():
            advice = ("请在 -o 后写出文件名，如 -o 文件夹/简报.pdf" if options.output is not None
                      else "请移走或改名这个文件夹，或用 -o 指定输出文件")
            problems.append(Problem(f"输出路径是一个文件夹，不能写入 PDF：{advice}", target))
        elif target.exists() and not target.is_file():
            problems.append(Problem(f"输出路径已存在，但不是普通文件：请{elsewhere}", target))
        elif target.exists() and not writable(target):
            problems.append(Problem(f"输出文件是只读的，不会覆盖它：请先取消只读，或{elsewhere}",
                                    target))
    for folder in dict.fromkeys(target.parent for target in targets):
        existing = next(path for path in (folder, *folder.parents) if path.exists())
        if not existing.is_dir():
            problems.append(Problem(f"输出路径中的 “{existing.name}” 是文件而不是文件夹：请{elsewhere}",
                                    existing))
        elif not writable(existing):
            problems.append(Problem(f"输出文件夹是只读的，无法写入：请取消只读，或{elsewhere}", existing))
    return problems
