"""Load term TOML files into a token-level phrase table.

Matching works on word tokens rather than one huge regex: each text token is
turned into a canonical key (folded, or a `prefix*` for inflected words), and
phrases are looked up as tuples of keys starting at each token. That is a few
dict lookups per word, independent of how many terms users add.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .text import fold, normalize

__all__ = ["Term", "Lexicon", "load_lexicon", "shared_lexicon", "builtin_term_files"]

SIDES = {
    "institution",
    "hanoi",
    "russia",
    "vietnam",
    "national",
    "locality",
    "city",
    "pair",
    "cooperation",
    "negative",
    "third",
    "marker",
    "block",
}
CHECKS = {None, "vi_person_name", "vi_capital"}

_WORD_RE = re.compile(r"[^\W_]+\*?")
_ALIAS_RE = re.compile(r"\{(\w+)\}")


class TermError(ValueError):
    """A term file is malformed; the message names the file and entry."""


@dataclass(frozen=True, slots=True)
class Term:
    side: str
    kind: str
    weight: float
    check: str | None
    # Lower-case NFC words as written (None for a `prefix*` word): used to
    # refuse "ngã" for "nga" while accepting unaccented "nga".
    accented: tuple[str | None, ...]
    source: str  # the phrase after alias expansion, for debugging


@dataclass(slots=True)
class Lexicon:
    table: dict[tuple[str, ...], list[Term]] = field(default_factory=dict)
    # Word-by-word trie over phrase keys: key -> [children, terms ending here].
    trie: dict[str, list[Any]] = field(default_factory=dict)
    prefixes: dict[int, set[str]] = field(default_factory=dict)  # length -> prefixes
    prefix_lengths: tuple[int, ...] = ()
    exact: set[str] = field(default_factory=set)
    vi_names: dict[str, frozenset[str]] = field(default_factory=dict)
    digest: str = ""
    _canon_cache: dict[str, Any] = field(default_factory=dict)
    _word_cache: dict[str, Any] = field(default_factory=dict)

    def word_info(self, word: str) -> tuple[str, str | None, tuple[str, ...], tuple[list[Any], ...]]:
        """Everything the matcher needs of one lower-case word as written, in
        one cached lookup: its folded form, the word itself if folding changed
        it (else None, so the accent check can be skipped), its phrase keys,
        and the trie nodes of those keys that start a phrase."""
        info = self._word_cache.get(word)
        if info is not None:
            return info
        folded = word if word.isascii() else fold(word)
        keys = self.keys(folded)
        roots = tuple(node for node in map(self.trie.get, keys) if node is not None)
        info = (folded, None if word == folded else word, keys, roots)
        if len(self._word_cache) > 200_000:  # bound memory in long-running processes
            self._word_cache.clear()
        self._word_cache[word] = info
        return info

    def word_infos(
        self, words: list[str]
    ) -> list[tuple[str, str | None, tuple[str, ...], tuple[list[Any], ...]]]:
        """`word_info` of each word; words seen before cost one dict lookup."""
        infos: list[Any] = list(map(self._word_cache.get, words))
        if not all(infos):  # a word not seen before (infos are non-empty tuples)
            info = self.word_info
            infos = [x or info(w) for x, w in zip(infos, words)]
        return infos

    def keys(self, folded_word: str) -> tuple[str, ...]:
        """Phrase-word keys a folded word can stand for: itself if some phrase
        uses it as written, and every `prefix*` it starts with."""
        c = self._canon_cache.get(folded_word)
        if c is not None:
            return c
        out: list[str] = []
        if folded_word in self.exact:
            out.append(folded_word)
        for n in self.prefix_lengths:
            if n <= len(folded_word) and folded_word[:n] in self.prefixes[n]:
                out.append(folded_word[:n] + "*")
        c = tuple(out)
        if len(self._canon_cache) > 200_000:  # bound memory in long-running processes
            self._canon_cache.clear()
        self._canon_cache[folded_word] = c
        return c


def builtin_term_files() -> list[Path]:
    """The term files shipped with the package, in load order."""
    root = resources.files("monitor.relevance") / "terms"
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(".toml"))


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TermError(f"{path}: {exc}") from exc


def _expand(phrase: str, aliases: dict[str, list[str]], path: Path, depth: int = 0) -> list[str]:
    m = _ALIAS_RE.search(phrase)
    if not m:
        return [phrase]
    if depth > 8:
        raise TermError(f"{path}: alias nesting too deep in {phrase!r}")
    name = m.group(1)
    if name not in aliases:
        raise TermError(f"{path}: unknown alias {{{name}}} in {phrase!r}")
    out: list[str] = []
    for value in aliases[name]:
        out.extend(_expand(phrase[: m.start()] + value + phrase[m.end() :], aliases, path, depth + 1))
    return out


def _words(phrase: str) -> list[tuple[str, str | None]]:
    """(folded word or 'prefix*', accented lower word or None) for each word of a phrase."""
    norm = normalize(phrase)
    folded = fold(norm)
    out: list[tuple[str, str | None]] = []
    for m in _WORD_RE.finditer(folded):
        w = m.group()
        if w.endswith("*"):
            out.append((w, None))
        else:
            out.append((w, norm[m.start() : m.end()].lower()))
    return out


def load_lexicon(files: list[Path]) -> Lexicon:
    """Build the phrase table from term files (later files extend earlier ones)."""
    aliases: dict[str, list[str]] = {}
    entries: list[tuple[dict[str, Any], Path]] = []
    names: dict[str, set[str]] = {"titles": set(), "given": set(), "surnames": set()}
    h = hashlib.sha256()
    for path in files:
        raw = path.read_bytes()
        h.update(raw)
        data = _read(path)
        for name, values in data.get("aliases", {}).items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise TermError(f"{path}: alias {name!r} must be a list of strings")
            aliases.setdefault(name, []).extend(values)
        for i, entry in enumerate(data.get("terms", [])):
            side = entry.get("side")
            if side not in SIDES:
                raise TermError(f"{path}: terms[{i}] has side {side!r}; expected one of {sorted(SIDES)}")
            if entry.get("check") not in CHECKS:
                raise TermError(f"{path}: terms[{i}] has unknown check {entry.get('check')!r}")
            if not isinstance(entry.get("phrases"), list):
                raise TermError(f"{path}: terms[{i}] needs a list of phrases")
            entries.append((entry, path))
        for key, values in data.get("vi_names", {}).items():
            if key in names:
                names[key].update(fold(normalize(v)) for v in values)

    lex = Lexicon(digest=h.hexdigest())
    parsed: list[tuple[list[tuple[str, str | None]], Term]] = []
    for entry, path in entries:
        for phrase in entry["phrases"]:
            for expanded in _expand(phrase, aliases, path):
                words = _words(expanded)
                if not words:
                    continue
                term = Term(
                    side=entry["side"],
                    kind=str(entry.get("kind", "")),
                    weight=float(entry.get("weight", 1.0)),
                    check=entry.get("check"),
                    accented=tuple(a for _, a in words),
                    source=expanded,
                )
                parsed.append((words, term))
                for w, _ in words:
                    if w.endswith("*"):
                        lex.prefixes.setdefault(len(w) - 1, set()).add(w[:-1])
                    else:
                        lex.exact.add(w)
                # A multi-word Latin phrase also matches written as one word.
                if len(words) > 1 and all(a is not None and a.isascii() or a and _latin(a) for _, a in words):
                    joined = "".join(w for w, _ in words)
                    acc = "".join(a for _, a in words if a)
                    lex.exact.add(joined)
                    parsed.append(
                        (
                            [(joined, acc)],
                            Term(term.side, term.kind, term.weight, term.check, (acc,), expanded),
                        )
                    )
    lex.prefix_lengths = tuple(sorted(lex.prefixes, reverse=True))
    for words, term in parsed:
        key = tuple(w for w, _ in words)
        lex.table.setdefault(key, []).append(term)
    for key, terms in lex.table.items():
        level = lex.trie
        node: list[Any] = []
        for w in key:
            node = level.setdefault(w, [{}, None])
            level = node[0]
        node[1] = terms
    lex.vi_names = {k: frozenset(v) for k, v in names.items()}
    lex._canon_cache.clear()
    lex._word_cache.clear()
    return lex


# Lexicons built in this process, by the digest of their term files' bytes.
# A crawl runs one crawler per source in one process, and each loads the
# model: building the phrase table is nearly all of a load (about 0.5 s).
_SHARED: dict[str, Lexicon] = {}
_SHARED_MAX = 4


def shared_lexicon(files: list[Path]) -> Lexicon:
    """`load_lexicon(files)`, built once per process for the same file contents
    (a changed file is read anew). Lexicons are not changed after they are
    built, apart from their lookup caches, so models may share one."""
    h = hashlib.sha256()
    try:
        for path in files:
            h.update(path.read_bytes())
    except OSError:
        return load_lexicon(files)  # which says which file and why
    key = h.hexdigest()
    lex = _SHARED.get(key)
    if lex is None:
        lex = load_lexicon(files)
        while len(_SHARED) >= _SHARED_MAX:
            del _SHARED[next(iter(_SHARED))]
        _SHARED[key] = lex
    return lex


def _latin(word: str) -> bool:
    return all(ord(c) < 0x2000 and not ("\u0400" <= c <= "\u04ff") for c in word)
