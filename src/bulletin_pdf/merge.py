"""Merging unit PDFs into the issue's PDF, with pikepdf.

Each unit was laid out and written by WeasyPrint on its own (units.py); what
WeasyPrint would have made of the whole issue is put back together here:
- the pages, in order, without each unit's page of stub anchors;
- named destinations: each anchor where its unit holds it (the first, in page
  order), so that links across units (the 目录's, an article's) resolve;
- the outline, nested again by the bookmarks' levels across units;
- the tag tree: one Document element holding every page's elements, the
  parent tree numbered again (pages first, then annotations, as WeasyPrint does);
- identical streams (an ICC profile, a photo used twice) stored once; fonts
  subset once for the issue (`fontmerge`).
The first unit given is the base: its catalog (language, output intent, XMP
metadata, document info) is the merged file's.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem

from .subsets import embed_once

REFERENCE = re.compile(rb"(\d+) (\d+) R\b")
RESOURCE_DEPTH = 4  # fonts in a font dictionary in a resource dictionary: nested this deep


@dataclass(frozen=True)
class UnitPdf:
    path: Path
    kept_pages: int  # its pages in the issue (the rest hold stub anchors)
    bookmark_levels: tuple[int, ...]  # of its outline items, in document order


def merge_units(base: UnitPdf, units: Sequence[UnitPdf], target: Path,
                font_files: Sequence[tuple[Path, int]], subsets: Path | None = None) -> int:
    """Write `base`'s kept pages then each unit's to `target`; the page count.
    `font_files`: the faces the units' font placeholders may name (subsets.py);
    `subsets`: a folder where the fonts' subsets are kept between builds."""
    with pikepdf.open(base.path) as merged:
        sources = [pikepdf.open(unit.path) for unit in units]
        try:
            parts = [(merged, base), *zip(sources, units, strict=True)]
            pages = _merge_pages(merged, parts)
            _merge_destinations(merged, parts)
            _merge_outline(merged, parts)
            if "/StructTreeRoot" in merged.Root:
                _merge_tags(merged, parts, pages)
            embed_once(merged, font_files, subsets)
            _share_identical_streams(merged)
            _share_identical_resources(merged)
            # A unit's file identifier depends on where WeasyPrint wrote it: the merged
            # file's comes from its content alone (deterministic_id), both halves.
            if "/ID" in merged.trailer:
                del merged.trailer.ID
            # The streams made here (the fonts subset for the issue) are compressed
            # harder: QPDF's object streams come out larger than WeasyPrint's single one.
            pikepdf.settings.set_flate_compression_level(9)
            try:
                merged.save(target, deterministic_id=True, compress_streams=True,
                            object_stream_mode=_object_streams(merged))
            finally:
                pikepdf.settings.set_flate_compression_level(-1)
        finally:
            for source in sources:
                source.close()
    return len(pages)


def _object_streams(pdf: pikepdf.Pdf) -> pikepdf.ObjectStreamMode:
    # PDF/X-1a is PDF 1.3, which has no object streams.
    if pdf.pdf_version >= "1.5":
        return pikepdf.ObjectStreamMode.generate
    return pikepdf.ObjectStreamMode.disable


def _merge_pages(merged: pikepdf.Pdf, parts) -> list[tuple[pikepdf.Pdf, int, pikepdf.Page]]:
    """Every kept page as (its unit's file, its index there, the merged page)."""
    _, base_unit = parts[0]
    while len(merged.pages) > base_unit.kept_pages:
        del merged.pages[-1]
    pages = [(merged, index, page) for index, page in enumerate(merged.pages)]
    for source, unit in parts[1:]:
        for index in range(unit.kept_pages):
            merged.pages.append(source.pages[index])
            pages.append((source, index, merged.pages[-1]))
    return pages


def _dests(pdf: pikepdf.Pdf) -> list[tuple[str, pikepdf.Object]]:
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return []
    tree = pikepdf.NameTree(names.Dests)
    return [(str(name), value) for name, value in tree.items()]


def _merge_destinations(merged: pikepdf.Pdf, parts) -> None:
    """One name tree: each anchor on the kept page that first holds it."""
    found: dict[str, pikepdf.Object] = {}
    for source, unit in parts:
        kept = {source.pages[index].objgen for index in range(unit.kept_pages)} \
            if source is not merged else {page.objgen for page in merged.pages}
        for name, dest in _dests(source):
            if name in found or dest[0].objgen not in kept:
                continue
            found[name] = dest if source is merged else _foreign(merged, dest)
    if not found:
        return
    flat = Array()
    for name in sorted(found):
        flat.extend([pikepdf.String(name), found[name]])
    names = merged.Root.get("/Names") or Dictionary()
    names.Dests = merged.make_indirect(Dictionary(Names=flat))
    merged.Root.Names = names


def _outline_items(pdf: pikepdf.Pdf) -> list[tuple[str, pikepdf.Object]]:
    """Title and destination of each outline item, in document order."""
    items = []
    with pdf.open_outline() as outline:
        stack = list(reversed(outline.root))
        while stack:
            item = stack.pop()
            items.append((item.title, item.destination))
            stack.extend(reversed(item.children))
    return items


def _merge_outline(merged: pikepdf.Pdf, parts) -> None:
    flat: list[tuple[int, str, pikepdf.Object]] = []
    for source, unit in parts:
        items = _outline_items(source)
        if len(items) != len(unit.bookmark_levels):
            raise ValueError(f"{unit.path}: {len(items)} outline items, "
                             f"{len(unit.bookmark_levels)} levels")
        for level, (title, destination) in zip(unit.bookmark_levels, items, strict=True):
            if source is not merged:
                destination = _foreign(merged, destination)
            flat.append((level, title, destination))
    if "/Outlines" in merged.Root:
        del merged.Root.Outlines
    if not flat:
        return
    with merged.open_outline() as outline:
        stack: list[tuple[int, OutlineItem]] = []
        for level, title, destination in flat:
            item = OutlineItem(title, destination)
            while stack and stack[-1][0] >= level:
                stack.pop()
            (stack[-1][1].children if stack else outline.root).append(item)
            stack.append((level, item))


def _merge_tags(merged: pikepdf.Pdf, parts, pages) -> None:
    """One tag tree, numbered as WeasyPrint numbers one: page i is parent-tree key i,
    annotations follow the pages."""
    root = merged.Root.StructTreeRoot
    document = root.K[0]
    elements = Array()
    nums = Array()
    parent_trees = {id(source): _numbers(source.Root.StructTreeRoot.ParentTree)
                    for source, _ in parts}
    top_levels = {id(source): source.Root.StructTreeRoot.K[0].K for source, _ in parts}
    annotation_key = len(pages)
    annotations: list[tuple[int, pikepdf.Object]] = []
    for key, (source, index, page) in enumerate(pages):
        original = source.pages[index]
        local = int(original.obj.get("/StructParents", index))
        marked = parent_trees[id(source)].get(local, Array())
        nums.extend([key, marked if source is merged else _foreign(merged, marked)])
        page.obj.StructParents = key
        for element in top_levels[id(source)]:
            if element.get("/Pg") is not None and element.Pg.objgen == original.obj.objgen:
                element = element if source is merged else _foreign(merged, element)
                element.P = document
                elements.append(element)
        for annotation in page.obj.get("/Annots", ()):
            if "/StructParent" in annotation:
                local_key = int(annotation.StructParent)
                parent = parent_trees[id(source)][local_key]
                annotations.append((annotation_key, parent if source is merged
                                    else _foreign(merged, parent)))
                annotation.StructParent = annotation_key
                annotation_key += 1
    for key, parent in annotations:
        nums.extend([key, parent])
    # Elements WeasyPrint leaves out of the tree (a page's margin boxes) still name the
    # unit's Document element as their parent: the issue's, as in one document.
    units = {_foreign(merged, source.Root.StructTreeRoot.K[0]).objgen
             for source, _ in parts if source is not merged}
    for obj in merged.objects:
        if isinstance(obj, Dictionary) and obj.get("/Type") == Name.StructElem \
                and "/P" in obj and obj.P.objgen in units:
            obj.P = document
    document.K = elements
    root.ParentTree = merged.make_indirect(Dictionary(Nums=nums))
    root.ParentTreeNextKey = annotation_key


def _foreign(pdf: pikepdf.Pdf, obj: pikepdf.Object) -> pikepdf.Object:
    """`obj` of another file, copied into `pdf` (pikepdf copies only indirect objects)."""
    if not isinstance(obj, pikepdf.Object):
        return obj  # a number or a name, as pikepdf gives them
    if obj.is_indirect:
        return pdf.copy_foreign(obj)
    if isinstance(obj, Array):
        return Array([_foreign(pdf, item) for item in obj])
    if isinstance(obj, Dictionary):
        return Dictionary({key: _foreign(pdf, value) for key, value in obj.items()})
    return obj


def _numbers(tree: pikepdf.Object) -> dict[int, pikepdf.Object]:
    """A number tree (flat or with kids) as a dict."""
    found: dict[int, pikepdf.Object] = {}
    nums = tree.get("/Nums")
    if nums is not None:
        for position in range(0, len(nums), 2):
            found[int(nums[position])] = nums[position + 1]
    for kid in tree.get("/Kids", ()):
        found |= _numbers(kid)
    return found


def _share_identical_streams(pdf: pikepdf.Pdf) -> None:
    """A stream each unit embedded alike (an ICC profile, a photo) is kept once."""
    alike: dict[int, list[pikepdf.Object]] = {}
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Type") not in (Name.XRef, Name.ObjStm):
            alike.setdefault(int(obj.stream_dict.get("/Length", -1)), []).append(obj)
    first: dict[str, pikepdf.Object] = {}
    replace: dict[tuple[int, int], pikepdf.Object] = {}
    # Only streams of the same length can be the same: most (each page's content, most
    # photos) are read no further.
    for group in (group for group in alike.values() if len(group) > 1):
        for obj in group:
            digest = hashlib.sha256(repr(_stream_dictionary(obj)).encode()
                                    + obj.read_raw_bytes()).hexdigest()
            if digest in first:
                replace[obj.objgen] = first[digest]
            else:
                first[digest] = obj
    if replace:
        for obj in list(pdf.objects):
            if _refers_to(obj, replace):
                _replace_references(obj, replace)
        _replace_references(pdf.trailer, replace)


def _share_identical_resources(pdf: pikepdf.Pdf) -> None:
    """Resource dictionaries each unit made alike (its colour spaces, graphics states,
    fonts) kept once: innermost first, so that their owners become alike too."""
    for _ in range(RESOURCE_DEPTH):
        first: dict[bytes, pikepdf.Object] = {}
        replace: dict[tuple[int, int], pikepdf.Object] = {}
        for obj in _resource_objects(pdf):
            key = obj.unparse(resolved=True)
            if key in first:
                replace[obj.objgen] = first[key]
            else:
                first[key] = obj
        if not replace:
            return
        for page in pdf.pages:
            _replace_references(page.obj, replace)
        for obj in _resource_objects(pdf):
            _replace_references(obj, replace)


def _resource_objects(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    """The indirect dictionaries and arrays under the pages' /Resources (not streams)."""
    found: dict[tuple[int, int], pikepdf.Object] = {}
    stack = [page.obj.get("/Resources") for page in pdf.pages]
    while stack:
        obj = stack.pop()
        if not isinstance(obj, Dictionary | Array) or isinstance(obj, pikepdf.Stream):
            continue
        if obj.is_indirect:
            if obj.objgen in found:
                continue
            found[obj.objgen] = obj
        stack.extend(value for value in (obj.values() if isinstance(obj, Dictionary) else obj)
                     if isinstance(value, Dictionary | Array))
    return list(found.values())


def _stream_dictionary(stream: pikepdf.Stream) -> dict:
    return {str(key): (value.objgen if isinstance(value, pikepdf.Object) and value.is_indirect
                       else str(value))
            for key, value in stream.stream_dict.items() if key != "/Length"}


def _refers_to(obj: pikepdf.Object, objects: dict[tuple[int, int], pikepdf.Object]) -> bool:
    """Whether `obj` (a stream: its dictionary) may hold a reference to one of `objects`:
    QPDF writes it out far faster than Python walks it (the tag tree's thousands of
    elements), and a walk is needed only where one appears."""
    if isinstance(obj, pikepdf.Stream):
        obj = obj.stream_dict
    if not isinstance(obj, Dictionary | Array):
        return False
    return any((int(number), int(generation)) in objects
               for number, generation in REFERENCE.findall(obj.unparse()))


def _replace_references(obj: pikepdf.Object, replace: dict) -> None:
    """Point every reference in `obj` (and the direct objects inside it) to a kept stream."""
    if isinstance(obj, pikepdf.Stream):
        obj = obj.stream_dict
    if isinstance(obj, Dictionary):
        items = list(obj.items())
    elif isinstance(obj, Array):
        items = list(enumerate(obj))
    else:
        return
    for key, value in items:
        if not isinstance(value, pikepdf.Object):
            continue
        if value.is_indirect:
            if value.objgen in replace:
                obj[key] = replace[value.objgen]
        else:
            _replace_references(value, replace)
