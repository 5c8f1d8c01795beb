"""Stage: `fonts/fonts.yaml` → the font of every typographic role.

A role (正文 宋体, 标题 黑体, 小标宋, 楷体, 仿宋) lists candidate fonts in
order of preference: a family installed on the system, a family found in a
file in `fonts/`, or a file in `fonts/`. The first available candidate is the
role's font; the other available ones follow it in the CSS font stack. A
required role with no available candidate stops the build and says what to
install — we never let Pango silently substitute DejaVu or Droid.

A candidate that is not found is skipped with a warning naming it (a typo
must not go unnoticed), unless it is marked `optional: true`: a licensed
font preferred where it is installed, whose absence is expected. Even then a
name close to an installed family is reported, as a likely typo.
"""

from __future__ import annotations

import difflib
import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import uharfbuzz as hb
from fontTools.ttLib import TTFont, TTLibError

from .errors import BulletinError, Problem, Problems
from .files import file_identity
from .names import FONTS_FILE
from .schema import Field, Invalid, Schema, boolean, text, validate
from .yamlfile import YamlDocument, load_yaml_file

FONT_FILE_SUFFIXES = (".ttf", ".otf")

# fontconfig weight values for the CSS weights a role may ask for.
FONTCONFIG_WEIGHTS = {100: 0, 200: 40, 300: 50, 400: 80, 500: 100, 600: 180, 700: 200,
                      800: 205, 900: 210}


def css_weight(value: object) -> int:
    if value not in FONTCONFIG_WEIGHTS:
        raise Invalid(f"字重应为 100–900 的整百数（400 常规，700 粗体），而不是 “{value}”")
    return int(value)  # type: ignore[call-overload]


CANDIDATE_SCHEMA: Schema = {
    "family": Field(text),
    "file": Field(text),
    "weight": Field(css_weight, default=400),
    "install": Field(text),  # how to get this font, shown when no candidate is found
    "optional": Field(boolean, default=False),  # skipped without a warning when not found
}

ROLE_SCHEMA: Schema = {
    "label": Field(text, required=True),
    "optional": Field(boolean, default=False),
    "fallback_role": Field(text),  # an optional role without a font uses this role's
    "fonts": Field(required=True, items=CANDIDATE_SCHEMA),
}


@dataclass(frozen=True)
class FontFile:
    """One face of a font file, with the names it answers to."""

    path: Path
    index: int
    families: tuple[str, ...]
    weight: int  # CSS weight
    in_project: bool  # a file in `fonts/`, registered through @font-face


@dataclass(frozen=True)
class FontFace:
    """An @font-face rule for a file in `fonts/` (system fonts need none)."""

    family: str
    url: str
    weight: int


@dataclass(frozen=True)
class RoleFont:
    """What the layout needs for one role: the family stack and the weight.

    The first of `files` prints the role; the others only characters it lacks.
    """

    role: str
    label: str
    families: tuple[str, ...]
    weight: int
    files: tuple[FontFile, ...]
    skipped: tuple[str, ...] = ()  # candidates not found
    borrowed_from: str | None = None  # an optional role printed with another role's fonts


@dataclass(frozen=True)
class FontSet:
    roles: dict[str, RoleFont]
    faces: tuple[FontFace, ...]
    warnings: tuple[Problem, ...] = ()  # candidates skipped that were not marked optional

    @property
    def files(self) -> tuple[FontFile, ...]:
        return tuple(file for role in self.roles.values() for file in role.files)

    @property
    def family_names(self) -> frozenset[str]:
        """Every name the configured fonts answer to: what a PDF may contain."""
        return frozenset(name for file in self.files for name in file.families)


def load_fonts(fonts_folder: Path) -> FontSet:
    """Resolve every role in `fonts_folder/fonts.yaml` to available fonts."""
    document = load_yaml_file(fonts_folder / FONTS_FILE)
    problems = Problems()
    values = validate(document, {"roles": Field(required=True)}, problems)
    problems.raise_if_any()
    roles_data = values["roles"] if values else None
    if not isinstance(roles_data, dict) or not roles_data:
        raise BulletinError([document.problem("roles 应为“角色名: 设置”的映射", ("roles",))])
    project = _project_fonts(fonts_folder)
    available = _system_fonts() + project.fonts
    roles: dict[str, RoleFont] = {}
    fallbacks: dict[str, tuple[str, str | None, tuple[str, ...]]] = {}
    warnings = Problems()
    for name, raw in roles_data.items():
        spec = validate(document, ROLE_SCHEMA, problems, raw, ("roles", name))
        if spec is None:
            continue
        role = _resolve_role(document, str(name), spec, available, project, problems, warnings)
        if role is not None:
            roles[str(name)] = role
        elif spec["optional"]:
            skipped = tuple(c["family"] or c["file"] for c in spec["fonts"] if c["family"] or c["file"])
            fallbacks[str(name)] = (spec["label"], spec["fallback_role"], skipped)
    for name, (label, fallback, skipped) in fallbacks.items():
        if fallback not in roles:
            problems.report(document.problem(
                f"可选角色 “{name}” 没有可用字体，须用 fallback_role 指定一个已配置的角色",
                ("roles", name, "fallback_role")))
            continue
        lender = roles[fallback]
        roles[name] = RoleFont(name, label, lender.families, lender.weight, lender.files,
                               skipped, borrowed_from=fallback)
    problems.raise_if_any()
    for path, reason in project.unusable.items():  # named by no candidate (else an error above)
        warnings.add(f"字体文件{reason}；fonts.yaml 未按文件名使用它，已忽略", path)
    faces = tuple(
        FontFace(family, file.path.as_uri(), file.weight)
        for role in roles.values() for family, file in zip(role.families, role.files, strict=True)
        if file.in_project
    )
    return FontSet(roles, tuple(dict.fromkeys(faces)), tuple(warnings))


def _resolve_role(document: YamlDocument, name: str, spec: dict, available: list[FontFile],
                  project: ProjectFonts, problems: Problems, warnings: Problems) -> RoleFont | None:
    families: list[str] = []
    files: list[FontFile] = []
    tried: list[str] = []
    skipped: list[str] = []
    weight = None
    for index, candidate in enumerate(spec["fonts"]):
        key = ("roles", name, "fonts", index)
        found = _find_candidate(document, candidate, key, available, project, problems)
        if found is None:
            wanted = candidate["family"] or candidate["file"]
            hint = f"（安装：{candidate['install']}）" if candidate["install"] else ""
            tried.append(f"{wanted}{hint}")
            if bool(candidate["family"]) != bool(candidate["file"]):  # else already an error
                skipped.append(wanted)
                if warning := _skipped_warning(candidate, available):
                    warnings.report(document.problem(warning, key))
            continue
        families.append(candidate["family"] or found.families[0])
        files.append(found)
        weight = candidate["weight"] if weight is None else weight
    if files:
        return RoleFont(name, spec["label"], tuple(families), weight or 400, tuple(files),
                        tuple(skipped))
    if not spec["optional"]:
        problems.report(document.problem(
            f"字体角色 “{name}”（{spec['label']}）找不到可用字体。已尝试：{'；'.join(tried)}。"
            f"请安装其中之一，或把字体文件放入 {project.folder} 并在 {FONTS_FILE} 中配置",
            ("roles", name)))
    return None


def _skipped_warning(candidate: dict, available: list[FontFile]) -> str | None:
    """Why a candidate that was not found deserves a word, or None for an expected absence."""
    wanted = candidate["family"] or candidate["file"]
    names = sorted({name for font in available for name in font.families}
                   | {font.path.name for font in available if font.in_project})
    near = difflib.get_close_matches(wanted, names, n=1, cutoff=0.8)
    if candidate["optional"] and not near:
        return None
    what = "字体文件" if candidate["file"] else "字体"
    message = f"{what} “{wanted}” 未找到（未安装，也不在 fonts/ 中），已跳过"
    if near:
        return message + f"：是否想写 “{near[0]}”？"
    return message + "。它若只是未安装时可以跳过的首选字体，请加 optional: true"


def _find_candidate(document: YamlDocument, candidate: dict, key: tuple, available: list[FontFile],
                    project: ProjectFonts, problems: Problems) -> FontFile | None:
    if bool(candidate["family"]) == bool(candidate["file"]):
        problems.report(document.problem("每个候选字体须写 family 或 file 之一", key))
        return None
    if candidate["file"]:
        name = candidate["file"]
        path = project.folder / name
        if re.search(r"[/\\]", name) or name in (".", ".."):
            problems.report(document.problem(
                f"字体文件 “{name}” 应只写 fonts/ 中的文件名，不写路径", (*key, "file")))
            return None
        if path.suffix.lower() not in FONT_FILE_SUFFIXES:
            problems.report(document.problem(
                f"字体文件 “{name}” 须为 .ttf 或 .otf 文件", (*key, "file")))
            return None
        if path in project.unusable:
            problems.report(document.problem(
                f"字体文件 “{name}”{project.unusable[path]}", (*key, "file")))
            return None
        return next((font for font in project.fonts if font.path == path), None)
    wanted = FONTCONFIG_WEIGHTS[candidate["weight"]]
    matches = [font for font in available if candidate["family"] in font.families]
    # Prefer the exact weight; a family without it would be faked by Pango (synthetic bold).
    exact = [font for font in matches if FONTCONFIG_WEIGHTS[font.weight] == wanted]
    return (exact or [None])[0]


@cache
def _system_fonts() -> list[FontFile]:
    """Fonts fontconfig knows, as (file, index, family names, weight)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise BulletinError([Problem(
            "找不到 fc-list（fontconfig）：请安装 fontconfig（apt-get install fontconfig）")])
    output = subprocess.run(
        [fc_list, "--format", "%{file}\t%{index}\t%{family}\t%{weight}\n"],
        check=True, capture_output=True, text=True).stdout
    fonts = []
    for line in sorted(output.splitlines()):
        file, index, families, weight = line.split("\t")
        if " " in weight or not weight.isdigit():  # variable fonts give a range
            continue
        fonts.append(FontFile(Path(file), int(index), tuple(families.split(",")),
                              _css_weight_from_fontconfig(int(weight)), in_project=False))
    return fonts


def _css_weight_from_fontconfig(value: int) -> int:
    return min(FONTCONFIG_WEIGHTS, key=lambda css: abs(FONTCONFIG_WEIGHTS[css] - value))


@dataclass(frozen=True)
class ProjectFonts:
    """The font files dropped into `fonts/`: those that can be used, and why others cannot."""

    folder: Path  # real path of `fonts/`
    fonts: list[FontFile]
    unusable: dict[Path, str]  # file in `fonts/` → why it cannot be used (Chinese)


def _project_fonts(fonts_folder: Path) -> ProjectFonts:
    """Font files dropped into `fonts/`, named as their name tables say.

    A broken file is only an error when `fonts.yaml` names it; a build that
    does not use it must not fail because of it.
    """
    folder = fonts_folder.resolve()
    fonts, unusable = [], {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in FONT_FILE_SUFFIXES:
            continue
        if not path.resolve().is_relative_to(folder):
            unusable[path] = f"指向 fonts/ 之外（{path.resolve()}）：请把字体文件本身放入 fonts/"
            continue
        try:
            fonts.append(_read_font_file(path))
        except FontFileError as error:
            unusable[path] = f"无法读取：{error}，请换一个完好的字体文件"
    return ProjectFonts(folder, fonts, unusable)


class FontFileError(ValueError):
    """A font file that is truncated or not a font; the message says what is wrong."""


def _read_font_file(path: Path) -> FontFile:
    try:
        font = TTFont(path, lazy=True)
    except (TTLibError, OSError) as error:
        raise FontFileError(f"不是有效的 TrueType/OpenType 字体（{error}）") from None
    with font:
        size = path.stat().st_size
        for tag, entry in font.reader.tables.items():
            if entry.offset + entry.length > size:
                raise FontFileError(f"文件不完整（“{tag}” 表超出文件末尾），可能复制时被截断")
        try:
            families = tuple(dict.fromkeys(
                record.toUnicode() for record in font["name"].names if record.nameID in (16, 1)))
            weight = font["OS/2"].usWeightClass if "OS/2" in font else 400
        except (TTLibError, KeyError, ValueError, IndexError, AssertionError, struct.error) as error:
            # fontTools meets a damaged table with whatever error its parser runs into
            raise FontFileError(f"字体数据已损坏（{error}）") from None
    if not families:
        raise FontFileError("字体的 name 表中没有族名")
    return FontFile(path, 0, families, _nearest_css_weight(weight), in_project=True)


def _nearest_css_weight(value: int) -> int:
    return min(FONTCONFIG_WEIGHTS, key=lambda css: abs(css - value))


# What the coverage check and the fit measures read of a face: its code points and their
# advance widths. HarfBuzz reads them from the mapped file in ~0.04 s a face, where
# fontTools took 0.2-0.7 s and some 100 MB (the hmtx and cmap tables decoded as objects).
# Remembered while the file is unchanged (`watch` stays up while fonts are swapped in).


def face_codes(path: Path, index: int) -> frozenset[int]:
    """The code points the face's cmap maps."""
    return _face_codes(path, index, *file_identity(path))


def face_advances(path: Path, index: int) -> dict[int, float]:
    """Code point → advance width in ems (hmtx), for every code point the face maps."""
    return _face_advances(path, index, *file_identity(path))


@cache
def _harfbuzz_font(path: Path, index: int, *_identity: int) -> hb.Font:
    face = hb.Face(hb.Blob.from_file_path(str(path)), index)
    if face.glyph_count == 0:  # HarfBuzz reads a broken file as an empty face
        raise BulletinError([Problem("无法读取字体的字符表：文件不是可用的字体", path)])
    return hb.Font(face)  # scaled in font units: advances as hmtx has them


@cache
def _face_codes(path: Path, index: int, *identity: int) -> frozenset[int]:
    return frozenset(_harfbuzz_font(path, index, *identity).face.unicodes)


@cache
def _face_advances(path: Path, index: int, *identity: int) -> dict[int, float]:
    font = _harfbuzz_font(path, index, *identity)
    units = font.face.upem
    return {code: font.get_glyph_h_advance(font.get_nominal_glyph(code)) / units
            for code in _face_codes(path, index, *identity)}
