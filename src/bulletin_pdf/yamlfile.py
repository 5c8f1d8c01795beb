"""YAML with line numbers: every value keeps the line it came from, for messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import BulletinError, KeyPath, Problem, Problems


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text.

    PyYAML turns `2025-02-30` into a ValueError without a line number; we
    validate dates ourselves so a bad one is reported like any other key.
    """


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
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + first_line if mark else None
        detail = error.problem or error.context or ""
        raise BulletinError([Problem(f"YAML 语法错误（{detail}）", file, line)]) from None
    except yaml.YAMLError as error:
        raise BulletinError([Problem(f"YAML 语法错误（{error}）", file)]) from None
    finally:
        loader.dispose()
    document = YamlDocument(data, file, {(): first_line})
    duplicates = Problems()
    if node is not None:
        _index_lines(node, (), first_line, document, duplicates, text)
    duplicates.raise_if_any()
    return document


def _index_lines(node: yaml.Node, path: KeyPath, first_line: int,
                 document: YamlDocument, duplicates: Problems, text: str) -> None:
    if isinstance(node, yaml.ScalarNode):
        document.scalars[path] = _scalar(node, first_line, text)
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            line = key_node.start_mark.line + first_line
            if (*path, key) in document.lines:
                duplicates.add(f"键 “{key}” 重复出现（另一处在第 {document.lines[(*path, key)]} 行）",
                               document.file, line, (*path, key))
            document.lines[(*path, key)] = line
            _index_lines(value_node, (*path, key), first_line, document, duplicates, text)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            document.lines[(*path, index)] = item.start_mark.line + first_line
            _index_lines(item, (*path, index), first_line, document, duplicates, text)


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
