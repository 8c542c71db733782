"""Storing and reading readers' corrections (the relevance model trains on them)."""

from __future__ import annotations

from sqlmodel import col, select

from storage.db import Database
from storage.models import Article, Feedback

FEEDBACK_LABELS = ("core", "national", "none")


class UnknownArticle(LookupError):
    """Feedback for an article id that is not stored."""


def record_feedback(
    db: Database, article_id: int, *, label: str, note: str | None = None, who: str = ""
) -> Feedback:
    """Store a correction with the article's label at that moment; the article's own label is left
    to the model (it changes when the model is retrained on the corrections)."""
    if label not in FEEDBACK_LABELS:
        raise ValueError(f"label must be one of {', '.join(FEEDBACK_LABELS)}, not {label!r}")
    with db.session() as session:
        article = session.get(Article, article_id)
        if article is None:
            raise UnknownArticle(f"no article {article_id}")
        row = Feedback(article_id=article_id, label=label, previous_label=article.label, note=note, who=who)
        session.add(row)
        session.flush()
        session.refresh(row)
        return row


def feedback_rows(db: Database, *, article_id: int | None = None) -> list[Feedback]:
    """Corrections, oldest first (all of them, or one article's)."""
    stmt = select(Feedback).order_by(col(Feedback.id))
    if article_id is not None:
        stmt = stmt.where(Feedback.article_id == article_id)
    with db.session() as session:
        return list(session.exec(stmt))
