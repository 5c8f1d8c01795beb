"""Stage 3: Issue + Articles + fonts → one HTML document, through a layout's templates.

A layout (`layouts/<name>/`) is presentation only: `layout.yaml` (what it
supports), Jinja2 templates and CSS paged-media stylesheets. Python hands the
templates plain data and never writes HTML or CSS itself.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from .articles import SectionArticles
from .errors import BulletinError, Problem, Problems
from .fonts import FontSet
from .manifest import Issue
from .schema import Field, Schema, text, text_list, validate
from .yamlfile import load_yaml_file

LAYOUT_FILE = "layout.yaml"
DOCUMENT_TEMPLATE = "document.html.j2"

LAYOUT_SCHEMA: Schema = {
    "name": Field(text, required=True),
    "description": Field(text),
    "papers": Field(text_list, required=True),  # paper sizes the stylesheets provide
    "font_roles": Field(text_list, required=True),  # roles the stylesheets use as var(--font-…)
}


@dataclass(frozen=True)
class Layout:
    folder: Path
    name: str
    papers: tuple[str, ...]
    font_roles: tuple[str, ...]


@dataclass(frozen=True)
class HtmlDocument:
    """The rendered document and the only places its resources may come from."""

    html: str
    base_url: str
    allowed_roots: tuple[Path, ...]


def load_layout(layouts_folder: Path, issue: Issue) -> Layout:
    folder = (layouts_folder / issue.layout).resolve()
    if not (folder / LAYOUT_FILE).is_file():
        known = sorted(p.name for p in layouts_folder.iterdir() if (p / LAYOUT_FILE).is_file())
        raise BulletinError([Problem(
            f"版式 “{issue.layout}” 不存在；可用版式：{'、'.join(known) or '无'}",
            issue.manifest, None, ("layout",))])
    document = load_yaml_file(folder / LAYOUT_FILE)
    problems = Problems()
    values = validate(document, LAYOUT_SCHEMA, problems)
    problems.raise_if_any()
    layout = Layout(folder, values["name"], values["papers"], values["font_roles"])
    if issue.paper not in layout.papers:
        raise BulletinError([Problem(
            f"版式 “{issue.layout}” 不支持纸张 “{issue.paper}”；可选：{'、'.join(layout.papers)}",
            issue.manifest, None, ("paper",))])
    return layout


def check_font_roles(layout: Layout, fonts: FontSet, fonts_file: Path) -> None:
    """A role the layout uses but fonts.yaml lacks would silently fall back to DejaVu."""
    missing = [role for role in layout.font_roles if role not in fonts.roles]
    if missing:
        raise BulletinError([Problem(
            f"版式 “{layout.folder.name}” 需要字体角色 “{role}”，但字体配置中没有", fonts_file,
            None, ("roles", role)) for role in missing])


def render_html(issue: Issue, sections: tuple[SectionArticles, ...], fonts: FontSet,
                layout: Layout) -> HtmlDocument:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(layout.folder / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in a template is an error, not a blank
        keep_trailing_newline=True,
    )
    environment.filters["chinese_date"] = chinese_date
    environment.filters["css_string"] = css_string
    try:
        template = environment.get_template(DOCUMENT_TEMPLATE)
        html = template.render(
            issue=issue,
            sections=sections,
            fonts=fonts,
            layout_url=layout.folder.as_uri() + "/",
        )
    except jinja2.TemplateSyntaxError as error:
        raise BulletinError([Problem(f"模板语法错误：{error.message}",
                                     Path(error.filename or DOCUMENT_TEMPLATE), error.lineno)]
                            ) from None
    except jinja2.TemplateError as error:
        raise BulletinError([Problem(f"模板错误：{error}", layout.folder / "templates")]
                            ) from None
    allowed = (issue.folder, layout.folder, *(file.path for file in fonts.files))
    return HtmlDocument(html, issue.folder.as_uri() + "/", allowed)


def chinese_date(date: datetime.date) -> str:
    """`2025年5月21日`, the way Chinese documents print dates."""
    return f"{date.year}年{date.month}月{date.day}日"


def css_string(value: str) -> Markup:
    """A quoted CSS string, safe inside <style>: font names come from the user's fonts.yaml."""
    escaped = "".join(
        f"\\{ord(char):x} " if char in '"\\<>&\n' else char for char in str(value))
    return Markup(f'"{escaped}"')
