"""The trained classifier: its file format, determinism, folds, and the rule steps it reads."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from monitor.relevance import RelevanceModel
from monitor.relevance.classifier import ModelFileError, RelevanceClassifier, TrainingText, folds
from monitor.relevance.evidence import collect, decide, weigh
from monitor.relevance.model import SHIPPED_MODEL
from monitor.relevance.text import prepare
from tests.helpers.workspace import REPO


@pytest.fixture(scope="module")
def rules() -> RelevanceModel:
    return RelevanceModel.load(rules_only=True)


def test_shipped_model_is_what_the_script_makes(shared_eval: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.npz"
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "train_relevance_model.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    shipped, made = RelevanceClassifier.load(SHIPPED_MODEL), RelevanceClassifier.load(out)
    assert shipped.vocabulary == made.vocabulary and shipped.meta == made.meta
    for name in ("ev_mean", "ev_scale", "ev_coef", "text_coef", "intercept"):
        # Same input, same weights (up to the last bits a different BLAS may give).
        np.testing.assert_allclose(getattr(made, name), getattr(shipped, name), rtol=1e-6, atol=1e-8)
    own = (REPO / "tools" / "relevance_examples.jsonl").read_text(encoding="utf-8").splitlines()
    assert shipped.meta["texts"] == 151 + sum(1 for line in own if line.strip())
    # Run twice here, the file is the same byte for byte (fixed zip times, sorted vocabulary).
    again = tmp_path / "again.npz"
    made.save(again)
    assert again.read_bytes() == out.read_bytes()


def test_model_file_holds_no_pickle() -> None:
    with zipfile.ZipFile(SHIPPED_MODEL) as zf:
        names = sorted(zf.namelist())
        assert names == [
            "ev_coef.npy",
            "ev_mean.npy",
            "ev_scale.npy",
            "intercept.npy",
            "model.json",
            "text_coef.npy",
        ]
    # numpy refuses pickled objects when allow_pickle is False: every array loads that way.
    with np.load(SHIPPED_MODEL, allow_pickle=False) as arrays:
        assert arrays["text_coef"].dtype == np.float64


def test_model_version_names_terms_and_weights(rules: RelevanceModel, tmp_path: Path) -> None:
    shipped = RelevanceModel.load()
    assert shipped.version != rules.version
    assert shipped.judge("Hanoi", "Moscow").version == shipped.version
    # Other weights, other version.
    clf = RelevanceClassifier.load(SHIPPED_MODEL)
    clf.intercept = clf.intercept + np.array([0.5, 0.0, 0.0])
    clf.digest = ""
    clf.__post_init__()
    assert rules.with_classifier(clf).version != shipped.version


def test_malformed_model_files(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="no such model file"):
        RelevanceClassifier.load(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ModelFileError, match="not a newsmon relevance model"):
        RelevanceClassifier.load(bad)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(ModelFileError):
        RelevanceClassifier.load(other)


def test_training_needs_every_label(rules: RelevanceModel) -> None:
    from monitor.relevance.training import train_model

    texts = [
        TrainingText(
            title="Hanoi and Moscow sign deal",
            text="Hanoi People's Committee and Moscow sign.",
            label="core",
            id="a",
        )
    ]
    with pytest.raises(ValueError, match="national, none"):
        train_model(rules, texts)


def test_folds_keep_near_copies_together_and_stratify() -> None:
    texts = [
        TrainingText(title=f"t{n}", text="x", label=lab, lang=lang, id=f"{lab}-{lang}-{n}")
        for lab in ("core", "national", "none")
        for lang in ("vi", "en", "ru")
        for n in range(5)
    ]
    dup = {"core-en-1": "core-en-0", "none-ru-4": "none-ru-2"}
    fold_of = folds(texts, 5, dup)
    by_id = dict(zip((t.id for t in texts), fold_of))
    assert by_id["core-en-1"] == by_id["core-en-0"] and by_id["none-ru-4"] == by_id["none-ru-2"]
    # Every label-language stratum of 5 spreads over at least 4 folds (one pair shares a fold).
    for lab in ("core", "national", "none"):
        for lang in ("vi", "en", "ru"):
            assert len({by_id[f"{lab}-{lang}-{n}"] for n in range(5)}) >= 4
    assert folds(texts, 5, dup) == fold_of  # deterministic
    assert sorted(set(fold_of)) == [0, 1, 2, 3, 4]


# ------------------------------------------------ the rule steps, one by one
TITLE = "Hanoi, Moscow sign cooperation plan"
BODY = (
    "HANOI (VNA) - The Hanoi People's Committee and the Moscow city government signed a cooperation "
    "plan on Monday.\nThe two cities agreed to cooperate in education and transport."
)


def _mentions(model: RelevanceModel, title: str, body: str):
    prep = prepare(title, body)
    return prep, collect(prep, model._find(prep))


def test_collect_zeroes_datelines_and_names_hanoi_bodies(rules: RelevanceModel) -> None:
    prep, mentions = _mentions(rules, TITLE, BODY)
    text = {(prep.text[prep.starts[m.i] : prep.ends[m.j - 1]], m.side, m.kind): m.weight for m in mentions}
    assert text[("HANOI", "hanoi", "dateline")] == 0.0
    assert any(side == "hanoi" and kind == "party" and w > 0 for (_, side, kind), w in text.items())
    assert all(m.side != "institution" for m in mentions)  # institution words only mark names
    # Title words weigh more than the same words below it.
    title_w = max(m.weight for m in mentions if prep.units[m.unit].field == "title" and m.side == "russia")
    body_w = max(m.weight for m in mentions if prep.units[m.unit].field != "title" and m.side == "russia")
    assert title_w > body_w


def test_collect_gives_unnamed_city_bodies_to_the_main_city(rules: RelevanceModel) -> None:
    body = (
        "UBND thành phố Đà Nẵng làm việc với đoàn Vladivostok. Chủ tịch UBND thành phố cho biết "
        "hai bên hợp tác du lịch."
    )
    _, mentions = _mentions(rules, "Đà Nẵng hợp tác với Vladivostok", body)
    bodies = [m for m in mentions if m.kind == "city_body"]
    assert bodies and all(m.side == "locality" for m in bodies)


def test_weigh_links_sides_by_sentence(rules: RelevanceModel) -> None:
    prep, mentions = _mentions(rules, TITLE, BODY)
    ev = weigh(prep, mentions)
    assert ev.russia > 0 and ev.hanoi_party > 0 and ev.coop > 0 and ev.core_link > 0 and ev.core_units >= 1
    # Split the two sides into separate paragraphs without cooperation words: no link.
    prep2, mentions2 = _mentions(rules, "News", "The Hanoi People's Committee met.\n\nMoscow had snow.")
    ev2 = weigh(prep2, mentions2)
    assert ev2.core_link == 0 and ev2.core_units == 0
    assert len(ev.features()) == len(ev2.features())


def _evidence(model: RelevanceModel, title: str, body: str):
    prep, mentions = _mentions(model, title, body)
    return weigh(prep, mentions)


def test_weigh_tells_russian_parties_from_the_word_russian(rules: RelevanceModel) -> None:
    # A Hanoi party next to a Russian party (a city government) is linked...
    ev = _evidence(rules, TITLE, BODY)
    assert ev.russia_party > 0 and ev.party_units >= 1 and ev.party_coop_units >= 1
    # ...a Hanoi party next to the mere adjective is not.
    words = _evidence(
        rules,
        "Hanoi leaders lay flowers at the Lenin monument",
        "Hanoi Party Committee leaders laid flowers at the monument on the anniversary of the Russian revolution.",
    )
    assert words.russia > 0 and words.hanoi_party > 0
    assert words.russia_party == 0 and words.party_units == 0 and words.commemoration > 0
    # A Russian city before an institution word names a Russian body.
    dept = _evidence(rules, "Выставка", "Департамент культуры Москвы открыл выставку о Пушкине в Ханое.")
    assert dept.russia_party > 0


def test_weigh_marks_russian_bodies_in_hanoi_and_third_countries(rules: RelevanceModel) -> None:
    house = _evidence(
        rules, "Film week", "The Russian House in Hanoi opened a week of Russian films for students."
    )
    assert house.russia_in_hanoi == 1 and house.hanoi_party == 0 and house.party_units == 0
    third = _evidence(
        rules, "Moscow and Beijing sign a metro agreement", "The Moscow government and Beijing signed it."
    )
    assert third.third > 0 and third.head_third > 0 and third.third_russia_units >= 1
    # Hanoi and Moscow named as one (a building) make neither city's body a party.
    bldg = _evidence(rules, "Торговый центр «Ханой-Москва»", "Торговый центр «Ханой-Москва» открыт.")
    assert bldg.hanoi_party == 0 and bldg.russia_party == 0


def test_decide_is_the_rule(rules: RelevanceModel) -> None:
    prep, mentions = _mentions(rules, TITLE, BODY)
    label, score = decide(weigh(prep, mentions))
    assert label == "core" and 0.6 <= score <= 1.0
    prep, mentions = _mentions(rules, "Hanoi traffic", "Hanoi's ring road 4 will open next year.")
    label, score = decide(weigh(prep, mentions))
    assert label == "none" and score < 0.3


def test_a_hanoi_moscow_name_beside_a_building_word_is_a_name_not_the_cities(rules: RelevanceModel) -> None:
    # With the Moscow mayor speaking (city-level framing), a centre named
    # "Hanoi-Moscow" still makes no Hanoi party...
    named = _evidence(
        rules,
        "Moscow mayor opens the Hanoi-Moscow complex",
        "The mayor of Moscow opened the Hanoi-Moscow complex, a hotel and trade centre, on Friday.",
    )
    assert named.hanoi_party == 0 and named.pair > 0 and not named.both_parties
    # ...while "Hanoi-Moscow cooperation" is the two cities.
    framing = _evidence(
        rules,
        "Hanoi-Moscow cooperation",
        "The mayor of Moscow and the Hanoi People's Committee reviewed Hanoi-Moscow cooperation on Friday.",
    )
    assert framing.hanoi_party > 0 and framing.both_parties


@pytest.mark.parametrize(
    "title,body",
    [
        ("Hanoitourist ký hợp đồng", "Hanoitourist ký hợp đồng với Công ty lữ hành Sever của Nga."),
        ("Hanoi firm signs deal", "A Hanoi firm signed a deal with a Russian tour company on Friday."),
        ("Ханойская фирма", "Ханойская фирма подписала договор с российской туристической компанией."),
    ],
    ids=["vi", "en", "ru"],
)
def test_russian_next_to_an_institution_word_is_a_russian_party(
    rules: RelevanceModel, title: str, body: str
) -> None:
    # A firm the terms do not know by name, made Russian by "Nga"/"Russian".
    ev = _evidence(rules, title, body)
    assert ev.russia_party > 0, [(m.side, m.kind) for m in ev.mentions]
    # The language, or a centre that studies Russia, is not a Russian body.
    for text in (
        "Khoa tiếng Nga Trường Đại học Hà Nội tổ chức hội thảo.",
        "Trung tâm nghiên cứu Nga của Viện Hàn lâm tổ chức hội thảo.",
        "A Russian studies centre opened at a Hanoi university.",
    ):
        assert _evidence(rules, "Hội thảo", text).russia_party == 0, text


def test_core_needs_a_russian_party_not_the_word_russia(rules: RelevanceModel) -> None:
    title = "Hanoi youth union holds a contest on Vietnam-Russia friendship"
    body = (
        "The Hanoi Youth Union held a contest on the history of Vietnam-Russia friendship and cooperation "
        "for students of the city's universities.\nThe Hanoi Youth Union will hold the contest every year."
    )
    ev = _evidence(rules, title, body)
    assert ev.hanoi_party > 0 and ev.russia > 0 and ev.russia_party == 0 and not ev.both_parties
    assert decide(ev)[0] != "core"
    assert RelevanceModel.load().judge(title, body).label != "core"
