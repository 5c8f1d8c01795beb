"""argparse in Chinese: `用法：`, `选项`, and every error argparse itself prints.

argparse asks gettext for its texts (`_("usage: ")`) at the moment it prints them.
Installing a system catalog would depend on the user's locale, so instead the
parser below answers those calls from `CATALOG` while it runs, and only then:
nothing else in the process is affected.
"""

from __future__ import annotations

import argparse
import datetime
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from .errors import did_you_mean

# argparse's own texts (Python 3.11–3.13), those a user of this program can meet.
CATALOG = {
    "usage: ": "用法：",
    "positional arguments": "参数",
    "options": "选项",
    "subcommands": "命令",
    "show this help message and exit": "显示本帮助并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "one of the arguments %s is required": "须给出以下参数之一：%s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ignored explicit argument %r": "此选项不带值，多余的值：%r",
    "expected one argument": "后面须跟一个值",
    "expected at most one argument": "后面最多跟一个值",
    "expected at least one argument": "后面至少跟一个值",
    "expected %s argument": "后面须跟 %s 个值",
    "expected %s arguments": "后面须跟 %s 个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确，可能是：%(matches)s",
    "unexpected option string: %s": "意外的选项：%s",
    "invalid %(type)s value: %(value)r": "“%(value)s” 不是有效的值",
    "invalid choice: %(value)r (choose from %(choices)s)": "“%(value)s” 不是可选值（可选：%(choices)s）",
    "unknown parser %(parser_name)r (choices: %(choices)s)":
        "没有命令 “%(parser_name)s”（可用：%(choices)s）",
}


SECTION_HEADING = re.compile(r"^([^\s:][^\n:]*):$", re.MULTILINE)


def _gettext(message: str) -> str:
    return CATALOG.get(message, message)


def _ngettext(singular: str, plural: str, count: int) -> str:
    return _gettext(singular if count == 1 else plural)


@contextmanager
def _chinese() -> Iterator[None]:
    """argparse's gettext calls answered from CATALOG, for the duration of one call."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = _gettext, _ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


F = TypeVar("F", bound=Callable[..., Any])


def _in_chinese(method: F) -> F:
    @wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _chinese():
            return method(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and examples (epilog) keep their line breaks; Chinese lines up.

    argparse pads by `len()`, but a Chinese character fills two columns of a terminal.
    """

    def _format_action(self, action: argparse.Action) -> str:
        text = super()._format_action(action)
        invocation = self._format_action_invocation(action)
        extra = display_width(invocation) - len(invocation)
        indent = text[:len(text) - len(text.lstrip(" "))]
        after = text[len(indent) + len(invocation):]
        if not extra or not text.startswith(indent + invocation) or after.startswith("\n"):
            return text
        help_text = after.lstrip(" ")
        padding = len(after) - len(help_text)
        if padding - extra >= 2:
            return indent + invocation + " " * (padding - extra) + help_text
        # No room left on the line: the help starts on the next, in its usual column.
        return f"{indent}{invocation}\n{' ' * (len(indent) + len(invocation) + padding)}{help_text}"

    def format_help(self) -> str:
        # argparse ends a section heading (`选项:`) with a half-width colon; Chinese takes `：`.
        return SECTION_HEADING.sub(r"\1：", super().format_help())


class ArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose every text, its own included, is Chinese.

    A wrong choice (a mistyped command) is answered with the nearest right one.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        with _chinese():
            super().__init__(*args, **kwargs)

    add_subparsers = _in_chinese(argparse.ArgumentParser.add_subparsers)
    parse_args = _in_chinese(argparse.ArgumentParser.parse_args)
    parse_known_args = _in_chinese(argparse.ArgumentParser.parse_known_args)
    format_usage = _in_chinese(argparse.ArgumentParser.format_usage)
    format_help = _in_chinese(argparse.ArgumentParser.format_help)
    error = _in_chinese(argparse.ArgumentParser.error)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.choices is None or value in action.choices:
            return
        choices = [str(choice) for choice in action.choices]
        raise argparse.ArgumentError(action, f"“{value}” 不是可选值（可选：{'、'.join(choices)}）"
                                             + did_you_mean(str(value), choices))


def display_width(text: str) -> int:
    """Columns `text` fills in a terminal: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def integer(text: str) -> int:
    """`type=` for whole numbers, saying what is wrong in Chinese."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” 不是整数") from None


def number(text: str) -> float:
    """`type=` for numbers, saying what is wrong in Chinese."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” 不是数") from None


def positive_integer(text: str) -> int:
    """`type=` for counts and numbers from 1 up."""
    value = integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"应为正整数，而不是 {text}")
    return value


def port_number(text: str) -> int:
    """`type=` for a TCP port: 1–65535, or 0 for any free one."""
    value = integer(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"端口应为 0–65535 之间的整数（0 表示自动选择），而不是 {text}")
    return value


def iso_date(text: str) -> datetime.date:
    """`type=` for dates written YYYY-MM-DD."""
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” 不是有效日期，应写成 YYYY-MM-DD，如 2025-05-21") from None
