--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: apscheduler_jobs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.apscheduler_jobs (
    id character varying(191) NOT NULL,
    next_run_time double precision,
    job_state bytea NOT NULL
);


--
-- Name: article; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.article (
    id integer NOT NULL,
    canonical_url character varying(2048) NOT NULL,
    url character varying(2048) NOT NULL,
    source character varying(64) NOT NULL,
    title character varying NOT NULL,
    lead character varying NOT NULL,
    body character varying NOT NULL,
    author character varying,
    tags json NOT NULL,
    language character varying(8) NOT NULL,
    published_at timestamp with time zone,
    first_seen_at timestamp with time zone NOT NULL,
    fetched_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone,
    content_hash character varying(64) NOT NULL,
    label character varying(16),
    score double precision,
    reasons json NOT NULL,
    relevance_version character varying(32),
    story_id integer
);


--
-- Name: article_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.article_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: article_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.article_id_seq OWNED BY public.article.id;


--
-- Name: article_signature; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.article_signature (
    article_id integer NOT NULL,
    language character varying(8) NOT NULL,
    story_time timestamp with time zone,
    minhash bytea NOT NULL,
    features json NOT NULL,
    version character varying(32) NOT NULL
);


--
-- Name: article_url; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.article_url (
    canonical_url character varying(2048) NOT NULL,
    article_id integer NOT NULL,
    seen_at timestamp with time zone NOT NULL
);


--
-- Name: crawl_run; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.crawl_run (
    id integer NOT NULL,
    source character varying(64) NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone,
    status character varying(16) NOT NULL,
    pid integer,
    host character varying(255),
    requests integer NOT NULL,
    articles_seen integer NOT NULL,
    new integer NOT NULL,
    updated integer NOT NULL,
    unchanged integer NOT NULL,
    duplicates integer NOT NULL,
    errors integer NOT NULL,
    blocked integer NOT NULL,
    not_modified integer NOT NULL,
    message character varying,
    error_samples json NOT NULL
);


--
-- Name: crawl_run_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.crawl_run_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: crawl_run_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.crawl_run_id_seq OWNED BY public.crawl_run.id;


--
-- Name: daemon_lock; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.daemon_lock (
    id integer NOT NULL,
    owner character varying(64) NOT NULL,
    pid integer NOT NULL,
    host character varying(255) NOT NULL,
    mode character varying(16) NOT NULL,
    started_at timestamp with time zone NOT NULL,
    heartbeat_at timestamp with time zone NOT NULL,
    rss_kb integer
);


--
-- Name: digest; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.digest (
    id integer NOT NULL,
    message_id character varying(255) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    status character varying(16) NOT NULL,
    subject character varying NOT NULL,
    sender character varying(320) NOT NULL,
    recipients json NOT NULL,
    raw_message text NOT NULL,
    html text NOT NULL,
    core_count integer NOT NULL,
    national_count integer NOT NULL,
    article_count integer NOT NULL,
    attempts integer NOT NULL,
    last_attempt_at timestamp with time zone,
    last_error character varying,
    sent_at timestamp with time zone,
    outbox_path character varying
);


--
-- Name: digest_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.digest_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: digest_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.digest_id_seq OWNED BY public.digest.id;


--
-- Name: digest_item; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.digest_item (
    id integer NOT NULL,
    digest_id integer NOT NULL,
    article_id integer NOT NULL,
    section character varying(16) NOT NULL,
    role character varying(16) NOT NULL,
    "position" integer NOT NULL
);


--
-- Name: digest_item_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.digest_item_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: digest_item_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.digest_item_id_seq OWNED BY public.digest_item.id;


--
-- Name: failed_url; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.failed_url (
    canonical_url character varying(2048) NOT NULL,
    source character varying(64) NOT NULL,
    attempts integer NOT NULL,
    first_failed_at timestamp with time zone NOT NULL,
    last_failed_at timestamp with time zone NOT NULL,
    reason character varying NOT NULL
);


--
-- Name: http_validator; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.http_validator (
    source character varying(64) NOT NULL,
    url character varying(2048) NOT NULL,
    etag character varying(512),
    last_modified character varying(64),
    fetched_at timestamp with time zone NOT NULL,
    checked_at timestamp with time zone NOT NULL
);


--
-- Name: signature_band; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.signature_band (
    band_key bigint NOT NULL,
    article_id integer NOT NULL
);


--
-- Name: article id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.article ALTER COLUMN id SET DEFAULT nextval('public.article_id_seq'::regclass);


--
-- Name: crawl_run id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.crawl_run ALTER COLUMN id SET DEFAULT nextval('public.crawl_run_id_seq'::regclass);


--
-- Name: digest id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.digest ALTER COLUMN id SET DEFAULT nextval('public.digest_id_seq'::regclass);


--
-- Name: digest_item id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.digest_item ALTER COLUMN id SET DEFAULT nextval('public.digest_item_id_seq'::regclass);


--
-- Data for Name: apscheduler_jobs; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: article; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.article VALUES (1, 'https://example-vi.test/news/1.html', 'https://example-vi.test/news/1.html', 'site_vi', 'Hà Nội và Mát-xcơ-va mở rộng hợp tác giáo dục', 'Thành phố Hà Nội và thành phố Mát-xcơ-va ký biên bản ghi nhớ về trao đổi sinh viên.', 'Thành phố Hà Nội và thành phố Mát-xcơ-va ký biên bản ghi nhớ về trao đổi sinh viên.

Hai bên nhất trí mở thêm lớp tiếng Nga.', NULL, '["test", "vi"]', 'vi', '2026-11-20 08:00:00+00', '2026-12-02 10:51:56.339459+00', '2026-12-02 10:51:56.339459+00', NULL, 'd2f4d8430db1a0cccdffb34e4eac7a5a7b91ad75eac305c749fd60b5dc4b9801', 'core', 0.9, '[{"rule": "made-up", "weight": 1.0}]', 'rel-0.1.0', 1);
INSERT INTO public.article VALUES (2, 'https://example-ru.test/news/2.html', 'https://example-ru.test/news/2.html', 'site_ru', 'Москва и Ханой расширяют сотрудничество в образовании', 'Москва и Ханой подписали меморандум об обмене студентами.', 'Москва и Ханой подписали меморандум об обмене студентами.

Стороны договорились открыть новые классы русского языка.', NULL, '["test", "ru"]', 'ru', '2026-11-20 09:00:00+00', '2026-12-02 10:51:56.414874+00', '2026-12-02 10:51:56.414874+00', NULL, '29ee1429ac1bb71b9bf0ace998bacaba84aa2cd7187413093ea33de6933e8a28', 'core', 0.9, '[{"rule": "made-up", "weight": 1.0}]', 'rel-0.1.0', 2);
INSERT INTO public.article VALUES (3, 'https://example-en.test/news/3.html', 'https://example-en.test/news/3.html', 'site_en', 'Vietnam and Russia discuss energy projects', 'Officials of Vietnam and Russia met to review joint energy projects.', 'Officials of Vietnam and Russia met to review joint energy projects.

No city-level agreement was signed.', NULL, '["test", "en"]', 'en', '2026-11-20 10:00:00+00', '2026-12-02 10:51:56.423023+00', '2026-12-02 10:51:56.423023+00', NULL, 'ae1f490b83df5fc356555f2d5f0c298f3ef921be15f414f5a3c88640092c8042', 'national', 0.1, '[{"rule": "made-up", "weight": 1.0}]', 'rel-0.1.0', 3);
INSERT INTO public.article VALUES (4, 'https://example-vi.test/news/4.html', 'https://example-vi.test/news/4.html', 'site_vi', 'Giá rau tại chợ đầu mối tăng nhẹ', 'Giá rau xanh tại các chợ đầu mối tăng nhẹ do mưa kéo dài.', 'Giá rau xanh tại các chợ đầu mối tăng nhẹ do mưa kéo dài.

Tiểu thương dự báo giá sẽ ổn định.', NULL, '["test", "vi"]', 'vi', '2026-11-20 11:00:00+00', '2026-12-02 10:51:56.432151+00', '2026-12-02 10:51:56.432151+00', NULL, '7f5ef563da45d294c8ff0567a7c43d54e8105b97900741f7a16fe45599dbaaf7', 'none', 0.1, '[{"rule": "made-up", "weight": 1.0}]', 'rel-0.1.0', 4);


--
-- Data for Name: article_signature; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.article_signature VALUES (1, 'vi', '2026-11-20 08:00:00+00', '\x939d9700bb6ab400503cb30264a6a8027451bb00355231035c8f280172ac3a0231bfd605b14f2501a9b0d300ed4b45040705e801455da002a9058c01765a7900618da2031d4e1900974ce7008a6d0500c4677c013f2c4a0136c049012d7bc80137c482014f44ab01631d720490b36005394e710070fe4b0391b32601e961ba00c255e6007f86bf00d162b50020ee1404817ebb05fa746601d1273c0033c51900de610b01595f9f022d57eb06fe7b7601e60033029c1bb100ca7d31005acf8800c4a7e20060251b007e79ff00658722010c8a1f00fa9b01038448a500a2c49502e556f6019fa07f005598ab02b2f75505246f5d00566ed80468ecf2029eb79c002a2cdc03ecc557026ebb0b019014b40007398301b66af201c0200f010eb478049c7cd3024df5e611326c8d01e9e6970b20cfb102abd46b001437480124b540007e10bf0336d82f01c1b45401985d7d0087ad7400294a080104469106555f0a04bf983b01b6228900dcfc260621415a00df8c450003b7140036623d009c375700197110006b83aa008c8d230a12ce1c0028cb3201aab97c00f2bef400e08f6f02740ea20642eb4e018a663200ee6dee00934ec8009d238601442c0f07899aef04ffcbb20007aae20089dca700334986024dcea00132bbaf008d44850262d57503b196ca0151c51401851070018b287c00d7413b01d1218b02102ee20164dd2107', '{"language": "vi", "published": "2026-11-20T08:00:00+00:00", "places": {"hanoi": 5, "moscow": 5, "russia": 1}, "title_places": ["hanoi", "moscow"], "people": [], "numbers": [], "dates": [], "event_dates": [], "version": "f1"}', 's1.f1');
INSERT INTO public.article_signature VALUES (2, 'ru', '2026-11-20 09:00:00+00', '\xdb536901bab094033375540002f79600941438013b375600deb94a02d2b92d02444240027b5d5e001e570a01a47e44006ee61d03e7a7b100604e3900bd9354011469b701d82bd201d0346d03131f700107d79f0236598c001a3865053c3b640315a36900c64547000e72e103d6893200a6436401dd851d02e092e10096a32c02ccd5e40243f62700de997901b9e94400d050d001268ff301fc167d002fe60000381d4903795e670179e020019605300416e4c5013f0f17033a16b20130991209b3b83a0025303a022dfa3c056dcd7803e887f501a3174405eed81600e0fa8500b5687204996bea06cd0ff700783a0001c199f300267d3500751bfa07e848b40269e130040cfca902eff18602ac87c40115b52101b6786400419ed80095e7500106c76d00c51e30024c26de01037a7d001794e50257264706f03569031125c600f68bf800cf318c10ea7a67001c7bbb00814c58061f42d5006e4e4c005947a101a9eb850024ae93005b7b5001993eb8023069930062642300415fd603fe402201dec46c001f3ebd00fc9a9e02dbb15a005b6e13051e2def071741d301a8ba10014a4361002e1cb000a01433019524f5022f7a1d00f7aa1305c5f87101449d060058e3c1074fe924059df1d504776ee4012612f503b3623d00c6ca580012c664031c7d28018fdef8007f823202884dcd01d9c1ee062ddc7901062cb30029386900', '{"language": "ru", "published": "2026-11-20T09:00:00+00:00", "places": {"hanoi": 5, "moscow": 5}, "title_places": ["hanoi", "moscow"], "people": [], "numbers": [], "dates": [], "event_dates": [], "version": "f1"}', 's1.f1');
INSERT INTO public.article_signature VALUES (3, 'en', '2026-11-20 10:00:00+00', '\xee42fd06a7ac97006164eb012a81af02886da908b4077004e24fb800a1d5fa0320fd4d00ebf40b0428eb2c0035e8b10482b586006ea14c01d7675001dad424036c437105e8ce700297d1dc0145cea000ffbb460591b60601c227e9005c8a990346691100f90b22027c5e10016c0ff80052d57b0dfab96b00fa9abf091d0524002000ea00bce39300ee5a3a00e784fb02082e6502ee4c8d0052eeef01bdf66f04ec7fc300b8b44500526d0a00704fd0010fd3fe00d9678e0442d7b200a8d73a008f6d05021f543c0668d72d00122d56070a9f820263d29e00e1c9d600a5cddd045b04bc01423e0a008242d100286dac00f5a2a3007741330842aadd0074b23300571fdd00586d0e0830b942019f207300622e7702ba9eb4002db8480147557902ecc8a804825c600241c7870285ba410075187f00456c1300767ef500125673008a1e5201c94ab900a3f1a8003a46860f1dc8860262b3c9001261cd01e1d266029941850014964a00d2f449017106ef08fa7c8c00cc5b1608123ea20022f82f006e7e530134d24c04a5143c0147145f03bb8eff013211da07e3e898010f52310355fb110030c9f6026bab2d0992e57400de5b260153f7540088590a00856f1c0514ad0902210aff01ddb26400c7904301cc4ca200fef96103b9f00e0191d02c01802f69005f89d10682411c0f9f08510501d3d304a490300117d37d0473fdad00', '{"language": "en", "published": "2026-11-20T10:00:00+00:00", "places": {"russia": 5, "vietnam": 5}, "title_places": ["russia", "vietnam"], "people": [], "numbers": [], "dates": [], "event_dates": [], "version": "f1"}', 's1.f1');
INSERT INTO public.article_signature VALUES (4, 'vi', '2026-11-20 11:00:00+00', '\x0186d90100e31e01354a5d010f9110022c69c70292f71b01647eda0398421705b1d69d01d6c8c9037d71530359aff600411b1e0368707d008002b302f617b100caf23102844cc9009d85350253c7ac02f0bc0a06c072bd03d16a9e05ed8eb00379e1d404680350009e1cd50209d1f201c92e7006c5808b021c282d0772971d075e32620554aa130131c4ad007d157f004e5c0101a0d4af0171a410029ce4b800b5096e04e0e21e03d2ec4e00f8df9402c55f0001d3d4180188425503469ecb00b182a20369df41073db1b305c2edff02cd846f01d85900013bd15800d8ac4802ceb500033e84a406a0886a0278eb3901d5a8970113eecf04f9863404c780880062088a04781dbd0141579e01a4c40003515d650228928f017a66b701c98282016d747a046018c60db7c4950196a45301c8d39d007e18a1029bac1d037d66260d57eb1c04f8d51200c6e5ad000ce6160091683306c06b70008afaa503afee35003b6a9e015a97310a8a633f03b764a1013fa8a9032df9650026654605e205d0042994ab04bfd0eb035aae8e0273b141009e4ae705b5e1bb02b615b301dc0d90005b09cb0dc8b918063f0f1602fa96de0053f67200b879ea0005edae026ea00b01b6500204ff859d05f871cf026360400235e87f00daf508036ad9580394c5aa04734908125c881400bcbfe702826a7c0191c7320417c71b046595a203ff5f8808', '{"language": "vi", "published": "2026-11-20T11:00:00+00:00", "places": {}, "title_places": [], "people": [], "numbers": [], "dates": [], "event_dates": [], "version": "f1"}', 's1.f1');


--
-- Data for Name: article_url; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.article_url VALUES ('https://example-vi.test/news/1.html', 1, '2026-12-02 10:51:56.399078+00');
INSERT INTO public.article_url VALUES ('https://example-ru.test/news/2.html', 2, '2026-12-02 10:51:56.419318+00');
INSERT INTO public.article_url VALUES ('https://example-en.test/news/3.html', 3, '2026-12-02 10:51:56.427514+00');
INSERT INTO public.article_url VALUES ('https://example-vi.test/news/4.html', 4, '2026-12-02 10:51:56.43536+00');


--
-- Data for Name: crawl_run; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.crawl_run VALUES (1, 'site_vi', '2026-12-02 10:51:56.502968+00', '2026-12-02 10:51:56.508534+00', 'ok', 12345, 'builder', 7, 2, 1, 0, 1, 0, 0, 0, 0, 'done', '[]');
INSERT INTO public.crawl_run VALUES (2, 'site_ru', '2026-12-02 10:51:56.509786+00', '2026-12-02 10:51:56.512149+00', 'ok', 12345, 'builder', 7, 2, 1, 0, 1, 0, 0, 0, 0, 'done', '[]');
INSERT INTO public.crawl_run VALUES (3, 'site_en', '2026-12-02 10:51:56.513249+00', '2026-12-02 10:51:56.516429+00', 'ok', 12345, 'builder', 7, 2, 1, 0, 1, 0, 0, 0, 0, 'done', '[]');
INSERT INTO public.crawl_run VALUES (4, 'site_vi', '2026-12-02 10:51:56.517453+00', '2026-12-02 10:51:56.520049+00', 'partial', 12346, 'builder', 3, 0, 0, 0, 0, 0, 1, 0, 0, NULL, '[{"url": "https://example-vi.test/news/99.html", "reason": "HTTP 500"}]');


--
-- Data for Name: daemon_lock; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: digest; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.digest VALUES (1, '<0.1.0-sent@newsmon.test>', '2026-12-02 10:51:56.532273+00', 'sent', 'Digest one', 'newsmon@example.test', '["reader@example.test"]', 'Subject: Digest one

body', '<p>one</p>', 1, 0, 1, 0, NULL, NULL, '2026-12-02 10:51:56.54178+00', NULL);
INSERT INTO public.digest VALUES (2, '<0.1.0-pending@newsmon.test>', '2026-12-02 10:51:56.543336+00', 'pending', 'Digest two', 'newsmon@example.test', '["reader@example.test"]', 'Subject: Digest two

body', '<p>two</p>', 1, 1, 2, 0, NULL, NULL, NULL, NULL);


--
-- Data for Name: digest_item; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.digest_item VALUES (1, 1, 1, 'core', 'headline', 0);
INSERT INTO public.digest_item VALUES (2, 2, 2, 'core', 'headline', 0);
INSERT INTO public.digest_item VALUES (3, 2, 3, 'national', 'headline', 1);


--
-- Data for Name: failed_url; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.failed_url VALUES ('https://example-vi.test/news/99.html', 'site_vi', 1, '2026-12-02 10:51:56.439485+00', '2026-12-02 10:51:56.439497+00', 'HTTP 500');


--
-- Data for Name: http_validator; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.http_validator VALUES ('site_vi', 'https://example-vi.test/rss', '"etag-1"', 'Fri, 20 Nov 2026 08:00:00 GMT', '2026-12-02 10:51:56.521873+00', '2026-12-02 10:51:56.521873+00');


--
-- Data for Name: signature_band; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.signature_band VALUES (6435835940023777085, 1);
INSERT INTO public.signature_band VALUES (5650373672261925057, 1);
INSERT INTO public.signature_band VALUES (8781456409929896990, 1);
INSERT INTO public.signature_band VALUES (-5447526290045257750, 1);
INSERT INTO public.signature_band VALUES (1691604540416550774, 1);
INSERT INTO public.signature_band VALUES (-570145909568953127, 1);
INSERT INTO public.signature_band VALUES (1140430242511979798, 1);
INSERT INTO public.signature_band VALUES (2520139522305311293, 1);
INSERT INTO public.signature_band VALUES (7935355176969310002, 1);
INSERT INTO public.signature_band VALUES (-4589551474138680051, 1);
INSERT INTO public.signature_band VALUES (-8951586903715890461, 1);
INSERT INTO public.signature_band VALUES (1452608463954063553, 1);
INSERT INTO public.signature_band VALUES (124341748281665914, 1);
INSERT INTO public.signature_band VALUES (8336099972594091681, 1);
INSERT INTO public.signature_band VALUES (7405776436800413986, 1);
INSERT INTO public.signature_band VALUES (-8503980728795883117, 1);
INSERT INTO public.signature_band VALUES (8092931356608947618, 1);
INSERT INTO public.signature_band VALUES (8933003026838409491, 1);
INSERT INTO public.signature_band VALUES (4929207585331623931, 1);
INSERT INTO public.signature_band VALUES (5073785424360193192, 1);
INSERT INTO public.signature_band VALUES (6222799879205282932, 1);
INSERT INTO public.signature_band VALUES (-6659368015493183103, 1);
INSERT INTO public.signature_band VALUES (-8112220419629802759, 1);
INSERT INTO public.signature_band VALUES (7021915408388826421, 1);
INSERT INTO public.signature_band VALUES (2474668139000813445, 1);
INSERT INTO public.signature_band VALUES (2977434244998948393, 1);
INSERT INTO public.signature_band VALUES (8204216830525897001, 1);
INSERT INTO public.signature_band VALUES (6702926914054926132, 1);
INSERT INTO public.signature_band VALUES (8787458163636536859, 1);
INSERT INTO public.signature_band VALUES (6232106973514690569, 1);
INSERT INTO public.signature_band VALUES (1993712173397826902, 1);
INSERT INTO public.signature_band VALUES (-4648524101923990422, 1);
INSERT INTO public.signature_band VALUES (-2050863510524209930, 2);
INSERT INTO public.signature_band VALUES (1144861082422480276, 2);
INSERT INTO public.signature_band VALUES (7569531141556296725, 2);
INSERT INTO public.signature_band VALUES (-4119535576174047829, 2);
INSERT INTO public.signature_band VALUES (-4952097236225606775, 2);
INSERT INTO public.signature_band VALUES (539588400149185195, 2);
INSERT INTO public.signature_band VALUES (-5144762000076585327, 2);
INSERT INTO public.signature_band VALUES (-4782868100125653404, 2);
INSERT INTO public.signature_band VALUES (1168049682666372720, 2);
INSERT INTO public.signature_band VALUES (6656517235951822447, 2);
INSERT INTO public.signature_band VALUES (7566536428680624579, 2);
INSERT INTO public.signature_band VALUES (-228363909268661121, 2);
INSERT INTO public.signature_band VALUES (2646008004163866061, 2);
INSERT INTO public.signature_band VALUES (-6335166891166751714, 2);
INSERT INTO public.signature_band VALUES (-5664443764676057248, 2);
INSERT INTO public.signature_band VALUES (3729790509151807717, 2);
INSERT INTO public.signature_band VALUES (290165199804299870, 2);
INSERT INTO public.signature_band VALUES (-8559153219571489039, 2);
INSERT INTO public.signature_band VALUES (-6800346285516963385, 2);
INSERT INTO public.signature_band VALUES (-165472660818473287, 2);
INSERT INTO public.signature_band VALUES (-1845364930851634623, 2);
INSERT INTO public.signature_band VALUES (-2378848372436637710, 2);
INSERT INTO public.signature_band VALUES (-5254648787197391284, 2);
INSERT INTO public.signature_band VALUES (-5264522642747951576, 2);
INSERT INTO public.signature_band VALUES (3498416498377888449, 2);
INSERT INTO public.signature_band VALUES (3867838490662356886, 2);
INSERT INTO public.signature_band VALUES (1127738153275855940, 2);
INSERT INTO public.signature_band VALUES (4235041944214766146, 2);
INSERT INTO public.signature_band VALUES (-117334236106663512, 2);
INSERT INTO public.signature_band VALUES (-540758799270753155, 2);
INSERT INTO public.signature_band VALUES (5958581478547158313, 2);
INSERT INTO public.signature_band VALUES (-4922886958871395096, 2);
INSERT INTO public.signature_band VALUES (1997673430117217987, 3);
INSERT INTO public.signature_band VALUES (170794941762462589, 3);
INSERT INTO public.signature_band VALUES (-2465259022277267443, 3);
INSERT INTO public.signature_band VALUES (4477866487156963679, 3);
INSERT INTO public.signature_band VALUES (1719460980515773347, 3);
INSERT INTO public.signature_band VALUES (-5385391818662926669, 3);
INSERT INTO public.signature_band VALUES (365933117115226085, 3);
INSERT INTO public.signature_band VALUES (8011999953526217450, 3);
INSERT INTO public.signature_band VALUES (2876722738665169893, 3);
INSERT INTO public.signature_band VALUES (-400862434154107693, 3);
INSERT INTO public.signature_band VALUES (-6450433375494742564, 3);
INSERT INTO public.signature_band VALUES (-6305274509495985654, 3);
INSERT INTO public.signature_band VALUES (-8955196080981990725, 3);
INSERT INTO public.signature_band VALUES (1418201681853205755, 3);
INSERT INTO public.signature_band VALUES (3130154020817936918, 3);
INSERT INTO public.signature_band VALUES (-2091809030183185773, 3);
INSERT INTO public.signature_band VALUES (3810211684398987251, 3);
INSERT INTO public.signature_band VALUES (-161681066427630658, 3);
INSERT INTO public.signature_band VALUES (-8054818517509124264, 3);
INSERT INTO public.signature_band VALUES (3817504893428165741, 3);
INSERT INTO public.signature_band VALUES (-6383464016043574998, 3);
INSERT INTO public.signature_band VALUES (1099843384886393376, 3);
INSERT INTO public.signature_band VALUES (4753451439824514453, 3);
INSERT INTO public.signature_band VALUES (6006767649693381064, 3);
INSERT INTO public.signature_band VALUES (-7090884046845839600, 3);
INSERT INTO public.signature_band VALUES (4612793306104907495, 3);
INSERT INTO public.signature_band VALUES (234820471925926079, 3);
INSERT INTO public.signature_band VALUES (-5143024843220313092, 3);
INSERT INTO public.signature_band VALUES (6576068909100921811, 3);
INSERT INTO public.signature_band VALUES (5976227197970705680, 3);
INSERT INTO public.signature_band VALUES (8057416203937720934, 3);
INSERT INTO public.signature_band VALUES (2382381923542984261, 3);
INSERT INTO public.signature_band VALUES (-3400747976983740130, 4);
INSERT INTO public.signature_band VALUES (-5366660798146255424, 4);
INSERT INTO public.signature_band VALUES (2435513209123763340, 4);
INSERT INTO public.signature_band VALUES (3917169403003206777, 4);
INSERT INTO public.signature_band VALUES (-6876581126440086762, 4);
INSERT INTO public.signature_band VALUES (-4755029139778074621, 4);
INSERT INTO public.signature_band VALUES (-817649521887607755, 4);
INSERT INTO public.signature_band VALUES (7155716071715765646, 4);
INSERT INTO public.signature_band VALUES (-8465345208955453586, 4);
INSERT INTO public.signature_band VALUES (5535743820325011630, 4);
INSERT INTO public.signature_band VALUES (-9138749136464239262, 4);
INSERT INTO public.signature_band VALUES (-5643199536403049856, 4);
INSERT INTO public.signature_band VALUES (-6711018124081114519, 4);
INSERT INTO public.signature_band VALUES (5747213425973469345, 4);
INSERT INTO public.signature_band VALUES (-4776486778962538124, 4);
INSERT INTO public.signature_band VALUES (1338504401232171193, 4);
INSERT INTO public.signature_band VALUES (8209932444739266792, 4);
INSERT INTO public.signature_band VALUES (3999265914552208517, 4);
INSERT INTO public.signature_band VALUES (5060572657332146415, 4);
INSERT INTO public.signature_band VALUES (1289064373663358809, 4);
INSERT INTO public.signature_band VALUES (-1466883909735925783, 4);
INSERT INTO public.signature_band VALUES (119303163125904636, 4);
INSERT INTO public.signature_band VALUES (-2792561973834897935, 4);
INSERT INTO public.signature_band VALUES (-5160702421866288328, 4);
INSERT INTO public.signature_band VALUES (-123977043742715163, 4);
INSERT INTO public.signature_band VALUES (6196036604276730179, 4);
INSERT INTO public.signature_band VALUES (-6450617808826764733, 4);
INSERT INTO public.signature_band VALUES (-209124236021260725, 4);
INSERT INTO public.signature_band VALUES (6466996174741113431, 4);
INSERT INTO public.signature_band VALUES (-4311870873955079883, 4);
INSERT INTO public.signature_band VALUES (2630523605150751030, 4);
INSERT INTO public.signature_band VALUES (6513769662365991222, 4);


--
-- Name: article_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.article_id_seq', 4, true);


--
-- Name: crawl_run_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.crawl_run_id_seq', 4, true);


--
-- Name: digest_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.digest_id_seq', 2, true);


--
-- Name: digest_item_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.digest_item_id_seq', 3, true);


--
-- Name: apscheduler_jobs apscheduler_jobs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.apscheduler_jobs
    ADD CONSTRAINT apscheduler_jobs_pkey PRIMARY KEY (id);


--
-- Name: article article_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.article
    ADD CONSTRAINT article_pkey PRIMARY KEY (id);


--
-- Name: article_signature article_signature_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.article_signature
    ADD CONSTRAINT article_signature_pkey PRIMARY KEY (article_id);


--
-- Name: article_url article_url_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.article_url
    ADD CONSTRAINT article_url_pkey PRIMARY KEY (canonical_url);


--
-- Name: crawl_run crawl_run_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.crawl_run
    ADD CONSTRAINT crawl_run_pkey PRIMARY KEY (id);


--
-- Name: daemon_lock daemon_lock_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.daemon_lock
    ADD CONSTRAINT daemon_lock_pkey PRIMARY KEY (id);


--
-- Name: digest_item digest_item_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.digest_item
    ADD CONSTRAINT digest_item_pkey PRIMARY KEY (id);


--
-- Name: digest digest_message_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.digest
    ADD CONSTRAINT digest_message_id_key UNIQUE (message_id);


--
-- Name: digest digest_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.digest
    ADD CONSTRAINT digest_pkey PRIMARY KEY (id);


--
-- Name: failed_url failed_url_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.failed_url
    ADD CONSTRAINT failed_url_pkey PRIMARY KEY (canonical_url);


--
-- Name: http_validator http_validator_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.http_validator
    ADD CONSTRAINT http_validator_pkey PRIMARY KEY (source, url);


--
-- Name: signature_band signature_band_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signature_band
    ADD CONSTRAINT signature_band_pkey PRIMARY KEY (band_key, article_id);


--
-- Name: digest_item uq_digest_item_article; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.digest_item
    ADD CONSTRAINT uq_digest_item_article UNIQUE (article_id);


--
-- Name: ix_apscheduler_jobs_next_run_time; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_apscheduler_jobs_next_run_time ON public.apscheduler_jobs USING btree (next_run_time);


--
-- Name: ix_article_canonical_url; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX ix_article_canonical_url ON public.article USING btree (canonical_url);


--
-- Name: ix_article_content_hash; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_article_content_hash ON public.article USING btree (content_hash);


--
-- Name: ix_article_label; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_article_label ON public.article USING btree (label);


--
-- Name: ix_article_published_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_article_published_at ON public.article USING btree (published_at);


--
-- Name: ix_article_signature_story_time; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_article_signature_story_time ON public.article_signature USING btree (story_time);


--
-- Name: ix_article_source; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_article_source ON public.article USING btree (source);


--
-- Name: ix_article_story_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_article_story_id ON public.article USING btree (story_id);


--
-- Name: ix_article_url_article_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_article_url_article_id ON public.article_url USING btree (article_id);


--
-- Name: ix_crawl_run_source; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_crawl_run_source ON public.crawl_run USING btree (source);


--
-- Name: ix_crawl_run_started_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_crawl_run_started_at ON public.crawl_run USING btree (started_at);


--
-- Name: ix_digest_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_digest_created_at ON public.digest USING btree (created_at);


--
-- Name: ix_digest_item_digest_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_digest_item_digest_id ON public.digest_item USING btree (digest_id);


--
-- Name: ix_digest_sent_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_digest_sent_at ON public.digest USING btree (sent_at);


--
-- Name: ix_digest_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_digest_status ON public.digest USING btree (status);


--
-- Name: ix_signature_band_article; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_signature_band_article ON public.signature_band USING btree (article_id);


--
-- Name: article_signature article_signature_article_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.article_signature
    ADD CONSTRAINT article_signature_article_id_fkey FOREIGN KEY (article_id) REFERENCES public.article(id) ON DELETE CASCADE;


--
-- Name: article_url article_url_article_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.article_url
    ADD CONSTRAINT article_url_article_id_fkey FOREIGN KEY (article_id) REFERENCES public.article(id);


--
-- Name: digest_item digest_item_article_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.digest_item
    ADD CONSTRAINT digest_item_article_id_fkey FOREIGN KEY (article_id) REFERENCES public.article(id);


--
-- Name: digest_item digest_item_digest_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.digest_item
    ADD CONSTRAINT digest_item_digest_id_fkey FOREIGN KEY (digest_id) REFERENCES public.digest(id);


--
-- Name: signature_band signature_band_article_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signature_band
    ADD CONSTRAINT signature_band_article_id_fkey FOREIGN KEY (article_id) REFERENCES public.article(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--


