"""Text normalisation, tokenising and segmentation for the relevance model.

Everything here keeps character offsets stable: `prepare()` NFC-normalises the
text once, and every later view (folded text, tokens, units) indexes into that
same string, so a match can always be shown as the phrase it was in the text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate

__all__ = [
    "Token",
    "Unit",
    "Prepared",
    "fold",
    "fold_char",
    "normalize",
    "prepare",
    "tokenize",
]

# One-to-one character replacements (so offsets survive): typographic quotes,
# dashes and odd spaces become their plain forms.
_CHAR_MAP = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u200b": " ",
        "\ufeff": " ",
        "\r": "\n",
    }
)


_SPECIAL_RE = re.compile("[" + "".join(chr(c) for c in _CHAR_MAP) + "]")


def normalize(text: str) -> str:
    """NFC form with plain quotes, dashes and spaces (length-preserving after NFC)."""
    text = unicodedata.normalize("NFC", text or "")
    # A regex scan is much faster than translate() when, as usual, few characters change.
    return _SPECIAL_RE.sub(lambda m: _CHAR_MAP[ord(m.group())], text)


def fold_char(ch: str) -> str:
    """Lower-case one character and strip Vietnamese/Latin diacritics.

    Always returns exactly one character so folded text aligns with the
    original. Cyrillic keeps its letters (й must stay й) except ё -> е, which
    Russian papers use inconsistently.
    """
    low = ch.lower()
    if len(low) != 1:
        low = ch
    return low.translate(_strip_table())


@lru_cache(maxsize=1)
def _strip_table() -> dict[int, str]:
    """Lower-case accented Latin letter -> base letter, plus đ -> d and ё -> е."""
    table: dict[int, str] = {ord("đ"): "d", ord("ð"): "d", ord("ё"): "е"}
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        if ch != ch.lower() or not ch.isalpha():
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isalpha() and base.isascii():
            table[cp] = base
    return table


def fold(text: str) -> str:
    """Accent- and case-insensitive view of `text`, same length."""
    low = text.lower()
    if len(low) != len(text):  # rare letters whose lower case is longer
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low.translate(_strip_table())


def is_plain(ch: str) -> bool:
    """True for a character that carries no diacritic (ASCII letters, Cyrillic...)."""
    return fold_char(ch) == ch.lower() or not ch.isalpha()


# Words are runs of letters and digits ([^\W_]+). They are found as the runs
# between separators ([\W_]+) by a capturing split, so that separators and
# words alternate and word offsets are running sums of part lengths, computed
# in C; on text without "_" (nearly all) the separators are simply \W+.
_SEP_RE = re.compile(r"(\W+)")
_SEP_U_RE = re.compile(r"([\W_]+)")


# A token is a plain tuple (start, end, folded word) into the normalised text:
# articles have hundreds of them, and tuples are the cheapest thing to build.
Token = tuple[int, int, str]


def tokenize(text: str) -> list[Token]:
    """Word tokens of already-normalised text (hyphens, apostrophes, dots split words)."""
    return _tokenize(text)[0]


def _tokenize(text: str) -> tuple[list[Token], list[str]]:
    """Tokens plus each token's lower-case word as written (before folding)."""
    starts, ends, words = _split_words(text)
    get = _FOLD_CACHE.get
    # Fold word by word through a cache: words repeat, whole-text folding is slow.
    folded = [get(w) or _fold_word(w) for w in words]
    return list(zip(starts, ends, folded)), words


def _split_words(text: str) -> tuple[list[int], list[int], list[str]]:
    """Start and end offsets and lower-case words as written, all built in C."""
    low = text.lower()
    if len(low) != len(text):
        low = fold(text)
    # Split at the separators: words and separators alternate, word first
    # (only the first and the last word can be empty), so word offsets are
    # running sums of part lengths. Faster than splitting at the words.
    parts = (_SEP_U_RE if "_" in low else _SEP_RE).split(low)
    offs = [0, *accumulate(map(len, parts))]
    starts, ends, words = offs[0::2], offs[1::2], parts[0::2]
    if not words[-1]:
        del starts[-1], ends[-1], words[-1]
    if words and not words[0]:
        del starts[0], ends[0], words[0]
    return starts, ends, words


def _fold_word(w: str) -> str:
    f = w if w.isascii() else fold(w)
    if len(_FOLD_CACHE) > 100_000:  # bound memory in long-running processes
        _FOLD_CACHE.clear()
    _FOLD_CACHE[w] = f
    return f


_FOLD_CACHE: dict[str, str] = {}


@dataclass(slots=True)
class Unit:
    """A sentence (or the title) with the weight its place in the article earns."""

    start: int
    end: int
    field: str  # "title" | "lead" | "body"
    para: int  # paragraph index, shared by sentences of one paragraph
    weight: float  # 0 for boilerplate, lower for headline-like lines


@dataclass(slots=True)
class Prepared:
    """The normalised text cut into units, with its words as parallel lists
    (start offsets, end offsets, lower-case words as written): columns are
    built in C, where a list of per-word tuples would cost a Python loop."""

    text: str
    starts: list[int]
    ends: list[int]
    words: list[str]  # lower-case word of each token as written
    units: list[Unit]
    token_unit: list[int]  # unit index for each token
    dateline_spans: list[tuple[int, int]]
    folded: list[str] = field(default_factory=list)  # filled by the matcher
    orig: list[str | None] = field(default_factory=list)  # filled by the matcher

    @property
    def tokens(self) -> list[Token]:
        folded = self.folded or [fold(w) for w in self.words]
        return list(zip(self.starts, self.ends, folded))


# Abbreviations that end with a dot but do not end a sentence.
_ABBREV = {
    "st",
    "mr",
    "mrs",
    "ms",
    "dr",
    "tp",
    "prof",
    "gs",
    "ts",
    "pgs",
    "ths",
    "no",
    "vs",
    "gen",
    "lt",
    "col",
    "sen",
    "rep",
    "ông",
    "bà",
    "г",
    "гг",
    "им",
    "ул",
    "т",
    "д",
    "tr",
    "jr",
    "inc",
    "co",
    "ltd",
    "corp",
    "sgt",
    "capt",
    "ttxvn",
    "vna",
}
_SENT_END_RE = re.compile(r"[.!?…]+[\"')»\]]*(?=\s|[A-ZÀ-ỸĐА-ЯЁ\"«(])")

# Lines that are page furniture rather than article text.
_BOILER_RE = re.compile(
    r"^\W*(xem thêm|tin liên quan|tin cùng chuyên mục|bài liên quan|đọc thêm|related|read more|see also|"
    r"tags?|share( this)?|comments?|bình luận|chia sẻ|từ khóa|читайте также|новости партнеров|"
    r"выбор читателей|комментари\w*|поделиться|теги|похожие новости|©|copyright|source:|nguồn:|"
    r"источник:|photo:|ảnh:|фото:|weather|top vnd|auto-refresh|mid-market|trang chủ|главная)\b",
    re.IGNORECASE,
)
_LINKS_HEADER_RE = re.compile(
    r"^\W*(xem thêm|tin liên quan|tin cùng chuyên mục|bài liên quan|đọc thêm|tin khác|related( news| articles| stories)?|"
    r"read more|see also|more news|читайте также|похожие новости|другие новости|новости по теме)\W*$",
    re.IGNORECASE,
)
_MENU_SEP_RE = re.compile(r"[|•·]")
_TERMINAL = set(".!?…:;\"')»]")

# "Hanoi (VNA) -", "HÀ NỘI -", "HANOI, September 5. /TASS/.", "Ханой, 5 мая (ВИА) -",
# "МОСКВА, 30 ноября. /ТАСС/.": a place that only says where the wire was filed.
_AGENCY = r"(?:VNA|VNS|TTXVN|TASS|ТАСС|ИТАР|ВИА|РИА|RIA|Интерфакс|INTERFAX|Sputnik|Спутник|Reuters|AFP|AP|Xinhua|HNP|TĐO|VOV|VTV)"
_PLACE = r"(?P<place>[A-ZÀ-ỸĐА-ЯЁ][\w.'’]*(?:[ -][A-ZÀ-ỸĐА-ЯЁ][\w'’]*){0,2})"
_LEAD_IN = r"^[\W\d]*(?:date\s+[\d-]+\s+)?"
_DATELINE_RES = (
    # Place, optional date, then the agency in brackets or slashes.
    re.compile(
        _LEAD_IN
        + _PLACE
        + r"(?:\s*[,.]\s*[^\n()/]{1,28}?)?\s*(?:\(\s*(?:[A-ZА-ЯЁĐ]{2,8}|"
        + _AGENCY
        + r")[^()\n]{0,8}\)|/\s*[^/\n]{2,20}/)"
    ),
    # Place, then an agency name within a few words ("Москва. 6 февраля. INTERFAX.RU -").
    re.compile(_LEAD_IN + _PLACE + r"\s*[,.][^\n]{0,40}?\b" + _AGENCY + r"\b"),
    # An all-capitals place then a dash ("HÀ NỘI -", "КАЛУГА, 25 ноя -"); checked for capitals below.
    re.compile(_LEAD_IN + _PLACE + r"(?:\s*,\s*[^\n()/-]{1,28}?)?\s*-"),
)


def _dateline(line: str) -> tuple[int, int] | None:
    # The first pattern needs a bracket or a slash, the last a dash: lines
    # without one are not tried against it.
    for k, rx in enumerate(_DATELINE_RES):
        if k == 0 and "(" not in line and "/" not in line:
            continue
        if k == 2 and "-" not in line:
            continue
        m = rx.match(line)
        if m and (k < 2 or m.group("place").isupper()):
            return m.start("place"), m.end("place")
    return None


def _split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    s = start
    for m in _SENT_END_RE.finditer(text, start, end):
        # Don't split after "St." / "Mr." / initials like "V. Putin".
        j = m.start()
        k = j
        while k > s and (text[k - 1].isalpha()):
            k -= 1
        word = text[k:j].lower()
        if text[m.start()] == "." and (word in _ABBREV or len(word) == 1):
            continue
        if m.end() - s > 1:
            out.append((s, m.end()))
        s = m.end()
    if end > s and text[s:end].strip():
        out.append((s, end))
    return out


def _has_menu_sep(line: str) -> bool:
    """Any character of _MENU_SEP_RE (a quick test before counting them)."""
    return "|" in line or "•" in line or "·" in line


def _line_weight(line: str, is_last: bool) -> float:
    """Down-weight menus, widgets, link lists and bare headings."""
    stripped = line.strip()
    if not stripped:
        return 0.0
    if _BOILER_RE.match(stripped):
        return 0.0
    if stripped[-1] not in ".!?" and len(stripped.split()) <= 3:
        return 0.0
    if stripped[0] in "•·|" or (_has_menu_sep(stripped) and len(_MENU_SEP_RE.findall(stripped)) >= 2):
        return 0.0
    if stripped[-1] not in _TERMINAL and not is_last:
        # Headline-like (related-article titles, captions, headings).
        return 0.35
    return 1.0


def _add_block(
    block: str,
    base: int,
    field: str,
    detect_lead: bool,
    title_key: str | None,
    para: int,
    units: list[Unit],
    datelines: list[tuple[int, int]],
) -> int:
    """Cut one block (title, lead or body) starting at offset `base` of the
    joined text into weighted units; returns the next paragraph index."""
    lines = block.split("\n")
    offset = base
    stripped = [ln.strip() for ln in lines]
    last_i = -1
    for i in range(len(stripped) - 1, -1, -1):
        if stripped[i]:
            last_i = i
            break
    lead_taken = not detect_lead
    in_links = False  # inside a "Related news" / "Xem thêm" list
    is_title = field == "title"
    is_body = field == "body"
    n_key = len(title_key) if title_key else -1
    for i, line in enumerate(lines):
        lstart, lend = offset, offset + len(line)
        offset = lend + 1
        st = stripped[i]
        if not st:
            continue
        if is_title:  # one line, always of full weight
            units.append(Unit(lstart, lend, "title", para, 1.0))
            para += 1
            continue
        w = _line_weight(st, i == last_i)
        if _LINKS_HEADER_RE.match(st):
            in_links = True
        elif in_links and w < 1.0:
            w = 0.0  # an item of the link list
        elif w >= 1.0 and st[-1] in ".!?":
            in_links = False
        if is_body and len(st) == n_key and fold(line).strip() == title_key:
            w = 0.0  # the title repeated as the first line of the body
        f = field
        if not lead_taken and w >= 1.0 and len(line.split()) >= 12:
            f = "lead"
            lead_taken = True
        if i < 12:
            span = _dateline(line)
            if span:
                datelines.append((lstart + span[0], lstart + span[1]))
        for s, e in _split_sentences(block, lstart - base, lend - base):
            units.append(Unit(base + s, base + e, f, para, w))
        para += 1
    return para


def prepare(title: str, body: str, lead: str = "") -> Prepared:
    """Join title, lead and body into one normalised text cut into weighted units.

    When no lead is given, the first real paragraph of the body acts as lead:
    in news copy it carries the subject, so it counts like a given lead.
    """
    title_n = normalize(title).strip()
    lead_n = normalize(lead).strip()
    body_n = normalize(body)
    title_key = fold(title_n).strip() if title_n else None
    units: list[Unit] = []
    datelines: list[tuple[int, int]] = []
    blocks: list[str] = []
    pos = para = 0
    for block, field_name, detect_lead in (
        (title_n.replace("\n", " ") if title_n else None, "title", False),
        (lead_n or None, "lead", False),
        (body_n, "body", not lead_n),
    ):
        if block is None:
            continue
        para = _add_block(block, pos, field_name, detect_lead, title_key, para, units, datelines)
        blocks.append(block)
        pos += len(block) + 1
    text = "\n".join(blocks) + "\n"
    starts, ends, words = _split_words(text)
    # A token belongs to the first unit that ends after its start (units are
    # in text order): cut the token list at each unit's end, in C.
    n = len(starts)
    token_unit: list[int] = []
    if units:
        prev = 0
        for k in range(len(units) - 1):
            cut = bisect_left(starts, units[k].end, prev)
            token_unit += [k] * (cut - prev)
            prev = cut
        token_unit += [len(units) - 1] * (n - prev)
    else:
        token_unit = [0] * n
    return Prepared(text, starts, ends, words, units, token_unit, datelines)
