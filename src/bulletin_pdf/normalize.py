"""Text normalisation for Chinese typesetting: what editors paste from Word and PDFs.

Half-width punctuation inside Chinese sentences, straight quotes, `...` and
`--`, stray spaces where lines were broken, full-width digits. Each rule finds
`Edit`s on the text and leaves alone what it must: numbers (3.5, 1,000, 12:30),
URLs, e-mail addresses, Latin phrases and code (the caller marks protected
spans; URLs and e-mail addresses are found here). The rules see text, never
Markdown: the build runs them on the parsed text (`sourcetext`), and the same
edits serve `bulletin-pdf lint` (reported, `--fix` writes them back), so the
PDF shows exactly what lint reports.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise

# In this order: quotes before punctuation, so that `"好"!` sees a Chinese ” before the `!`.
RULES = ("fullwidth_alnum", "ellipsis", "dashes", "quotes", "punctuation", "spaces",
         "latin_spaces")
# What `lint` calls each rule (the ids stay the keys of `typography:` settings).
RULE_NAMES = {
    "fullwidth_alnum": "全角字母数字",
    "ellipsis": "省略号",
    "dashes": "破折号",
    "quotes": "引号",
    "punctuation": "标点",
    "spaces": "空格",
    "latin_spaces": "中西文空格",
}

HALF_TO_FULL = {",": "，", ".": "。", ":": "：", ";": "；", "!": "！", "?": "？",
                "(": "（", ")": "）"}
# Markdown emphasis markers sit between letters without being text.
TRANSPARENT = "*_~"
WORD_JOINER = "\u2060"  # forbids a line break on either side
ZERO_WIDTH_SPACE = "\u200b"  # allows one
LINE_BREAK_CONTROLS = (WORD_JOINER, ZERO_WIDTH_SPACE)  # invisible: no glyph, no gap


@dataclass(frozen=True)
class Edit:
    start: int  # in the original text
    end: int
    before: str
    after: str
    rule: str


@dataclass(frozen=True)
class Finding:
    """Something a rule could not fix on its own (unbalanced quotes)."""

    position: int
    rule: str
    message: str


def is_han(char: str) -> bool:
    """A Chinese character (any CJK Unified Ideographs block, kana too): `HAN` in a regex."""
    if not char:
        return False
    code = ord(char)
    return (0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x3FFFF
            or 0x3040 <= code <= 0x30FF)


HAN = "\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff\u3040-\u30ff"  # is_han's ranges


def is_cjk_punctuation(char: str) -> bool:
    if not char:
        return False
    code = ord(char)
    return (0x3000 <= code <= 0x303F or 0xFF01 <= code <= 0xFF0F or 0xFF1A <= code <= 0xFF20
            or 0xFF3B <= code <= 0xFF40 or 0xFF5B <= code <= 0xFF65
            or char in "“”‘’…—·")


def is_cjk(char: str) -> bool:
    return is_han(char) or is_cjk_punctuation(char)


def is_latin(char: str) -> bool:
    return bool(char) and char.isascii() and char.isalnum()


class Text:
    """The text under normalisation, remembering where each character came from.

    `title`: a title's space between two phrases (学思践悟新思想 知行合一担使命) is
    deliberate; only spaces next to punctuation are removed there.
    """

    def __init__(self, text: str, protected: Iterable[tuple[int, int]] = (), title: bool = False):
        self.text = text
        self.title = title
        self.origin = list(range(len(text) + 1))
        self.locked = [False] * len(text)
        for start, end in protected:
            for index in range(max(start, 0), min(end, len(text))):
                self.locked[index] = True
        self.edits: list[Edit] = []
        self.findings: list[Finding] = []

    def free(self, start: int, end: int) -> bool:
        return not any(self.locked[start:end])

    def previous(self, index: int, skip: str = TRANSPARENT) -> str:
        """The nearest character before `index` that is not in `skip`."""
        index = self.previous_index(index, skip)
        return self.text[index] if index >= 0 else ""

    def previous_index(self, index: int, skip: str = TRANSPARENT) -> int:
        """Where that character is; -1 if there is none."""
        while index > 0:
            index -= 1
            if self.text[index] not in skip:
                return index
        return -1

    def following(self, index: int, skip: str = TRANSPARENT) -> str:
        while index < len(self.text):
            if self.text[index] not in skip:
                return self.text[index]
            index += 1
        return ""

    def apply(self, rule: str, replacements: list[tuple[int, int, str]]) -> None:
        """Replace (start, end, new) spans of the current text; record them as edits."""
        for start, end, new in sorted(replacements, reverse=True):
            origin_start, origin_end = self.origin[start], self.origin[end]
            self.edits.append(Edit(origin_start, origin_end, self.text[start:end], new, rule))
            self.text = self.text[:start] + new + self.text[end:]
            self.origin[start:end] = [origin_start] * len(new)
            self.locked[start:end] = [False] * len(new)


# Left exactly as written: a comma in a URL is not Chinese punctuation. ASCII
# only, so that a URL or address ends where the Chinese text around it begins.
URL_OR_EMAIL = re.compile(r"(?:https?://|ftp://|www\.)[!-~]+"
                          r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def normalize(text: str, rules: Iterable[str], protected: Iterable[tuple[int, int]] = (),
              title: bool = False) -> Text:
    """Run the enabled `rules` (in a fixed order) over `text`."""
    protected = [*protected, *(match.span() for match in URL_OR_EMAIL.finditer(text))]
    state = Text(text, protected, title)
    enabled = set(rules)
    for name in RULES:
        if name in enabled:
            RULE_FUNCTIONS[name](state)
    state.edits.sort(key=lambda edit: (edit.start, edit.end))
    return state


def _scan(state: Text, pattern: str, rule: str,
          replace: Callable[[re.Match, Text], str | None]) -> None:
    replacements = []
    for match in re.finditer(pattern, state.text):
        if not state.free(match.start(), match.end()):
            continue
        new = replace(match, state)
        if new is not None and new != match.group():
            replacements.append((match.start(), match.end(), new))
    state.apply(rule, replacements)


def _chinese_context(state: Text, start: int, end: int) -> bool:
    """A Chinese character or mark right before or after (emphasis markers skipped)."""
    return is_cjk(state.previous(start)) or is_cjk(state.following(end))


# A quotation or bracket around Latin text: its punctuation is the Latin text's own.
LATIN_QUOTE_OPENERS = "“‘\"(（「『"
LATIN_QUOTE_CLOSERS = "”’\")）」』"
# What a run of Latin words is made of besides letters and digits.
LATIN_RUN_MARKS = " ,.:;!?'-/&+%…"


def _latin_punctuation(state: Text, start: int, end: int) -> bool:
    """The mark at [start, end) belongs to a run of Latin words, not to the Chinese text.

    Between two words (`Hello, world`), or ending a quotation or bracket that
    holds only Latin text (`“Hello, world!”`, `“Wait...”`).
    """
    before = state.previous(start)
    after_space = state.following(end, TRANSPARENT + " ")
    if _is_letter(before) and end < len(state.text) and state.text[end] == " " \
            and _is_letter(after_space):
        return True
    if not (is_latin(before) or before in ".!?") \
            or state.following(end) not in LATIN_QUOTE_CLOSERS:
        return False
    index = start - 1
    while index >= 0 and (is_latin(state.text[index]) or state.text[index] in LATIN_RUN_MARKS
                          or state.text[index] in TRANSPARENT):
        index -= 1
    return index >= 0 and state.text[index] in LATIN_QUOTE_OPENERS


def _is_letter(char: str) -> bool:
    return bool(char) and char.isascii() and char.isalpha()


# Rules --------------------------------------------------------------------

def _fullwidth_alnum(state: Text) -> None:
    """Ｂ２０２５ → B2025: full-width letters and digits are a Word artefact."""
    _scan(state, "[０-９Ａ-Ｚａ-ｚ]+", "fullwidth_alnum",
          lambda match, _: unicodedata.normalize("NFKC", match.group()))


def _ellipsis(state: Text) -> None:
    """`...`, `。。。`, a lone `…` → `……` inside Chinese text."""
    def replace(match: re.Match, state: Text) -> str | None:
        if _latin_punctuation(state, match.start(), match.end()):
            return None
        return "……" if _chinese_context(state, match.start(), match.end()) else None
    _scan(state, r"\.{3,}|。{3,}|(?<!…)…(?!…)|…{3,}", "ellipsis", replace)


def _dashes(state: Text) -> None:
    """`--`, a lone `—`, `－－` → `——` inside Chinese text (never the hyphen of 2023-2027).

    A lone `—` between two Chinese characters is kept: that is the 一字线 connector
    of GB/T 15834 (基础研究—临床转化—产业应用), not a broken 破折号.
    """
    def replace(match: re.Match, state: Text) -> str | None:
        if match.group() == "—" and is_han(state.previous(match.start())) \
                and is_han(state.following(match.end())):
            return None
        if _latin_punctuation(state, match.start(), match.end()):
            return None
        return "——" if _chinese_context(state, match.start(), match.end()) else None
    _scan(state, r"-{2,}|(?<!—)—(?!—)|—{3,}|－{2,}", "dashes", replace)


def _punctuation(state: Text) -> None:
    """Half-width `, . : ; ! ? ( )` in Chinese sentences → full-width; numbers left alone."""
    text = state.text
    converted: dict[int, str] = {}  # index: its full-width mark
    opened: list[tuple[int, bool]] = []
    for index, char in enumerate(text):
        if char not in HALF_TO_FULL or state.locked[index]:
            continue
        before, after = state.previous(index), state.following(index + 1)
        if char == "(":
            chinese = is_cjk(before) or is_cjk(state.following(index + 1, TRANSPARENT + " "))
            opened.append((index, chinese))
            if chinese:
                converted[index] = "（"
            continue
        if char == ")":
            chinese = opened.pop()[1] if opened else is_cjk(before) or is_cjk(after)
            if chinese:
                converted[index] = "）"
            continue
        if before.isdigit() and after.isdigit():
            continue  # 3.5, 1,000, 12:30
        if char == "." and ((after.isascii() and after.isalnum()) or before == "."):
            continue  # file.txt, v1.2, www.example
        if _latin_punctuation(state, index, index + 1):
            continue  # “Hello, world! This is a test.”
        # Chinese if Chinese text comes next to it once Latin words, numbers and spaces
        # are skipped (提升至 2.0,G60 科创). A full stop only after Chinese text (收获） .):
        # after a Latin word it more likely ends that word.
        if char == ".":
            stop = state.previous_index(index, TRANSPARENT + " ")
            chinese = stop >= 0 and is_cjk(converted.get(stop, state.text[stop]))
        else:
            chinese = (is_cjk(_beyond_latin(state, index, -1, TRANSPARENT + " .%+-/"))
                       or is_han(_beyond_latin(state, index, 1, TRANSPARENT + " %+-/")))
        if chinese:
            converted[index] = HALF_TO_FULL[char]
    state.apply("punctuation", [(index, index + 1, mark) for index, mark in converted.items()])


def _beyond_latin(state: Text, index: int, step: int, skip: str) -> str:
    """The first character from `index` in direction `step` that is not Latin, a digit or `skip`."""
    index += step
    while 0 <= index < len(state.text):
        char = state.text[index]
        if not (is_latin(char) or char in skip):
            return char
        index += step
    return ""


def _quotes(state: Text) -> None:
    """Straight quotes → “ ” and ‘ ’, paired in order.

    Where they do not pair up in order (a quote lost or doubled), each is paired by
    what stands beside it: a quote before `，。、` or at the end closes, one at the
    start or after `：（` opens. Pairs that every such reading agrees on are
    converted (a quotation running on past a full stop without ending in one is
    text between two); the rest are left straight for a person, with a finding.
    """
    for straight, (opening, closing) in (('"', "“”"), ("'", "‘’")):
        candidates = [index for index, char in enumerate(state.text)
                      if char == straight and not state.locked[index]
                      and not (straight == "'" and is_latin(state.text[index - 1:index])
                               and is_latin(state.text[index + 1:index + 2]))]
        if not candidates:
            continue
        sides = [_quote_side(state, index) for index in candidates]
        firsts = _certain_pairs(sides, [True] * len(candidates))
        if len(firsts) * 2 < len(candidates):  # a quote lost or doubled: read the text too
            spans = [not _runs_past_a_sentence(state.text[start + 1:end])
                     for start, end in pairwise(candidates)]
            firsts = max(firsts, _certain_pairs(sides, spans), key=len)
        paired = {number for first in firsts for number in (first, first + 1)}
        left = [index for number, index in enumerate(candidates) if number not in paired]
        if left:
            done = f"：按上下文配对了 {len(paired)} 个，余下 {len(left)} 个" if paired else "，"
            state.findings.append(Finding(
                state.origin[left[0]], "quotes",
                f"引号 {straight} 不成对（{len(candidates)} 个）{done}未自动替换，请人工核对"))
        state.apply("quotes", [(candidates[first], candidates[first] + 1, opening)
                               for first in firsts]
                    + [(candidates[first + 1], candidates[first + 1] + 1, closing)
                       for first in firsts])


# What stands after a closing quote (`“四个自信”，`), and before an opening one (`说：“`).
AFTER_CLOSING_QUOTE = set("，。、；：！？）》」』】〕〉,;:!?)")
BEFORE_OPENING_QUOTE = set("：:（(【《「『“‘[")


def _quote_side(state: Text, index: int) -> str | None:
    """"open" or "close" where the quote's neighbours decide it; None where they do not."""
    before, after = state.previous(index), state.following(index + 1)
    closes = after in AFTER_CLOSING_QUOTE or after == "" or (
        after == "." and state.following(index + 2) != ".")
    opens = before == "" or before.isspace() or before in BEFORE_OPENING_QUOTE
    return None if closes == opens else ("close" if closes else "open")


SENTENCE_END = re.compile("[。！？][^。！？”’）」』]")


def _runs_past_a_sentence(quoted: str) -> bool:
    """A quotation that goes on after a full stop ends with one (他说：“好。走吧。”); one
    that does not (“品牌。三是要……用好”) is not a quotation but text between two."""
    return SENTENCE_END.search(quoted) is not None and quoted[-1:] not in "。！？…"


def _certain_pairs(sides: list[str | None], spans: list[bool]) -> list[int]:
    """Which quotes open a pair in every largest pairing of neighbours.

    A pair is two quotes in a row, the first not a closing one (`sides`), the second
    not an opening one, and what lies between them may be quoted (`spans`). An even
    number of undecided quotes pairs up in order, as it always did.
    """
    def fits(first: int) -> bool:
        return sides[first] != "close" and sides[first + 1] != "open" and spans[first]

    def most_pairs(banned: int | None = None) -> int:
        best = [0] * (len(sides) + 1)
        for end in range(2, len(sides) + 1):
            paired = best[end - 2] + 1 if end - 2 != banned and fits(end - 2) else 0
            best[end] = max(best[end - 1], paired)
        return best[-1]

    total = most_pairs()
    # Without a pair that every largest pairing holds, fewer quotes pair up.
    return [first for first in range(len(sides) - 1)
            if fits(first) and most_pairs(banned=first) < total]


def _next_to_protected(state: Text, match: re.Match) -> bool:
    """A space that separates a URL or code from the text must stay."""
    return ((match.start() > 0 and state.locked[match.start() - 1])
            or (match.end() < len(state.text) and state.locked[match.end()]))


def _spaces(state: Text) -> None:
    """Spaces between two Chinese characters or marks are line-break debris: remove.

    So is a space between a number and its percent sign (100 %) in Chinese text.
    Kept: a title's space between two phrases, and in a credit line (执笔：钱 堃
    摄影：吴 𠮷) the spaces inside and between names.
    """
    names = _credit_spans(state.text)

    def replace(match: re.Match, state: Text) -> str | None:
        if _next_to_protected(state, match):
            return None
        before, after = state.previous(match.start()), state.following(match.end())
        if before.isdigit() and after in PERCENT:
            chinese = (is_cjk(_beyond_latin(state, match.start(), -1, TRANSPARENT + " .,"))
                       or is_cjk(state.following(match.end() + 1, TRANSPARENT + " ")))
            return "" if chinese else None
        if not (is_cjk(before) and is_cjk(after)):
            return None
        if is_han(before) and is_han(after) and (
                state.title or any(start <= match.start() < end for start, end in names)):
            return None
        return ""
    _scan(state, r"[ \t]+", "spaces", replace)


PERCENT = "%％‰"
_NAME = rf"[{HAN}·]{{1,4}}"
_CREDIT_LABEL = (r"(?:图文|执笔|撰稿|撰文|作者|摄影|供稿|通讯员|记者|责任编辑|责编|编辑|审核|校对|整理|图|文)"
                 r"[：:/／]")
CREDIT_LABEL = re.compile(_CREDIT_LABEL)  # 执笔：, 文/, 摄影：…
# The names after a label: short runs of Chinese characters (a two-character name
# may be spaced out: 钱 堃), separated by spaces or 、; then, after any spaces, the
# credit line ends or its next label follows.
CREDIT_NAMES = re.compile(rf"[ \u3000]*{_NAME}(?:[ \u3000、，,]+{_NAME})*"
                          rf"[ \u3000]*(?=$|\n|[）)]|{_CREDIT_LABEL})")


def _credit_spans(text: str) -> list[tuple[int, int]]:
    """Each label of a credit line with its names and the spaces after them.

    A credit line starts a line or a bracket; its next label follows its names.
    """
    spans: list[tuple[int, int]] = []
    for label in CREDIT_LABEL.finditer(text):
        start = label.start()
        if not (start == 0 or text[start - 1] in "\n（(" or (spans and spans[-1][1] == start)):
            continue
        if names := CREDIT_NAMES.match(text, label.end()):
            spans.append((start, names.end()))
    return spans


# Marks of Chinese text alone, whose glyphs bring their own blank half: no space
# belongs beside them (体验式教学： DeepSeek). Curly quotes, `…`, `—` and `·` also
# serve Latin text (`said “Hello” to`), so a space next to them stays.
SHARED_WITH_LATIN = "“”‘’…—·\u3000"


def is_full_width_mark(char: str) -> bool:
    return is_cjk_punctuation(char) and char not in SHARED_WITH_LATIN


def _latin_spaces(state: Text) -> None:
    """A space between Chinese and Latin/digits goes: the layout adds its own ¼ em.

    So does a space between a full-width mark and Latin/digits (分析， AI): clreq's
    CJK–Latin space is for a Han character beside Latin, never for punctuation.
    """
    def replace(match: re.Match, state: Text) -> str | None:
        if _next_to_protected(state, match):
            return None
        before, after = state.previous(match.start()), state.following(match.end())
        chinese_before = is_han(before) or is_full_width_mark(before)
        chinese_after = is_han(after) or is_full_width_mark(after)
        if (chinese_before and is_latin(after)) or (is_latin(before) and chinese_after):
            return ""
        return None
    _scan(state, r"(?<=\S) (?=\S)", "latin_spaces", replace)


RULE_FUNCTIONS = {
    "fullwidth_alnum": _fullwidth_alnum,
    "ellipsis": _ellipsis,
    "dashes": _dashes,
    "punctuation": _punctuation,
    "quotes": _quotes,
    "spaces": _spaces,
    "latin_spaces": _latin_spaces,
}
