"""`classify` and `eval-relevance` through click, and once through the real `newsmon` entry point."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.commands import relevance as rel_cmds
from monitor.commands.relevance import classify, eval_relevance, feedback, train_relevance
from tests.helpers.workspace import newsmon_command

CORE = {
    "id": "a1",
    "title": "Hanoi, Moscow sign cooperation plan",
    "text": "The Chairman of the Hanoi People's Committee and the Mayor of Moscow signed a memorandum on "
    "cooperation on Monday.\nThe two cities will exchange delegations and promote trade and investment.",
    "lang": "en",
}
NONE = {
    "id": 7,
    "title": "Rice prices rise",
    "text": "Rice prices in the Mekong Delta rose slightly this week.",
}
NATIONAL = {
    "id": "n1",
    "title": "Vietnam, Russia boost energy cooperation",
    "text": "Vietnam and Russia agreed to boost cooperation in energy and trade during the Prime Minister's "
    "official visit to Moscow. The two countries signed three agreements.",
}


def run(cmd, args: list[str], stdin: str = ""):
    return CliRunner().invoke(cmd, args, input=stdin)


def test_commands_list_is_exported() -> None:
    assert rel_cmds.commands == [classify, eval_relevance, train_relevance, feedback]
    assert eval_relevance.name == "eval-relevance" and classify.name == "classify"


def test_classify_json_lines() -> None:
    stdin = "\n".join(json.dumps(r) for r in (CORE, NONE, NATIONAL)) + "\n"
    res = run(classify, ["--json"], stdin)
    assert res.exit_code == 0, res.output
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a1", 7, "n1"]
    assert [o["label"] for o in out] == ["core", "none", "national"]
    assert all(0 <= o["score"] <= 1 and isinstance(o["reasons"], list) for o in out)
    assert any(r["side"] == "hanoi" and r["field"] == "title" for r in out[0]["reasons"])


def test_classify_reports_bad_lines_and_goes_on() -> None:
    stdin = "\n".join(
        [json.dumps(CORE), "{not json", json.dumps({"id": "x", "title": "no text"}), "", json.dumps(NONE)]
    )
    res = run(classify, ["--json"], stdin)
    assert res.exit_code == 1
    assert [json.loads(line)["id"] for line in res.stdout.splitlines()] == ["a1", 7]
    assert "line 2:" in res.stderr and "invalid JSON" in res.stderr
    assert "line 3:" in res.stderr and "text" in res.stderr


def test_classify_plain_output_is_tab_separated() -> None:
    res = run(classify, [], json.dumps(CORE) + "\n")
    assert res.exit_code == 0
    fields = res.stdout.strip().split("\t")
    assert fields[0] == "a1" and fields[1] == "core" and 0.6 <= float(fields[2]) <= 1.0


def test_classify_uses_extra_terms(tmp_path: Path) -> None:
    terms = tmp_path / "t.toml"
    terms.write_text(
        '[[terms]]\nside = "russia"\nkind = "city"\nphrases = ["arkhangelsk"]\n', encoding="utf-8"
    )
    rec = {"id": 1, "title": "", "text": "Arkhangelsk officials arrived."}
    plain = json.loads(run(classify, ["--json"], json.dumps(rec)).stdout)
    extended = json.loads(run(classify, ["--json", "--terms", str(terms)], json.dumps(rec)).stdout)
    assert not any(r["phrase"] == "Arkhangelsk" for r in plain["reasons"])
    assert any(r["phrase"] == "Arkhangelsk" for r in extended["reasons"])


def _labeled(tmp_path: Path) -> Path:
    rows = [
        dict(CORE, label="core"),
        dict(NONE, label="other"),
        dict(NATIONAL, label="core"),
        {"id": "u", "title": "t", "text": "x"},
    ]
    p = tmp_path / "gold.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return p


def test_eval_relevance_tables(tmp_path: Path) -> None:
    res = run(eval_relevance, [str(_labeled(tmp_path))])
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "3 labeled articles" in out and "1 unlabeled" in out
    assert "precision" in out and "confusion" in out
    assert "n1: core -> national" in out
    core_row = next(line for line in out.splitlines() if line.startswith("core ") and "." in line)
    assert core_row.split()[1:3] == ["1.000", "0.500"]  # P=1/1, R=1/2


def test_eval_relevance_json(tmp_path: Path) -> None:
    res = run(eval_relevance, ["--json", str(_labeled(tmp_path))])
    data = json.loads(res.stdout)
    assert data["n"] == 3
    assert data["confusion"]["core"]["national"] == 1
    assert data["confusion"]["none"]["none"] == 1
    assert data["misjudged"] == [
        {
            "id": "n1",
            "gold": "core",
            "predicted": "national",
            "score": pytest.approx(data["misjudged"][0]["score"]),
        }
    ]
    assert data["labels"]["none"]["f1"] == 1.0


def test_eval_relevance_bad_line_exit_1(tmp_path: Path) -> None:
    p = tmp_path / "g.jsonl"
    p.write_text(json.dumps(dict(NONE, label="none")) + "\n[1,2]\n", encoding="utf-8")
    res = run(eval_relevance, [str(p)])
    assert res.exit_code == 1
    assert "line 2:" in res.stderr


@pytest.mark.slow
def test_classify_through_the_real_entry_point() -> None:
    stdin = json.dumps(CORE) + "\n" + "oops\n"
    proc = subprocess.run(
        newsmon_command("classify", "--json"), input=stdin, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    assert json.loads(proc.stdout.splitlines()[0])["label"] == "core"
    assert "line 2:" in proc.stderr
