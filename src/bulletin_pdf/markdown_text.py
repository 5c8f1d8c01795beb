"""The text of a parsed Markdown article, tied to its source file.

markdown-it gives each block its lines but no columns. `source_positions_plugin`
records, on the tokens of every inline construct (link, image, code span,
escape, footnote mark…), where in the block's inline source it starts and
ends. Text tokens are verbatim slices of that source, so each is found from
the end of the construct before it. Every character the reader will see
thus knows its file offset: normalisation (`sourcetext`) runs on this parsed
text — emphasis markers are not text, code spans, autolinks, URLs and images
stay as written — and `lint`, `--fix` and the glyph coverage check see the
very same characters as the build.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_core.text_join import text_join
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from .sourcetext import Normalised, Place, PrintedText, SourceFile, SourceText, printed

SOURCE_START = "bulletin_pdf_source_start"
SOURCE_END = "bulletin_pdf_source_end"
# Stands in the text for an image or a footnote mark: neither text nor to be changed.
OBJECT = "\ufffc"
# What may lie in the source between two pieces of text besides recorded constructs:
# emphasis delimiters, the brackets opening a link or image, line breaks and indents.
SYNTAX_BETWEEN_TEXTS = frozenset("*_[!< \t\n")
HEADING_KINDS = {1: "heading_1", 2: "heading_2"}


def source_positions_plugin(md: MarkdownIt) -> None:
    """Record the source span of each inline construct in its tokens' `meta` (use last)."""
    for rule in md.inline.ruler.__rules__:  # the ruler has no public way to read a rule
        if rule.name != "text":  # plain text goes to `pending`: found by search instead
            md.inline.ruler.at(rule.name, _recording(rule.fn), {"alt": rule.alt})


def _recording(rule: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    def run(state: StateInline, silent: bool) -> bool:
        start, count, pending = state.pos, len(state.tokens), state.pending
        matched = rule(state, silent)
        if matched and not silent:
            new = state.tokens[count:]
            if new and pending and new[0].type == "text" and new[0].content \
                    and pending.startswith(new[0].content):
                new = new[1:]  # the text before the construct, flushed by its first push
            if new:
                new[0].meta.setdefault(SOURCE_START, start)
                new[-1].meta[SOURCE_END] = state.pos
            elif state.tokens and state.pending == pending:
                # Attributes (`{.half}`) extend the image before them.
                state.tokens[-1].meta[SOURCE_END] = state.pos
        return matched
    return run


@dataclass
class InlineText:
    """The text of one inline token (a paragraph, heading, table cell or caption)."""

    kind: str  # the kind of text, for the font roles that print it
    source: SourceText
    owners: list[Token | None] = field(default_factory=list)  # the text token of each character


def inline_texts(tokens: list[Token], file: SourceFile, first_line: int) -> list[InlineText]:
    """Every inline text of a parsed body that starts at 1-based line `first_line` of `file`."""
    texts = []
    line_cursors: dict[int, int] = {}  # several table cells share a line
    inline_notes: dict[int, list[int | None]] = {}  # offsets of each `^[…]` footnote's text
    quote_depth, heading, note = 0, 0, None
    for index, token in enumerate(tokens):
        if token.type in ("blockquote_open", "blockquote_close"):
            quote_depth += token.nesting
        elif token.type in ("heading_open", "heading_close"):
            heading = int(token.tag[1]) if token.nesting > 0 else 0
        elif token.type == "footnote_open":
            note = token.meta.get("id")
        elif token.type == "inline":
            kind = HEADING_KINDS.get(heading, "body") if heading else (
                "quote" if quote_depth else "body")
            if token.map is None and note in inline_notes:
                offsets = inline_notes[note]
                fallback = next((offset for offset in offsets if offset is not None),
                                file.offset(first_line))
            else:
                offsets, fallback = _content_offsets(token, file, first_line, line_cursors)
            text, images = _read(token.children or [], token.content, offsets,
                                 InlineText(kind, SourceText(fallback)))
            texts.append(text)
            inline_notes.update(_inline_footnotes(token, offsets))
            caption = "caption" if index and figure_images(tokens, index - 1) else "alt"
            for image in images:
                texts.append(_read_image_label(image, token.content, offsets, fallback, caption))
    return texts


def _inline_footnotes(inline: Token, offsets: list[int | None]
                      ) -> dict[int, list[int | None]]:
    """The file offsets of the text of each inline footnote (`^[脚注]`) in `inline`.

    The footnote plugin moves that text to the end of the document, without a
    line; it is written inside `^[` and `]` here.
    """
    found = {}
    for child in inline.children or ():
        start = child.meta.get(SOURCE_START)
        end = child.meta.get(SOURCE_END)
        if child.type == "footnote_ref" and start is not None and end is not None \
                and inline.content.startswith("^[", start):
            found[child.meta["id"]] = offsets[start + 2:end - 1]
    return found


def _content_offsets(inline: Token, file: SourceFile, first_line: int,
                     line_cursors: dict[int, int]) -> tuple[list[int | None], int]:
    """The file offset of each character of `inline.content`, and of its block's start.

    Each line of the content (container markers and indentation removed) is
    found in its source line.
    """
    if inline.map is None:  # an inline footnote, moved to the end
        return [None] * len(inline.content), file.offset(first_line)
    offsets: list[int | None] = []
    for index, part in enumerate(inline.content.split("\n")):
        line = first_line + inline.map[0] + index
        column = file.line(line).find(part, line_cursors.get(line, 0)) \
            if line <= len(file.line_starts) else -1
        if column < 0:
            offsets += [None] * len(part)
        else:
            line_cursors[line] = column + len(part)
            start = file.offset(line, column + 1)
            offsets += range(start, start + len(part))
        offsets.append(None)  # the line break
    return offsets[:len(inline.content)], file.offset(first_line + inline.map[0])


def _read(children: list[Token], content: str, offsets: list[int | None], text: InlineText
          ) -> tuple[InlineText, list[Token]]:
    """Add the characters of `children` (parsed from `content`) to `text`; return its images."""
    source = text.source
    images = []
    cursor = 0
    autolink = False
    for token in children:
        if token.type == "text":
            at = _find_text(content, token.content, cursor)
            if at is None:
                source.add(token.content, [None] * len(token.content), exact=False, locked=autolink)
            else:
                source.add(token.content, offsets[at:at + len(token.content)], exact=True,
                           locked=autolink)
                cursor = at + len(token.content)
            text.owners += [token] * len(token.content)
            continue
        start = token.meta.get(SOURCE_START)
        place = offsets[start] if start is not None and start < len(offsets) else None
        if token.type == "text_special":  # an escape (\*) or an entity (&amp;)
            if start is not None and token.info == "escape" and start + 1 < len(offsets):
                place = offsets[start + 1]
            source.add(token.content, [place] * len(token.content), exact=False)
            text.owners += [token] * len(token.content)
        elif token.type == "code_inline":
            source.add(token.content, [place] * len(token.content), exact=False, locked=True)
            text.owners += [None] * len(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            source.add("\n", [None], exact=False)
            text.owners.append(None)
        elif token.type in ("image", "footnote_ref"):
            source.add(OBJECT, [place], exact=False, locked=True)
            text.owners.append(None)
            if token.type == "image":
                images.append(token)
        elif token.type == "link_open":
            autolink = token.markup == "autolink"  # its text is the address: kept as written
        elif token.type == "link_close":
            autolink = False
        cursor = max(cursor, token.meta.get(SOURCE_END, cursor))
    return text, images


def _find_text(content: str, piece: str, cursor: int) -> int | None:
    """Where the text token `piece` starts in `content`, searching from `cursor`.

    Only Markdown syntax may lie between the cursor and the text; anything
    else means the token was not located (it holds an unescaped table pipe…).
    """
    if not piece:
        return cursor
    at = content.find(piece, cursor)
    if at < 0 or not set(content[cursor:at]) <= SYNTAX_BETWEEN_TEXTS:
        return None
    return at


def _read_image_label(image: Token, content: str, offsets: list[int | None], fallback: int,
                      kind: str) -> InlineText:
    """An image's description (`![说明](…)`): parsed on its own, positions inside `![…]`."""
    label = image.content
    start = image.meta.get(SOURCE_START)
    if start is not None and content[start + 2:start + 2 + len(label)] == label:
        label_offsets = offsets[start + 2:start + 2 + len(label)]
    else:
        label_offsets = [None] * len(label)
    text, _ = _read(image.children or [], label, label_offsets,
                    InlineText(kind, SourceText(fallback)))
    return text


def figure_images(tokens: list[Token], index: int) -> list[Token] | None:
    """The images of the paragraph opening at `index`, if it holds nothing else: a figure."""
    if tokens[index].type != "paragraph_open" or index + 2 >= len(tokens):
        return None
    children = tokens[index + 1].children or []
    images = [child for child in children if child.type == "image"]
    rest = [child for child in children if child.type != "image"
            and not (child.type == "softbreak" or (child.type == "text" and not child.content.strip()))]
    return images if images and not rest else None


def write_back(text: InlineText, normalised: Normalised) -> None:
    """Put the normalised characters back into the text tokens they came from."""
    owners = {id(owner): owner for owner in text.owners if owner is not None}
    pieces: dict[int, list[str]] = {key: [] for key in owners}
    for char, origin in zip(normalised.text, normalised.origin, strict=True):
        owner = text.owners[origin]
        if owner is not None:
            pieces[id(owner)].append(char)
    for key, owner in owners.items():
        owner.content = "".join(pieces[key])


def printed_text(text: InlineText, normalised: Normalised, file: SourceFile) -> PrintedText:
    """What the reader sees of `text` (code and images left out), placed in the file."""
    keep = [owner is not None for owner in text.owners]
    return printed(text.kind, normalised.text, normalised.origin, text.source, file, keep)


def join_text(md: MarkdownIt, tokens: list[Token]) -> None:
    """Escapes and entities become plain text, as markdown-it's `text_join` does."""
    text_join(StateCore("", md, {}, tokens))


# Markdown that did not take effect -------------------------------------

# The rest of a link's or image's parentheses, shown in the message (one level of
# parentheses inside, as in `(1)`).
DESTINATION = r"(?:[^()\n\0]|\([^()\n\0]*\))*\)?"
LEFTOVERS = (
    (re.compile(rf"!\[[^\]\n\0]*\]\({DESTINATION}"),
     "“{}” 是没有生效的图片标记，会原样印出：路径含空格或括号时请写在尖括号中，"
     "如 ![说明](<images/开班 合影 (1).jpg>)"),
    (re.compile(r"\[\^[^\]\n\0]+\]"),
     "“{}” 是没有对应定义的脚注标记，会原样印出：请在文末写上脚注，如 [^1]: 脚注内容"),
    (re.compile(rf"\[[^\]\n\0]*\]\({DESTINATION}"),
     "“{}” 是没有生效的链接标记，会原样印出：地址含空格或括号时请写在尖括号中，如 [文字](<#锚点>)；"
     "不需要链接时请去掉方括号与圆括号"),
    (re.compile(r"\[[^\]\n\0]+\]\[[^\]\n\0]*\]"),
     "“{}” 像引用式链接，但没有对应的定义，会原样印出：请补上定义，或去掉方括号"),
    (re.compile(r"\*\*+|__+"),
     "“{}” 没有配对成加粗或强调，会原样印出：请检查开头与结尾是否都写了同样的标记；"
     "确要印出这些符号时，在每个前面加反斜杠，如 \\*\\*"),
    (re.compile(r"`+"),
     "反引号 “{}” 没有配对成代码，会原样印出：代码请写在一对反引号之间；确要印出反引号时写 \\`"),
)


def leftovers(text: InlineText, file: SourceFile) -> Iterator[tuple[Place, str]]:
    """Markdown syntax left in the text tokens (so printed as is): place and message.

    Escaped characters (`\\*`) and code are what the author asked for, not leftovers.
    """
    visible = "".join(
        char if owner is not None and owner.type == "text" and not locked else "\0"
        for char, owner, locked in zip(text.source.text, text.owners, text.source.locked,
                                       strict=True))
    found: list[tuple[int, int, str]] = []
    for pattern, message in LEFTOVERS:
        for match in pattern.finditer(visible):
            if not any(start <= match.start() < end for start, end, _ in found):
                found.append((match.start(), match.end(), message.format(match.group())))
    for start, _, message in sorted(found):
        yield text.source.place(start, file), message
