"""A Word file opened with care, and cleaned of what an article cannot take.

A .docx is a zip of XML parts. Before the content is read (`reading`), the
parts that carry text (body, footnotes, endnotes) are cleaned here with lxml,
and each removal is recorded for the import report: text boxes, charts,
SmartArt, shapes, embedded objects, equations, hidden text, and pictures linked
to files outside the document (never opened: nothing is fetched). Tracked
deletions are counted here and left out by mammoth; insertions stay. Strict
Open XML is translated to the usual (transitional) namespaces, so that both
readers see one vocabulary.

Anything that is not a Word file (a zip of something else, an old binary .doc,
an encrypted document, a damaged or hostile zip) is refused in Chinese.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree

from ..errors import BulletinError, Problem
from .numbering import write_numbers
from .ooxml import MC, NAMESPACES, PACKAGE_RELATIONSHIPS, A, M, R, V, W, parse_xml

RELATIONSHIP = R + "/"  # the prefix of every relationship type

# Limits for a document from anywhere: generous for any real article with photos.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_MEMBERS = 10_000
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .wps, and encrypted .docx
ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")

# What a drawing that is not a picture is, by its graphicData's kind.
DRAWING_KINDS = {
    "chart": "图表", "chartex": "图表", "diagram": "SmartArt 图形",
    "wordprocessingShape": "形状", "wordprocessingGroup": "组合图形",
    "wordprocessingCanvas": "绘图画布", "wordprocessingInk": "墨迹", "ink": "墨迹",
}
EXCERPT_LENGTH = 24


@dataclass(frozen=True)
class Dropped:
    """Something of the document that the article does not take, for the report."""

    kind: str  # 批注, 修订中删除的文字, 文本框…
    detail: str = ""  # an excerpt of its text, or the file it links to


@dataclass
class WordPackage:
    """The parts of a Word file (cleaned by `clean`), and what cleaning removed."""

    source: Path
    members: dict[str, bytes]
    main: str  # the main document part, e.g. word/document.xml
    dropped: list[Dropped] = field(default_factory=list)
    insertions: int = 0  # tracked insertions, kept

    def docx(self) -> bytes:
        """The package as a .docx again, for mammoth."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.members.items():
                archive.writestr(name, data)
        return buffer.getvalue()

    def related_part(self, kind: str) -> str | None:
        """The part the main document relates to with `kind` (styles, numbering…)."""
        for target, relation_kind, external in self._relationships(self.main):
            if relation_kind == RELATIONSHIP + kind and not external:
                return target if target in self.members else None
        return None

    def xml_part(self, kind: str) -> etree._Element | None:
        """The part related with `kind` (numbering, styles…), parsed; None when there is none."""
        part = self.related_part(kind)
        return parse_xml(self.members[part], self.source, part) if part else None

    def relationship_targets(self, part: str) -> dict[str, tuple[str, bool]]:
        """Relationship id → (target, is it outside the package) for `part`."""
        return {rid: (target, external)
                for rid, (target, _, external) in self._relationships_by_id(part).items()}

    def _relationships(self, part: str) -> list[tuple[str, str, bool]]:
        return list(self._relationships_by_id(part).values())

    def _relationships_by_id(self, part: str) -> dict[str, tuple[str, str, bool]]:
        folder, name = PurePosixPath(part).parent, PurePosixPath(part).name
        rels_part = str(folder / "_rels" / f"{name}.rels").lstrip("/")
        rels = self.members.get(rels_part)
        if rels is None:
            return {}
        found = {}
        relations = parse_xml(rels, self.source, rels_part)
        for relation in relations.iter(f"{{{PACKAGE_RELATIONSHIPS}}}Relationship"):
            target = relation.get("Target", "")
            external = relation.get("TargetMode") == "External"
            if not external:
                target = _resolve(folder, target)
            found[relation.get("Id", "")] = (target, relation.get("Type", ""), external)
        return found


def open_package(path: Path) -> WordPackage:
    """Read a .docx into memory, refusing what is not one (in Chinese)."""
    data = path.read_bytes()
    if data.startswith(OLE_SIGNATURE):
        raise _refusal(path, "文件设置了打开密码（已加密）：请在 Word 中取消密码后另存为 .docx"
                       if ENCRYPTED_MARK in data else
                       "这是旧版 Word（.doc）或 WPS 格式的文件，不是 .docx："
                       "请在 Word 或 WPS 中“另存为” .docx 文件")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = _read_members(archive, path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError,
            OSError, ValueError) as error:
        raise _refusal(path, f"不是有效的 Word（.docx）文件，或文件已损坏（{error}）") from None
    members = {name: _transitional(name, content) for name, content in members.items()}
    main = _main_document(members, path)
    return WordPackage(path, members, main)


def _read_members(archive: zipfile.ZipFile, path: Path) -> dict[str, bytes]:
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > MAX_MEMBERS:
        raise _refusal(path, f"文件中的部件过多（{len(infos)} 个），不像是 Word 文档")
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise _refusal(path, "文件解压后超过 1 GB，不像是一篇稿件：请检查文件")
    members = {}
    for info in infos:
        content = archive.read(info)
        # An XML part of a Word file never declares a DTD: one that does is hostile.
        if info.filename.endswith((".xml", ".rels")) and re.search(rb"<!(DOCTYPE|ENTITY)", content):
            raise _refusal(path, f"文件中的 {info.filename} 含有 DTD 声明，不是正常的 Word 文档")
        members[info.filename] = content
    return members


# Strict Open XML names its namespaces differently; the vocabulary is the same.
STRICT_NAMESPACE = re.compile(rb"http://purl\.oclc\.org/ooxml/(officeDocument|drawingml|"
                              rb"wordprocessingml|schemaLibrary)/([A-Za-z]+)")


def _transitional(name: str, content: bytes) -> bytes:
    if not name.endswith((".xml", ".rels")) or b"purl.oclc.org/ooxml" not in content:
        return content
    return STRICT_NAMESPACE.sub(rb"http://schemas.openxmlformats.org/\1/2006/\2", content)


def _main_document(members: dict[str, bytes], path: Path) -> str:
    package = WordPackage(path, members, "")
    for target, kind, external in package._relationships(""):
        if kind == RELATIONSHIP + "officeDocument" and not external and target in members:
            if not target.startswith("word/") and "wordprocessingml" not in \
                    members.get("[Content_Types].xml", b"").decode("utf-8", "replace"):
                break
            return target
    if "word/document.xml" in members:
        return "word/document.xml"
    what = ("Excel 表格" if any(name.startswith("xl/") for name in members) else
            "PowerPoint 演示文稿" if any(name.startswith("ppt/") for name in members) else None)
    raise _refusal(path, f"这是{what}，不是 Word 文档" if what else
                   "文件中没有 Word 正文，不是有效的 .docx 文件")


def _resolve(folder: PurePosixPath, target: str) -> str:
    """A relationship target as a member name (targets are relative to the part's folder)."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for part in (folder / target).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts)


def _refusal(path: Path, message: str) -> BulletinError:
    return BulletinError([Problem(message, path)])


# Parts besides the body, with the root each has when it holds nothing.
SIDE_PARTS = {"styles": "styles", "numbering": "numbering", "comments": "comments",
              "footnotes": "footnotes", "endnotes": "endnotes"}


def clean(package: WordPackage) -> None:
    """Remove from the text parts what an article cannot take; record each removal."""
    for kind, root in SIDE_PARTS.items():
        _replace_if_broken(package, kind, root)
    parts = [package.main] + [part for kind in ("footnotes", "endnotes")
                              if (part := package.related_part(kind))]
    for part in parts:
        root = parse_xml(package.members[part], package.source, part)
        targets = package.relationship_targets(part)
        _clean_part(root, targets, package)
        if part == package.main:
            write_numbers(root, package.xml_part("numbering"), package.xml_part("styles"))
        package.members[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                               standalone=True)
    package.dropped += _comments(package)
    if styles := package.related_part("styles"):
        package.members[styles] = _slimmed_styles(package.members[styles], package.source, styles)


def _replace_if_broken(package: WordPackage, kind: str, root: str) -> None:
    """A damaged side part (styles, notes…) is read as an empty one, and reported."""
    part = package.related_part(kind)
    if part is None:
        return
    try:
        parse_xml(package.members[part], package.source, part)
    except BulletinError:
        package.members[part] = etree.tostring(etree.Element(f"{{{W}}}{root}", nsmap={"w": W}))
        package.dropped.append(Dropped("已损坏而未能读取的部分", part))


def _slimmed_styles(content: bytes, source: Path, part: str) -> bytes:
    """The styles part with only what mammoth reads: each style's id, type, name, numbering.

    A template's styles run to hundreds of kilobytes of formatting, which mammoth's
    DOM parser takes half a second over; the formatting is read by `styles` instead.
    """
    root = parse_xml(content, source, part)
    for style in list(root):
        if style.tag != f"{{{W}}}style":
            root.remove(style)
            continue
        for part in list(style):
            if part.tag == f"{{{W}}}pPr":
                for setting in list(part):
                    if setting.tag != f"{{{W}}}numPr":
                        part.remove(setting)
            elif part.tag != f"{{{W}}}name":
                style.remove(part)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _clean_part(root: etree._Element, targets: dict[str, tuple[str, bool]],
                package: WordPackage) -> None:
    dropped = package.dropped
    for box in list(root.iter(f"{{{W}}}txbxContent")):
        if _attached(box, root):
            dropped.append(Dropped("文本框", excerpt(_text(box))))
            _remove(_drawing_of(box))
    for data in list(root.iter(f"{{{A}}}graphicData")):
        kind = data.get("uri", "").rstrip("/").rsplit("/", 1)[-1]
        if kind != "picture" and _attached(data, root):
            dropped.append(Dropped(DRAWING_KINDS.get(kind, "图形对象")))
            _remove(_drawing_of(data))
    for picture in [*root.iter(f"{{{A}}}blip"), *root.iter(f"{{{V}}}imagedata")]:
        if _attached(picture, root) and (link := _outside_link(picture, targets)) is not None:
            dropped.append(Dropped("链接到外部文件的图片（未读取）", link))
            _remove(_drawing_of(picture))
    for element in list(root.iter(f"{{{W}}}object")):
        if _attached(element, root):
            dropped.append(Dropped("嵌入的对象（如 Excel 表格、Visio 图）"))
            _remove(element)
    for tag in (f"{{{M}}}oMathPara", f"{{{M}}}oMath"):
        for formula in list(root.iter(tag)):
            if _attached(formula, root):
                dropped.append(Dropped("公式", excerpt(_text(formula, f"{{{M}}}t"))))
                _remove(formula)
    for run in list(root.iter(f"{{{W}}}r")):
        vanish = run.find("w:rPr/w:vanish", NAMESPACES)
        if vanish is not None and _on(vanish) and _attached(run, root):
            dropped.append(Dropped("隐藏文字", excerpt(_text(run))))
            _remove(run)
    for deletion in root.iter(f"{{{W}}}del"):
        if text := _text(deletion, f"{{{W}}}delText"):
            dropped.append(Dropped("修订中删除的文字", excerpt(text)))
    package.insertions += sum(1 for _ in root.iter(f"{{{W}}}ins"))
    for simple_field in list(root.iter(f"{{{W}}}fldSimple")):
        _unwrap(simple_field)  # mammoth skips simple fields, and their text with them
    for tag, same_as in (("cr", "br"), ("ptab", "tab")):  # what mammoth knows by another name
        for element in list(root.iter(f"{{{W}}}{tag}")):
            element.tag = f"{{{W}}}{same_as}"
            element.attrib.clear()


def _comments(package: WordPackage) -> list[Dropped]:
    part = package.related_part("comments")
    if part is None:
        return []
    root = parse_xml(package.members[part], package.source, part)
    found = []
    for comment in root.iter(f"{{{W}}}comment"):
        author = comment.get(f"{{{W}}}author", "").strip()
        text = excerpt(_text(comment))
        found.append(Dropped("批注", f"{author}：{text}" if author else text))
    return found


def _outside_link(picture: etree._Element, targets: dict[str, tuple[str, bool]]) -> str | None:
    """The file a picture links to instead of holding it, or None when it is embedded."""
    embedded = picture.get(f"{{{R}}}embed") or picture.get(f"{{{R}}}id")
    linked = picture.get(f"{{{R}}}link")
    if embedded and embedded in targets and not targets[embedded][1]:
        return None
    reference = embedded or linked
    if reference is None:
        return None if picture.tag == f"{{{V}}}imagedata" else "（无图片数据）"
    target, _ = targets.get(reference, ("（找不到的图片）", True))
    return target


def _drawing_of(element: etree._Element) -> etree._Element:
    """The outermost object around `element` inside its run: what to remove with it."""
    found = element
    for ancestor in element.iterancestors():
        if ancestor.tag in (f"{{{W}}}r", f"{{{W}}}body", f"{{{W}}}p"):
            break
        if ancestor.tag in (f"{{{MC}}}AlternateContent", f"{{{W}}}drawing", f"{{{W}}}pict",
                            f"{{{W}}}object"):
            found = ancestor
    return found


def _attached(element: etree._Element, root: etree._Element) -> bool:
    """Still in the tree: not inside something removed already."""
    for ancestor in element.iterancestors():
        if ancestor is root:
            return True
    return element is root


def _remove(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def _unwrap(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    index = parent.index(element)
    for offset, child in enumerate(list(element)):
        parent.insert(index + offset, child)
    parent.remove(element)


def _on(element: etree._Element) -> bool:
    return element.get(f"{{{W}}}val", "true") not in ("0", "false", "off")


def _text(element: etree._Element, tag: str = f"{{{W}}}t") -> str:
    return "".join(node.text or "" for node in element.iter(tag))


def excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    """The start of a text, on one line, for a report."""
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length] + "…"
