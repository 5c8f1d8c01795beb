"""Declarative validation of YAML mappings, reporting every bad key with its path.

Modelled on MkDocs' config options: each key has a check that converts the
raw value or raises `Invalid` with a Chinese message; unknown keys get a
"did you mean" hint; all problems are collected, none stops the others.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import KeyPath, Problems, did_you_mean
from .yamlfile import YamlDocument


class Invalid(Exception):
    """A value of the wrong type or form; the message is shown to the editor."""


Check = Callable[[Any], Any]


@dataclass(frozen=True)
class Field:
    check: Check | None = None  # converts the raw value or raises Invalid
    required: bool = False
    default: Any = None
    items: Schema | None = None  # for lists of mappings: the schema of each item
    fields: Schema | None = None  # for a nested mapping: its schema


Schema = dict[str, Field]


def validate(document: YamlDocument, schema: Schema, problems: Problems,
             data: Any = ..., path: KeyPath = ()) -> dict[str, Any] | None:
    """Check `data` (default: the whole document) against `schema`.

    Returns the converted values (defaults filled in), or None when `data`
    is not a mapping at all. Problems go to `problems`.
    """
    data = document.data if data is ... else data
    if data is None and not path:
        data = {}
    if not isinstance(data, dict):
        problems.report(document.problem("应为“键: 值”形式的映射", path))
        return None
    values: dict[str, Any] = {}
    for key in data:
        if key not in schema:
            suggestion = did_you_mean(str(key), schema) or f"；可用的键：{'、'.join(schema)}"
            problems.report(document.problem(f"未知的键 “{key}”{suggestion}", (*path, str(key))))
    for key, spec in schema.items():
        key_path = (*path, key)
        if key not in data or data[key] is None:
            if spec.required:
                problems.report(document.problem(f"缺少必填的键 “{key}”", key_path))
            # A nested mapping left out still gets its own defaults.
            values[key] = (validate(document, spec.fields, problems, {}, key_path)
                           if spec.fields is not None and not spec.required else spec.default)
            continue
        values[key] = _check_value(document, spec, data[key], key_path, problems)
    return values


def _check_value(document: YamlDocument, spec: Field, value: Any, path: KeyPath,
                 problems: Problems) -> Any:
    if spec.fields is not None:
        return validate(document, spec.fields, problems, value, path)
    if spec.items is not None:
        if not isinstance(value, list):
            problems.report(document.problem("应为列表（每项以 “- ” 开头）", path))
            return []
        checked = [validate(document, spec.items, problems, item, (*path, index))
                   for index, item in enumerate(value)]
        return [item for item in checked if item is not None]
    if spec.check is None:
        return value
    try:
        return spec.check(value)
    except Invalid as error:
        problems.report(document.problem(str(error), path))
        return spec.default


# Checks -------------------------------------------------------------------

def text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(f"应为文字，而不是 {_describe(value)}")
    value = str(value).strip()
    if not value:
        raise Invalid("不能为空")
    return value


def text_list(value: Any) -> tuple[str, ...]:
    """A list of names; a single name may be written without brackets."""
    if isinstance(value, str | int):
        return (text(value),)
    if not isinstance(value, list):
        raise Invalid(f"应为文字列表，如 [徐文震, 赵丹阳]，而不是 {_describe(value)}")
    items = []
    for index, item in enumerate(value):
        try:
            items.append(text(item))
        except Invalid as error:
            raise Invalid(f"第 {index + 1} 项{error}") from None
    return tuple(items)


# Between names an editor may type a comma, a 顿号 or a semicolon; inside a name there is none.
NAME_SEPARATORS = re.compile(r"\s*[，、,；;]\s*")


def name_list(value: Any) -> tuple[str, ...]:
    """Names of people, like `text_list`; `[陈思远，刘洋]` is refused with the list as it must be.

    YAML separates list items only by a half-width comma, so `陈思远，刘洋` is one item.
    Refused rather than split: the message gives the exact fix, and the front matter
    stays the one source that the byline, the 目录, `lint` and the glyph check read name
    by name (each with its place in the file); a warning on a build that succeeds is
    easily missed.
    """
    names = text_list(value)
    joined = next((name for name in names if NAME_SEPARATORS.search(name)), None)
    if joined is not None:
        mark = NAME_SEPARATORS.search(joined).group().strip()
        fixed = ", ".join(part for name in names for part in NAME_SEPARATORS.split(name) if part)
        raise Invalid(f"“{joined}” 是几个名字写在了一项里（中间有“{mark}”）：请写成 [{fixed}]，"
                      "名字之间用半角逗号分隔")
    return names


def positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid(f"应为正整数，而不是 {_describe(value)}")
    return value


def non_negative_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise Invalid(f"应为不小于 0 的数，而不是 {_describe(value)}")
    return float(value)


def positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise Invalid(f"应为大于 0 的数，而不是 {_describe(value)}")
    return float(value)


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"应为 true 或 false，而不是 {_describe(value)}")
    return value


def iso_date(value: Any) -> datetime.date:
    if not isinstance(value, str):
        raise Invalid(f"应为日期 YYYY-MM-DD，而不是 {_describe(value)}")
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"“{value}” 不是有效日期，应写成 YYYY-MM-DD，如 2025-05-21") from None


def choice(*options: str) -> Check:
    def check(value: Any) -> str:
        # `pdfx: 4` reads as a number in YAML; the options are text.
        if isinstance(value, bool) or str(value) not in options:
            raise Invalid(f"{_describe(value)} 不是可选值；可选：{'、'.join(options)}"
                          + did_you_mean(str(value), options))
        return str(value)
    return check


def positive_numbers(value: Any) -> dict[str, float]:
    """`{A4: 156, A5: 110}`: a mapping of names to numbers greater than 0."""
    if not isinstance(value, dict) or not value:
        raise Invalid(f"应为“名称: 数”的映射，如 {{A4: 156, A5: 110}}，而不是 {_describe(value)}")
    numbers = {}
    for name, number in value.items():
        try:
            numbers[str(name)] = positive_number(number)
        except Invalid as error:
            raise Invalid(f"{name}：{error}") from None
    return numbers


def _describe(value: Any, limit: int = 30) -> str:
    """The value as the editor wrote it, so the message shows what to change: `0`, `“三”`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, list):
        shown = f"[{', '.join(_shown(item) for item in value)}]"
        return f"列表 {_shorten(shown, limit)}"
    if isinstance(value, dict):
        shown = f"{{{', '.join(f'{key}: {_shown(item)}' for key, item in value.items())}}}"
        return f"映射 {_shorten(shown, limit)}"
    if value is None:
        return "空值"
    return f"“{_shorten(str(value), limit)}”"


def _shown(value: Any) -> str:
    """An item inside a list or mapping, written as in YAML's brackets."""
    if isinstance(value, list | dict):
        return "[…]" if isinstance(value, list) else "{…}"
    return _describe(value).strip("“”")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
