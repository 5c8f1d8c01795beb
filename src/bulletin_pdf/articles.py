"""Stage 2: article files (YAML front matter + Markdown) → `Article` objects.

Markdown is CommonMark with tables and footnotes (markdown-it-py), and
CJK-friendly emphasis (`cjk_emphasis`). Raw HTML is escaped, never rendered,
and every link or image must stay inside the issue folder, so nothing is
fetched from elsewhere when the PDF is made.

An article is read once (`read_article`): the body is parsed first, then its
parsed text is normalised (`sourcetext`, `markdown_text`), and the build,
`lint` and the glyph coverage check all use that one reading.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import pickle
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .cjk_emphasis import cjk_emphasis_plugin
from .errors import BulletinError, Problem, Problems
from .files import add_files, write_atomically
from .fit import TableShape, table_shapes
from .images import image_problem
from .manifest import ArticleRef, Issue, Section
from .markdown_text import (
    figure_images,
    inline_texts,
    join_text,
    leftovers,
    printed_text,
    source_positions_plugin,
    write_back,
)
from .references import FileKind, file_problem
from .schema import Field, Schema, name_list, text, validate
from .sourcetext import (
    Change,
    Fix,
    Normalised,
    Note,
    PrintedText,
    SourceFile,
    SourceText,
    normalise_source,
    printed,
)
from .typography import DEFAULT_TYPOGRAPHY, Typography, inline_markup, mark_up
from .words import kept_whole, title_pieces, toc_pieces
from .yamlfile import FrontMatterFile, YamlDocument, read_text, split_front_matter

# Front-matter texts that are normalised like the body (names never are), and
# the kind of text each is for the fonts (the layout's `text_roles`).
NORMALISED_KEYS = {"title": "title", "subtitle": "subtitle", "toc_title": "toc_title",
                   "byline": "byline"}
NAME_KEYS = ("authors", "photographers")  # printed in the byline and the 目录
ARTICLE_IMAGE = FileKind("图片", "文章所在文件夹", "images/photo.jpg")

FRONT_MATTER_SCHEMA: Schema = {
    "title": Field(text),
    "subtitle": Field(text),
    "toc_title": Field(text),  # shorter title for the 目录, when the printed one is long
    "authors": Field(name_list, default=()),
    "photographers": Field(name_list, default=()),
    "byline": Field(text),  # free signature, replaces the one built from authors/photographers
}


@dataclass(frozen=True)
class BylineGroup:
    """One part of a signature: `文/徐文震、赵丹阳`; `label` None for a bare `(王维平)`."""

    label: str | None
    names: tuple[str, ...]


@dataclass(frozen=True)
class Figure:
    """An image of an article as it will be placed, for the resolution check."""

    path: Path
    placement: str  # "full", "half" or "third" alone; "row" side by side; "inline" in text
    row_size: int  # how many share its row
    line: int | None


@dataclass(frozen=True)
class Article:
    source: Path
    anchor: str
    title: str | None  # normalised text (bookmarks, tests)
    subtitle: str | None
    toc_title: str | None
    authors: tuple[str, ...]
    photographers: tuple[str, ...]
    byline: tuple[BylineGroup, ...]
    byline_text: str | None
    body_html: Markup
    figures: tuple[Figure, ...] = ()
    tables: tuple[TableShape, ...] = ()  # checked against the text block's width
    # The same texts with the typography markup, for the templates.
    title_html: Markup | None = None
    subtitle_html: Markup | None = None
    toc_label_html: Markup | None = None
    # Where the title's lines may break (words.py), kept with the article: cutting words
    # loads jieba's dictionary, which a build whose articles are cached need not.
    title_pieces: tuple[str, ...] = ()
    printed: tuple[PrintedText, ...] = ()  # every text as printed, placed in the source
    notes: tuple[Note, ...] = ()  # what normalisation left for a person (unpaired quotes)

    @property
    def toc_label(self) -> str | None:
        return self.toc_title or self.title

    @property
    def images(self) -> tuple[Path, ...]:
        """The files its images show."""
        return tuple(dict.fromkeys(figure.path for figure in self.figures))

    @property
    def author_names(self) -> tuple[str, ...]:
        return tuple(display_name(name) for name in self.authors)


@dataclass(frozen=True)
class GalleryPhoto:
    file: str  # relative to the issue folder (the document's base)
    caption: str
    caption_html: Markup

    @property
    def alt(self) -> str:
        return self.caption or UNCAPTIONED_ALT


@dataclass(frozen=True)
class SectionArticles:
    section: Section
    articles: tuple[Article, ...]
    photos: tuple[GalleryPhoto, ...] = ()


def load_articles(issue: Issue, typography: Typography = DEFAULT_TYPOGRAPHY
                  ) -> tuple[SectionArticles, ...]:
    """Load every article of the issue, collecting all problems before raising."""
    problems = Problems()
    loaded = load_articles_collecting(issue, typography, problems)
    problems.raise_if_any()
    return loaded


def load_articles_collecting(issue: Issue, typography: Typography, problems: Problems,
                             cache: Path | None = None) -> tuple[SectionArticles, ...]:
    """The articles that load; the problems of the others go to `problems`.

    So the checks that need articles (fonts, photos, tables) still run on the rest.
    With `cache` (a folder), an article read before from the same file, settings and
    program, whose images have not changed, is not read again.
    """
    loaded = []
    for section in issue.sections:
        articles = []
        for position, ref in enumerate(section.articles):
            anchor = f"{section.anchor}-article-{position + 1}"
            try:
                articles.append(_load_article_cached(ref, section, anchor, issue.folder,
                                                     typography, cache))
            except BulletinError as error:
                problems.extend(error.problems)
        photos = tuple(GalleryPhoto(photo.file, photo.caption or "",
                                    text_markup(photo.caption or "", typography))
                       for photo in section.photos)
        loaded.append(SectionArticles(section, tuple(articles), photos))
    return tuple(loaded)


@dataclass
class ArticleSource:
    """An article file read once: what the build, `lint` and the coverage check use."""

    file: SourceFile
    parts: FrontMatterFile
    meta: dict[str, Any] | None  # validated front matter, its texts normalised
    problems: Problems  # in the front matter, and Markdown left in the text
    tokens: list[Token]  # the parsed body, its text normalised
    changes: list[Change] = field(default_factory=list)  # what normalisation changed
    notes: list[Note] = field(default_factory=list)  # what it left for a person
    fixes: list[Fix] = field(default_factory=list)  # its changes, as `lint --fix` writes them
    printed: list[PrintedText] = field(default_factory=list)

    def record(self, normalised: Normalised) -> None:
        self.changes += normalised.changes
        self.notes += normalised.notes
        self.fixes += normalised.fixes


def read_article(path: Path, rules: Iterable[str]) -> ArticleSource:
    """Read, parse and normalise one article (the front matter is validated, not judged)."""
    try:
        text = read_text(path)
    except UnicodeDecodeError:
        raise BulletinError([Problem("文件不是 UTF-8 编码，请另存为 UTF-8", path)]) from None
    file = SourceFile.of(path, text)
    parts = split_front_matter(text, path)
    problems = Problems()
    meta = validate(parts.front_matter, FRONT_MATTER_SCHEMA, problems)
    article = ArticleSource(file, parts, meta, problems, MARKDOWN.parse(parts.body, {}))
    rules = tuple(rules)
    if meta is not None:
        _read_front_matter(article, meta, rules)
    for inline in inline_texts(article.tokens, file, parts.body_first_line):
        for line, message in dict.fromkeys((line, message) for (line, _), message
                                           in leftovers(inline, file)):
            problems.add(message, path, line)
        normalised = normalise_source(inline.source, file, rules)
        write_back(inline, normalised)
        article.record(normalised)
        article.printed.append(printed_text(inline, normalised, file))
    join_text(MARKDOWN, article.tokens)
    return article


def _read_front_matter(article: ArticleSource, meta: dict[str, Any], rules: tuple[str, ...]
                       ) -> None:
    """Normalise the front matter's texts as values (never its YAML); place the names."""
    document = article.parts.front_matter
    for key, kind in NORMALISED_KEYS.items():
        if meta[key] is None:
            continue
        source = _value_source(document, (key,), meta[key], article.file)
        normalised = normalise_source(source, article.file, rules, title=True)
        meta[key] = normalised.text
        article.record(normalised)
        article.printed.append(printed(kind, normalised.text, normalised.origin, source,
                                       article.file))
    for key in NAME_KEYS:
        for index, name in enumerate(meta[key]):
            place = (key, index) if (key, index) in document.scalars else (key,)
            source = _value_source(document, place, name, article.file)
            shown = display_name(name)  # same length: a space becomes a full-width one
            article.printed.append(printed("byline", shown, list(range(len(shown))), source,
                                           article.file))


def _value_source(document: YamlDocument, key: tuple[str | int, ...], value: str,
                  file: SourceFile) -> SourceText:
    """A front-matter value with the offset of each character, where it is written as is."""
    scalar = document.scalars.get(key)
    source = SourceText(file.offset(document.line(key) or 1))
    start = file.offset(scalar.line, scalar.column) if scalar else None
    if scalar and scalar.exact and file.text[start:start + len(value)] == value:
        source.add(value, range(start, start + len(value)), exact=True)
    else:
        source.add(value, [None] * len(value), exact=False)
    return source


def _load_article_cached(ref: ArticleRef, section: Section, anchor: str, issue_folder: Path,
                         typography: Typography, cache: Path | None) -> Article:
    """`load_article`, kept in `cache` by everything it read: the file, its place and
    settings, the program, and the images it shows (by size and time)."""
    if cache is None:
        return load_article(ref, section, anchor, issue_folder, typography)
    digest = hashlib.sha256(_program_digest().encode() + ref.path.read_bytes())
    digest.update(_stable([ref, section, anchor, str(issue_folder), typography]).encode())
    key = digest.hexdigest()
    record = cache / "articles" / f"{key}.pickle"
    with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, ValueError,
                             AttributeError, TypeError):
        images, article = pickle.loads(record.read_bytes())
        if images == _identities(article.images):
            os.utime(record)  # used: kept by the cache's pruning (build.py)
            return article
    article = load_article(ref, section, anchor, issue_folder, typography)
    write_atomically(record, pickle.dumps((_identities(article.images), article)))
    return article


def _stable(value: Any) -> str:
    """`value` as text that is the same in every process (sets sorted: a pickle of a set
    of strings follows the process's hash seed)."""
    def plain(item: Any) -> Any:
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            return {field.name: plain(getattr(item, field.name))
                    for field in dataclasses.fields(item)}
        if isinstance(item, set | frozenset):
            return sorted(plain(member) for member in item)
        if isinstance(item, list | tuple):
            return [plain(member) for member in item]
        if isinstance(item, dict):
            return {str(key): plain(member) for key, member in item.items()}
        return item if isinstance(item, int | float | str | bool | None) else repr(item)
    return json.dumps(plain(value), sort_keys=True, ensure_ascii=False)


def _identities(paths: tuple[Path, ...]) -> list[tuple[str, int, int]]:
    identities = []
    for path in paths:
        stat = path.stat()
        identities.append((str(path), stat.st_size, stat.st_mtime_ns))
    return identities


@functools.cache
def _program_digest() -> str:
    digest = hashlib.sha256()
    add_files(digest, (Path(__file__).parent,))
    return digest.hexdigest()


def load_article(ref: ArticleRef, section: Section, anchor: str, issue_folder: Path,
                 typography: Typography = DEFAULT_TYPOGRAPHY) -> Article:
    article = read_article(ref.path, typography.rules)
    problems, meta, parts, tokens = article.problems, article.meta, article.parts, article.tokens
    if meta is None:
        problems.raise_if_any()
    given = isinstance(parts.front_matter.data, dict) and "title" in parts.front_matter.data
    if meta["title"] is None and not given and not section.untitled_articles:
        problems.report(parts.front_matter.problem("缺少必填的键 “title”（文章标题）", ("title",)))
    for token, reference, is_image in _references(tokens):
        line = parts.body_first_line + token.map[0] if token.map else None
        problem = _check_reference(reference, is_image, ref.path, issue_folder)
        if problem:
            problems.add(problem, ref.path, line)
    for token, block in _walk(tokens):
        if token.type == "image" and (problem := _image_attributes_problem(token)):
            line = parts.body_first_line + block.map[0] if block.map else None
            problems.add(problem, ref.path, line)
    problems.raise_if_any()
    _shift_headings(tokens)
    _rebase_images(tokens, ref.path.parent, issue_folder)
    figures = tuple(_placed_images(tokens, issue_folder, parts.body_first_line))
    tokens = _figures(tokens)
    mark_up(tokens, typography)
    tables = table_shapes(tokens, parts.body_first_line, anchor)
    body_html = MARKDOWN.renderer.render(tokens, MARKDOWN.options, {"docId": anchor})
    toc_label = meta["toc_title"] or meta["title"]
    pieces = tuple(title_pieces(meta["title"])) if meta["title"] else ()
    return Article(
        source=ref.path,
        anchor=anchor,
        title=meta["title"],
        subtitle=meta["subtitle"],
        toc_title=meta["toc_title"],
        authors=meta["authors"],
        photographers=meta["photographers"],
        byline=byline_groups(meta["authors"], meta["photographers"]),
        byline_text=meta["byline"],
        body_html=Markup(body_html),
        figures=figures,
        tables=tables,
        title_html=text_markup(kept_whole(list(pieces)) if pieces else None, typography),
        subtitle_html=text_markup(meta["subtitle"], typography),
        toc_label_html=text_markup(whole_phrases(toc_label, toc_pieces), typography),
        printed=tuple(article.printed),
        notes=tuple(article.notes),
        title_pieces=pieces,
    )


def text_markup(text: str | None, typography: Typography) -> Markup | None:
    """A one-line text (a title) as HTML with the typography markup, escaped."""
    if text is None:
        return None
    tokens = inline_markup([Token("text", "", 0, content=text)], typography)
    return Markup(MARKDOWN.renderer.renderInline(tokens, MARKDOWN.options, {}))


def whole_phrases(text: str | None, pieces: Callable[[str], list[str]] = title_pieces
                  ) -> str | None:
    """A title that lines break only between its phrases and words (see words.py)."""
    return None if text is None else kept_whole(pieces(text))


def display_name(name: str) -> str:
    """`张 炜`: a two-character name is spaced out with a full-width space, as printed."""
    return re.sub(r"^(\S) (\S)$", "\\1\u3000\\2", name)


def byline_groups(authors: tuple[str, ...], photographers: tuple[str, ...]
                  ) -> tuple[BylineGroup, ...]:
    """The conventional signature: `文/… 图/…`, `图文/…` or just the author's name."""
    authors = tuple(display_name(name) for name in authors)
    photographers = tuple(display_name(name) for name in photographers)
    if authors and authors == photographers:
        return (BylineGroup("图文", authors),)
    if not photographers:
        return (BylineGroup(None, authors),) if authors else ()
    groups = [BylineGroup("文", authors)] if authors else []
    return (*groups, BylineGroup("图", photographers))


def _build_markdown() -> MarkdownIt:
    markdown = (MarkdownIt("commonmark", {"html": False}).enable("table").use(footnote_plugin)
                # `![说明](a.jpg){.half}`: width classes on images, nothing else.
                .use(attrs_plugin, after=("image",))
                # `**一是加强学习。**然后…` is bold, as the author meant.
                .use(cjk_emphasis_plugin)
                .use(source_positions_plugin))
    # Escapes and entities stay apart (`text_special`) until the text is normalised.
    markdown.disable("text_join")
    # markdown-it silently turns `file:` and `javascript:` links into text; we want
    # every reference as a token so that `_check_reference` can name the bad ones.
    markdown.validateLink = lambda url: True
    # A back-link arrow means nothing on paper, and its glyph is in no CJK font.
    markdown.add_render_rule("footnote_anchor", lambda *args: "")
    return markdown


MARKDOWN = _build_markdown()


def _walk(tokens: list[Token]) -> Iterator[tuple[Token, Token]]:
    """Every token with the block token that carries its line numbers."""
    for block in tokens:
        yield block, block
        for child in block.children or ():
            yield child, block


def _references(tokens: list[Token]) -> Iterator[tuple[Token, str, bool]]:
    """(block token, reference, is it an image) for every link and image."""
    for token, block in _walk(tokens):
        if token.type == "link_open":
            yield block, str(token.attrGet("href") or ""), False
        elif token.type == "image":
            yield block, str(token.attrGet("src") or ""), True


def _check_reference(reference: str, is_image: bool, article: Path,
                     issue_folder: Path) -> str | None:
    """Why `reference` may not be used, or None when it is allowed.

    Images must be files inside the issue folder; links may only point to an
    anchor in the document or to an e-mail address.
    """
    parts = urlsplit(reference)
    if reference.startswith("#") or parts.scheme == "mailto":
        return None
    if is_image:
        # markdown-it percent-encodes the path (`开班.jpg`, `\`): show it as the editor wrote it.
        shown, path = unquote(reference), unquote(parts.path)
        if problem := file_problem(shown, article.parent, issue_folder, ARTICLE_IMAGE, path):
            return problem
        problem = image_problem((article.parent / path).resolve())
        return f"图片 “{shown}” {problem}" if problem else None
    if parts.scheme in ("http", "https", "ftp"):
        return f"引用了网络地址 “{reference}”：简报只使用本期文件夹内的文件，网址请写成正文文字"
    if parts.scheme:
        return (f"链接地址 “{reference}” 不能使用：PDF 中的链接只能是锚点（#…）或 mailto: 地址，"
                "其他地址请写成正文文字")
    return f"链接 “{reference}” 指向文件：PDF 中的链接只能是锚点（#…）或 mailto: 地址"


FIGURE_WIDTHS = ("full", "half", "third")
# What a screen reader says for a photo printed without a caption: the tagged PDF needs
# an alternative text for every image (WeasyPrint refuses to tag one without).
UNCAPTIONED_ALT = "照片"


def _image_attributes_problem(token: Token) -> str | None:
    """Only a width class may follow an image: `{.half}`; no ids, styles or other attributes."""
    allowed = {"src", "alt", "title", "class"}
    classes = str(token.attrGet("class") or "").split()
    if set(token.attrs) - allowed or any(name not in FIGURE_WIDTHS for name in classes):
        shown = "、".join(f"{{.{width}}}" for width in FIGURE_WIDTHS)
        return f"图片 “{unquote(str(token.attrGet('src')))}” 的属性只能是宽度：{shown}"
    return None


def _figures(tokens: list[Token]) -> list[Token]:
    """A paragraph holding only images becomes figures with captions (the alt text).

    One image: a figure (full width, or `{.half}`/`{.third}`); two or three in
    one paragraph: a row of figures side by side.
    """
    result: list[Token] = []
    index = 0
    while index < len(tokens):
        images = figure_images(tokens, index)
        if images is None:
            result.append(tokens[index])
            index += 1
            continue
        row = len(images) > 1
        if row:
            result.append(_block_token("figure_row_open", "div", 1,
                                       f"figure-row figure-row-{len(images)}"))
        for image in images:
            width = str(image.attrGet("class") or "full")
            image.attrs.pop("class", None)
            result += _figure(image, "figure" + ("" if row else f" figure-{width}"))
        if row:
            result.append(_block_token("figure_row_close", "div", -1))
        index += 3  # paragraph_open, inline, paragraph_close
    return result


def _figure(image: Token, classes: str) -> list[Token]:
    """The image and its description as the caption (with its emphasis, if any)."""
    caption = list(image.children or [])
    picture = Token("inline", "", 0, children=[image], content="")
    tokens = [_block_token("figure_open", "figure", 1, classes), picture]
    if not any(token.content.strip() or token.type != "text" for token in caption):
        image.children = [Token("text", "", 0, content=UNCAPTIONED_ALT)]  # alt only, no caption
    else:
        text = Token("inline", "", 0, content=image.content, children=caption)
        tokens += [_block_token("figcaption_open", "figcaption", 1), text,
                   _block_token("figcaption_close", "figcaption", -1)]
    return [*tokens, _block_token("figure_close", "figure", -1)]


def _block_token(kind: str, tag: str, nesting: int, classes: str | None = None) -> Token:
    token = Token(kind, tag, nesting, block=True)
    if classes:
        token.attrSet("class", classes)
    return token


def _shift_headings(tokens: list[Token]) -> None:
    """`#` in an article is its first sub-heading level (一、).

    The document's h1 is the section label and h2 the article title, so
    Markdown heading n becomes h(n+2); the class keeps the article's own level.
    """
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = int(token.tag[1])
            token.tag = f"h{min(level + 2, 6)}"
            if token.type == "heading_open":
                token.attrSet("class", f"heading-{level}")


def _placed_images(tokens: list[Token], issue_folder: Path, first_line: int
                   ) -> Iterator[Figure]:
    """Every image with how it will be placed: alone, in a row, or inside a line of text."""
    for index, token in enumerate(tokens):
        if token.type != "inline" or not token.children:
            continue
        figures = figure_images(tokens, index - 1) if index else None
        breaks = 0
        for child in token.children:
            breaks += child.type in ("softbreak", "hardbreak")
            if child.type != "image":
                continue
            line = first_line + token.map[0] + breaks if token.map else None
            path = issue_folder / str(child.attrGet("src"))
            if figures is None:
                yield Figure(path, "inline", 1, line)
            elif len(figures) > 1:
                yield Figure(path, "row", len(figures), line)
            else:
                yield Figure(path, str(child.attrGet("class") or "full"), 1, line)


def _rebase_images(tokens: list[Token], article_folder: Path, issue_folder: Path) -> None:
    """Image paths are written relative to the article; the document's base is the issue."""
    for token, _block in _walk(tokens):
        if token.type == "image":
            target = (article_folder / unquote(str(token.attrGet("src")))).resolve()
            token.attrSet("src", target.relative_to(issue_folder).as_posix())
