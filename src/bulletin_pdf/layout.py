"""Stage 3: Issue + Articles + fonts → one HTML document, through a layout's templates.

A layout (`layouts/<name>/`) is presentation only: `layout.yaml` (what it
supports), Jinja2 templates and CSS paged-media stylesheets. Python hands the
templates plain data and never writes HTML or CSS itself.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .articles import Article, SectionArticles
from .errors import BulletinError, Problem, Problems
from .fit import BROKEN_WORDS_FLOOR_EM, TableFit, TableShape, advance_ems, split_masthead, table_fit
from .fonts import FontSet
from .gallery import gallery_rows
from .icc import output_profile_problem
from .manifest import Issue
from .names import PROFILE_NAMES
from .resolution import PHOTO_SIZES_SCHEMA, PhotoSizes
from .schema import (
    Field,
    Invalid,
    Schema,
    boolean,
    choice,
    non_negative_number,
    positive_int,
    positive_number,
    positive_numbers,
    text,
    text_list,
    validate,
)
from .typography import SETTINGS_SCHEMA
from .words import balanced_width, title_pieces
from .yamlfile import YamlDocument, load_yaml_file

LAYOUT_FILE = "layout.yaml"
DOCUMENT_TEMPLATE = "document.html.j2"
PT_PER_MM = 72 / 25.4


SCREEN_SCHEMA: Schema = {
    "stylesheet": Field(text, required=True),
    "image_dpi": Field(positive_int, default=150),  # images are downsampled to about this
}

PRINT_SCHEMA: Schema = {
    "stylesheet": Field(text, required=True),
    "pdfx": Field(choice("4", "1a"), default="4"),
    "bleed_mm": Field(non_negative_number, default=3.0),
    "crop_marks": Field(boolean, default=True),
    # The print shop's CMYK output profile; the first file found is used.
    "icc_profiles": Field(text_list, required=True),
    "output_condition": Field(text, default="CMYK"),
    "min_image_dpi": Field(positive_int, default=300),
}


# What keeps content inside the text block (see fit.py and bulletin.css).
FIT_SCHEMA: Schema = {
    "text_width_mm": Field(positive_numbers, required=True),  # per paper size
    "text_height_mm": Field(positive_numbers, required=True),  # per paper size
    "characters_per_line": Field(positive_int, required=True),  # the body text's size
    "masthead_genres": Field(text_list, default=()),
    "table_min_font_pt": Field(positive_number, required=True),
    "table_padding_em": Field(positive_number, required=True),
    # An article title's line in ems of its own size (the text block / its font-size):
    # multi-line titles are balanced within it (words.py).
    "title_line_em": Field(positive_number, required=True),
}

# Page make-up (makeup.py): the stylesheet's classes for each tool and their limits.
MAKEUP_SCHEMA: Schema = {
    "toc_steps": Field(text_list, required=True),
    "toc_balanced": Field(text, required=True),
    "toc_wrapped": Field(text, required=True),
    "toc_min_leader": Field(positive_int, required=True),
    "tighten": Field(text, required=True),
    "loosen": Field(text, required=True),
    "tighten_article": Field(text, required=True),
    "figure_min_scale": Field(positive_number, required=True),
    "tail_figure_min_scale": Field(positive_number, required=True),
    "tail_lines": Field(positive_int, required=True),
}

LAYOUT_SCHEMA: Schema = {
    "name": Field(text, required=True),
    "description": Field(text),
    "papers": Field(text_list, required=True),  # paper sizes the stylesheets provide
    # The page-number style (css/page-numbers-<style>.css) unless an issue picks another.
    "page_numbers": Field(text, required=True),
    # Which font roles (var(--font-…) in the stylesheets) print each kind of text.
    "text_roles": Field(required=True),
    # What the stylesheets make of a photo's size: `check` computes its resolution from it.
    "photo_sizes": Field(required=True, fields=PHOTO_SIZES_SCHEMA),
    "profiles": Field(required=True, fields={
        "screen": Field(required=True, fields=SCREEN_SCHEMA),
        "print": Field(required=True, fields=PRINT_SCHEMA),
    }),
    "default_profiles": Field(text_list, default=PROFILE_NAMES),
    "typography": Field(fields=SETTINGS_SCHEMA),
    "fit": Field(required=True, fields=FIT_SCHEMA),
    "makeup": Field(required=True, fields=MAKEUP_SCHEMA),
    # Larger photos are refused before decoding: 100 megapixels take 300-400 MB decoded.
    "max_image_megapixels": Field(positive_number, default=100),
}


@dataclass(frozen=True)
class Profile:
    """How one output is made: `screen` (RGB, links, small) or `print` (PDF/X, bleed, CMYK)."""

    name: str
    stylesheet: str
    image_dpi: int | None = None
    pdfx: str | None = None
    bleed_mm: float = 0.0
    crop_marks: bool = False
    icc_profile: Path | None = None
    output_condition: str | None = None
    min_image_dpi: int | None = None

    @property
    def is_print(self) -> bool:
        return self.name == "print"

    @property
    def minimum_dpi(self) -> int:
        """Photos below this effective resolution fail print and are warned about on screen."""
        return self.min_image_dpi or self.image_dpi or 150


@dataclass(frozen=True)
class Fit:
    """The layout's limits for content that must stay inside the text block."""

    text_width_mm: dict[str, float]  # per paper size
    text_height_mm: dict[str, float]  # per paper size
    characters_per_line: int  # of body text: its size is the text width divided by this
    masthead_genres: tuple[str, ...]  # trailing words of a name set large on their own line
    table_min_font_pt: float  # a table may shrink to this size, no further
    table_padding_em: float  # a cell's padding and rule beside its text
    title_line_em: float  # an article title's full line, in ems of the title


@dataclass(frozen=True)
class MakeupSettings:
    """layout.yaml `makeup:`: the stylesheet's classes for each tool, and its limits."""

    toc_steps: tuple[str, ...]  # classes of the 目录, tighter and tighter
    toc_balanced: str  # the 目录 over two pages, when no step fits the cover
    toc_wrapped: str  # a 目录 entry's class that wraps it before its authors
    toc_min_leader: int  # dots a leader has at least
    tighten: str  # a paragraph's class that takes about a character more per line
    loosen: str  # …and one less
    tighten_article: str  # an article's class that sets a line more per page
    figure_min_scale: float  # a photo may shrink to this share of its size, no further
    tail_figure_min_scale: float  # …when that saves the page an article's short tail takes
    tail_lines: int  # an article's last page holding no more lines is a tail to pull back


@dataclass(frozen=True)
class Layout:
    folder: Path
    name: str
    papers: tuple[str, ...]
    text_roles: dict[str, tuple[str, ...]]
    profiles: dict[str, Profile]
    default_profiles: tuple[str, ...]
    typography: dict  # the layout's typography settings (None = default)
    fit: Fit
    makeup: MakeupSettings
    photo_sizes: PhotoSizes
    max_image_pixels: int  # larger photos are refused before anything decodes them
    page_numbers: str  # the page-number style of this issue (css/page-numbers-<style>.css)

    @property
    def templates(self) -> Path:
        return self.folder / "templates"


@dataclass(frozen=True)
class HtmlDocument:
    """The rendered document and the only places its resources may come from."""

    html: str
    base_url: str
    allowed_roots: tuple[Path, ...]
    layout_folder: Path  # its stylesheets were checked before rendering (see pdf.py)
    makeup: MakeupSettings  # the layout's tools for page make-up


def available_layouts(layouts_folder: Path) -> list[str]:
    """Names of the folders directly in `layouts/` that hold a layout (and stay in it)."""
    root = layouts_folder.resolve()
    return sorted(path.name for path in layouts_folder.iterdir()
                  if (path / LAYOUT_FILE).is_file() and path.resolve().parent == root)


def load_layout(layouts_folder: Path, issue: Issue) -> Layout:
    known = available_layouts(layouts_folder)
    if issue.layout not in known:  # a name, never a path: nothing is read outside layouts/
        raise BulletinError([issue.problem(
            f"版式 “{issue.layout}” {_unknown_layout(layouts_folder, issue.layout)}；"
            f"可用版式：{'、'.join(known) or '无'}", ("layout",))])
    folder = (layouts_folder / issue.layout).resolve()
    document = load_yaml_file(folder / LAYOUT_FILE)
    problems = Problems()
    values = validate(document, LAYOUT_SCHEMA, problems)
    problems.raise_if_any()
    profiles = _profiles(document, values["profiles"], folder, problems)
    for index, name in enumerate(values["default_profiles"]):
        if name not in PROFILE_NAMES:
            problems.report(document.problem(
                f"未知的输出方案 “{name}”；可选：{'、'.join(PROFILE_NAMES)}", ("default_profiles", index)))
    problems.raise_if_any()
    text_roles = _text_roles(document, values["text_roles"], problems)
    for paper in values["papers"]:
        for key, what in (("text_width_mm", "版心宽度"), ("text_height_mm", "版心高度")):
            if paper not in values["fit"][key]:
                problems.report(document.problem(f"缺少纸张 “{paper}” 的{what}", ("fit", key)))
    styles = page_number_styles(folder)
    if values["page_numbers"] not in styles:
        problems.report(document.problem(_unknown_page_numbers(values["page_numbers"], styles),
                                         ("page_numbers",)))
    if issue.page_numbers is not None and issue.page_numbers not in styles:
        problems.report(issue.problem(
            f"版式 “{issue.layout}” {_unknown_page_numbers(issue.page_numbers, styles)}",
            ("page_numbers",)))
    problems.raise_if_any()
    layout = Layout(folder, values["name"], values["papers"], text_roles, profiles,
                    values["default_profiles"], values["typography"] or {}, Fit(**values["fit"]),
                    MakeupSettings(**values["makeup"]),
                    PhotoSizes.of(values["photo_sizes"]),
                    round(values["max_image_megapixels"] * 1_000_000),
                    issue.page_numbers or values["page_numbers"])
    if issue.paper not in layout.papers:
        raise BulletinError([issue.problem(
            f"版式 “{issue.layout}” 不支持纸张 “{issue.paper}”；可选：{'、'.join(layout.papers)}",
            ("paper",))])
    return layout


PAGE_NUMBER_STYLESHEET = re.compile(r"page-numbers-(.+)\.css")


def page_number_styles(folder: Path) -> list[str]:
    """The page-number styles a layout offers: one stylesheet each, css/page-numbers-<style>.css."""
    return sorted(match[1] for path in (folder / "css").glob("page-numbers-*.css")
                  if (match := PAGE_NUMBER_STYLESHEET.fullmatch(path.name)))


def _unknown_page_numbers(style: str, styles: list[str]) -> str:
    return f"没有页码样式 “{style}”；可选：{'、'.join(styles) or '无'}"


def _unknown_layout(layouts_folder: Path, name: str) -> str:
    if re.search(r"[/\\]", name) or name in (".", ".."):
        return "不是版式名：只写 layouts/ 中的文件夹名，如 bulletin，不写路径"
    if (layouts_folder / name / LAYOUT_FILE).is_file():
        return "指向 layouts/ 之外（符号链接）：版式须在 layouts/ 之中"
    return "不存在"


def _text_roles(document: YamlDocument, raw: object, problems: Problems
                ) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        problems.report(document.problem("应为“文字类别: [字体角色…]”的映射", ("text_roles",)))
        return {}
    roles = {}
    for kind, names in raw.items():
        try:
            roles[str(kind)] = text_list(names)
        except Invalid as error:
            problems.report(document.problem(str(error), ("text_roles", str(kind))))
    return roles


def _profiles(document: YamlDocument, values: dict, folder: Path, problems: Problems
              ) -> dict[str, Profile]:
    for name in PROFILE_NAMES:
        stylesheet = values[name]["stylesheet"]
        if stylesheet and not (folder / stylesheet).is_file():
            problems.report(document.problem(f"样式表 “{stylesheet}” 不存在",
                                             ("profiles", name, "stylesheet")))
    screen, printing = values["screen"], values["print"]
    icc = next((Path(p) for p in printing["icc_profiles"] or () if (folder / p).is_file()), None)
    if icc is None:
        problems.report(document.problem(
            f"找不到 CMYK 输出特性文件（ICC）：已尝试 {'、'.join(printing['icc_profiles'] or ())}。"
            "请安装 libgs-common（apt-get install libgs-common）或配置印刷厂提供的 ICC 文件",
            ("profiles", "print", "icc_profiles")))
    elif reason := output_profile_problem(folder / icc):  # before layout, not mid-build
        problems.report(document.problem(f"{icc}：{reason}", ("profiles", "print", "icc_profiles")))
    return {
        "screen": Profile("screen", screen["stylesheet"], image_dpi=screen["image_dpi"]),
        "print": Profile(
            "print", printing["stylesheet"], pdfx=printing["pdfx"], bleed_mm=printing["bleed_mm"],
            crop_marks=printing["crop_marks"], icc_profile=(folder / icc) if icc else None,
            output_condition=printing["output_condition"], min_image_dpi=printing["min_image_dpi"]),
    }


def check_font_roles(layout: Layout, fonts: FontSet, fonts_file: Path) -> None:
    """A role the layout uses but fonts.yaml lacks would silently fall back to DejaVu."""
    used = dict.fromkeys(role for roles in layout.text_roles.values() for role in roles)
    missing = [role for role in used if role not in fonts.roles]
    if missing:
        raise BulletinError([Problem(
            f"版式 “{layout.folder.name}” 需要字体角色 “{role}”，但字体配置中没有", fonts_file,
            None, ("roles", role)) for role in missing])


class LayoutTemplates(jinja2.FileSystemLoader):
    """The layout's templates; one whose real path leaves the layout (a symlink) is refused."""

    def __init__(self, folder: Path):
        super().__init__(folder / "templates")
        self.folder = folder.resolve()

    def get_source(self, environment: jinja2.Environment, template: str):
        source, filename, uptodate = super().get_source(environment, template)
        if not Path(filename).resolve().is_relative_to(self.folder):
            raise BulletinError([Problem(
                f"模板 “{template}” 指向版式文件夹之外（{Path(filename).resolve()}）："
                "模板只能是版式文件夹中的文件", Path(filename))])
        return source, filename, uptodate


def render_html(issue: Issue, sections: tuple[SectionArticles, ...], fonts: FontSet,
                layout: Layout, profile: Profile, unit: Any = None) -> HtmlDocument:
    """The issue as one HTML document; with `unit` (a `units.UnitView`), that unit's part."""
    environment = _environment(layout)
    environment.filters["chinese_date"] = chinese_date
    environment.filters["css_string"] = css_string
    environment.filters["advance_ems"] = lambda text, role: text_advance_ems(text, role, fonts)
    environment.filters["balanced_ems"] = lambda title, role: balanced_ems(title, role, fonts,
                                                                           layout)
    try:
        template = environment.get_template(DOCUMENT_TEMPLATE)
        html = template.render(
            issue=issue,
            sections=sections,
            fonts=fonts,
            profile=profile,
            layout_url=layout.folder.as_uri() + "/",
            masthead=masthead_lines(issue, layout),
            page_numbers=layout.page_numbers,
            text_width_mm=layout.fit.text_width_mm[issue.paper],
            tables=table_fits(issue, sections, fonts, layout),
            galleries={entry.section.anchor: gallery_rows(issue, entry.section, layout)
                       for entry in sections if entry.section.kind == "gallery"},
            unit=unit,
        )
    except jinja2.TemplateSyntaxError as error:
        raise BulletinError([Problem(f"模板语法错误：{error.message}",
                                     Path(error.filename or DOCUMENT_TEMPLATE), error.lineno)]
                            ) from None
    except jinja2.TemplateNotFound as error:
        file, line = _template_line(error, layout)
        raise BulletinError([Problem(f"模板错误：找不到模板 “{error.name}”", file, line)]) from None
    except jinja2.TemplateError as error:
        file, line = _template_line(error, layout)
        raise BulletinError([Problem(f"模板错误：{_template_message(error)}", file, line)]
                            ) from None
    allowed = (issue.folder, layout.folder, *(file.path for file in fonts.files))
    return HtmlDocument(html, issue.folder.as_uri() + "/", allowed, layout.folder, layout.makeup)


UNIT_STYLESHEET_TEMPLATE = "unit.css.j2"


def render_unit_stylesheet(layout: Layout, first_folio: int | None = None,
                           toc_pages: dict[str, int] | None = None) -> str:
    """Where a unit laid out on its own falls in the issue (see units.py), as CSS: a body
    unit's first page number, or the page numbers the cover's 目录 gives."""
    return _environment(layout).get_template(UNIT_STYLESHEET_TEMPLATE).render(
        first_folio=first_folio, toc_pages=toc_pages or {})


def _environment(layout: Layout) -> jinja2.Environment:
    """One environment per layout folder: templates compile once per build (or `watch`
    session) and again only when their files change (Jinja checks their times)."""
    return _environment_for(layout.folder)


@functools.lru_cache(maxsize=8)
def _environment_for(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=LayoutTemplates(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in a template is an error, not a blank
        keep_trailing_newline=True,
    )


def _template_line(error: Exception, layout: Layout) -> tuple[Path, int | None]:
    """The template and line being rendered when `error` was raised.

    Jinja rewrites the traceback of a render error so that its innermost
    frames are the templates' own files and lines.
    """
    templates = layout.templates.resolve()
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if Path(frame.filename).resolve().is_relative_to(templates)]
    if not frames:
        return layout.templates, None
    return Path(frames[-1].filename), frames[-1].lineno


JINJA_MESSAGES = (
    (re.compile(r"^'([^']+)' is undefined$"), "未定义的变量 “{0}”"),
    (re.compile(r"^'([^']+)' has no attribute '([^']+)'$"), "“{0}” 没有属性 “{1}”"),
    (re.compile(r"^No filter named '([^']+)'"), "没有名为 “{0}” 的过滤器"),
)


def _template_message(error: jinja2.TemplateError) -> str:
    """Jinja's message in Chinese where it is a common one."""
    for pattern, message in JINJA_MESSAGES:
        if match := pattern.match(str(error)):
            return message.format(*match.groups())
    return str(error)


def masthead_lines(issue: Issue, layout: Layout) -> tuple[str, ...]:
    """The editor's `masthead:` lines, or the name split after the layout's convention."""
    return issue.masthead or split_masthead(issue.name, layout.fit.masthead_genres)


def text_advance_ems(text: str, role: str, fonts: FontSet) -> float:
    """Width of `text` in ems in the role's font, rounded up: the layout sizes lines by it."""
    return math.ceil(advance_ems(text, fonts.roles[role].files[0]) * 1000) / 1000


def balanced_ems(title: str | Sequence[str], role: str, fonts: FontSet, layout: Layout) -> float:
    """The measure, in ems, that balances a title's lines: `title` is its text or, cut
    already (Article.title_pieces), its unbreakable pieces.

    A third of an em over: WeasyPrint breaks a line that fills its measure exactly,
    and no character is narrower than that.
    """
    font = fonts.roles[role].files[0]
    pieces = title_pieces(title) if isinstance(title, str) else list(title)
    width = balanced_width(pieces, lambda piece: advance_ems(piece, font),
                           layout.fit.title_line_em)
    return math.ceil(width * 100) / 100 + 0.3


def table_fits(issue: Issue, sections: tuple[SectionArticles, ...], fonts: FontSet,
               layout: Layout) -> list[TableFit]:
    """How each table of the issue is set (tables.css.j2), measured in the body text's font."""
    body = fonts.roles[layout.text_roles["body"][0]].files[0]
    width_pt = layout.fit.text_width_mm[issue.paper] * PT_PER_MM
    return [table_fit(table, body, layout.fit.table_padding_em, layout.fit.table_min_font_pt,
                      width_pt) for _, table in _tables(sections)]


def _tables(sections: tuple[SectionArticles, ...]) -> list[tuple[Article, TableShape]]:
    return [(article, table) for entry in sections for article in entry.articles
            for table in article.tables]


def check_fit(issue: Issue, sections: tuple[SectionArticles, ...], fonts: FontSet,
              layout: Layout) -> None:
    """A table too wide for the text block even at the smallest size, its words broken.

    Narrower tables are set smaller by the stylesheet to fit the text block; one this
    wide would run off the page, so the editor is told before anything is rendered.
    """
    fit = layout.fit
    width_pt = fit.text_width_mm[issue.paper] * PT_PER_MM
    most = int(width_pt // (fit.table_min_font_pt * (BROKEN_WORDS_FLOOR_EM + fit.table_padding_em)))
    problems = Problems()
    for (article, table), fitted in zip(_tables(sections), table_fits(issue, sections, fonts, layout),
                                        strict=True):
        if not fitted.fits:
            problems.add(
                f"表格有 {len(table.columns)} 列，太宽：即使缩小到 {fit.table_min_font_pt:g} 磅，"
                f"版心（{issue.paper}，{fit.text_width_mm[issue.paper]:g} 毫米）也只排得下 "
                f"{most} 列。请把它拆成几个列数较少的表格，或转置行与列（不支持横排页面）",
                article.source, table.line)
    problems.raise_if_any()


def chinese_date(date: datetime.date) -> str:
    """`2025年5月21日`, the way Chinese documents print dates."""
    return f"{date.year}年{date.month}月{date.day}日"


def css_string(value: str) -> Markup:
    """A quoted CSS string, safe inside <style>: font names come from the user's fonts.yaml."""
    escaped = "".join(
        f"\\{ord(char):x} " if char in '"\\<>&\n' else char for char in str(value))
    return Markup(f'"{escaped}"')
