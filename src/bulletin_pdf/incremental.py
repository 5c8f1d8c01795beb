"""Stage 4 by units: each layout unit (units.py) laid out on its own, on every core,
cached; the unit PDFs merged into the issue's (merge.py).

A unit's HTML does not say where it falls: its first page number and side (the
cover: its 目录's page numbers) come as a separate stylesheet, the layout's
`unit.css.j2`. So the cache (`.cache/units/`) holds, by a digest of the HTML, the
files it shows and everything else it depends on (program, layout, fonts, profile):
- the HTML as make-up left it, its page count and its anchors' pages: laid out
  again anywhere in one pass, and telling where the next unit starts;
- with the placement added to the digest, the unit's PDF.
An edit lays out again only the units whose HTML changed, and the units after
them only if the page count moved them (from their made-up HTML, one pass). A
unit not made up before is laid out by a child where it is guessed to fall; the
child then asks where it does fall — known once every unit before it is known —
and, when the guess was wrong, lays it out again there before writing. Print
starts from the make-up screen left (the outputs differ in colours, bleed and
images, not in line breaks).
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
from .forked import Ask, Conversations
from .layout import HtmlDocument, Profile, render_html, render_unit_stylesheet
from .names import PROFILE_LABELS
from .stamps import environment_digest, unit_digest
from .subsets import configured_faces
from .units import UnitPlan, UnitView, body_view, cover_view, plan_units, with_stubs

if TYPE_CHECKING:
    from .build import Prepared
    from .merge import UnitPdf
    from .pdf import RenderResult, SharedStyles

CACHE_FOLDER = "units"
SUBSETS_FOLDER = "subsets"
PRUNE_AFTER_SECONDS = 3600
ALIVE_PER_WORKER = 3  # children waiting to learn where their unit falls, besides the working
KEPT_STYLES = 4  # environments (layout, fonts, profile) whose parsed stylesheets are kept
_KEPT_STYLES: dict[str, SharedStyles] = {}


@dataclass(frozen=True)
class UnitOutput:
    """A unit laid out and written: what the merge and the build report need of it."""

    pages: int  # its pages in the issue (not counting its page of stub anchors)
    bookmark_levels: tuple[int, ...]
    warnings: tuple[str, ...]
    sparse: tuple[int, ...]  # make-up's report, counted from the unit's first page (1)
    holes: tuple[int, ...]
    toc_pages: int


@dataclass(frozen=True)
class Known:
    """Body units' page counts and their anchors' pages (from the unit's first), by key."""

    counts: dict[str, int]
    anchors: dict[str, dict[str, int]]


@dataclass(frozen=True)
class _Unit:
    plan: UnitPlan
    document: HtmlDocument
    content: str  # digest of its HTML and everything else but its placement
    stub_page: bool  # its last page holds only anchors of other units' (left out)


class UnitStore:
    """The unit cache: `.cache/units/`, files named by digest. With `since` (a time), only
    what was written since counts: `--force` lays out everything again, and print still
    takes the make-up screen left in the same build."""

    def __init__(self, folder: Path, since: float | None = None):
        self.folder = folder
        self.since = since

    def _current(self, record: Path) -> bool:
        try:
            written = record.stat().st_mtime
        except OSError:
            return False
        return self.since is None or written >= self.since

    def pdf(self, key: str) -> Path:
        return self.folder / f"{key}.pdf"

    def output(self, key: str) -> UnitOutput | None:
        record = self.folder / f"{key}.json"
        if not (self._current(record) and self.pdf(key).is_file()):
            return None
        values = json.loads(record.read_text(encoding="utf-8"))
        return UnitOutput(**{name: tuple(value) if isinstance(value, list) else value
                             for name, value in values.items()})

    def save_output(self, key: str, output: UnitOutput) -> None:
        write_atomically(self.folder / f"{key}.json", json.dumps(asdict(output)).encode())

    def made_up(self, content: str) -> tuple[str, int, dict[str, int]] | None:
        """The unit's HTML after make-up, its page count, and its anchors' pages."""
        record = self.folder / f"{content}.made-up.json"
        if not self._current(record):
            return None
        values = json.loads(record.read_text(encoding="utf-8"))
        return values["html"], values["pages"], values["anchors"]

    def save_made_up(self, content: str, html: str, pages: int, anchors: dict[str, int]) -> None:
        write_atomically(self.folder / f"{content}.made-up.json", json.dumps(
            {"html": html, "pages": pages, "anchors": anchors}, ensure_ascii=False).encode())

    def last_known(self, name: str) -> Known:
        """The units' page counts and anchors' pages in the output's last build."""
        record = self.folder / f"{name}.index.json"
        if not record.is_file():
            return Known({}, {})
        values = json.loads(record.read_text(encoding="utf-8"))
        return Known(values["counts"], values.get("anchors", {}))

    def save_index(self, name: str, known: Known, digests: list[str]) -> None:
        """What the last build of an output used: its units' page counts and anchors'
        pages, its files."""
        write_atomically(self.folder / f"{name}.index.json", json.dumps(
            {"counts": known.counts, "anchors": known.anchors, "digests": sorted(digests)},
            ensure_ascii=False).encode())

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
                   say: Callable[[str], None], strict: bool, since: float | None = None
                   ) -> RenderResult:
    """Lay the issue out unit by unit (cached, in parallel) and merge them into `target`;
    `since` (a time: `--force`), nothing laid out before it is used."""
    from .makeup import MakeupReport  # WeasyPrint: only where something is laid out
    from .merge import merge_units
    from .pdf import RenderResult

    store = UnitStore(prepared.project.cache / CACHE_FOLDER, since)
    store.folder.mkdir(parents=True, exist_ok=True)
    # --strict fails on WeasyPrint's warnings, which only a layout sees: units laid out
    # without it are not reused with it.
    plans = plan_units(prepared.sections, prepared.issue.colophon is not None)
    environment = _environment(prepared, profile, strict)
    body, cover = _units(prepared, profile, plans, environment)
    index_name = f"{prepared.issue.slug}-{profile.name}"
    styles = _shared_styles(environment, cover.document, profile, prepared.project.cache)
    session = _Session(prepared, profile, store, body, cover, store.last_known(index_name),
                       partial(_render, store, profile, prepared.project.cache, strict,
                               configured_faces(_font_files(prepared)), styles))
    session.borrow(_made_up_elsewhere(prepared, profile, plans, strict, store, session))
    session.run(say)
    say(f"合并 {len(body) + 1} 个排版单元…")
    units = [*body, cover]
    pages = merge_units(session.unit_pdf(cover), [session.unit_pdf(unit) for unit in body], target,
                        _font_files(prepared),
                        None if since is not None else prepared.project.cache / SUBSETS_FOLDER)
    store.save_index(index_name, Known(
        {unit.plan.key: session.counts[unit.plan.key] for unit in body},
        {unit.plan.key: session.anchors[unit.plan.key] for unit in body}),
                     [digest for unit in units
                      for digest in (unit.content, session.placed_key(unit))])
    store.prune()
    outputs = {unit.plan.key: session.outputs[unit.plan.key] for unit in units}
    warnings = tuple(dict.fromkeys(warning for output in outputs.values()
                                   for warning in output.warnings))
    folios = session.folios()
    report = MakeupReport(
        tuple(folios[unit.plan.key] + folio - 1 for unit in body
              for folio in outputs[unit.plan.key].sparse),
        tuple(folios[unit.plan.key] + folio - 1 for unit in body
              for folio in outputs[unit.plan.key].holes),
        outputs[cover.plan.key].toc_pages)
    return RenderResult(pages, warnings, report)


def _font_files(prepared: Prepared) -> list[tuple[Path, int]]:
    return [(file.path, file.index) for file in prepared.fonts.files]


def _units(prepared: Prepared, profile: Profile, plans: list[UnitPlan], environment: str
           ) -> tuple[list[_Unit], _Unit]:
    """The body's units and the cover, rendered to HTML for `profile`."""
    units = _rendered(prepared, profile, plans, environment)
    return units[:-1], units[-1]


def _rendered(prepared: Prepared, profile: Profile, plans: list[UnitPlan], environment: str
              ) -> list[_Unit]:
    return [_unit(prepared, profile, environment, plan,
                  cover_view() if plan.cover else body_view(plan)) for plan in plans]


def _environment(prepared: Prepared, profile: Profile, strict: bool) -> str:
    """What a unit's layout depends on besides its HTML and files. --strict fails on
    WeasyPrint's warnings, which only a layout sees: units laid out without it are not
    reused with it."""
    return environment_digest(prepared.layout.folder, prepared.project.fonts, prepared.fonts,
                              profile) + ("|strict" if strict else "")


def _shared_styles(environment: str, document: HtmlDocument, profile: Profile, cache: Path
                   ) -> SharedStyles:
    """The output's stylesheets and fonts (pdf.SharedStyles), parsed here before the layout
    processes fork, and kept while the layout, fonts and profile are unchanged: `watch`
    parses them once, not at every save."""
    from .pdf import SharedStyles

    if environment not in _KEPT_STYLES:
        while len(_KEPT_STYLES) >= KEPT_STYLES:
            del _KEPT_STYLES[next(iter(_KEPT_STYLES))]
        _KEPT_STYLES[environment] = SharedStyles()
    styles = _KEPT_STYLES[environment]
    styles.warm(document, profile, cache)
    return styles


def _made_up_elsewhere(prepared: Prepared, profile: Profile, plans: list[UnitPlan],
                       strict: bool, store: UnitStore, session: _Session
                       ) -> dict[str, tuple[str, int, dict[str, int]]]:
    """The make-up another output left of the units this one has not made up: the
    outputs differ in colours, bleed and images, not in line breaks."""
    wanted = {plan.key for plan in plans if plan.key not in session.counts}
    found: dict[str, tuple[str, int, dict[str, int]]] = {}
    for name, other in prepared.layout.profiles.items():
        if name == profile.name or not wanted - set(found):
            continue
        for unit in _rendered(prepared, other, [plan for plan in plans
                                                if plan.key in wanted - set(found)],
                              _environment(prepared, other, strict)):
            if made_up := store.made_up(unit.content):
                found[unit.plan.key] = made_up
    return found


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


class _Session:
    """One output's units laid out where they fall.

    A unit is known (page count, anchors' pages) from its cached make-up, or once a
    child has laid it out. Its placement is known when every unit before it is known
    (the cover's, when all are). A unit whose cached make-up and placed PDF exist is
    done without a child; any other is laid out by a child at a guessed placement, which
    then asks for the real one: the same, it writes at once; else it lays out again
    there (one pass) and writes.
    """

    def __init__(self, prepared: Prepared, profile: Profile, store: UnitStore,
                 body: list[_Unit], cover: _Unit, last: Known,
                 render: Callable):
        self.layout = prepared.layout
        self.profile = profile
        self.store = store
        self.body = body
        self.cover = cover
        self.last = last
        self.render = render
        self.counts: dict[str, int] = {}
        self.anchors: dict[str, dict[str, int]] = {}
        self.outputs: dict[str, UnitOutput] = {}
        self.started: set[str] = set()
        self.waiting: set[str] = set()
        self.borrowed: dict[str, str] = {}
        for unit in (*body, cover):
            if (made_up := store.made_up(unit.content)) is not None:
                self._know(unit.plan.key, made_up[1], made_up[2])

    def borrow(self, made_up: dict[str, tuple[str, int, dict[str, int]]]) -> None:
        """Start from another output's make-up where this one has none: its pages and
        anchors are this output's too."""
        self.borrowed = {key: html for key, (html, _, _) in made_up.items()}
        for key, (_, pages, anchors) in made_up.items():
            self._know(key, pages, anchors)

    def run(self, say: Callable[[str], None]) -> None:
        workers = os.cpu_count() or 1
        # Children print nothing: they may fork under captured output too (tests).
        pool = Conversations(workers if hasattr(os, "fork") else 0, workers * ALIVE_PER_WORKER,
                             self._answer_now)
        problems = []
        try:
            self._schedule(pool, say)
            while pool.busy:
                for event, key, value in pool.events():
                    if event == "question":
                        self._know(key, *value)
                    else:
                        problems += value.problems
                        if value.value is not None:
                            self.outputs[key] = value.value
                    self._answer_ready(pool)
                self._schedule(pool, say)
        finally:
            pool.close()
        if problems:
            raise BulletinError(list(dict.fromkeys(problems)))
        if missing := [unit.plan.label for unit in (*self.body, self.cover)
                       if unit.plan.key not in self.outputs]:
            raise RuntimeError(f"units never laid out: {missing}")

    def _schedule(self, pool: Conversations, say: Callable[[str], None]) -> None:
        """Start a child for every unit that needs one and can have one now."""
        new = []
        # The cover's make-up (the 目录 set tighter, pass by pass) is the longest job and
        # its placement is known last: forked, it starts first, at the page numbers
        # guessed, and is made up again only if they were wrong.
        for unit in (self.cover, *self.body) if pool.workers else (*self.body, self.cover):
            key = unit.plan.key
            if key in self.outputs or key in self.started:
                continue
            placement = self.placement(unit)
            if key in self.counts and placement is None:
                continue  # made up before: wait to know where it falls
            if placement is not None and key in self.counts and (output := self.store.output(
                    self.placed_key(unit))) is not None:
                self.outputs[key] = output
                continue
            self.started.add(key)
            new.append(unit)
            pool.submit(key, _label(self.profile, unit),
                        partial(self.render, unit, placement or self._guess(unit),
                                placement is not None or self._informed(unit),
                                self.borrowed.get(key)))
        if new:
            say(f"排版中：{len(new)} 个单元（共 {len(self.body) + 1} 个，"
                f"{min(len(new), os.cpu_count() or 1)} 个进程同时排）…")

    def _answer_ready(self, pool: Conversations) -> None:
        for unit in (*self.body, self.cover):
            if unit.plan.key in self.waiting and (placement := self.placement(unit)) is not None:
                self.waiting.discard(unit.plan.key)
                pool.answer(unit.plan.key, (placement, self.placed_key(unit)))

    def _answer_now(self, key: str, known: tuple[int, dict[str, int]]) -> tuple[str, str]:
        """Laid out here, in order: the units before it are known."""
        self._know(key, *known)
        self.waiting.discard(key)
        unit = next(unit for unit in (*self.body, self.cover) if unit.plan.key == key)
        return self.placement(unit), self.placed_key(unit)

    def _know(self, key: str, pages: int, anchors: dict[str, int]) -> None:
        self.counts[key] = pages
        self.anchors[key] = anchors
        if key in self.started and key not in self.outputs:
            self.waiting.add(key)

    def folios(self, guess: bool = False) -> dict[str, int]:
        """Each body unit's first page number, as far as the units before it are known
        (with `guess`, for all: last build's page counts where unknown)."""
        folios, folio = {}, 1
        for unit in self.body:
            folios[unit.plan.key] = folio
            count = self.counts.get(unit.plan.key)
            if count is None and not guess:
                break
            folio += count if count is not None else self.last.counts.get(unit.plan.key, 1)
        return folios

    def placement(self, unit: _Unit, guess: bool = False) -> str | None:
        """The unit's placement stylesheet, or None while units before it are unknown."""
        if unit.plan.cover:
            if not guess and any(other.plan.key not in self.counts for other in self.body):
                return None
            folios = self.folios(guess)
            return render_unit_stylesheet(self.layout, toc_pages={
                anchor: folios[other.plan.key] + index for other in self.body
                for anchor, index in self.anchors.get(
                    other.plan.key, self.last.anchors.get(other.plan.key, {})).items()})
        folio = self.folios(guess).get(unit.plan.key)
        return None if folio is None else render_unit_stylesheet(self.layout, folio)

    def _guess(self, unit: _Unit) -> str:
        return self.placement(unit, guess=True)

    def _informed(self, unit: _Unit) -> bool:
        """Whether the guess at the unit's placement rests on known page counts (this
        build's or the last one's) of every unit before it: likely right."""
        before = self.body if unit.plan.cover else self.body[:self.body.index(unit)]
        return all(other.plan.key in self.counts or other.plan.key in self.last.counts
                   for other in before)

    def placed_key(self, unit: _Unit) -> str:
        return unit_digest(unit.content, self.placement(unit) or "", [])

    def unit_pdf(self, unit: _Unit) -> UnitPdf:
        from .merge import UnitPdf

        output = self.outputs[unit.plan.key]
        return UnitPdf(self.store.pdf(self.placed_key(unit)), output.pages, output.bookmark_levels)


def _label(profile: Profile, unit: _Unit) -> str:
    """Names a unit's process in messages: 印刷版（开班式…）."""
    return f"{PROFILE_LABELS[profile.name]}（{unit.plan.label}）"


def _render(store: UnitStore, profile: Profile, cache: Path, strict: bool,
            faces: frozenset[str], styles: SharedStyles, unit: _Unit, guess: str,
            informed: bool, borrowed: str | None, ask: Ask) -> UnitOutput:
    """Lay out one unit at the `guess`ed placement, `ask` for the real one (told its pages
    and anchors), and write it into the store (in a child process, or in this one).
    An `informed` guess is written before asking (pdf.write_pdf's `write_first`).
    `borrowed`: the unit as another output's make-up left it."""
    from .pdf import write_pdf
    from .subsets import placeholders

    made_up = store.made_up(unit.content)
    document = replace(unit.document, html=made_up[0]) if made_up else unit.document
    placed: list[str] = []

    def place(pages: int, anchors: dict[str, int]) -> str:
        kept = pages - (1 if unit.stub_page else 0)
        placement, key = ask((kept, {name: index for name, index in anchors.items()
                                     if index < kept}))
        placed.append(key)
        return placement

    staged = store.folder / f"{unit.content}.{os.getpid()}.tmp"
    try:
        with placeholders(faces):  # fonts are subset once, for the merged issue (subsets.py)
            result = write_pdf(document, staged, profile, cache, strict=strict,
                               placement=guess, place=place,
                               made_up_body=None if made_up else borrowed,
                               placement_shapes_makeup=unit.plan.cover, styles=styles,
                               write_first=informed)
        os.replace(staged, store.pdf(placed[0]))
    finally:
        staged.unlink(missing_ok=True)
    pages = result.pages - (1 if unit.stub_page else 0)
    output = UnitOutput(pages, result.bookmark_levels, result.warnings, result.makeup.sparse,
                        result.makeup.holes, result.makeup.toc_pages)
    if made_up is None:
        store.save_made_up(unit.content, result.made_up_html, pages,
                           {name: index for name, index in result.anchor_pages.items()
                            if index < pages})
    store.save_output(placed[0], output)
    return output
