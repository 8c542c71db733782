"""Training a relevance model, using it through the config, and readers' feedback
retraining it: all through the real `newsmon` entry point."""

from __future__ import annotations

import json
from pathlib import Path

from storage import Article, ArticleStore, Database
from storage.feedback import feedback_rows
from tests.helpers.workspace import REPO

# Our own labeled examples (the same ones the shipped model adds to the dev set).
EXAMPLES = REPO / "tools" / "relevance_examples.jsonl"
N_EXAMPLES = sum(1 for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip())

# Our own text: a Hanoi district's culture centre receives coaches of a Moscow
# chess school. A model trained on EXAMPLES takes it for Hanoi–Russia
# cooperation; the reader says a chess lesson is not city cooperation
# ("national" here, to see the label move).
TITLE = "Hoan Kiem district culture centre welcomes Russian chess coaches"
BODY = (
    "The Hoan Kiem district culture centre in Hanoi received two coaches from a Moscow chess school on "
    "Sunday.\nThe Russian coaches gave a lesson to young players and the two sides agreed to exchange "
    "students next summer."
)


def seed(workspace) -> int:
    db = Database(workspace.db_url)
    saved = ArticleStore(db).save(
        Article(
            url="https://hanoitimes.vn/chess.1.html",
            canonical_url="",
            source="hanoitimes",
            title=TITLE,
            body=BODY,
            language="en",
        )
    )
    db.dispose()
    return saved.article_id


def test_train_use_feedback_retrain(workspace) -> None:
    model = workspace.path / "my-model.npz"
    trained = workspace.run("train-relevance", str(EXAMPLES), "--out", str(model), check=True)
    assert model.exists() and f"trained on {N_EXAMPLES} texts" in trained.stdout

    workspace.write_config('[relevance]\nmodel_file = "my-model.npz"\n')
    article_id = seed(workspace)
    first = workspace.run_json("rescore", "--json", check=True)[0]
    assert first["label_changes"] == {"unjudged→core": 1}

    noted = workspace.run(
        "feedback",
        str(article_id),
        "--label",
        "national",
        "--note",
        "players, not the city",
        "--who",
        "analyst",
        check=True,
    )
    assert "core -> national" in noted.stdout
    rows = feedback_rows(Database(workspace.db_url))
    assert [(r.article_id, r.label, r.previous_label, r.who, r.note) for r in rows] == [
        (article_id, "national", "core", "analyst", "players, not the city")
    ]
    assert rows[0].created_at is not None

    before = json.loads(workspace.run("eval-relevance", "--feedback", "--json", check=True).stdout)
    assert before["n"] == 1 and before["misjudged"][0]["predicted"] == "core"

    # No --out: the model named in the config is replaced.
    retrained = workspace.run("train-relevance", str(EXAMPLES), "--with-feedback", check=True)
    assert "1 from feedback" in retrained.stdout
    second = workspace.run_json("rescore", "--json", check=True)[0]
    assert second["label_changes"] == {"core→national": 1}
    assert second["version"] != first["version"]
    stored = ArticleStore(Database(workspace.db_url)).get(article_id)
    assert stored.label == "national" and stored.relevance_version == second["version"]
    after = json.loads(workspace.run("eval-relevance", "--feedback", "--json", check=True).stdout)
    assert after["misjudged"] == [] and after["model_version"] == second["version"]

    # classify reads the same config and keeps its output format.
    out = workspace.run_json(
        "classify", "--json", input=json.dumps({"id": "x", "title": TITLE, "text": BODY}) + "\n"
    )
    assert list(out[0]) == ["id", "label", "score", "reasons", "version"] and out[0]["label"] == "national"
    assert out[0]["version"] == second["version"]


def test_feedback_for_unknown_article_is_a_clear_error(workspace) -> None:
    result = workspace.run("feedback", "12345", "--label", "core")
    assert result.returncode == 1 and "no stored article 12345" in result.stderr
    bad = workspace.run("feedback", "1", "--label", "maybe")
    assert bad.returncode == 2


def test_cross_validation_through_the_command(workspace) -> None:
    result = json.loads(
        workspace.run("eval-relevance", str(EXAMPLES), "--cv", "3", "--json", check=True).stdout
    )
    assert result["n"] == N_EXAMPLES and result["cv"]["k"] == 3
    assert sum(result["labels"][lab]["support"] for lab in ("core", "national", "none")) == N_EXAMPLES
    spread = result["cv"]["folds"]["core"]["recall"]
    assert spread["min"] <= spread["mean"] <= spread["max"]
    # Another seed is another assignment of texts to folds, said in the heading.
    plain = workspace.run("eval-relevance", str(EXAMPLES), "--cv", "3", "--seed", "1", check=True)
    assert "3-fold cross-validation (seed 1)" in plain.stdout and "±" in plain.stdout


def test_bad_model_file_is_a_clear_error(workspace, tmp_path: Path) -> None:
    (workspace.path / "broken.npz").write_bytes(b"not a zip")
    workspace.write_config('[relevance]\nmodel_file = "broken.npz"\n')
    result = workspace.run("classify", input='{"id": 1, "title": "t", "text": "x"}\n')
    assert result.returncode == 1 and "not a newsmon relevance model" in result.stderr
    workspace.write_config('[relevance]\nmodel_file = "missing.npz"\n')
    result = workspace.run("rescore")
    assert result.returncode == 1 and "missing.npz does not exist" in result.stderr
