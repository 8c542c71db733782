"""`newsmon rescore`: users extend the terms and want stored articles judged again."""

from datetime import datetime, timezone

from storage import Article, ArticleStore, Database

TITLE = "Hanoi and Ryazan sign cooperation agreement"
BODY = (
    "The Hanoi People's Committee and the government of Ryazan signed an agreement on cooperation "
    "in education and trade on Monday. Ryazan's governor led a delegation to Hanoi, and the two "
    "sides agreed to exchange students."
)


def seed(workspace) -> int:
    store = ArticleStore(Database(workspace.db_url))
    result = store.save(
        Article(
            canonical_url="https://hanoitimes.vn/ryazan.1.html",
            url="https://hanoitimes.vn/ryazan.1.html",
            source="hanoitimes",
            title=TITLE,
            body=BODY,
            language="en",
            content_hash="",
            published_at=datetime(2026, 11, 2, tzinfo=timezone.utc),
        )
    )
    return result.article_id


def test_rescore_applies_user_terms_to_stored_articles(workspace):
    article_id = seed(workspace)
    first = workspace.run_json("rescore", "--json")[0]
    assert first["rescored"] == 1
    assert first["label_changes"] == {"unjudged→none": 1}  # Ryazan is not a known Russian place yet

    (workspace.path / "my-terms.toml").write_text(
        '[aliases]\nrcity = ["ryazan", "рязан*"]\n', encoding="utf-8"
    )
    workspace.write_config('[relevance]\nterms_file = "my-terms.toml"\n')
    second = workspace.run_json("rescore", "--json")[0]
    assert second["label_changes"] == {"none→core": 1}
    assert second["version"] != first["version"]
    stored = ArticleStore(Database(workspace.db_url)).get(article_id)
    assert stored.label == "core" and stored.relevance_version == second["version"]
    assert any(r["phrase"].lower().startswith("ryazan") for r in stored.reasons)

    # Nothing is stale any more.
    assert workspace.run_json("rescore", "--stale-only", "--json")[0]["rescored"] == 0
    plain = workspace.run("rescore")
    assert plain.returncode == 0 and "0 label(s) changed" in plain.stdout


def test_missing_terms_file_is_a_clear_error(workspace):
    workspace.write_config('[relevance]\nterms_file = "nope.toml"\n')
    result = workspace.run("rescore")
    assert result.returncode == 1
    assert "relevance.terms_file" in result.stderr and "does not exist" in result.stderr
