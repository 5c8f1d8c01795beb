"""Stage 4 by units: each layout unit (units.py) laid out on its own, on every core,
cached; the unit PDFs merged into the issue's (merge.py).

A unit's HTML does not say where it falls: its first page number and side come
as a separate stylesheet (the layout's `unit.css.j2`). So the cache holds, by a
digest of the HTML, the files it shows and everything else it depends on
(program, layout, fonts, profile):
- the HTML as make-up left it, and its page count: laid out again anywhere in
  one pass, and telling where the next unit starts;
- with the placement added to the digest, the unit's PDF.
An edit lays out again only the units whose HTML changed, and the units after
them only if the page count moved them. On a cold build the units are laid out
at once where they are guessed to fall; the ones that fall elsewhere are laid out
again from their made-up HTML. The cover comes last, given the 目录's numbers.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import BulletinError
from .files import write_atomically
from .forked import run_pool
from .layout import HtmlDocument, Profile, render_html, render_unit_stylesheet
from .preflight import PROFILE_LABELS
from .stamps import environment_digest, unit_digest
from .units import UnitPlan, UnitView, body_view, cover_view, plan_units, with_stubs

if TYPE_CHECKING:
    from .build import Prepared
    from .merge import UnitPdf
    from .pdf import RenderResult

CACHE_FOLDER = "units"
PRUNE_AFTER_SECONDS = 3600
MAX_ROUNDS = 4  # a unit's page count does not depend on where it falls: 2 rounds at most


@dataclass(frozen=True)
class UnitOutput:
    """A unit laid out and written: what the merge and the build report need of it."""

    pages: int  # its pages in the issue (not counting its page of stub anchors)
    bookmark_levels: tuple[int, ...]
    anchor_pages: dict[str, int]  # id → index of its page in the unit
    warnings: tuple[str, ...]
    sparse: tuple[int, ...]  # make-up's report, counted from the unit's first page (1)
    holes: tuple[int, ...]
    toc_pages: int


@dataclass(frozen=True)
class _Unit:
    plan: UnitPlan
    document: HtmlDocument
    content: str  # digest of its HTML and everything else but its placement
    stub_page: bool  # its last page holds only anchors of other units' (left out)


class UnitStore:
    """The unit cache: `.cache/units/`, files named by digest."""

    def __init__(self, folder: Path):
        self.folder = folder

    def pdf(self, key: str) -> Path:
        return self.folder / f"{key}.pdf"

    def output(self, key: str) -> UnitOutput | None:
        record = self.folder / f"{key}.json"
        if not (record.is_file() and self.pdf(key).is_file()):
            return None
        values = json.loads(record.read_text(encoding="utf-8"))
        return UnitOutput(**{name: tuple(value) if isinstance(value, list) else value
                             for name, value in values.items()})

    def save_output(self, key: str, output: UnitOutput) -> None:
        write_atomically(self.folder / f"{key}.json", json.dumps(asdict(output)).encode())

    def made_up(self, content: str) -> tuple[str, int] | None:
        """The unit's HTML after make-up, and its page count."""
        record = self.folder / f"{content}.made-up.json"
        if not record.is_file():
            return None
        values = json.loads(record.read_text(encoding="utf-8"))
        return values["html"], values["pages"]

    def save_made_up(self, content: str, html: str, pages: int) -> None:
        write_atomically(self.folder / f"{content}.made-up.json",
                         json.dumps({"html": html, "pages": pages}, ensure_ascii=False).encode())

    def last_counts(self, name: str) -> dict[str, int]:
        record = self.folder / f"{name}.index.json"
        return json.loads(record.read_text(encoding="utf-8"))["counts"] if record.is_file() else {}

    def save_index(self, name: str, counts: dict[str, int], digests: list[str]) -> None:
        """What the last build of an output used: its units' page counts, its files."""
        write_atomically(self.folder / f"{name}.index.json",
                         json.dumps({"counts": counts, "digests": sorted(digests)}).encode())

    def prune(self, max_age: float = PRUNE_AFTER_SECONDS) -> None:
        """Remove the files no output's last build used, once they are old enough that no
        build running beside this one (`build issues/`) can be about to use them."""
        used = set()
        for index in self.folder.glob("*.index.json"):
            with contextlib.suppress(OSError, ValueError, KeyError):
                used.update(json.loads(index.read_text(encoding="utf-8"))["digests"])
        now = time.time()
        for path in self.folder.iterdir():
            digest = path.name.split(".", 1)[0]
            if path.name.endswith(".index.json") or digest in used:
                continue
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > max_age:
                    path.unlink()


def write_by_units(prepared: Prepared, profile: Profile, target: Path,
                   say: Callable[[str], None], strict: bool) -> RenderResult:
    """Lay the issue out unit by unit (cached, in parallel) and merge them into `target`."""
    from .makeup import MakeupReport  # WeasyPrint: only where something is laid out
    from .merge import merge_units
    from .pdf import RenderResult

    store = UnitStore(prepared.project.cache / CACHE_FOLDER)
    store.folder.mkdir(parents=True, exist_ok=True)
    # --strict fails on WeasyPrint's warnings, which only a layout sees: units laid out
    # without it are not reused with it.
    environment = environment_digest(prepared.layout.folder, prepared.project.fonts,
                                     prepared.fonts, profile) + ("|strict" if strict else "")
    plans = plan_units(prepared.sections, prepared.issue.colophon is not None)
    body = [_unit(prepared, profile, environment, plan, body_view(plan)) for plan in plans[:-1]]
    render = partial(_render, store, profile, prepared.project.cache, strict)
    counts_name = f"{prepared.issue.slug}-{profile.name}"
    outputs, folios = _lay_out_body(prepared, profile, store, body,
                                    store.last_counts(counts_name), render, say)
    toc_pages = {anchor: folios[unit.plan.key] + index for unit in body
                 for anchor, index in outputs[unit.plan.key].anchor_pages.items()}
    cover = _unit(prepared, profile, environment, plans[-1], cover_view(toc_pages))
    say("排封面和目录…")
    cover_key = unit_digest(cover.content, "", [])
    cover_output = store.output(cover_key) or _one(render, cover, cover_key, None)
    say(f"合并 {len(body) + 1} 个排版单元…")
    pages = merge_units(_unit_pdf(store, cover_key, cover_output),
                        [_unit_pdf(store, _placed_key(unit, folios[unit.plan.key]),
                                   outputs[unit.plan.key]) for unit in body], target)
    store.save_index(counts_name, {unit.plan.key: outputs[unit.plan.key].pages for unit in body},
                     [cover_key, cover.content, *(unit.content for unit in body),
                      *(_placed_key(unit, folios[unit.plan.key]) for unit in body)])
    store.prune()
    warnings = tuple(dict.fromkeys(warning for output in (cover_output, *outputs.values())
                                   for warning in output.warnings))
    report = MakeupReport(
        tuple(folios[unit.plan.key] + folio - 1 for unit in body
              for folio in outputs[unit.plan.key].sparse),
        tuple(folios[unit.plan.key] + folio - 1 for unit in body
              for folio in outputs[unit.plan.key].holes),
        cover_output.toc_pages)
    return RenderResult(pages, warnings, report)


def _unit(prepared: Prepared, profile: Profile, environment: str, plan: UnitPlan,
          view: UnitView) -> _Unit:
    document = _html(prepared, profile, view)
    stubbed = with_stubs(view, document.html)
    if stubbed is not None:
        document = _html(prepared, profile, stubbed)
    files = [path for entry in plan.sections for article in entry.articles for path in article.images]
    files += [prepared.issue.folder / photo.file for entry in plan.sections for photo in entry.photos]
    content = unit_digest(environment, document.html, files)
    return _Unit(plan, document, content, stubbed is not None or plan.cover)


def _html(prepared: Prepared, profile: Profile, view: UnitView) -> HtmlDocument:
    return render_html(prepared.issue, prepared.sections, prepared.fonts, prepared.layout,
                       profile, view)


def _placed_key(unit: _Unit, folio: int) -> str:
    return unit_digest(unit.content, str(folio), [])


def _lay_out_body(prepared: Prepared, profile: Profile, store: UnitStore, body: list[_Unit],
                  last: dict[str, int], render: Callable, say: Callable[[str], None]
                  ) -> tuple[dict[str, UnitOutput], dict[str, int]]:
    """Every body unit laid out and written where it falls.

    A unit's page count is known when its made-up HTML is cached. Where it is not,
    the units after it may fall elsewhere than guessed: those are laid out but not
    written in this round (their made-up HTML is kept), and written in the next.
    """
    counts, known = {}, {}
    for unit in body:
        made_up = store.made_up(unit.content)
        known[unit.plan.key] = made_up is not None
        counts[unit.plan.key] = made_up[1] if made_up else last.get(unit.plan.key, 1)
    for _ in range(MAX_ROUNDS):
        folios = _folios(body, counts)
        placed = {unit.plan.key: _placed_key(unit, folios[unit.plan.key]) for unit in body}
        outputs = {unit.plan.key: output for unit in body
                   if (output := store.output(placed[unit.plan.key])) is not None}
        missing = [unit for unit in body if unit.plan.key not in outputs]
        if not missing:
            return outputs, folios
        certain = _certain(body, known)
        workers = min(len(missing), os.cpu_count() or 1)
        say(f"排版中：{len(missing)} 个单元（共 {len(body)} 个，{workers} 个进程同时排）…")
        jobs = [(_label(profile, unit), partial(
            render, unit, placed[unit.plan.key] if unit.plan.key in certain else None,
            render_unit_stylesheet(prepared.layout, folios[unit.plan.key])))
            for unit in missing]
        problems = []
        for unit, outcome in zip(missing, run_pool(jobs, workers), strict=True):
            problems += outcome.problems
            if outcome.value is not None:
                counts[unit.plan.key] = outcome.value.pages
                known[unit.plan.key] = True
        if problems:
            raise BulletinError(list(dict.fromkeys(problems)))
    raise RuntimeError(f"units still moving after {MAX_ROUNDS} rounds: {counts}")


def _certain(body: list[_Unit], known: dict[str, bool]) -> set[str]:
    """The units whose place is sure: every unit before them has a known page count."""
    certain = set()
    for unit in body:
        certain.add(unit.plan.key)
        if not known[unit.plan.key]:
            break
    return certain


def _label(profile: Profile, unit: _Unit) -> str:
    """Names a unit's process in messages: 印刷版（开班式…）."""
    return f"{PROFILE_LABELS[profile.name]}（{unit.plan.label}）"


def _folios(body: list[_Unit], counts: dict[str, int]) -> dict[str, int]:
    """Each unit's first page number: body page 1 opens the first."""
    folios, folio = {}, 1
    for unit in body:
        folios[unit.plan.key] = folio
        folio += counts[unit.plan.key]
    return folios


def _one(render: Callable, unit: _Unit, key: str, placement: str | None) -> UnitOutput:
    outcome = run_pool([(unit.plan.label, partial(render, unit, key, placement))], 1)[0]
    if outcome.problems:
        raise BulletinError(list(outcome.problems))
    return outcome.value


def _render(store: UnitStore, profile: Profile, cache: Path, strict: bool, unit: _Unit,
            key: str | None, placement: str | None) -> UnitOutput:
    """Lay out one unit and write it into the store as `key` (in a child process, or in
    this one); with no key, lay it out only, for its page count and make-up."""
    from .pdf import write_pdf

    made_up = store.made_up(unit.content)
    document = replace(unit.document, html=made_up[0]) if made_up else unit.document
    staged = store.folder / f"{key}.{os.getpid()}.tmp" if key else None
    try:
        result = write_pdf(document, staged, profile, cache, strict=strict, placement=placement)
        if staged is not None:
            os.replace(staged, store.pdf(key))
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)
    pages = result.pages - (1 if unit.stub_page else 0)
    output = UnitOutput(pages, result.bookmark_levels,
                        {name: index for name, index in result.anchor_pages.items()
                         if index < pages},
                        result.warnings, result.makeup.sparse, result.makeup.holes,
                        result.makeup.toc_pages)
    if made_up is None:
        store.save_made_up(unit.content, result.made_up_html, pages)
    if key is not None:
        store.save_output(key, output)
    return output


def _unit_pdf(store: UnitStore, key: str, output: UnitOutput) -> UnitPdf:
    from .merge import UnitPdf

    return UnitPdf(store.pdf(key), output.pages, output.bookmark_levels)
