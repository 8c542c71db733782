"""Digest test data: a fixed clock, Vietnamese and Russian articles written for the tests, storing
an article judged by the real relevance model, and the two parts of a digest mail."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

from sqlmodel import col, select

from monitor.relevance import RelevanceModel
from storage import Article, ArticleStore, Database
from storage.models import DELIVERED_STATUSES, Digest, DigestItem

NOW = datetime(2026, 11, 21, 0, 30, tzinfo=timezone.utc)  # 07:30 in Hanoi
TRY_LATER = "451 4.3.0 Try again later"

VI_TITLE = "Hà Nội và Moskva thúc đẩy hợp tác giáo dục, đào tạo"
VI_LEAD = "Hai thành phố ký kết biên bản ghi nhớ hợp tác giữa Hà Nội và Moskva về giáo dục."
VI_BODY = (
    "Ngày 19/11, tại trụ sở UBND thành phố Hà Nội, Phó Chủ tịch UBND TP tiếp đoàn đại biểu "
    "thành phố Moskva (Liên bang Nga). Hai bên trao đổi về hợp tác giáo dục."
)
RU_TITLE = "Москва и Ханой подписали меморандум о сотрудничестве"
RU_LEAD = "Правительство Москвы и народный комитет Ханоя подписали меморандум о сотрудничестве в образовании."
RU_BODY = (
    "Делегация правительства Москвы посетила Ханой. Стороны обсудили сотрудничество в сфере образования."
)
SCRIPT_TITLE = 'Hà Nội – Moskva: hợp tác văn hóa <script>alert("x")</script> & "du lịch"'
NATIONAL_TITLE = "Việt Nam và Nga tăng cường hợp tác năng lượng"
NATIONAL_BODY = "Thủ tướng Việt Nam tiếp Phó Thủ tướng Nga, hai bên thảo luận hợp tác dầu khí và năng lượng."


def add_article(
    db: Database,
    model: RelevanceModel,
    n: int,
    title: str,
    body: str,
    lead: str = "",
    lang: str = "vi",
    *,
    story: int | None = None,
    published: datetime | None = None,
    source: str = "hanoimoi",
) -> int:
    """Store article number ``n``, judged by the real relevance model."""
    j = model.judge(title, body, lead=lead, lang=lang)
    article = Article(
        url=f"https://hanoimoi.vn/bai-{n}-{lang}.html",
        canonical_url="",
        source=source,
        title=title,
        lead=lead,
        body=body,
        language=lang,
        published_at=published or NOW - timedelta(hours=20, minutes=n),
        label=j.label,
        score=j.score,
        reasons=[r.to_dict() for r in j.reasons],
        story_id=story,
    )
    return ArticleStore(db).save(article).article_id


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def delivered_article_ids(db: Database) -> list[int]:
    """Article ids in delivered digests, one entry per (digest, article): duplicates would show."""
    with db.session() as session:
        return list(
            session.exec(
                select(DigestItem.article_id)
                .join(Digest, col(Digest.id) == col(DigestItem.digest_id))
                .where(col(Digest.status).in_(DELIVERED_STATUSES))
            ).all()
        )
