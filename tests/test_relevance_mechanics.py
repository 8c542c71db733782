"""The relevance model's fast paths compute what a straightforward version computes.

The tokenizer splits at separators in C; here every word is checked against a plain
`re.finditer` over the same text. The matcher's caches (accent checks per word
sequence, shared reasons) must not make a judgement depend on what was judged before.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from monitor.relevance import RelevanceModel
from monitor.relevance.text import fold, prepare

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tools" / "relevance_examples.jsonl"

EDGE_TEXTS = [
    "",
    " ",
    "_",
    "a",
    "!!",
    "x!",
    "!x",
    "snake_case and __dunder__ words_",
    "Hà Nội - Mát-xcơ-va: 2024–2025…",
    "«Ханой–Москва» (ТАСС) — 5 мая",
    "İstanbul ǅemal ﬁnance",  # letters whose lower case is longer, or title-case
    "tab\tand\nnew line\r\nend",
]


def own_texts() -> list[str]:
    rows = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["title"] + "\n" + r["text"] for r in rows] + EDGE_TEXTS


def reference_words(text: str) -> list[tuple[int, int, str]]:
    low = text.lower()
    if len(low) != len(text):
        low = fold(text)
    return [(m.start(), m.end(), m.group()) for m in re.finditer(r"[^\W_]+", low)]


@pytest.mark.parametrize("text", own_texts(), ids=lambda t: t[:30])
def test_words_are_those_of_a_plain_regex_scan(text: str) -> None:
    prep = prepare("", text)
    got = list(zip(prep.starts, prep.ends, prep.words))
    assert got == reference_words(prep.text)
    for s, e, w in got:  # offsets point at the word in the normalised text
        assert prep.text[s:e].lower() == w or fold(prep.text[s:e]) == w


def test_judgements_do_not_depend_on_what_was_judged_before() -> None:
    texts = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    warm = RelevanceModel.load()
    forward = [warm.judge(t["title"], t["text"]).to_dict() for t in texts]
    # A second model judges them in the opposite order, then the first one again.
    cold = RelevanceModel.load()
    backward = [cold.judge(t["title"], t["text"]).to_dict() for t in reversed(texts)][::-1]
    again = [warm.judge(t["title"], t["text"]).to_dict() for t in texts]
    assert forward == backward == again
    assert {j["label"] for j in forward} == {"core", "national", "none"}


def test_models_of_one_process_share_the_phrase_table_until_a_term_file_changes(tmp_path: Path) -> None:
    # Every crawler of a crawl (one per source, one process) loads the model.
    terms = tmp_path / "terms.toml"
    terms.write_text('[[terms]]\nside = "russia"\nkind = "body"\nphrases = ["Quux Institute"]\n')
    a = RelevanceModel.load(terms)
    b = RelevanceModel.load(terms)
    assert a._lex is b._lex and a.version == b.version
    text = "The Quux Institute opened."
    assert [r.phrase for r in a.judge("", text).reasons] == ["Quux Institute"]
    terms.write_text('[[terms]]\nside = "russia"\nkind = "body"\nphrases = ["Quuz Institute"]\n')
    c = RelevanceModel.load(terms)
    assert c._lex is not a._lex and c.version != a.version
    assert c.judge("", text).reasons == []
    assert RelevanceModel.load()._lex is not a._lex
