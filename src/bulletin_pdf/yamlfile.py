"""YAML with line numbers: every value keeps the line it came from, for messages."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import BulletinError, KeyPath, Problem, Problems

# How many values aliases (`*name`) may add to a document, all expansions together.
# Editors rarely use aliases; ten lines of nested ones ("billion laughs") stand
# for 10^9 values, which every walk over the data (line index, validation,
# normalisation) would visit.
MAX_ALIAS_VALUES = 1000


class AliasBomb(yaml.MarkedYAMLError):
    """An alias that expands past MAX_ALIAS_VALUES, or into itself; `message` says which."""

    def __init__(self, anchor: str, into_itself: bool, mark: yaml.Mark):
        super().__init__(problem=f"alias *{anchor} refused", problem_mark=mark)
        self.message = (
            f"YAML 别名 “*{anchor}” 引用了包含它自己的内容，无法展开" if into_itself else
            f"YAML 别名 “*{anchor}” 展开后，别名共代表超过 {MAX_ALIAS_VALUES} 个值：为防止文件"
            "耗尽内存，不展开这么多别名；请直接写出内容")


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text and bounds what aliases expand to.

    PyYAML turns `2025-02-30` into a ValueError without a line number; we
    validate dates ourselves so a bad one is reported like any other key.
    PyYAML shares an aliased node rather than copying it, so composing costs
    nothing; the walks over the data afterwards are what would explode.
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self.alias_values = 0
        self.sizes: dict[int, int] = {}  # id(node) → values it stands for, aliases expanded

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = self.anchors.get(event.anchor)
            if node is not None:
                if _open(node):
                    raise AliasBomb(event.anchor, True, event.start_mark)
                self.alias_values += self.size(node)
                if self.alias_values > MAX_ALIAS_VALUES:
                    raise AliasBomb(event.anchor, False, event.start_mark)
        return super().compose_node(parent, index)

    def size(self, node: yaml.Node) -> int:
        """Values `node` stands for (itself included); each shared node is counted once per use."""
        if id(node) not in self.sizes:
            children: list = node.value if isinstance(node, yaml.SequenceNode) else (
                [item for pair in node.value for item in pair]
                if isinstance(node, yaml.MappingNode) else [])
            self.sizes[id(node)] = 1 + sum(self.size(child) for child in children)
        return self.sizes[id(node)]


def _open(node: yaml.Node) -> bool:
    """A collection still being composed: an alias to it would nest it inside itself."""
    return isinstance(node, yaml.CollectionNode) and node.end_mark is None


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Scalar:
    """Where a scalar value is written: 1-based line and column of its first character.

    `exact`: the value is its source text character for character (on one
    line, no escapes or folding), so column + i is where character i is.
    """

    line: int
    column: int
    exact: bool


@dataclass
class YamlDocument:
    """Parsed YAML plus the line of every key and list item, and where each scalar is."""

    data: Any
    file: Path
    lines: dict[KeyPath, int] = field(default_factory=dict)
    scalars: dict[KeyPath, Scalar] = field(default_factory=dict)

    def line(self, key: KeyPath) -> int | None:
        """Line of `key`, or of its nearest ancestor we know."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get(())

    def problem(self, message: str, key: KeyPath = ()) -> Problem:
        return Problem(message, self.file, self.line(key), key)


def read_text(path: Path) -> str:
    """Text as editors save it: UTF-8, maybe with a BOM (Word) and CRLF line ends."""
    return path.read_text(encoding="utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


def parse_yaml(text: str, file: Path, first_line: int = 1) -> YamlDocument:
    """Parse one YAML document; `first_line` is where `text` starts inside `file`."""
    node, data = compose_yaml(text, file, first_line)
    document = YamlDocument(data, file, {(): first_line})
    problems = Problems()
    if node is not None:
        _index_lines(node, (), first_line, document, problems, text)
    problems.raise_if_any()
    return document


def compose_yaml(text: str, file: Path, first_line: int = 1) -> tuple[yaml.Node | None, Any]:
    """The node tree of one YAML document (each node knows where in `text` it starts and
    ends) and its data; syntax errors and alias bombs as problems of `file`."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        line, message = syntax_mistake(error, text.split("\n"))
        shown = line + first_line if line is not None else None
        raise BulletinError([Problem(message, file, shown)]) from None
    except yaml.YAMLError as error:
        raise BulletinError([Problem(f"YAML 语法错误（{error}）", file)]) from None
    except RecursionError:
        raise BulletinError([Problem("YAML 嵌套层数太多：请检查缩进和括号", file)]) from None
    finally:
        loader.dispose()
    return node, data


# Office mistakes PyYAML reports a line late or in its own terms, found on the line itself.
FULLWIDTH_COLON = re.compile(r"^\s*(?:-\s+)?([^\s:：#\"'\[{][^:：]*)：")
FULLWIDTH_SPACE = re.compile(r"^[ \t]*\u3000|[:-]\u3000")
NO_SPACE_AFTER_COLON = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w-]*):(?=[^\s/])")
LINE_MISTAKES = (
    (FULLWIDTH_COLON, "“{0}：” 用了全角冒号：键后须为半角冒号加空格，如 “{0}: …”"),
    (FULLWIDTH_SPACE, "用了全角空格：缩进、冒号和 “-” 后须为半角空格"),
    (NO_SPACE_AFTER_COLON, "“{0}:” 后缺少空格：键的冒号后须加一个半角空格，如 “{0}: …”"),
)
# How far above PyYAML's line a mistake may be: a plain value runs on over the next lines.
LOOK_BACK = 3

BACKSLASH = "双引号中的反斜杠 “\\” 须写成 “\\\\”，或改用单引号把值括起"
# PyYAML's problems and contexts (English) → what the editor did and what to do.
CONTEXT_MISTAKES = {
    "while scanning a quoted scalar":
        "引号没有配对：这一行开始的引号没有结束引号（值中的引号请用中文引号 “”）",
    "while parsing a flow sequence": "方括号 “[” 没有配对的 “]”（列表写在一行内：[甲, 乙]）",
    "while parsing a flow mapping": "花括号 “{” 没有配对的 “}”",
    "while scanning a simple key": "缺少冒号：每个键后须有半角冒号加空格，如 “title: …”",
}
PROBLEM_MISTAKES = {
    "cannot start any token": "值不能以 “@” 或 “`” 开头：请给整个值加引号",
    "mapping values are not allowed here": "这里多出了 “: ”：值中含有 “: ” 时请给整个值加引号；"
                                           "也可能是上一行缩进有误",
    "found undefined alias": "以 “*” 开头的值被当作 YAML 别名：请给整个值加引号",
    "expected alphabetic or numeric character": "以 “*” 或 “&” 开头的值须加引号",
    "found unknown escape character": BACKSLASH,
    "expected escape sequence": BACKSLASH,
    "expected <block end>": "缩进不一致：同一层的键（或列表项 “- ”）须对齐",
    "did not find expected key": "缩进不一致：同一层的键须对齐",
    "did not find expected '-' indicator": "缩进不一致：同一列表的各项 “- ” 须对齐",
    "found unexpected end of stream": "文件意外结束：请检查最后几行的引号和括号",
}


def syntax_mistake(error: yaml.MarkedYAMLError, lines: list[str]) -> tuple[int | None, str]:
    """(0-based line, message): PyYAML's complaint as the editor's mistake, where it was made."""
    problem = error.problem_mark.line if error.problem_mark else None
    context = error.context_mark.line if error.context_mark else None
    if isinstance(error, AliasBomb):
        return problem, error.message
    if "'\\t'" in (error.problem or ""):
        return problem, "YAML 语法错误：用了制表符（Tab）：缩进和冒号后只能用半角空格，请把 Tab 换成空格"
    if problem is not None:
        first = context if context is not None else max(0, problem - LOOK_BACK)
        for index in range(min(problem, len(lines) - 1), first - 1, -1):
            for pattern, message in LINE_MISTAKES:
                if match := pattern.search(lines[index]):
                    return index, "YAML 语法错误：" + message.format(*match.groups())
    if error.context in CONTEXT_MISTAKES:
        return context, "YAML 语法错误：" + CONTEXT_MISTAKES[error.context]
    for words, message in PROBLEM_MISTAKES.items():
        if words in (error.problem or ""):
            return problem, "YAML 语法错误：" + message
    return (problem if problem is not None else context,
            f"YAML 语法错误（{error.problem or error.context or ''}）")


def _index_lines(node: yaml.Node, path: KeyPath, first_line: int,
                 document: YamlDocument, problems: Problems, text: str) -> None:
    if isinstance(node, yaml.ScalarNode):
        document.scalars[path] = _scalar(node, first_line, text)
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            line = key_node.start_mark.line + first_line
            if (*path, key) in document.lines:
                problems.add(f"键 “{key}” 重复出现（另一处在第 {document.lines[(*path, key)]} 行）",
                             document.file, line, (*path, key))
            elif isinstance(key, str) and key.startswith("\u3000"):
                # PyYAML takes an indent of full-width spaces for part of the key.
                problems.add("这一行用全角空格缩进：缩进只能用半角空格", document.file, line)
            document.lines[(*path, key)] = line
            _index_lines(value_node, (*path, key), first_line, document, problems, text)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            document.lines[(*path, index)] = item.start_mark.line + first_line
            _index_lines(item, (*path, index), first_line, document, problems, text)


def _scalar(node: yaml.ScalarNode, first_line: int, text: str) -> Scalar:
    start, end = node.start_mark, node.end_mark
    quote = 1 if node.style in ("'", '"') else 0
    written = text[start.index + quote:end.index - quote]
    exact = node.style in (None, "'", '"') and start.line == end.line and written == node.value
    return Scalar(start.line + first_line, start.column + quote + 1, exact)


def load_yaml_file(path: Path) -> YamlDocument:
    try:
        text = read_text(path)
    except FileNotFoundError:
        raise BulletinError([Problem("文件不存在", path)]) from None
    except UnicodeDecodeError:
        raise BulletinError([Problem("文件不是 UTF-8 编码，请另存为 UTF-8", path)]) from None
    return parse_yaml(text, path)


@dataclass
class FrontMatterFile:
    """A Markdown file split into its YAML front matter and its body."""

    front_matter: YamlDocument
    body: str
    body_first_line: int


def body_start(lines: list[str]) -> int:
    """Index of the first body line after `---` front matter; 0 when there is none."""
    if not lines or lines[0].strip() != "---":
        return 0
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return index + 1
    return 0


def split_front_matter(text: str, file: Path) -> FrontMatterFile:
    """Split `---` YAML front matter from the Markdown body."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise BulletinError([Problem(
            "缺少 YAML 头信息：文件须以一行 --- 开头，写明 title 等字段，再以 --- 结束", file, 1)])
    start = body_start(lines)
    if not start:
        raise BulletinError([Problem("YAML 头信息没有结束：缺少第二行 ---", file, 1)])
    document = parse_yaml("\n".join(lines[1:start - 1]), file, first_line=2)
    return FrontMatterFile(document, "\n".join(lines[start:]), start + 1)


def yaml_scalar(value: str, in_flow: bool = False) -> str:
    """`value` written as a YAML scalar: plain when it reads back as itself (in a block list,
    or inside `[…]` when `in_flow`), else double-quoted (JSON's quoting is valid YAML)."""
    probe = f"[{value}]" if in_flow else f"- {value}"
    try:
        plain = "\n" not in value and value == value.strip() and \
            yaml.load(probe, Loader=_Loader) == [value]
    except yaml.YAMLError:
        plain = False
    return value if plain else json.dumps(value, ensure_ascii=False)
