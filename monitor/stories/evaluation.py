"""Pairwise evaluation of story grouping against labeled JSON lines.

Each line: `id`, `title`, `text`, `lang`, optional `published` (ISO 8601 with a
zone), `lead`, `source`, and the gold `story` key. A line with no `story` but a
`dup_of` (the shared dev set's format) belongs to the story of the article it
copies, else to a story of its own.

The articles go through the real path: stored with ArticleStore in a scratch
SQLite database, oldest first, and grouped by StoryGrouper one at a time, just
as a crawl would. Scores are over pairs: precision = of the pairs put in one
story, how many are one story in the gold; recall = of the gold pairs, how many
were put together.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from monitor.jsonl import read_json_lines
from monitor.stories.grouping import StoryGrouper, StoryOptions
from storage import Article, ArticleStore, Database


@dataclass(frozen=True)
class EvalRecord:
    id: str
    title: str
    text: str
    lang: str
    story: str
    published: datetime | None = None
    lead: str = ""
    source: str = "eval"
    line: int = 0

    def article(self, url: str) -> Article:
        """The record as an article to store at ``url`` (eval records have no URL of their own)."""
        return Article(
            canonical_url=url,
            url=url,
            source=self.source,
            title=self.title,
            lead=self.lead,
            body=self.text,
            language=self.lang,
            published_at=self.published,
            content_hash="",
        )


@dataclass(frozen=True)
class PairError:
    a: str
    b: str
    kind: str  # "merged" (different gold stories put together) | "split" (one gold story kept apart)


@dataclass
class EvalResult:
    n: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    stories_gold: int
    stories_predicted: int
    wrong: list[PairError] = field(default_factory=list)
    predicted: dict[str, int] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "gold_pairs": self.true_pairs,
            "predicted_pairs": self.predicted_pairs,
            "correct_pairs": self.correct_pairs,
            "gold_stories": self.stories_gold,
            "predicted_stories": self.stories_predicted,
            "wrong_pairs": [{"a": w.a, "b": w.b, "kind": w.kind} for w in self.wrong],
            "predicted": self.predicted,
        }


class RecordError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def read_records(stream: IO[str]) -> tuple[list[EvalRecord], list[RecordError]]:
    """Good records and the errors of bad lines (each names its line)."""
    raw: list[tuple[int, dict]] = []
    errors: list[RecordError] = []
    for n, rec, err in read_json_lines(
        stream, ("id", "title", "text", "lang"), strings=("title", "text", "lang")
    ):
        if rec is None:
            errors.append(RecordError(n, err or "bad line"))
            continue
        raw.append((n, rec))
    ids = {str(rec["id"]) for _, rec in raw}
    records: list[EvalRecord] = []
    for n, rec in raw:
        published = None
        if rec.get("published"):
            try:
                published = datetime.fromisoformat(str(rec["published"]))
            except ValueError:
                errors.append(RecordError(n, f"published {rec['published']!r} is not an ISO 8601 date"))
                continue
            if published.tzinfo is None:
                errors.append(RecordError(n, f"published {rec['published']!r} has no time zone"))
                continue
        story = rec.get("story")
        if story is None:
            dup = rec.get("dup_of")
            story = f"dup:{dup}" if dup and str(dup) in ids else f"dup:{rec['id']}"
        records.append(
            EvalRecord(
                id=str(rec["id"]),
                title=rec["title"],
                text=rec["text"],
                lang=rec["lang"],
                story=str(story),
                published=published,
                lead=rec["lead"] if isinstance(rec.get("lead"), str) else "",
                source=str(rec.get("source") or "eval")[:64],
                line=n,
            )
        )
    seen: set[str] = set()
    unique = []
    for r in records:
        if r.id in seen:
            errors.append(RecordError(r.line, f"duplicate id {r.id!r}"))
            continue
        seen.add(r.id)
        unique.append(r)
    return unique, errors


def group_records(records: Iterable[EvalRecord], grouper: StoryGrouper) -> dict[str, int]:
    """Store and group the records (oldest first); record id → story id."""
    store = ArticleStore(grouper.db)
    records = list(records)
    order = sorted(
        range(len(records)),
        key=lambda i: (records[i].published is None, records[i].published or datetime.min, i),
    )
    article_of: dict[str, int] = {}
    for i in order:
        r = records[i]
        result = store.save(r.article(f"https://eval.invalid/{i}"))
        article_of[r.id] = result.article_id
        if result.outcome.value == "new":
            grouper.assign(_stored(store, result.article_id))
    return {rid: _story_of(store, aid) for rid, aid in article_of.items()}


def _stored(store: ArticleStore, article_id: int) -> Article:
    article = store.get(article_id)
    if article is None:
        raise LookupError(f"article {article_id} was just stored and is gone")
    return article


def _story_of(store: ArticleStore, article_id: int) -> int:
    story = _stored(store, article_id).story_id
    if story is None:  # every article stored here was grouped, or is a copy of one that was
        raise LookupError(f"article {article_id} was grouped into no story")
    return story


def evaluate(
    records: list[EvalRecord], *, options: StoryOptions | None = None, entities_file: Path | None = None
) -> EvalResult:
    """Group the records in a scratch database and score the pairs against the gold stories."""
    with tempfile.TemporaryDirectory(prefix="newsmon-stories-") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'eval.db'}")
        try:
            grouper = StoryGrouper(db, options=options, entities_file=entities_file)
            predicted = group_records(records, grouper)
        finally:
            db.dispose()
    return score(records, predicted)


def score(records: list[EvalRecord], predicted: dict[str, int]) -> EvalResult:
    true_pairs = predicted_pairs = correct = 0
    wrong: list[PairError] = []
    for a, b in itertools.combinations(records, 2):
        gold = a.story == b.story
        pred = predicted[a.id] == predicted[b.id]
        true_pairs += gold
        predicted_pairs += pred
        correct += gold and pred
        if gold != pred:
            wrong.append(PairError(a.id, b.id, "merged" if pred else "split"))
    return EvalResult(
        n=len(records),
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        correct_pairs=correct,
        stories_gold=len({r.story for r in records}),
        stories_predicted=len(set(predicted.values())),
        wrong=wrong,
        predicted=predicted,
    )
