"""Content fingerprints: the same article text at two URLs gets the same key."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    """NFC, case-folded, punctuation and spacing folded to single spaces."""
    text = unicodedata.normalize("NFC", text).casefold()
    return _NON_WORD.sub(" ", text).strip()


def content_fingerprint(title: str, body: str) -> str:
    """SHA-256 of the normalised title and body (not lead, date or author, which sites restyle)."""
    key = normalise_text(title) + "\n" + normalise_text(body)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
