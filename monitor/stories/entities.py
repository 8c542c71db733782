"""Named parties (places and people) as language-neutral keys, found in vi/en/ru text.

Why not the relevance model's term table: its phrases say which *side* a word
is on (Hanoi, Russia, cooperation), not *which* place it names, so "Moscow" and
"Kaluga" look the same there. Story linking needs the place itself. The text
folding (NFC, case, Vietnamese diacritics) is the relevance model's own.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from monitor.relevance.text import fold, normalize

_WORD_RE = re.compile(r"[^\W_]+\*?")
_TOKEN_RE = re.compile(r"[^\W_]+")


_SECTIONS = {"places": "place", "people": "person", "orgs": "org", "actions": "action", "objects": "object"}
_LAYER = {"place": "names", "person": "names", "org": "orgs", "action": "events", "object": "events"}


class EntityError(ValueError):
    """An entity file is malformed; the message names the file and entry."""


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    text: str  # as written (NFC)
    folded: str  # lower case, no diacritics
    lower: str  # lower case, diacritics kept

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()


def tokenize(norm: str) -> list[Token]:
    """Word tokens of text already passed through ``normalize`` (offsets into it)."""
    folded = fold(norm)
    out = []
    for m in _TOKEN_RE.finditer(norm):
        word = m.group()
        out.append(Token(m.start(), m.end(), word, folded[m.start() : m.end()], word.lower()))
    return out


@dataclass(frozen=True, slots=True)
class Phrase:
    words: tuple[str, ...]  # folded words; "pref*" for a prefix
    accented: tuple[str | None, ...]  # lower-case words as written when they carry diacritics
    key: str
    category: str  # "place" | "person" | "org" | "action" | "object"
    capitalised: bool = False


@dataclass(frozen=True, slots=True)
class Mention:
    key: str
    category: str
    first: int  # token index
    last: int  # token index, inclusive


@dataclass
class EntityTable:
    """Phrases → keys, plus what a place key belongs to (its country)."""

    countries: dict[str, str] = field(default_factory=dict)  # place key → country key
    vi_surnames: frozenset[str] = frozenset()  # folded
    not_names: frozenset[str] = frozenset()  # folded
    # Per layer ("names": places and people; "orgs"; "events": actions and objects), each
    # found in its own pass, so "Moscow police" is both a place and an organisation.
    _exact: dict[str, dict[str, list[Phrase]]] = field(default_factory=dict)
    _prefix: dict[str, dict[str, list[Phrase]]] = field(default_factory=dict)
    _prefix_lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, extra: Path | None = None) -> EntityTable:
        """The built-in table, plus an optional user file of the same shape."""
        files = [Path(str(resources.files("monitor.stories") / "entities.toml"))]
        if extra is not None:
            files.append(Path(extra))
        table = cls()
        surnames: set[str] = set()
        not_names: set[str] = set()
        for path in files:
            data = _read(path)
            for section, category in _SECTIONS.items():
                for key, entry in data.get(section, {}).items():
                    table._add_entry(path, section, key, entry, category)
            names = data.get("names", {})
            surnames.update(fold(normalize(w)) for w in names.get("vi_surnames", []))
            not_names.update(fold(normalize(w)) for w in names.get("not_names", []))
        table.vi_surnames = frozenset(surnames)
        table.not_names = frozenset(not_names)
        table._prefix_lengths = {
            layer: tuple(sorted({len(p) for p in prefixes}, reverse=True))
            for layer, prefixes in table._prefix.items()
        }
        return table

    def _add_entry(self, path: Path, section: str, key: str, entry: Any, category: str) -> None:
        if not isinstance(entry, dict):
            raise EntityError(f"{path}: [{section}.{key}] must be a table")
        phrases = entry.get("phrases", [])
        caps = entry.get("capitalised", [])
        for name, values in (("phrases", phrases), ("capitalised", caps)):
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise EntityError(f"{path}: [{section}.{key}] {name} must be a list of strings")
        if category == "place":
            country = entry.get("country", key)
            if not isinstance(country, str):
                raise EntityError(f"{path}: [{section}.{key}] country must be a string")
            self.countries[key] = country
        for text, capitalised in [(p, False) for p in phrases] + [(p, True) for p in caps]:
            norm = normalize(text).lower()
            words = [m.group() for m in _WORD_RE.finditer(norm)]
            if not words:
                continue
            phrase = Phrase(
                words=tuple(fold(w) for w in words),
                accented=tuple(None if w.endswith("*") or fold(w) == w else w for w in words),
                key=key,
                category=category,
                capitalised=capitalised,
            )
            first = phrase.words[0]
            layer = _LAYER[category]
            if first.endswith("*"):
                self._prefix.setdefault(layer, {}).setdefault(first[:-1], []).append(phrase)
            else:
                self._exact.setdefault(layer, {}).setdefault(first, []).append(phrase)

    def country_of(self, place: str) -> str | None:
        return self.countries.get(place)

    def _starting(self, token: Token, layer: str) -> list[Phrase]:
        found = list(self._exact.get(layer, {}).get(token.folded, ()))
        prefixes = self._prefix.get(layer, {})
        for n in self._prefix_lengths.get(layer, ()):
            if n <= len(token.folded):
                found.extend(prefixes.get(token.folded[:n], ()))
        return found

    def find(self, tokens: list[Token], text: str, layer: str = "names") -> list[Mention]:
        """Every mention of one layer ("names": places and people; "orgs"; "events": actions
        and objects), longest phrase first at each position, no overlaps."""
        mentions: list[Mention] = []
        i = 0
        n = len(tokens)
        while i < n:
            best: Phrase | None = None
            for phrase in self._starting(tokens[i], layer):
                length = len(phrase.words)
                if i + length > n or (best is not None and length <= len(best.words)):
                    continue
                if self._matches(phrase, tokens, i, text):
                    best = phrase
            if best is None:
                i += 1
                continue
            mentions.append(Mention(best.key, best.category, i, i + len(best.words) - 1))
            i += len(best.words)
        return mentions

    @staticmethod
    def _matches(phrase: Phrase, tokens: list[Token], i: int, text: str) -> bool:
        for k, (word, accented) in enumerate(zip(phrase.words, phrase.accented)):
            tok = tokens[i + k]
            if k and not _adjacent(tokens[i + k - 1], tok, text):
                return False
            if word.endswith("*"):
                if not tok.folded.startswith(word[:-1]):
                    return False
            elif tok.folded != word:
                return False
            elif accented is not None and tok.lower != accented:
                return False  # "ngà" is not "nga", "lao" is not "lào"
            elif accented is None and tok.lower != tok.folded:
                return False
        if phrase.capitalised:
            tok = tokens[i]
            if not tok.capitalised:
                return False
            # "Hà Thị Nga", "Hằng Nga": a capitalised word right before makes it a name.
            if i > 0 and tokens[i - 1].capitalised and _adjacent(tokens[i - 1], tok, text, spaces_only=True):
                return False
        return True


_GAP_RE = re.compile(r"[ \t\-.'’]{0,3}")


def _adjacent(a: Token, b: Token, text: str, spaces_only: bool = False) -> bool:
    gap = text[a.end : b.start]
    if spaces_only:
        return gap == " "
    return bool(_GAP_RE.fullmatch(gap)) and "\n" not in gap


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise EntityError(f"{path}: {exc}") from exc
