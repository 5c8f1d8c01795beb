"""issue.yaml edited as text: whatever an edit does not concern stays byte for byte as written.

Editors write issue.yaml by hand and keep notes in its comments. Loading YAML and
dumping it again — ruamel.yaml's round trip included — keeps comments but re-indents a
file whose lists are indented unevenly (`photos:` items four spaces in, `articles:`
items two), so the file would change where nobody edited it. An edit here is therefore
a few splices of text at the places the parser reports (every PyYAML node knows where
it starts and ends). Before the file is replaced (atomically), the edited text is
parsed again and must hold exactly the data the edit meant: anything else is a bug,
and the file is left alone.

Decisions, for `append_articles` (what `bulletin-pdf import` calls):
- A section is named by its title as printed (`简讯`, also `【简讯】`); None means the
  first articles section. A gallery (`kind: gallery`) lists photos: naming it is refused.
- A list written in brackets (`articles: [a.md, b.md]`) grows inside its brackets; a
  block list (`- a.md` lines) grows by lines in its own indentation. An empty list
  (`articles: []`, as `new` writes), a key without a value, or a missing `articles` key
  becomes a block list, indented as the file's other block lists are.
- An article the manifest lists already (in any section; the same file however
  written) is not listed again; it is reported in the result.
"""

from __future__ import annotations

import copy
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .errors import BulletinError, KeyPath, Problem, Problems, did_you_mean
from .files import system_refusals_as_problems, writable, write_atomically
from .images import image_problem
from .manifest import ARTICLE_FILE, GALLERY_PHOTO, load_issue_collecting
from .references import FileKind, file_problem
from .yamlfile import compose_yaml, yaml_scalar

DEFAULT_LIST_OFFSET = 2  # `- ` items two spaces right of their key, as in the README
BOM = "\ufeff"
# Section titles are two to four characters: one mistyped of two (简汛 for 简讯) is a likely typo.
TITLE_LIKENESS = 0.5


Entry = str | dict[str, str]  # a list item: an article's path, or a photo's {file, caption}


@dataclass(frozen=True)
class AppendResult:
    """What `append_articles` or `append_photos` did."""

    section: str  # the title of the section the entries went to
    added: tuple[str, ...]  # paths now listed, in order
    already_listed: tuple[str, ...]  # paths given that the manifest listed before: left as they were


@dataclass(frozen=True)
class SectionKind:
    """What a kind of section lists, and how a request for the wrong kind is answered."""

    kind: str  # as in the manifest's `kind`
    key: str  # the list it keeps
    noun: str
    listed_as: FileKind


ARTICLES = SectionKind("articles", "articles", "文章", ARTICLE_FILE)
GALLERY = SectionKind("gallery", "photos", "照片", GALLERY_PHOTO)


def append_articles(manifest: Path, section: str | None, articles: list[str]) -> AppendResult:
    """List `articles` (paths relative to the issue folder, posix) at the end of a section
    of `manifest` (an issue folder's issue.yaml), keeping everything else as written.

    `section`: a section's title; None for the first articles section. Every article file
    must exist (an issue that lists a missing one does not build); any problem is raised
    in Chinese before anything is written. Nothing new to list: the file is not touched.
    """
    return _append(manifest, section, ARTICLES, articles)


def append_photos(manifest: Path, section: str | None, photos: list[dict[str, str]]) -> AppendResult:
    """List `photos` (`{"file": path relative to the issue folder, "caption": …}`, the
    caption may be left out) at the end of a gallery section, as `append_articles` does."""
    return _append(manifest, section, GALLERY, photos)


def section_title(manifest: Path, section: str | None, kind: SectionKind = ARTICLES) -> str:
    """The title of the section `append_articles` (or, for GALLERY, `append_photos`) would
    list in; raises its refusal (unknown section, one of the other kind) without changing
    anything, so that a caller can refuse before it writes any file."""
    with system_refusals_as_problems():
        edit = _read_valid(manifest)
        return str(edit.data["sections"][_section_index(edit, section, kind)]["title"])


def articles_section(manifest: Path, section: str | None) -> str:
    return section_title(manifest, section, ARTICLES)


def _append(manifest: Path, section: str | None, kind: SectionKind, entries: list[Entry]) -> AppendResult:
    folder = manifest.parent.resolve()
    with system_refusals_as_problems():
        edit = _read_valid(manifest)
        index = _section_index(edit, section, kind)
        raw = edit.data["sections"][index]
        added, already = _new_entries(edit, folder, kind, entries)
        if added:
            if not writable(manifest):
                raise BulletinError([Problem("期刊清单是只读的，不会修改它：请先取消只读", manifest)])
            edit.append_to_list(edit.section_node(index), kind.key, added)
            expected = copy.deepcopy(edit.data)
            expected["sections"][index][kind.key] = [*_listed(raw.get(kind.key)), *added]
            edit.save(manifest, expected, stat.S_IMODE(manifest.stat().st_mode))
    return AppendResult(str(raw["title"]), tuple(str(_path(item)) for item in added),
                        tuple(str(_path(item)) for item in already))


def _read_valid(manifest: Path) -> ManifestText:
    """The manifest to edit; one with problems of its own is reported as `build` would."""
    load_issue_collecting(manifest.parent.resolve(), Problems())
    return ManifestText.read(manifest)


def _section_index(edit: ManifestText, wanted: str | None, kind: SectionKind) -> int:
    """The index of the section titled `wanted` (None: the first section of `kind`)."""
    sections = edit.data["sections"]
    fitting = [index for index, raw in enumerate(sections)
               if (raw.get("kind") == "gallery") == (kind is GALLERY)]
    titles = [_bare(raw["title"]) for raw in sections]
    choices = f"现有的{_kind_name(kind)}：{'、'.join(titles[index] for index in fitting) or '无'}"
    if wanted is None:
        if not fitting:
            raise BulletinError([edit.problem(_no_section(kind), ("sections",))])
        return fitting[0]
    if _bare(wanted) not in titles:
        raise BulletinError([edit.problem(
            f"没有名为 “{wanted}” 的栏目{did_you_mean(_bare(wanted), titles, TITLE_LIKENESS) or '。'}"
            f"{choices}", ("sections",))])
    index = titles.index(_bare(wanted))
    if index not in fitting:
        other = GALLERY if kind is ARTICLES else ARTICLES
        raise BulletinError([edit.problem(
            f"栏目 “{titles[index]}” 是{_kind_name(other)}，只列{other.noun}，不能加入{kind.noun}；"
            f"{choices}", ("sections", index))])
    return index


def _kind_name(kind: SectionKind) -> str:
    return "图片栏目（kind: gallery）" if kind is GALLERY else "文章栏目"


def _no_section(kind: SectionKind) -> str:
    if kind is GALLERY:
        return ("期刊清单中没有图片栏目：请在 sections 中加一个，写明 title（如 学习掠影）、"
                "kind: gallery 与 photos")
    return "期刊清单中没有文章栏目（只有图片栏目）：请先加一个栏目，写明 title 与 articles"


def _bare(title: Any) -> str:
    """A section title as the editor may type it: `简讯` for `【简讯】` too."""
    return str(title).strip().strip("【】").strip()


def _path(entry: Any) -> str | None:
    """The file an entry lists (a photo's `file`; None where a photo lists none)."""
    if isinstance(entry, dict):
        return None if entry.get("file") is None else str(entry["file"])
    return str(entry)


def _new_entries(edit: ManifestText, folder: Path, kind: SectionKind,
                 entries: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """(to add, listed already): each file checked as the manifest's own would be."""
    listed = {(folder / _path(item)).resolve() for raw in edit.data["sections"]
              for item in _listed(raw.get(kind.key)) if _path(item) is not None}
    added: list[Entry] = []
    already: list[Entry] = []
    problems = Problems()
    for entry in entries:
        name = PurePosixPath(str(_path(entry))).as_posix()
        problem = file_problem(name, folder, folder, kind.listed_as)
        if problem is None and kind is ARTICLES and not name.lower().endswith(".md"):
            problem = f"文章文件 “{name}” 应为 Markdown（.md）文件"
        if problem is None and kind is GALLERY and (unusable := image_problem(folder / name)):
            problem = f"图片 “{name}” {unusable}"
        if problem:
            problems.add(f"{problem}：没有加入期刊清单", edit.path)
            continue
        path = (folder / name).resolve()
        item = {**entry, "file": name} if isinstance(entry, dict) else name
        (already if path in listed else added).append(item)
        listed.add(path)
    problems.raise_if_any()
    return added, already


def _listed(value: Any) -> list[Any]:
    """A section's `articles` (or `photos`) as a list: one may be written without brackets."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Splice:
    """Replace `text[start:end]` by `new` (an insertion when start == end)."""

    start: int
    end: int
    new: str


@dataclass
class ManifestText:
    """A manifest's text, parsed with the position of every node, and the splices to make.

    The text has `\\n` line ends and no BOM; `save` writes it back the way it was read.
    """

    path: Path
    text: str
    root: yaml.MappingNode
    data: dict
    bom: bool = False
    newline: str = "\n"
    splices: list[Splice] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> ManifestText:
        try:
            raw = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise BulletinError([Problem("文件不是 UTF-8 编码，请另存为 UTF-8", path)]) from None
        bom = raw.startswith(BOM)
        newline = "\r\n" if "\r\n" in raw else "\n"
        return cls.parse(raw.removeprefix(BOM).replace("\r\n", "\n"), path, bom, newline)

    @classmethod
    def parse(cls, text: str, path: Path, bom: bool = False, newline: str = "\n") -> ManifestText:
        root, data = compose_yaml(text, path)
        if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
            raise BulletinError([Problem("期刊清单应为“键: 值”形式的映射", path)])
        return cls(path, text, root, data, bom, newline)

    # Finding -------------------------------------------------------------------

    def problem(self, message: str, key: KeyPath) -> Problem:
        """A problem at `key`'s line (a list item's, or a key's)."""
        node = line = self.root
        for part in key:
            if isinstance(part, int) and isinstance(node, yaml.SequenceNode):
                node = line = node.value[part]
            elif isinstance(part, str) and (found := _entry(node, part)):
                line, node = found
        return Problem(message, self.path, line.start_mark.line + 1, key)

    def node(self, key: str) -> yaml.Node | None:
        """The value of the top-level `key`, if there is one."""
        found = _entry(self.root, key)
        return found[1] if found else None

    def section_node(self, index: int) -> yaml.MappingNode:
        sections = self.node("sections")
        assert isinstance(sections, yaml.SequenceNode)
        return sections.value[index]

    # Editing -------------------------------------------------------------------

    def set_value(self, mapping: yaml.MappingNode, key: str, value: str) -> None:
        """The value of an existing `key`, written as `value` (YAML text)."""
        found = _entry(mapping, key)
        assert found is not None, key
        self._splice(found[1].start_mark.index, found[1].end_mark.index, value)

    def remove_key(self, mapping: yaml.MappingNode, key: str) -> bool:
        """Remove `key` with its value and its lines from a block mapping; False (nothing
        done) when that cannot be done by removing lines: in `{…}`, or on a `- ` line."""
        found = _entry(mapping, key)
        if found is None or mapping.flow_style:
            return False
        key_node, value = found
        start = self.text.rfind("\n", 0, key_node.start_mark.index) + 1
        if self.text[start:key_node.start_mark.index].strip():
            return False
        end = _line_end(self.text, _content_end(value))
        self._splice(start, min(end + 1, len(self.text)), "")
        return True

    def empty_list(self, mapping: yaml.MappingNode, key: str) -> None:
        """`key: []`, its items removed (with the comments among them; what follows the
        last item's line stays). A comment on the key's own line stays."""
        found = _entry(mapping, key)
        if found is None:
            return
        key_node, value = found
        if not isinstance(value, yaml.SequenceNode) or value.flow_style:
            if not _is_null(value):
                self._splice(value.start_mark.index, value.end_mark.index, "[]")
            return
        colon = self.text.index(":", key_node.end_mark.index)
        self._splice(colon + 1, colon + 1, " []")
        self._splice(_line_end(self.text, colon), _line_end(self.text, _content_end(value)), "")

    def append_to_list(self, mapping: yaml.MappingNode, key: str, items: list[Entry]) -> None:
        """`items` (text values) at the end of the list under `key`; see the module's notes."""
        found = _entry(mapping, key)
        if found is None:
            self._add_key(mapping, key, items)
            return
        key_node, value = found
        if isinstance(value, yaml.SequenceNode) and value.value:
            last = _content_end(value.value[-1])
            if value.flow_style:
                self._splice(last, last, "".join(f", {_flow_item(item)}" for item in items))
            else:
                at = _line_end(self.text, last)
                self._splice(at, at, self._block_items(items, value.start_mark.column))
            return
        written = [] if isinstance(value, yaml.SequenceNode) or _is_null(value) else [str(value.value)]
        if mapping.flow_style or written:
            shown = ", ".join(_flow_item(item) for item in [*written, *items])
            self._splice(value.start_mark.index, value.end_mark.index, f"[{shown}]")
            return
        colon = self.text.index(":", key_node.end_mark.index)
        self._splice(colon + 1, value.end_mark.index, "")  # `[]` or `null`: a block list follows
        at = _line_end(self.text, max(colon, value.end_mark.index))
        column = key_node.start_mark.column + self._list_offset(key)
        self._splice(at, at, self._block_items(items, column))

    def _add_key(self, mapping: yaml.MappingNode, key: str, items: list[Entry]) -> None:
        last = _content_end(mapping.value[-1][1])
        if mapping.flow_style:
            shown = ", ".join(_flow_item(item) for item in items)
            self._splice(last, last, f", {key}: [{shown}]")
            return
        column = mapping.start_mark.column
        at = _line_end(self.text, last)
        self._splice(at, at, f"\n{' ' * column}{key}:"
                     + self._block_items(items, column + self._list_offset(key)))

    def _block_items(self, items: list[Entry], column: int) -> str:
        """`- item` lines; a mapping's later keys lined up under its first."""
        lines = []
        for item in items:
            if isinstance(item, dict):
                pairs = [f"{name}: {yaml_scalar(value)}" for name, value in item.items()]
                lines.append(f"- {pairs[0]}" + "".join(f"\n{' ' * (column + 2)}{pair}"
                                                      for pair in pairs[1:]))
            else:
                lines.append(f"- {yaml_scalar(item)}")
        return "".join(f"\n{' ' * column}{line}" for line in lines)

    def _list_offset(self, key: str) -> int:
        """How far right of its key this file indents a block list's `- `: as under the
        first other `key`, else as under any key."""
        lists = sorted(_block_lists(self.root), key=lambda found: found[0].value != key)
        for key_node, value in lists[:1]:
            return value.start_mark.column - key_node.start_mark.column
        return DEFAULT_LIST_OFFSET

    def _splice(self, start: int, end: int, new: str) -> None:
        self.splices.append(Splice(start, end, new))

    # Writing -------------------------------------------------------------------

    def edited(self, expected: Any) -> str:
        """The text with every splice made; it must read as `expected`, or this is a bug."""
        parts, position = [], 0
        for splice in sorted(self.splices, key=lambda splice: splice.start):
            if splice.start < position:
                raise AssertionError(f"overlapping edits of {self.path}: {self.splices}")
            parts += [self.text[position:splice.start], splice.new]
            position = splice.end
        text = "".join([*parts, self.text[position:]])
        _, data = compose_yaml(text, self.path)
        if data != expected:
            raise AssertionError(f"editing {self.path} would not give the intended data:\n{text}")
        return text

    def encoded(self, expected: Any) -> bytes:
        """The edited file's bytes, with the original's line ends and BOM."""
        text = self.edited(expected).replace("\n", self.newline)
        return ((BOM if self.bom else "") + text).encode("utf-8")

    def save(self, target: Path, expected: Any, mode: int = 0o644) -> None:
        """Write the edited text to `target` atomically."""
        write_atomically(target, self.encoded(expected), mode)


def _flow_item(item: Entry) -> str:
    """An item inside `[…]`: a mapping as `{file: …, caption: …}`."""
    if isinstance(item, dict):
        return "{" + ", ".join(f"{name}: {yaml_scalar(value, True)}" for name, value in item.items()) + "}"
    return yaml_scalar(item, True)


def _entry(mapping: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if not isinstance(mapping, yaml.MappingNode):
        return None
    for key_node, value in mapping.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node, value
    return None


def _block_lists(node: yaml.Node):
    """Every block list that is a mapping's value, as (key node, list node), in file order."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if isinstance(value, yaml.SequenceNode) and not value.flow_style and value.value:
                yield key_node, value
            yield from _block_lists(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _block_lists(item)


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _content_end(node: yaml.Node) -> int:
    """Where `node`'s own text ends: a block collection's end mark lies past the comments
    and blank lines after it, its last scalar's does not."""
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return _content_end(last[1] if isinstance(node, yaml.MappingNode) else last)
    return node.end_mark.index


def _line_end(text: str, index: int) -> int:
    """The index of the line end at or after `index` (a comment on the line is before it)."""
    end = text.find("\n", index)
    return len(text) if end < 0 else end

