"""An article's own text and its MinHash signature: near-copies in one language.

Text signature: character 7-grams of the normalised text with all spaces removed.
Characters rather than words because real syndicated copies lose or gain spaces
("Chairman ofthe Hanoi People's Committee"), which breaks every word shingle around
the glitch but only a few character ones. Page furniture (related-news lists,
share/comment widgets, copyright lines) is removed first and repeated paragraphs
count once, so a copy with other boilerplate still lands in the same buckets.

The LSH band keys computed here are stored by ``storage.stories`` in an indexed
table, so "which stored articles are near this one" is a few index lookups in any
process and costs the same with a thousand or a million rows.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from typing import TYPE_CHECKING

import numpy as np

from storage.fingerprint import normalise_text

# 32 bands of 4 rows: a pair with Jaccard similarity s shares a band with
# probability 1-(1-s^4)^32: 0.87 at s=0.5, 0.99 at s=0.6, 0.0001 at s=0.05 (the
# typical similarity of two unrelated articles in one language).
NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
SHINGLE = 7
# Bumped whenever shingling or band keys change: old rows must be rebuilt.
SIGNATURE_VERSION = "s1"

if TYPE_CHECKING:
    from datasketch import MinHash

_SEED = 1
_TEMPLATE: MinHash | None = None

# Lines that are page furniture, not article text (vi, en, ru).
_BOILERPLATE = re.compile(
    r"^\W*(xem thêm|tin liên quan|tin cùng chuyên mục|bài liên quan|tin khác|đọc thêm|bình luận|chia sẻ|"
    r"từ khóa|từ khoá|theo dõi|liên hệ quảng cáo|bản quyền|related|read more|see also|more news|tags?\b|"
    r"share|comments?\b|follow us|subscribe|copyright|all rights reserved|©|читайте также|"
    r"новости партнеров|похожие новости|поделиться|комментари|теги\b|подписывайтесь|все права защищены|"
    r"\(\*\)\s*không sao chép)",
    re.IGNORECASE,
)
_RELATED_HEAD = re.compile(
    r"^\W*(xem thêm|tin liên quan|tin cùng chuyên mục|bài liên quan|tin khác|đọc thêm|"
    r"related(?: news| articles| stories| posts)?|read more|see also|more news|latest news|"
    r"читайте также|похожие новости|новости партнеров|другие новости|по теме)\W*$",
    re.IGNORECASE,
)
_MENU_SEPARATORS = re.compile(r"[|•·»›]")
_SENTENCE_END = re.compile(r"[.!?…:;)\"»”]\s*$")


def article_text_lines(title: str, body: str, lead: str = "") -> list[str]:
    """The article's own lines: title, lead and body without furniture, each line once."""
    lines: list[str] = []
    seen: set[str] = set()
    in_related = False
    for raw in [title, lead, *body.splitlines()]:
        line = unicodedata.normalize("NFC", raw or "").strip()
        if not line:
            in_related = False
            continue
        if _RELATED_HEAD.match(line):
            in_related = True
            continue
        headline_like = not _SENTENCE_END.search(line)
        # Under a "related news" heading, headline-like lines are links to other stories.
        if in_related and headline_like:
            continue
        in_related = False
        if _BOILERPLATE.match(line) or len(_MENU_SEPARATORS.findall(line)) >= 2:
            continue
        key = normalise_text(line)
        if not key or key in seen:
            continue
        seen.add(key)
        lines.append(line)
    return lines


def shingles(title: str, body: str, lead: str = "") -> set[bytes]:
    """Character 7-grams of the article's own text, NFC, case and punctuation folded, no spaces."""
    text = "".join(normalise_text(line).replace(" ", "") for line in article_text_lines(title, body, lead))
    if len(text) <= SHINGLE:
        return {text.encode("utf-8")} if text else set()
    return {text[i : i + SHINGLE].encode("utf-8") for i in range(len(text) - SHINGLE + 1)}


def _crc32(data: bytes) -> int:
    # Stable across processes and fast; the MinHash permutations do the mixing.
    return zlib.crc32(data)


def text_signature(title: str, body: str, lead: str = "") -> np.ndarray:
    """MinHash (NUM_PERM uint32 values) of the article's shingles."""
    global _TEMPLATE
    if _TEMPLATE is None:
        from datasketch import MinHash  # imports scipy: only when a signature is first needed

        _TEMPLATE = MinHash(num_perm=NUM_PERM, seed=_SEED, hashfunc=_crc32)
    m = _TEMPLATE.copy()
    m.update_batch(sorted(shingles(title, body, lead)))
    return m.hashvalues.astype(np.uint32)


def signature_bytes(signature: np.ndarray) -> bytes:
    return np.asarray(signature, dtype="<u4").tobytes()


def signature_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4")


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures' shingle sets."""
    return float(np.count_nonzero(np.asarray(a) == np.asarray(b))) / len(a)


def key_hash(text: str) -> int:
    """A signed 64-bit key for a string (stored in BIGINT index columns)."""
    return int.from_bytes(
        hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little", signed=True
    )


def band_keys(signature: np.ndarray, language: str) -> list[int]:
    """One signed 64-bit key per band; the language is part of the key (copies share a language)."""
    raw = signature_bytes(signature)
    width = ROWS * 4
    lang = (language or "").encode("ascii", "replace")
    keys = []
    for band in range(BANDS):
        digest = hashlib.blake2b(
            lang + bytes([band]) + raw[band * width : (band + 1) * width], digest_size=8
        ).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return list(dict.fromkeys(keys))
