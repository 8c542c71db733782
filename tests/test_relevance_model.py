"""Hard cases of the relevance model, one small hand-written example each, per language."""

from __future__ import annotations

import dataclasses
import unicodedata
from pathlib import Path

import pytest

from monitor.relevance import Judgement, Reason, RelevanceModel


@pytest.fixture(scope="module")
def model() -> RelevanceModel:
    return RelevanceModel.load()


def sides(j: Judgement, side: str, counted: bool = True) -> list[str]:
    """Phrases the judgement attributes to a side (only those that counted)."""
    return [r.phrase for r in j.reasons if r.side == side and (r.weight > 0 or not counted)]


# --------------------------------------------------------------- Vietnamese

VI_CORE_TITLE = "Hà Nội và Mát-xcơ-va ký kết chương trình hợp tác giai đoạn mới"
VI_CORE_BODY = (
    "Sáng 12/3, Chủ tịch UBND thành phố Hà Nội đã tiếp đoàn đại biểu Chính quyền thành phố Mát-xcơ-va "
    "(Liên bang Nga) do Bộ trưởng Chính phủ Mát-xcơ-va dẫn đầu.\n"
    "Hai bên đã ký kết bản ghi nhớ hợp tác về giao thông đô thị, y tế và giáo dục giữa hai thủ đô.\n"
    "Lãnh đạo thành phố Hà Nội mong muốn các doanh nghiệp Nga tăng cường đầu tư vào Thủ đô trong thời gian tới."
)


def strip_accents(s: str) -> str:
    s = s.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))


def test_vi_core_with_diacritics(model: RelevanceModel) -> None:
    j = model.judge(VI_CORE_TITLE, VI_CORE_BODY, lang="vi")
    assert j.label == "core"
    assert any(
        r.side == "hanoi" and r.kind == "party" and r.field in ("title", "lead", "body") for r in j.reasons
    )
    assert any(r.side == "pair" and r.field == "title" for r in j.reasons)


def test_vi_core_without_diacritics(model: RelevanceModel) -> None:
    j = model.judge(strip_accents(VI_CORE_TITLE), strip_accents(VI_CORE_BODY), lang="vi")
    assert j.label == "core"
    assert "Ha Noi" in sides(j, "hanoi") or any("Ha Noi" in p for p in sides(j, "hanoi"))


def test_vi_core_in_decomposed_unicode(model: RelevanceModel) -> None:
    nfd_title = unicodedata.normalize("NFD", VI_CORE_TITLE)
    nfd_body = unicodedata.normalize("NFD", VI_CORE_BODY)
    assert nfd_title != VI_CORE_TITLE  # the input really is decomposed
    j = model.judge(nfd_title, nfd_body, lang="vi")
    assert j.label == "core"
    # Phrases are reported in composed form, as stored after normalisation.
    assert any(p == "Hà Nội" or "Hà Nội" in p for p in sides(j, "hanoi"))


@pytest.mark.parametrize(
    "sentence",
    [
        "Chị Nga bán hàng ở chợ Đồng Xuân, Hà Nội đã hơn hai mươi năm.",
        "Bà Nguyễn Thị Nga, Chủ tịch Hội Phụ nữ quận, phát biểu tại hội nghị ở Hà Nội.",
        "Đêm Trung thu, các em nhỏ ở Hà Nội nghe kể chuyện chị Hằng Nga và chú Cuội.",
        "Giám đốc sở Nguyễn Phương Nga làm việc với đoàn công tác tỉnh Hà Nam.",
        "Tai nạn xảy ra tại ngã ba Cầu Giấy, Hà Nội chiều qua.",
        "Đàn thiên nga trên hồ Tây thu hút du khách.",
    ],
)
def test_vi_nga_as_name_or_inside_words_is_not_russia(model: RelevanceModel, sentence: str) -> None:
    j = model.judge("Tin Hà Nội", sentence, lang="vi")
    assert sides(j, "russia", counted=False) == []
    assert j.label == "none"


@pytest.mark.parametrize(
    "sentence",
    [
        "Tổng thống Nga phát biểu tại hội nghị.",
        "Quan hệ Việt Nam - Nga phát triển tốt đẹp.",
        "Đoàn doanh nghiệp Nga đến làm việc.",
        "Nga và Việt Nam ký thỏa thuận mới.",
    ],
)
def test_vi_nga_as_russia(model: RelevanceModel, sentence: str) -> None:
    j = model.judge("", sentence, lang="vi")
    assert any(r.side == "russia" for r in j.reasons), j.reasons


def test_vi_thu_do_means_hanoi_but_not_other_capitals(model: RelevanceModel) -> None:
    j = model.judge(
        "", "Các doanh nghiệp Nga mong muốn đầu tư vào Thủ đô trong lĩnh vực công nghệ.", lang="vi"
    )
    assert "Thủ đô" in sides(j, "hanoi")
    j2 = model.judge("", "Nga tấn công thủ đô Kiev của Ukraine. Thủ đô Moskva đón tuyết đầu mùa.", lang="vi")
    assert sides(j2, "hanoi", counted=False) == []


@pytest.mark.parametrize(
    "spelling",
    [
        "Mát-xcơ-va",
        "Matxcơva",
        "Mátxcơva",
        "Moskva",
        "Xanh Pê-téc-bua",
        "Ca-lu-ga",
        "Tác-ta-xtan",
        "Mat-xco-va",
    ],
)
def test_vi_spellings_of_russian_places(model: RelevanceModel, spelling: str) -> None:
    j = model.judge("", f"Đoàn công tác đã đến thăm {spelling} vào tuần trước.", lang="vi")
    assert any(r.side == "russia" and r.phrase == spelling for r in j.reasons), j.reasons


def test_vi_meeting_in_hanoi_with_national_leaders_is_national(model: RelevanceModel) -> None:
    j = model.judge(
        "Chủ tịch nước tiếp Đại sứ Liên bang Nga",
        "Chiều 5/6, tại Phủ Chủ tịch ở Hà Nội, Chủ tịch nước đã tiếp Đại sứ Liên bang Nga tại Việt Nam nhân dịp "
        "kết thúc nhiệm kỳ công tác. Chủ tịch nước đánh giá cao đóng góp của Đại sứ vào quan hệ hợp tác Việt Nam - Nga.\n"
        "Hai bên nhất trí thúc đẩy hợp tác kinh tế, thương mại và đầu tư giữa hai nước.",
        lang="vi",
    )
    assert j.label == "national"


def test_vi_other_locality_with_russia_is_national(model: RelevanceModel) -> None:
    j = model.judge(
        "TP Hồ Chí Minh và Xanh Pê-téc-bua thúc đẩy hợp tác",
        "Đoàn đại biểu TP Hồ Chí Minh đã làm việc với Thống đốc Xanh Pê-téc-bua về hợp tác du lịch và giáo dục. "
        "Hai thành phố nhất trí ký kết chương trình hợp tác giai đoạn mới.",
        lang="vi",
    )
    assert j.label == "national"


# ------------------------------------------------------------------ Russian


@pytest.mark.parametrize("form", ["Ханой", "Ханоя", "Ханою", "Ханоем", "Ханое"])
def test_ru_hanoi_inflections(model: RelevanceModel, form: str) -> None:
    j = model.judge("", f"Речь шла о городе {form} и его жителях.", lang="ru")
    assert any(form in p for p in sides(j, "hanoi")), j.reasons


@pytest.mark.parametrize(
    "form",
    [
        "Россия",
        "России",
        "Россию",
        "российский",
        "российско-вьетнамский",
        "Москва",
        "Москвы",
        "Москве",
        "Москвой",
        "Калуга",
        "Калужской",
        "Санкт-Петербурга",
        "Татарстана",
    ],
)
def test_ru_russia_inflections(model: RelevanceModel, form: str) -> None:
    j = model.judge("", f"Об этом говорили так: {form} — и больше ничего.", lang="ru")
    assert any(form.split("-")[0] in p for p in sides(j, "russia")), j.reasons


def test_ru_core_city_to_city(model: RelevanceModel) -> None:
    j = model.judge(
        "Москва и Ханой расширяют сотрудничество",
        "Мэр Москвы встретился с председателем Народного комитета Ханоя. Стороны подписали меморандум о "
        "сотрудничестве в сфере транспорта и образования.\n"
        "Власти Ханоя предложили провести Дни Москвы в Ханое в следующем году, а правительство Москвы "
        "поддержало обмен делегациями между двумя столицами.",
        lang="ru",
    )
    assert j.label == "core"


def test_ru_moscow_and_hanoi_as_the_two_states_is_national(model: RelevanceModel) -> None:
    j = model.judge(
        "Москва и Ханой договорились о сотрудничестве в энергетике",
        "Межправительственное соглашение подписано между странами в ходе официального визита министра "
        "иностранных дел России во Вьетнам. Президент Вьетнама назвал документ важным для двустороннего "
        "сотрудничества.",
        lang="ru",
    )
    assert j.label == "national"


def test_ru_hanoi_dateline_about_russia_and_ukraine_is_none(model: RelevanceModel) -> None:
    j = model.judge(
        "Обстрелы продолжаются",
        "Ханой, 5 мая (ВИА) – Россия нанесла новые удары по Украине, сообщили украинские власти. "
        "Беспилотники атаковали Киев ночью, пострадали жилые дома.",
        lang="ru",
    )
    assert j.label == "none"
    assert any(r.phrase == "Ханой" and r.kind == "dateline" and r.weight == 0 for r in j.reasons)


# ------------------------------------------------------------------ English


@pytest.mark.parametrize(
    "text,side,phrase",
    [
        ("Officials in Ha Noi said so.", "hanoi", "Ha Noi"),
        ("Hanoi's plans were discussed.", "hanoi", "Hanoi"),
        ("The Russian Federation said so.", "russia", "Russian Federation"),
        ("Officials from the Russian Embassy attended.", "russia", "Russian Embassy"),
        ("Moscow's mayor spoke.", "russia", "Moscow"),
    ],
)
def test_en_variants(model: RelevanceModel, text: str, side: str, phrase: str) -> None:
    j = model.judge("", text, lang="en")
    assert any(phrase in p for p in sides(j, side)), j.reasons


def test_en_core(model: RelevanceModel) -> None:
    j = model.judge(
        "Hanoi, Moscow sign cooperation plan",
        "The Chairman of the Hanoi People's Committee and the Mayor of Moscow signed a memorandum of understanding "
        "on cooperation for 2026-2028 on Monday.\n"
        "Under the plan, the two cities will exchange delegations and promote trade and investment.\n"
        "The Hanoi side proposed that Moscow share its experience in smart city building.",
        lang="en",
    )
    assert j.label == "core"
    assert j.score >= 0.6
    assert any(r.field == "title" for r in j.reasons)


def test_en_hanoi_dateline_about_russia_and_ukraine_is_none(model: RelevanceModel) -> None:
    j = model.judge(
        "Russia launches new strikes on Ukraine",
        "Hanoi (VNA) – Russia launched a wave of drones and missiles at Kyiv overnight, Ukrainian officials said.\n"
        "The attack damaged apartment buildings and killed two people, according to the city administration.",
        lang="en",
    )
    assert j.label == "none"
    assert all(r.weight == 0 for r in j.reasons if r.side == "hanoi")


def test_en_meeting_merely_in_hanoi_is_national(model: RelevanceModel) -> None:
    j = model.judge(
        "Prime Minister receives Russian ambassador",
        "Prime Minister received Russian Ambassador in Hanoi on Tuesday. The two sides agreed to boost "
        "Vietnam-Russia cooperation in energy, trade and education.\n"
        "The Prime Minister asked Russian businesses to invest more in Vietnam.",
        lang="en",
    )
    assert j.label == "national"


def test_en_far_apart_mentions_are_not_core(model: RelevanceModel) -> None:
    body = (
        "Traffic on the Hanoi ring road was slow this morning as the city repaired two bridges. "
        "The Hanoi People's Committee said work would finish next month.\n"
        + "Commuters were advised to take buses. " * 20
        + "\nIn other news, Russia signed a trade agreement with Brazil on grain exports."
    )
    j = model.judge("Hanoi repairs bridges", body, lang="en")
    assert j.label != "core"


def test_en_boilerplate_links_do_not_count(model: RelevanceModel) -> None:
    body = (
        "Hanoi and Tokyo agreed to expand cooperation in urban planning, the Hanoi People's Committee said. "
        "The two cities signed a memorandum on environment and transport.\n"
        "Related news\n"
        "Hanoi, Moscow boost cooperation\n"
        "Hanoi People's Committee receives Russian delegation\n"
        "Share | Tweet | Email"
    )
    j = model.judge("Hanoi and Tokyo expand ties", body, lang="en")
    assert j.label == "none"
    assert all(r.weight == 0 for r in j.reasons if r.side == "russia")


def test_en_moscow_alone_with_other_countries_is_none(model: RelevanceModel) -> None:
    j = model.judge(
        "Moscow hosts municipal forum",
        "Delegations from many cities in Asia and Africa will attend a municipal forum in Moscow, the Moscow "
        "government said. The forum will discuss infrastructure and cooperation between cities.",
        lang="en",
    )
    assert j.label == "none"


# ---------------------------------------------------------------------- API


def test_judgement_round_trip_and_ranges(model: RelevanceModel) -> None:
    j = model.judge(VI_CORE_TITLE, VI_CORE_BODY)
    assert 0.0 <= j.score <= 1.0
    d = j.to_dict()
    assert set(d) >= {"label", "score", "reasons"}
    assert all({"phrase", "side", "field"} <= set(r) for r in d["reasons"])
    back = Judgement.from_dict(d)
    assert back.label == j.label and back.score == pytest.approx(j.score, abs=1e-4)
    assert back.reasons == [Reason.from_dict(r) for r in d["reasons"]]
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.reasons[0].phrase = "x"  # type: ignore[misc]


def test_scores_order_labels(model: RelevanceModel) -> None:
    core = model.judge(VI_CORE_TITLE, VI_CORE_BODY)
    none = model.judge("Giá lúa tăng", "Giá lúa tại đồng bằng sông Cửu Long tăng nhẹ trong tuần qua.")
    assert core.label == "core" and none.label == "none"
    assert core.score > 0.6 > 0.3 > none.score


def test_extra_terms_extend_the_model_and_change_version(model: RelevanceModel, tmp_path: Path) -> None:
    text = "Arkhangelsk governor met the Hanoi People's Committee chairman to sign a cooperation agreement."
    assert not any("Arkhangelsk" in r.phrase for r in model.judge("", text).reasons)
    extra = tmp_path / "mine.toml"
    extra.write_text(
        '[aliases]\nrcity = ["arkhangelsk"]\n\n[[terms]]\nside = "russia"\nkind = "city"\nweight = 1.0\n'
        'phrases = ["arkhangelsk"]\n',
        encoding="utf-8",
    )
    m2 = RelevanceModel.load(extra)
    assert m2.version != model.version
    assert any("Arkhangelsk" in r.phrase and r.side == "russia" for r in m2.judge("", text).reasons)
    assert RelevanceModel.load().version == model.version  # stable across loads


def test_bad_extra_terms_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[terms]]\nside = "mars"\nphrases = ["x"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.toml"):
        RelevanceModel.load(bad)


# ------------------------------------------------- institutions and headings


@pytest.mark.parametrize(
    "title,body,lang",
    [
        (
            "Hanoi Medical University and a Kazan university agree on exchanges",
            "Hanoi Medical University and Kazan Federal University signed a cooperation agreement on student "
            "exchanges.\nHanoi Medical University will send interns to Kazan, and the Russian partner will open "
            "a joint laboratory.",
            "en",
        ),
        (
            "Đại học Y Hà Nội hợp tác với đại học Ca-dan",
            "Trường Đại học Y Hà Nội và Đại học Liên bang Ca-dan (Liên bang Nga) đã ký thỏa thuận hợp tác đào tạo.\n"
            "Theo thỏa thuận, Đại học Y Hà Nội sẽ cử sinh viên sang Ca-dan thực tập.",
            "vi",
        ),
    ],
)
def test_hanoi_named_with_an_institution_is_a_party(
    model: RelevanceModel, title: str, body: str, lang: str
) -> None:
    j = model.judge(title, body, lang=lang)
    assert j.label == "core"
    assert any(r.side == "hanoi" and r.kind == "party" for r in j.reasons)


def test_city_pair_at_paragraph_start_is_not_a_dateline(model: RelevanceModel) -> None:
    j = model.judge("", "Hà Nội - Mát-xcơ-va: hợp tác ngày càng sâu rộng giữa hai thủ đô.", lang="vi")
    assert not any(r.kind == "dateline" for r in j.reasons)
    assert any(r.side == "pair" for r in j.reasons)


def test_russia_in_headline_without_cooperation_words_is_national_when_body_cooperates(
    model: RelevanceModel,
) -> None:
    j = model.judge(
        "Trường đại học Nga tuyển sinh viên Việt Nam",
        "Đại sứ quán Nga thông báo học bổng năm 2026 cho sinh viên Việt Nam.\n"
        "Chương trình hợp tác giáo dục giữa hai nước được đánh giá cao.",
        lang="vi",
    )
    assert j.label == "national"
