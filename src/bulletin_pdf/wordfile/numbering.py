"""Word's automatic numbering written into the text, as Word shows it: `一、`, `（一）`, `1.`.

Office documents often number their headings and points with a multilevel
list rather than by typing the numbers. mammoth reads such a paragraph as a
list item without its number; here, before mammoth reads the body, each
numbered paragraph gets its number as text (counted per list, deeper levels
restarting) and loses its numbering. Then a numbered heading is recognised by
its form like a typed one, and a numbered point prints with Word's number, not
a Markdown list's. Bulleted paragraphs stay lists.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace

from lxml import etree

from .ooxml import W

BULLET_FORMATS = ("bullet", "none")
CHINESE_DIGITS = "〇一二三四五六七八九"
LEGAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
STEMS = "甲乙丙丁戊己庚辛壬癸"
BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
PARENTHESISED = "⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽⑾⑿⒀⒁⒂⒃⒄⒅⒆⒇"
ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
         (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
PLACEHOLDER = re.compile(r"%([1-9])")


@dataclass(frozen=True)
class Level:
    number_format: str
    text: str  # `%1、`, `（%2）`…
    start: int
    legal: bool  # w:isLgl: every number in decimal
    suffix: str = "tab"  # after the number: "tab", "space" or "nothing"


@dataclass
class ListDefinition:
    levels: dict[int, Level]
    counters: dict[int, int] = field(default_factory=dict)


def write_numbers(document: etree._Element, numbering: etree._Element | None,
                  styles: etree._Element | None) -> None:
    """Give every numbered (not bulleted) paragraph of `document` its number as text."""
    if numbering is None:
        return
    style_numbering = _style_numbering(styles)
    lists = _lists(numbering, style_numbering)
    for paragraph in document.iter(f"{{{W}}}p"):
        found = _numbering_of(paragraph, style_numbering)
        if found is None or found[0] not in lists:
            continue
        definition, level_index = lists[found[0]], found[1]
        level = definition.levels.get(level_index)
        if level is None or level.number_format in BULLET_FORMATS:
            continue
        label = _count(definition, level_index)
        # A tab after `1.` reads as a space; after `一、` or `（一）` as nothing.
        spaced = level.suffix == "space" or (level.suffix == "tab" and label[-1:].isascii())
        _insert_label(paragraph, label + (" " if spaced and label else ""))


def _count(definition: ListDefinition, level_index: int) -> str:
    levels, counters = definition.levels, definition.counters
    level = levels[level_index]
    counters[level_index] = counters.get(level_index, level.start - 1) + 1
    for deeper in [index for index in counters if index > level_index]:
        del counters[deeper]  # a new item restarts the levels below it

    def number(match: re.Match) -> str:
        index = int(match.group(1)) - 1
        shown = levels.get(index)
        value = counters.get(index, shown.start if shown else 1)
        number_format = "decimal" if level.legal or shown is None else shown.number_format
        return format_number(value, number_format)

    return PLACEHOLDER.sub(number, level.text)


def _insert_label(paragraph: etree._Element, label: str) -> None:
    """The label as the paragraph's first run (formatted like its first run); numbering off."""
    properties = paragraph.find(f"{{{W}}}pPr")
    if properties is None:
        properties = etree.SubElement(paragraph, f"{{{W}}}pPr")
        paragraph.insert(0, properties)
    for old in properties.findall(f"{{{W}}}numPr"):
        properties.remove(old)
    # numId 0 is "no numbering": it also overrides numbering that comes with the style.
    off = etree.SubElement(properties, f"{{{W}}}numPr")
    etree.SubElement(off, f"{{{W}}}ilvl").set(f"{{{W}}}val", "0")
    etree.SubElement(off, f"{{{W}}}numId").set(f"{{{W}}}val", "0")
    properties.insert(0, off)
    first_run = paragraph.find(f".//{{{W}}}r")
    run = etree.Element(f"{{{W}}}r")
    if first_run is not None and (run_properties := first_run.find(f"{{{W}}}rPr")) is not None:
        run.append(copy.deepcopy(run_properties))
    text = etree.SubElement(run, f"{{{W}}}t")
    text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    text.text = label
    properties.addnext(run)


def _lists(numbering: etree._Element, style_numbering: dict[str, tuple[str | None, int]]
           ) -> dict[str, ListDefinition]:
    """numId → its list: the abstract definition's levels, with the num's overrides.

    Lists of one abstract definition count on from each other, as in Word; a list
    that overrides where its levels start counts on its own.
    """
    abstracts = {abstract.get(f"{{{W}}}abstractNumId"): abstract
                 for abstract in numbering.iter(f"{{{W}}}abstractNum")}
    nums = {num.get(f"{{{W}}}numId"): num for num in numbering.iter(f"{{{W}}}num")}
    shared: dict[int, dict[int, int]] = {}
    lists = {}
    for num_id, num in nums.items():
        abstract = _abstract_of(num, abstracts, nums, style_numbering)
        if abstract is None:
            continue
        levels = dict(found for element in abstract.iter(f"{{{W}}}lvl")
                      if (found := _level(element)) is not None)
        overrides = num.findall(f"{{{W}}}lvlOverride")
        for override in overrides:
            index = _int(override.get(f"{{{W}}}ilvl"))
            start = override.find(f"{{{W}}}startOverride")
            if index in levels and start is not None:
                levels[index] = replace(levels[index], start=_int(start.get(f"{{{W}}}val"), 1))
            if (replaced := override.find(f"{{{W}}}lvl")) is not None \
                    and (found := _level(replaced)) is not None:
                levels[found[0]] = found[1]
        counters = {} if overrides else shared.setdefault(id(abstract), {})
        lists[num_id] = ListDefinition(levels, counters)
    return lists


def _abstract_of(num: etree._Element, abstracts: dict[str | None, etree._Element],
                 nums: dict[str | None, etree._Element],
                 style_numbering: dict[str, tuple[str | None, int]]) -> etree._Element | None:
    """The abstract definition a num uses; a `numStyleLink` leads, through a numbering
    style, to the num (and abstract definition) that style numbers with."""
    for _ in range(5):  # links that go round in circles end here
        abstract = abstracts.get(_value(num, "abstractNumId"))
        link = _value(abstract, "numStyleLink") if abstract is not None else None
        if link is None:
            return abstract
        linked = nums.get(style_numbering.get(link, (None, 0))[0])
        if linked is None:
            return None
        num = linked
    return None


def _level(element: etree._Element) -> tuple[int, Level] | None:
    index = _int(element.get(f"{{{W}}}ilvl"), 0)
    number_format = _value(element, "numFmt") or "decimal"
    text = _value(element, "lvlText")
    if text is None:
        return None
    legal = element.find(f"{{{W}}}isLgl") is not None
    return index, Level(number_format, text, _int(_value(element, "start"), 1), legal,
                        _value(element, "suff") or "tab")


def _style_numbering(styles: etree._Element | None) -> dict[str, tuple[str | None, int]]:
    """styleId → (numId, level) for paragraph styles that number their paragraphs."""
    if styles is None:
        return {}
    found: dict[str, tuple[str | None, int]] = {}
    based_on: dict[str, str] = {}
    for style in styles.iter(f"{{{W}}}style"):
        style_id = style.get(f"{{{W}}}styleId") or ""
        base = style.find(f"{{{W}}}basedOn")
        if base is not None:
            based_on[style_id] = base.get(f"{{{W}}}val") or ""
        numbering = style.find(f"{{{W}}}pPr/{{{W}}}numPr")
        if numbering is not None:
            found[style_id] = (_value(numbering, "numId"), _int(_value(numbering, "ilvl"), 0))
    for style_id in list(based_on):  # inherited along basedOn (a loop stops the walk)
        seen, current = {style_id}, based_on.get(style_id)
        while style_id not in found and current and current not in seen:
            if current in found:
                found[style_id] = found[current]
            seen.add(current)
            current = based_on.get(current)
    return found


def _numbering_of(paragraph: etree._Element, style_numbering: dict[str, tuple[str | None, int]]
                  ) -> tuple[str, int] | None:
    properties = paragraph.find(f"{{{W}}}pPr")
    if properties is None:
        return None
    direct = properties.find(f"{{{W}}}numPr")
    style = properties.find(f"{{{W}}}pStyle")
    from_style = style_numbering.get(style.get(f"{{{W}}}val", "")) if style is not None else None
    num_id = _value(direct, "numId") if direct is not None else None
    level = _value(direct, "ilvl") if direct is not None else None
    if num_id is None and from_style is not None:
        num_id = from_style[0]
    if num_id is None or num_id == "0":
        return None
    return num_id, _int(level, from_style[1] if from_style else 0)


def format_number(value: int, number_format: str) -> str:
    """`value` as Word writes it in `number_format` (decimal for what is not listed)."""
    if number_format in ("chineseCounting", "chineseCountingThousand", "japaneseCounting",
                         "taiwaneseCounting", "ideographDigital"):
        return chinese_number(value)
    if number_format == "chineseLegalSimplified":
        return "".join(LEGAL_DIGITS[int(digit)] for digit in str(value))
    if number_format == "ideographTraditional" and 1 <= value <= len(STEMS):
        return STEMS[value - 1]
    if number_format == "ideographZodiac" and 1 <= value <= len(BRANCHES):
        return BRANCHES[value - 1]
    if number_format in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") \
            and 1 <= value <= len(CIRCLED):
        return CIRCLED[value - 1]
    if number_format == "decimalEnclosedParen" and 1 <= value <= len(PARENTHESISED):
        return PARENTHESISED[value - 1]
    if number_format == "decimalFullWidth":
        return "".join(chr(ord(digit) - ord("0") + ord("０")) for digit in str(value))
    if number_format in ("upperLetter", "lowerLetter") and value >= 1:
        letter = chr(ord("A") + (value - 1) % 26) * ((value - 1) // 26 + 1)
        return letter if number_format == "upperLetter" else letter.lower()
    if number_format in ("upperRoman", "lowerRoman") and 1 <= value < 4000:
        roman = ""
        for amount, numeral in ROMAN:
            count, value = divmod(value, amount)
            roman += numeral * count
        return roman if number_format == "upperRoman" else roman.lower()
    if number_format == "decimalZero" and 0 <= value < 10:
        return f"0{value}"
    return str(value)


def chinese_number(value: int) -> str:
    """一, 十, 十一, 二十, 一百零五 …: counting as written in Chinese, up to 9999."""
    if not 0 < value < 10000:
        return str(value)
    digits = [int(digit) for digit in f"{value:04d}"]
    units = ("千", "百", "十", "")
    text, zero = "", False
    for digit, unit in zip(digits, units, strict=True):
        if digit == 0:
            zero = bool(text)
            continue
        text += ("零" if zero else "") + CHINESE_DIGITS[digit] + unit
        zero = False
    return text[1:] if text.startswith("一十") else text


def _value(element: etree._Element | None, name: str) -> str | None:
    if element is None:
        return None
    child = element.find(f"{{{W}}}{name}")
    return child.get(f"{{{W}}}val") if child is not None else None


def _int(text: str | None, default: int = 0) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default
