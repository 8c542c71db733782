"""Readers' corrections are stored with the label the article had, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from storage import Article, ArticleStore, Database
from storage.feedback import UnknownArticle, feedback_rows, record_feedback


def test_feedback_keeps_previous_label_and_order(database_url: str) -> None:
    db = Database(database_url)
    saved = ArticleStore(db).save(
        Article(
            url="https://example.org/a.html",
            canonical_url="",
            source="x",
            title="Title",
            body="Body text",
            language="en",
            label="national",
        )
    )
    first = record_feedback(db, saved.article_id, label="core", note="Hanoi police signed it", who="analyst")
    second = record_feedback(db, saved.article_id, label="none", who="web")
    rows = feedback_rows(db, article_id=saved.article_id)
    assert [(r.label, r.previous_label, r.who) for r in rows] == [
        ("core", "national", "analyst"),
        ("none", "national", "web"),
    ]
    assert rows[0].note == "Hanoi police signed it" and first.id < second.id
    with pytest.raises(UnknownArticle):
        record_feedback(db, 999_999, label="core")
    with pytest.raises(ValueError):
        record_feedback(db, saved.article_id, label="maybe")
    db.dispose()
