"""Declarative validation of YAML mappings, reporting every bad key with its path.

Modelled on MkDocs' config options: each key has a check that converts the
raw value or raises `Invalid` with a Chinese message; unknown keys get a
"did you mean" hint; all problems are collected, none stops the others.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import KeyPath, Problems
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
            hint = difflib.get_close_matches(str(key), list(schema), n=1)
            suggestion = f"，是否想写 “{hint[0]}”？" if hint else f"；可用的键：{'、'.join(schema)}"
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


def positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid(f"应为正整数，而不是 {_describe(value)}")
    return value


def non_negative_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise Invalid(f"应为不小于 0 的数，而不是 {_describe(value)}")
    return float(value)


def positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"应为大于 0 的数，而不是 {_describe(value)}")
    if value <= 0:
        raise Invalid(f"应为大于 0 的数，而不是 {value}")
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
            raise Invalid(f"“{value}” 不是可选值；可选：{'、'.join(options)}")
        return str(value)
    return check


def _describe(value: Any) -> str:
    kinds = {bool: "true/false", int: "数字", float: "数字", list: "列表", dict: "映射"}
    return kinds.get(type(value), f"“{value}”")
