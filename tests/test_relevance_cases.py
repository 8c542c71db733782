"""Short hand-written articles of the kinds real Hanoi–Russia coverage takes,
beyond the hard cases in test_relevance_model.py: Hanoi departments, wards,
universities and firms; Russian regions, universities and firms; Russian
House events with and without a Hanoi partner; wire copy phrasing of
VNA/VietnamPlus/Hanoi Times and of Russian-language outlets. Each is one
label decision the rules must get right in the given language.
"""

from __future__ import annotations

import pytest

from monitor.relevance import RelevanceModel


@pytest.fixture(scope="module")
def model() -> RelevanceModel:
    # These cases pin the hand-written rules (the evidence and reasons readers
    # see, and the classifier's strongest features); the trained classifier's
    # own mistakes are in test_relevance_mistakes.py.
    return RelevanceModel.load(rules_only=True)


CORE = [
    (
        "vi",
        "Sở Văn hóa và Thể thao Hà Nội phối hợp với Nhà Nga tổ chức Ngày văn hóa Nga",
        (
            "Sáng 8/10, Sở Văn hóa và Thể thao Hà Nội phối hợp với Trung tâm Khoa học và Văn hóa Nga tổ chức Ngày văn hóa Nga tại Hoàng thành Thăng Long.\n"
            "Chương trình gồm triển lãm ảnh, biểu diễn nghệ thuật và giới thiệu ẩm thực Nga tới người dân Thủ đô.\n"
            "Giám đốc Sở cho biết, hai bên sẽ tiếp tục phối hợp tổ chức các hoạt động giao lưu văn hóa thường niên."
        ),
    ),
    (
        "vi",
        "Đại học Bách khoa Hà Nội ký thỏa thuận hợp tác với Đại học Kỹ thuật Quốc gia Bauman",
        (
            "Trường Đại học Bách khoa Hà Nội và Đại học Kỹ thuật Quốc gia Bauman (Mát-xcơ-va, Liên bang Nga) vừa ký thỏa thuận hợp tác đào tạo kỹ sư.\n"
            "Theo thỏa thuận, hằng năm hai trường sẽ trao đổi giảng viên và sinh viên, cùng triển khai các đề tài nghiên cứu chung về cơ khí và tự động hóa."
        ),
    ),
    (
        "en",
        "Hanoi trade department hosts Tatarstan business delegation",
        (
            "Hanoi's Department of Industry and Trade on Tuesday received a delegation of 20 businesses from the Republic of Tatarstan, Russia.\n"
            "The two sides discussed cooperation in food processing, petrochemicals and logistics, and agreed to hold a business matching event in Kazan next spring.\n"
            "The department's director said Hanoi firms were keen to find Russian partners."
        ),
    ),
    (
        "en",
        "VNU Hanoi, Saint Petersburg State University sign academic deal",
        (
            "Vietnam National University, Hanoi and Saint Petersburg State University signed an agreement on joint training and research on Monday.\n"
            "Under the deal, the two universities will exchange lecturers and offer joint master's programmes in Russian studies."
        ),
    ),
    (
        "ru",
        "Ханойский политехнический университет и МГТУ имени Баумана подписали соглашение",
        (
            "Ханойский политехнический университет и МГТУ имени Баумана подписали соглашение о сотрудничестве в подготовке инженеров.\n"
            "Стороны договорились об обмене преподавателями и студентами, а также о совместных исследованиях в области робототехники."
        ),
    ),
    (
        "ru",
        "Губернатор Калужской области встретился с руководством Ханоя",
        (
            "Председатель Народного комитета Ханоя принял делегацию Калужской области во главе с губернатором.\n"
            "Стороны обсудили расширение торгово-экономического сотрудничества, инвестиции калужских компаний в индустриальные парки Ханоя и обмен делегациями.\n"
            "По итогам встречи подписан план действий на 2026-2027 годы."
        ),
    ),
    (
        "en",
        "Russian firms seek partners at Hanoi business matching event",
        (
            "More than 40 Russian enterprises met Hanoi companies at a business matching event organised by the Hanoi Business Association on Thursday.\n"
            "The association's chairman said Hanoi businesses wanted to boost exports of farm products to Russia and attract Russian investment in manufacturing.\n"
            "The Russian side proposed setting up a joint working group to follow up on the deals discussed."
        ),
    ),
    (
        "vi",
        "Hội Hữu nghị Việt - Nga thành phố Hà Nội gặp mặt kỷ niệm Quốc khánh Nga",
        (
            "Chiều 11/6, Hội Hữu nghị Việt - Nga thành phố Hà Nội phối hợp với Đại sứ quán Liên bang Nga tại Việt Nam tổ chức buổi gặp mặt kỷ niệm Ngày nước Nga.\n"
            "Phát biểu tại buổi gặp mặt, Chủ tịch Hội khẳng định sẽ tiếp tục làm cầu nối giao lưu hữu nghị giữa nhân dân Thủ đô và nhân dân Nga.\n"
            "Đại sứ Nga cảm ơn Hội đã đóng góp vào quan hệ hữu nghị hai nước."
        ),
    ),
    (
        "vi",
        "Phường Ba Đình tiếp đoàn công tác quận Arbat của Mát-xcơ-va",
        (
            "Ngày 3/9, lãnh đạo UBND phường Ba Đình đã tiếp và làm việc với đoàn công tác quận Arbat, thành phố Mát-xcơ-va (Liên bang Nga).\n"
            "Hai bên trao đổi kinh nghiệm quản lý đô thị, bảo tồn di tích và thống nhất nghiên cứu ký kết biên bản ghi nhớ hợp tác."
        ),
    ),
    (
        "vi",
        "Hanoitourist ký kết hợp tác với đối tác Nga",
        (
            "Tổng công ty Du lịch Hà Nội (Hanoitourist) vừa ký kết thỏa thuận hợp tác với Tập đoàn lữ hành Intourist của Nga nhằm phát triển các tour trọn gói.\n"
            "Hai bên cam kết trao đổi kinh nghiệm, cùng xúc tiến quảng bá sản phẩm và mở rộng hợp tác sang lĩnh vực đào tạo nhân lực."
        ),
    ),
    (
        "en",
        "Hanoi, Moscow police boost cooperation",
        (
            "Hanoi Police Director received a delegation of the Moscow Main Directorate of Internal Affairs on Wednesday.\n"
            "The two sides agreed to expand cooperation in training, crime prevention and exchange of experience in traffic management."
        ),
    ),
    (
        "ru",
        "В Ханое открылась неделя российского кино при поддержке городских властей",
        (
            "Департамент культуры и спорта Ханоя совместно с Русским домом открыл неделю российского кино.\n"
            "Как отметил директор департамента, показы помогут укрепить культурные связи между жителями Ханоя и Россией."
        ),
    ),
    (
        "vi",
        "Đại sứ Nga thăm Trường Đại học Hà Nội",
        (
            "Ngày 20/9, Đại sứ Liên bang Nga tại Việt Nam đã đến thăm và làm việc với Trường Đại học Hà Nội.\n"
            "Hai bên trao đổi về hợp tác đào tạo tiếng Nga, trao học bổng cho sinh viên và kế hoạch mở Phòng đọc sách Nga tại trường.\n"
            "Hiệu trưởng Trường Đại học Hà Nội cảm ơn Đại sứ quán đã hỗ trợ nhà trường nhiều năm qua."
        ),
    ),
    (
        "en",
        "Moscow, Hanoi culture departments sign exchange programme",
        (
            "Moscow's Department of Culture and Hanoi's Department of Culture and Sports signed a cultural exchange programme for 2026-2028.\n"
            "The programme includes tours by Moscow theatres in Hanoi and an exhibition of Vietnamese lacquer painting in Moscow."
        ),
    ),
]

NATIONAL = [
    (
        "ru",
        "Посол России встретился с министром промышленности и торговли Вьетнама",
        (
            "Ханой, 14 марта – Посол России во Вьетнаме встретился с министром промышленности и торговли СРВ.\n"
            "Стороны обсудили двустороннее торгово-экономическое сотрудничество и подготовку межправительственной комиссии."
        ),
    ),
    (
        "en",
        "Russian House in Hanoi hosts Russian film week",
        (
            "The Russian Centre of Science and Culture in Hanoi opened a week of Russian films on Friday.\n"
            "The screenings introduce Vietnamese audiences to contemporary Russian cinema and are free of charge."
        ),
    ),
    (
        "vi",
        "Đà Nẵng và Vla-đi-vô-xtốc thúc đẩy hợp tác du lịch",
        (
            "Lãnh đạo UBND thành phố Đà Nẵng đã tiếp đoàn công tác thành phố Vla-đi-vô-xtốc (Liên bang Nga).\n"
            "Hai bên trao đổi về hợp tác trong lĩnh vực du lịch, giáo dục và thống nhất tăng cường xúc tiến đầu tư."
        ),
    ),
    (
        "en",
        "Vietnam, Russia sign oil and gas deals in Hanoi",
        (
            "Hanoi (VNA) - Vietnam and Russia signed several agreements on oil and gas cooperation at a ceremony in Hanoi on Monday, witnessed by the two Prime Ministers.\n"
            "The deals include joint exploration projects by PetroVietnam and Zarubezhneft."
        ),
    ),
    (
        "vi",
        "Thủ tướng tiếp Đại sứ Nga tại Hà Nội",
        (
            "Chiều 2/4, tại trụ sở Chính phủ ở Hà Nội, Thủ tướng đã tiếp Đại sứ Liên bang Nga tại Việt Nam.\n"
            "Thủ tướng đề nghị hai bên thúc đẩy hợp tác kinh tế, thương mại, đầu tư và năng lượng giữa hai nước."
        ),
    ),
    (
        "vi",
        "Phó Thủ tướng tiếp Thống đốc tỉnh Ca-lu-ga",
        (
            "Chiều 15/5, tại trụ sở Chính phủ ở Hà Nội, Phó Thủ tướng đã tiếp Thống đốc tỉnh Ca-lu-ga (Liên bang Nga).\n"
            "Phó Thủ tướng đề nghị tỉnh Ca-lu-ga tạo điều kiện cho doanh nghiệp Việt Nam đầu tư, hợp tác sản xuất ô tô."
        ),
    ),
    (
        "vi",
        "Nghệ An hợp tác với tỉnh Ulyanovsk",
        "Lãnh đạo tỉnh Nghệ An đã tiếp đoàn đại biểu tỉnh Ulyanovsk (Liên bang Nga) và ký kết biên bản ghi nhớ hợp tác về giáo dục, nông nghiệp.",
    ),
    (
        "vi",
        "Người dân Thủ đô xem triển lãm ảnh về nước Nga",
        (
            "Nhiều người dân Thủ đô đã đến Trung tâm Khoa học và Văn hóa Nga tại Hà Nội xem triển lãm ảnh về thiên nhiên nước Nga.\n"
            "Triển lãm do Nhà Nga tổ chức, kéo dài đến cuối tháng."
        ),
    ),
    (
        "ru",
        "В Ханое прошла выставка российских товаров",
        (
            "Торгпредство России во Вьетнаме провело в Ханое выставку российских продуктов питания.\n"
            "Свою продукцию представили 30 российских компаний, вьетнамские импортеры провели переговоры о поставках."
        ),
    ),
    (
        "en",
        "Russian ambassador meets Vietnamese students in Moscow",
        (
            "The Vietnamese Ambassador to Russia met Vietnamese students studying at universities in Moscow.\n"
            "He encouraged them to contribute to Vietnam-Russia friendship and cooperation."
        ),
    ),
    (
        "vi",
        "Doanh nghiệp Nga mở văn phòng tại TP Hồ Chí Minh",
        "Một tập đoàn năng lượng của Nga vừa khai trương văn phòng đại diện tại TP Hồ Chí Minh, đánh dấu bước mở rộng đầu tư vào Việt Nam.",
    ),
]

NONE = [
    (
        "vi",
        "Công an Hà Nội bắt đối tượng người Nga lừa đảo",
        (
            "Công an thành phố Hà Nội vừa bắt giữ một người đàn ông quốc tịch Nga về hành vi lừa đảo chiếm đoạt tài sản qua mạng.\n"
            "Đối tượng khai nhận đã chiếm đoạt hơn 2 tỷ đồng của nhiều nạn nhân tại Hà Nội."
        ),
    ),
    (
        "en",
        "Hanoi and Seoul sign smart city memorandum",
        (
            "The Hanoi People's Committee and the Seoul Metropolitan Government signed a memorandum on smart city cooperation on Friday.\n"
            "Related news\n"
            "Hanoi, Moscow boost cultural ties\n"
            "Russian firms eye Hanoi market"
        ),
    ),
    (
        "ru",
        "В Ханое ожидаются пробки из-за ремонта дорог",
        (
            "Власти Ханоя предупредили водителей о пробках в центре города в связи с ремонтом дорог.\n"
            "Ремонт продлится до конца месяца."
        ),
    ),
    (
        "vi",
        "Hà Nội tưởng niệm các chiến sĩ hy sinh",
        (
            "Lãnh đạo thành phố Hà Nội dâng hương tưởng niệm các anh hùng liệt sĩ tại Đài tưởng niệm Bắc Sơn.\n"
            "Đoàn đã dâng hoa tại tượng đài Lenin trong công viên Thống Nhất."
        ),
    ),
    (
        "en",
        "Russian strikes hit Kyiv as Hanoi urges restraint",
        (
            "Russia launched missiles and drones at Kyiv overnight, Ukrainian officials said.\n"
            "Hanoi called on the parties to exercise restraint and resolve the conflict through dialogue."
        ),
    ),
    (
        "vi",
        "Hà Nội đón lượng lớn khách du lịch Nga dịp cuối năm",
        (
            "Lượng du khách Nga đến Hà Nội tăng mạnh dịp cuối năm nhờ các đường bay thẳng từ Mát-xcơ-va.\n"
            "Nhiều khách sạn ở phố cổ kín phòng."
        ),
    ),
    (
        "vi",
        "Trường Đại học Hà Nội công bố điểm chuẩn ngành ngôn ngữ Nga",
        (
            "Trường Đại học Hà Nội vừa công bố điểm chuẩn năm 2026, trong đó ngành ngôn ngữ Nga lấy 24 điểm.\n"
            "Nhà trường cho biết chỉ tiêu tuyển sinh năm nay tăng so với năm trước."
        ),
    ),
    (
        "ru",
        "Вьетнамская столица возглавила рейтинг туристических городов",
        (
            "Ханой занял первое место в рейтинге самых гостеприимных городов Азии по версии туристического портала.\n"
            "Туристы отмечают уличную еду и доступные цены."
        ),
    ),
    (
        "en",
        "Exhibition on Hanoi's Old Quarter opens in Paris",
        "An exhibition of photos of Hanoi's Old Quarter opened in Paris on Friday, co-organised by the Hanoi Department of Culture and Sports and the City of Paris.",
    ),
    (
        "vi",
        "Thị trường Hà Nội: giá xăng giảm",
        "Giá xăng trên thị trường Hà Nội giảm nhẹ do giá dầu thế giới hạ nhiệt sau khi Nga tăng sản lượng xuất khẩu.",
    ),
    (
        "en",
        "Hanoi ward hosts Japanese sister city delegation",
        (
            "Hoan Kiem Ward received a delegation from a Japanese city to discuss cooperation in heritage conservation.\n"
            "The two sides agreed to exchange experience in managing old quarters."
        ),
    ),
    (
        "ru",
        "Ханойские власти закрыли рынок на ремонт",
        "Власти района Хоанкием в Ханое закрыли ночной рынок на ремонт до конца года.",
    ),
]


@pytest.mark.parametrize("lang,title,body", CORE, ids=[f"{c[0]}-{i}" for i, c in enumerate(CORE)])
def test_core(model: RelevanceModel, lang: str, title: str, body: str) -> None:
    j = model.judge(title, body, lang=lang)
    assert j.label == "core", [(r.side, r.kind, r.phrase, r.field, r.weight) for r in j.reasons]


@pytest.mark.parametrize("lang,title,body", NATIONAL, ids=[f"{c[0]}-{i}" for i, c in enumerate(NATIONAL)])
def test_national(model: RelevanceModel, lang: str, title: str, body: str) -> None:
    j = model.judge(title, body, lang=lang)
    assert j.label == "national", [(r.side, r.kind, r.phrase, r.field, r.weight) for r in j.reasons]


@pytest.mark.parametrize("lang,title,body", NONE, ids=[f"{c[0]}-{i}" for i, c in enumerate(NONE)])
def test_none(model: RelevanceModel, lang: str, title: str, body: str) -> None:
    j = model.judge(title, body, lang=lang)
    assert j.label == "none", [(r.side, r.kind, r.phrase, r.field, r.weight) for r in j.reasons]


# ------------------------------------------------ the rules behind the cases


def _hanoi_kinds(j) -> set[str]:
    return {r.kind for r in j.reasons if r.side == "hanoi" and r.weight > 0}


@pytest.mark.parametrize(
    "text",
    [
        "Công ty TNHH MTV Đường sắt Hà Nội vận hành tuyến tàu mới.",
        "Ban Quản lý các khu công nghiệp và chế xuất Hà Nội trao giấy chứng nhận.",
        "Sở Nông nghiệp và Môi trường Hà Nội họp báo.",
        "The Hanoi Vietnam-Russia Friendship Association held its congress.",
        "Представители департамента иностранных дел Ханоя выступили.",
        "Bệnh viện Bạch Mai (Hà Nội) tiếp nhận bệnh nhân.",
    ],
)
def test_hanoi_ending_a_long_institution_name_is_a_party(model: RelevanceModel, text: str) -> None:
    assert "party" in _hanoi_kinds(model.judge("", text))


@pytest.mark.parametrize(
    "text",
    [
        "Giá rau trên thị trường Hà Nội tăng mạnh.",  # "thị trường" (market) is no school
        "Công ty của Nga mở văn phòng đại diện tại Hà Nội.",  # a place after "tại"
        "The company opened an office in Hanoi.",
        "Компания открыла представительство в Ханое.",
        "Đại học Mát-xcơ-va và Hà Nội đều có nhiều sinh viên.",  # another side's name in between
    ],
)
def test_hanoi_after_a_venue_word_or_other_name_is_not_a_party(model: RelevanceModel, text: str) -> None:
    assert "party" not in _hanoi_kinds(model.judge("", text))


def test_unnamed_city_body_inside_a_named_russian_city_is_not_hanoi(model: RelevanceModel) -> None:
    j = model.judge("", "Hà Nội đón đoàn Chính quyền thành phố Mát-xcơ-va đến thăm.")
    assert not any(r.side == "hanoi" and r.kind == "city_body" for r in j.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "UBND phường Hoàn Kiếm họp.",
        "Hoan Kiem Ward officials met.",
        "Власти района Хоанкием сообщили.",
        "Huyện Đông Anh khởi công dự án.",
        "A Hanoi ward signed the deal.",
    ],
)
def test_hanoi_wards_districts_and_communes_are_parties(model: RelevanceModel, text: str) -> None:
    assert "party" in _hanoi_kinds(model.judge("", text))


def test_title_and_lead_pairing_is_enough_but_a_title_without_cooperation_is_not(
    model: RelevanceModel,
) -> None:
    lead = (
        "Đại học Y Hà Nội và Đại học Y khoa Quốc gia Pirogov (Liên bang Nga) vừa ký thỏa thuận hợp tác.\n"
        "Hai trường sẽ trao đổi sinh viên và giảng viên từ năm học tới."
    )
    assert model.judge("Đại học Y Hà Nội ký thỏa thuận hợp tác đào tạo", lead).label == "core"
    assert model.judge("Đại học Y Hà Nội công bố điểm chuẩn năm 2026", lead).label != "core"
