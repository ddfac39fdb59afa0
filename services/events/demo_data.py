"""Demo data: the FY R5 (2023) events, trial projects, handouts and survey results of 北海道, 登別市, 江東区 and
品川区, with the real figures of the FY R5 research report (domain.md §3.3 and §7). Idempotent: stable ids,
skipped when present.

PFs and organisations belong to the members service and normally arrive through its events. So that this
seed works on its own, the local copies of the four demo PFs are written with the ids the members demo uses:
    platform id = uuid5(NAMESPACE_URL, "https://tsunagu.example.jp/demo/platform/<area_code>")
at revision 0, so the members service's own `platform.created` (revision ≥ 1) replaces them.

Only what the source states is seeded. Where it gives percentages without the number of respondents
(江東区's forum, 品川区's lecture), the figures go into the trial project's outcome verification, not into an
invented survey. Attendance categories not broken down in the source are recorded as その他 (other).

  python -m services.events.demo_data
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone

from services.servicekit import migrations, settings
from services.servicekit.caller import SYSTEM
from services.servicekit.database import UnitOfWork
from services.servicekit.pg_pool import open_pool

from . import event_catalogue, local_copies, outcomes, repository as repo, trial_projects
from .schemas import (AttendanceSchema, EventCreateSchema, HandoutCreateSchema, SurveySchema,
                      TrialProjectCreateSchema, TrialProjectVerifySchema)

from services.servicekit.demo_ids import DEMO, demo_platform_id  # noqa: E402

log = logging.getLogger(__name__)
platform_id = demo_platform_id  # the PF ids the members demo creates


def demo_id(kind: str, slug: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{DEMO}/{kind}/{slug}"))


PLATFORMS = [
    ("01", "prefecture", "ほっかいどう孤独・孤立対策官民連携プラットフォーム"),
    ("012301", "municipality", "登別市孤独・孤立対策官民連携プラットフォーム"),
    ("131083", "municipality", "江東区孤独・孤立対策官民連携プラットフォーム"),
    ("131091", "municipality", "品川区孤独・孤立対策官民連携プラットフォーム"),
]

TRIAL_PROJECTS = [
    # 北海道 ① … ⑤
    ("hokkaido-1", "01", {
        "name": "地域版の連携PFのモデル事業（釧路）", "fiscal_year": 2023, "timing_text": "2024年1月",
        "content": "釧路総合振興局管内で地域版の連携PFの立上げに向けた意見交換（1/18 一般社団法人釧路社会的企業創造協議会・"
                   "釧路地区食でつながるネットワーク、1/30 釧路市）",
        "kpi_text": "地域のニーズに合ったPFの形が整理され、次年度に全振興局で展開できるモデルとなる",
        "contractors": [{"name": "発注なし", "amount_yen": 0, "note": "費用なし"}], "kpis": []},
     {"verification_text": "期待の声を収集し、立上げ体制・想定メンバー・役割分担を整理した", "verified_on": "2024-03-15"}),
    ("hokkaido-2", "01", {
        "name": "道内基礎自治体の職員等を対象とした研修会（ひきこもり）", "fiscal_year": 2023, "timing_text": "2024年1月29日",
        "content": "第1部 情報交換会、第2部 講演会（大西参与、山田ルイ53世、筑波大学 斎藤先生、パネルディスカッション）",
        "kpi_text": "ひきこもりの課題を周知し、取組が進んでいない地域の取組開始につなげる",
        "contractors": [{"name": "株式会社北日本広告社", "amount_yen": 3_100_000}],
        "kpis": [{"code": "participants", "label": "参加者数", "unit": "人"},
                 {"code": "survey_answers", "label": "アンケート回答数", "unit": "件"},
                 {"code": "understanding_rate", "label": "理解できた割合", "unit": "%"},
                 {"code": "navi_first_learned_rate", "label": "ナビを初めて知った割合", "unit": "%"}]},
     {"verification_text": "参加者342名、アンケート回答108件。約3割が「誰にでも起こりうる」と新たに認識。"
                           "理解度は「よく理解できた」43.5%＋「理解できた」51.9%。84.3%がナビを初めて知った。",
      "verified_on": "2024-03-15",
      "measurements": {"participants": {"measured": 342}, "survey_answers": {"measured": 108},
                       "understanding_rate": {"measured": 95.4}, "navi_first_learned_rate": {"measured": 84.3}}}),
    ("hokkaido-3", "01", {
        "name": "道民を対象とした啓発イベント", "fiscal_year": 2023, "timing_text": "2024年2月23日",
        "content": "イオン札幌発寒店すずらん広場で13時・15時の2回（各約40分）。ゲスト 大西連氏、YouTuberピアニスト ふみ氏、"
                   "インフルエンサー 読書オタなつみ氏",
        "kpi_text": "道民が孤独・孤立と身近な支援を知る",
        "contractors": [{"name": "株式会社北日本広告社", "amount_yen": 1_800_000}],
        "kpis": [{"code": "goods_handed_out", "label": "配布グッズ数", "unit": "個"},
                 {"code": "survey_answers", "label": "アンケート回答数", "unit": "件"},
                 {"code": "navi_first_learned_rate", "label": "ナビを初めて知った割合", "unit": "%"}]},
     {"verification_text": "グッズ400個配布、アンケート78件。2割が問題自体を、半数が誰にでも起こりうることを知った。"
                           "つながりの大切さを理解 56.4%＋42.3%。87.2%がナビを初めて知った。",
      "verified_on": "2024-03-15",
      "measurements": {"goods_handed_out": {"measured": 400}, "survey_answers": {"measured": 78},
                       "navi_first_learned_rate": {"measured": 87.2}}}),
    ("hokkaido-4", "01", {
        "name": "PRツール制作（手袋型ロゴ、ポケットティッシュ、15秒・30秒動画、デジタルポスター、シャープペンシル）",
        "fiscal_year": 2023, "timing_text": "2023年12月〜2024年2月", "kpi_text": "孤独・孤立の問題を周知する",
        "contractors": [{"name": "株式会社インサイト", "amount_yen": 1_700_000}],
        "kpis": [{"code": "tissues_handed_out", "label": "ティッシュ配布数", "unit": "個"}]},
     {"verification_text": "2イベントで約1,000個のティッシュを配布、市町村にも送付。動画は集客と今後のサイネージに活用。",
      "verified_on": "2024-03-15", "measurements": {"tissues_handed_out": {"measured": 1000}}}),
    ("hokkaido-5", "01", {
        "name": "北海道支援情報ナビの普及（チラシ・カード・ステッカー）", "fiscal_year": 2023,
        "timing_text": "2024年1月〜2月",
        "kpi_text": "ナビを知る人を増やし、ナビに登録する相談窓口・NPO等を増やす",
        "contractors": [{"name": "北海道ねっとわーく", "amount_yen": 1_050_000}],
        "kpis": [{"code": "navi_first_learned_rate", "label": "イベントでナビを初めて知った割合", "unit": "%"}]},
     {"verification_text": "配布物を手に取る姿が見られた。イベントで87%が初めて知った。以前から知っていた人の47.1%は研修会・会議で、"
                           "41.2%は配布物で知った。",
      "verified_on": "2024-03-15", "measurements": {"navi_first_learned_rate": {"measured": 87}}}),
    # 登別市 ① … ③
    ("noboribetsu-1", "012301", {
        "name": "PF推進会議・つながりサポーター養成講座", "fiscal_year": 2023, "timing_text": "2024年2月16日",
        "content": "第1部 PF推進会議（市長挨拶、大西参与講演「孤独・孤立対策の現状と対策の方向性～地域での取り組みに着目して～」）、"
                   "第2部 つながりサポーター養成講座（株式会社Ridilover、内閣官房の別事業）",
        "kpi_text": "PF構成団体が市の方針を理解し、つながりサポーターへの関心が高まる",
        "contractors": [{"name": "有限会社ビジュアル・アートバウ", "note": "動画・DVD制作（金額の記載なし）"},
                        {"name": "社会福祉法人ホープ", "note": "印刷（金額の記載なし）"},
                        {"name": "株式会社アサヒ", "note": "臨時駐車場の除雪（金額の記載なし）"}],
        "kpis": [{"code": "participants", "label": "参加者数", "unit": "人"},
                 {"code": "understanding_rate", "label": "理解が深まった割合", "unit": "%"},
                 {"code": "intention_rate", "label": "孤独・孤立の視点で行動したい割合", "unit": "%"}]},
     {"verification_text": "約70名（参加者表では73名）。95%が理解を深め、58%が孤独・孤立の視点を持って行動したいと回答（N=41/47/50）。",
      "verified_on": "2024-03-15",
      "measurements": {"participants": {"measured": 73}, "understanding_rate": {"measured": 95},
                       "intention_rate": {"measured": 58}}}),
    ("noboribetsu-2", "012301", {
        "name": "周辺地域を対象とする広域的なリソース調査", "fiscal_year": 2023, "timing_text": "2024年2月5日〜25日",
        "content": "北海道オープンデータのNPO法人87団体に郵送で依頼し、オンラインで回答",
        "kpi_text": "連携先候補となる団体を把握する",
        "contractors": [{"name": "株式会社サーベイリサーチセンター", "note": "金額の記載なし"}],
        "kpis": [{"code": "surveyed", "label": "調査対象団体数", "unit": "団体"},
                 {"code": "answered", "label": "回答団体数", "unit": "団体"},
                 {"code": "response_rate", "label": "回収率", "unit": "%"}]},
     {"verification_text": "87団体中19団体が回答（市内5）、回収率21.8%。16団体（84.2%）が関連する活動（居場所づくり9、相談窓口5、"
                           "その他5）。15団体が必要性を感じ、7団体が事例を回答。",
      "verified_on": "2024-03-15",
      "measurements": {"surveyed": {"measured": 87}, "answered": {"measured": 19}, "response_rate": {"measured": 21.8}}}),
    ("noboribetsu-3", "012301", {
        "name": "相談窓口を掲載した普及啓発パンフレット", "fiscal_year": 2023, "timing_text": "2024年1月制作、2月配布",
        "content": "市の相談窓口と、匿名で相談できる国・北海道・民間の窓口を掲載", "kpi_text": "市民が相談先を知る",
        "contractors": [{"name": "北海印刷株式会社", "note": "金額の記載なし"}],
        "kpis": [{"code": "copies", "label": "配布部数", "unit": "部"}]},
     {"verification_text": "23,000部：市報折込19,000部、26か所で4,000部。", "verified_on": "2024-03-15",
      "measurements": {"copies": {"measured": 23000}}}),
    # 江東区 ① … ③
    ("koto-1", "131083", {
        "name": "フォーラム「孤独・孤立を考える」", "fiscal_year": 2023, "timing_text": "2024年2月6日",
        "content": "区長 大久保朋果、駒村康平（慶應義塾大学）「『仲良くすんべぇ』の江東区」、高橋良太（全社協）、司会 関谷亜矢子。"
                   "字幕付きYouTubeアーカイブ（2024年3月4日公開）",
        "kpi_text": "孤独・孤立の普及啓発、支援を知る、法施行後の方向性",
        "contractors": [{"name": "東京ベイネットワーク", "amount_yen": 2_000_000, "note": "イベント"},
                        {"name": "アクセア", "amount_yen": 300_000, "note": "印刷"}],
        "kpis": [{"code": "participants", "label": "参加者数", "unit": "人"},
                 {"code": "archive_views", "label": "アーカイブ視聴回数（約1週間）", "unit": "回"},
                 {"code": "picture_isolated_rate", "label": "孤立している人を具体的に想像できた割合", "unit": "%"},
                 {"code": "someone_near_rate", "label": "身近にいると思う割合", "unit": "%"}]},
     {"verification_text": "参加110名。12%はこれまで身近な孤立者を考えたことがなかった。72%が具体的に想像でき、81%が身近にいると思う。"
                           "YouTube 279回視聴（3/11時点）。区長のX投稿 1,932表示・51いいね・8リポスト（3/8）。掲示板約100か所と区報で周知。",
      "verified_on": "2024-03-11",
      "measurements": {"participants": {"measured": 110}, "archive_views": {"measured": 279},
                       "picture_isolated_rate": {"measured": 72}, "someone_near_rate": {"measured": 81}}}),
    ("koto-2", "131083", {
        "name": "NPO等における人とのつながり・居場所づくりに係る取組み調査", "fiscal_year": 2023,
        "timing_text": "2024年1月〜2月", "content": "オンライン調査", "kpi_text": "関係団体とPFへの参画意向のある団体を把握する",
        "contractors": [{"name": "マクロミル", "amount_yen": 1_000_000}],
        "kpis": [{"code": "sent", "label": "送付団体数", "unit": "団体"}, {"code": "answered", "label": "回答団体数", "unit": "団体"},
                 {"code": "feel_need_rate", "label": "必要性を感じる割合", "unit": "%"}]},
     {"verification_text": "216団体に送付、62団体が回答。95.2%（59）が必要性を感じる。", "verified_on": "2024-03-11",
      "measurements": {"sent": {"measured": 216}, "answered": {"measured": 62}, "feel_need_rate": {"measured": 95.2}}}),
    ("koto-3", "131083", {
        "name": "フォーラムのチラシ・ポスターと相談窓口リーフレット（寄り添いサポートリスト）", "fiscal_year": 2023,
        "timing_text": "2023年12月発注、2024年2月末配布", "kpi_text": "フォーラムの周知と相談先の案内",
        "contractors": [{"name": "ヱビス印刷", "amount_yen": 400_000}],
        "kpis": [{"code": "leaflets", "label": "リーフレット配布部数", "unit": "部"}]},
     {"verification_text": "リーフレット1,000部を14種類の配布先へ。", "verified_on": "2024-03-11",
      "measurements": {"leaflets": {"measured": 1000}}}),
    # 品川区 ① ②
    ("shinagawa-1", "131091", {
        "name": "関係団体ヒアリングとPFの構想", "fiscal_year": 2023, "timing_text": "2024年1月〜3月上旬",
        "content": "若者の孤独・孤立の実態把握のため庁内5部署、支援団体6団体（区内4・区外2）、当事者11名（20代6・30代5）にヒアリング",
        "kpi_text": "若者の孤独・孤立を理解し、PFの基盤をつくる",
        "contractors": [{"name": "一般社団法人RCF", "amount_yen": 3_960_938}],
        "kpis": [{"code": "divisions", "label": "ヒアリング部署数", "unit": "部署"},
                 {"code": "organisations", "label": "ヒアリング団体数", "unit": "団体"},
                 {"code": "people_with_experience", "label": "当事者ヒアリング人数", "unit": "人"}]},
     {"verification_text": "オンライン相談、SNSでのアウトリーチのニーズを把握。", "verified_on": "2024-03-15",
      "measurements": {"divisions": {"measured": 5}, "organisations": {"measured": 6},
                       "people_with_experience": {"measured": 11}}}),
    ("shinagawa-2", "131091", {
        "name": "重層的支援体制整備事業の庁内研修（講演会）", "fiscal_year": 2023, "timing_text": "2024年3月5日",
        "content": "宮本太郎（中央大学）「生活困窮、孤独・孤立をめぐる新たな政策と制度」、5〜6人×8グループのグループワーク",
        "kpi_text": "部署を越えた関係づくり", "contractors": [{"name": "発注なし", "amount_yen": 0}],
        "kpis": [{"code": "participants", "label": "参加者数", "unit": "人"},
                 {"code": "understanding_rate", "label": "理解が深まった割合", "unit": "%"},
                 {"code": "awareness_rate", "label": "誰にでも起こりうると初めて知った割合", "unit": "%"}]},
     {"verification_text": "46名参加。95%が理解を深め、49%が誰にでも起こりうることを初めて知った。", "verified_on": "2024-03-05",
      "measurements": {"participants": {"measured": 46}, "understanding_rate": {"measured": 95},
                       "awareness_rate": {"measured": 49}}}),
]

NOBORIBETSU_ATTENDANCE = {"pf_member": 14, "commissioner": 27, "support_agency": 5, "councillor": 1,
                          "government": 5, "contractor": 6, "secretariat": 15}

EVENTS = [
    ("hokkaido-pf-1", "01", None, {
        "type": "pf_meeting", "title": "ほっかいどう孤独・孤立対策官民連携プラットフォーム 第1回会議",
        "audiences": ["pf_members"], "sessions": [{"date": "2023-10-26", "venue_name": "札幌市内",
                                                   "venue_area_code": "011002"}]}, None, None),
    ("kushiro-exchange", "01", "hokkaido-1", {
        "type": "information_exchange", "title": "釧路地域の連携PFに向けた意見交換",
        "audiences": ["supporters", "government_staff"],
        "co_hosts": [{"name": "一般社団法人釧路社会的企業創造協議会"}, {"name": "釧路地区食でつながるネットワーク"}],
        "sessions": [{"label": "関係団体", "date": "2024-01-18", "venue_name": "釧路市内", "venue_area_code": "012068"},
                     {"label": "釧路市", "date": "2024-01-30", "venue_name": "釧路市役所", "venue_area_code": "012068"}]},
     None, None),
    ("hokkaido-hikikomori-training", "01", "hokkaido-2", {
        "type": "training", "title": "道内基礎自治体の職員等を対象とした研修会（ひきこもり）",
        "audiences": ["government_staff", "supporters"], "contractor": "株式会社北日本広告社",
        "speakers": [{"name": "大西連", "role": "講師", "affiliation": "内閣官房 孤独・孤立対策担当室 政策参与"},
                     {"name": "山田ルイ53世", "role": "講師", "affiliation": "髭男爵"},
                     {"name": "斎藤環", "role": "講師", "affiliation": "筑波大学"}],
        "sessions": [{"label": "第1部 情報交換会", "date": "2024-01-29", "start_time": "09:30", "end_time": "12:00",
                      "venue_name": "共済ホール", "venue_area_code": "011002"},
                     {"label": "第2部 講演会", "date": "2024-01-29", "start_time": "12:00",
                      "venue_name": "共済ホール", "venue_area_code": "011002"}]},
     {"head_counts": {"other": 342}},
     {"respondents": 108, "questions": [
         {"template_code": "awareness_anyone", "answered": 108, "counts": {"first_time": 32, "knew": 76}},
         {"template_code": "understanding", "answered": 108, "counts": {"4": 47, "3": 56}},
         {"template_code": "intention_to_act", "answered": 47, "text": "（福祉関係職員）今後とりたい行動",
          "counts": {"act_with_perspective": 23, "review_methods": 11, "awareness_activity": 7,
                     "start_new_support": 6, "survey_identify": 4, "other": 3}},
         {"template_code": "navi_first_learned", "answered": 108, "counts": {"first_time": 91, "knew": 17}},
         {"template_code": "navi_learned_how", "answered": 17, "counts": {"training_meeting": 8, "handout": 7}}]}),
    ("hokkaido-awareness-event", "01", "hokkaido-3", {
        "type": "awareness_event", "title": "道民を対象とした孤独・孤立対策啓発イベント", "audiences": ["residents"],
        "public": True, "contractor": "株式会社北日本広告社",
        "speakers": [{"name": "大西連", "role": "ゲスト"}, {"name": "ふみ", "role": "ゲスト", "affiliation": "YouTuberピアニスト"},
                     {"name": "読書オタなつみ", "role": "ゲスト", "affiliation": "インフルエンサー"}],
        "sessions": [{"label": "1回目", "date": "2024-02-23", "start_time": "13:00", "end_time": "13:40",
                      "venue_name": "イオン札幌発寒店 すずらん広場", "venue_area_code": "011002"},
                     {"label": "2回目", "date": "2024-02-23", "start_time": "15:00", "end_time": "15:40",
                      "venue_name": "イオン札幌発寒店 すずらん広場", "venue_area_code": "011002"}]},
     None,
     {"respondents": 78, "questions": [
         {"template_code": "awareness_anyone", "answered": 78, "counts": {"first_time": 39}},
         {"template_code": "understanding", "text": "人とのつながりの大切さを理解できましたか", "answered": 78,
          "counts": {"4": 44, "3": 33}},
         {"template_code": "navi_first_learned", "answered": 78, "counts": {"first_time": 68, "knew": 10}},
         {"kind": "single_choice", "text": "年代", "answered": 78,
          "options": [{"code": "u19", "label": "10代以下"}, {"code": "20_30", "label": "20〜30代"},
                      {"code": "40_50", "label": "40〜50代"}, {"code": "60_70", "label": "60〜70代"},
                      {"code": "80", "label": "80代以上"}],
          "counts": {"u19": 3, "20_30": 9, "40_50": 46, "60_70": 19, "80": 1}}]}),
    ("noboribetsu-pf-meeting", "012301", "noboribetsu-1", {
        "type": "pf_meeting", "title": "登別市孤独・孤立対策官民連携PF推進会議・つながりサポーター養成講座",
        "audiences": ["pf_members", "supporters"],
        "co_hosts": [{"name": "株式会社Ridilover"}],
        "speakers": [{"name": "大西連", "role": "講師", "affiliation": "内閣官房 政策参与",
                      "topic": "孤独・孤立対策の現状と対策の方向性～地域での取り組みに着目して～"}],
        "sessions": [{"label": "第1部 PF推進会議", "date": "2024-02-16", "start_time": "13:30",
                      "venue_name": "登別市観光交流センター「ヌプル」", "venue_area_code": "012301"},
                     {"label": "第2部 つながりサポーター養成講座", "date": "2024-02-16", "end_time": "16:00",
                      "venue_name": "登別市観光交流センター「ヌプル」", "venue_area_code": "012301"}]},
     {"head_counts": NOBORIBETSU_ATTENDANCE},
     {"respondents": 50, "questions": [
         {"template_code": "understanding", "answered": 41, "counts": {"4": 39}},
         {"template_code": "intention_to_act", "answered": 50, "counts": {"act_with_perspective": 29}}]}),
    ("koto-forum", "131083", "koto-1", {
        "type": "forum", "title": "孤独・孤立を考えるフォーラム", "audiences": ["residents", "supporters"], "public": True,
        "contractor": "東京ベイネットワーク",
        "speakers": [{"name": "大久保朋果", "role": "挨拶", "affiliation": "江東区長"},
                     {"name": "駒村康平", "role": "講演", "affiliation": "慶應義塾大学",
                      "topic": "『仲良くすんべぇ』の江東区"},
                     {"name": "高橋良太", "role": "登壇", "affiliation": "全国社会福祉協議会"},
                     {"name": "関谷亜矢子", "role": "司会"}],
        "archive_media_url": f"{DEMO}/archive/koto-forum-2024", "archive_view_count": 279,
        "archive_views_as_of": "2024-03-11",
        "sessions": [{"date": "2024-02-06", "start_time": "19:00", "end_time": "20:30",
                      "venue_name": "江東区総合区民センター レクホール", "venue_area_code": "131083"}]},
     {"head_counts": {"other": 110}}, None),
    ("shinagawa-lecture", "131091", "shinagawa-2", {
        "type": "lecture", "title": "孤独・孤立対策 庁内講演会（重層的支援体制整備事業）", "audiences": ["government_staff"],
        "speakers": [{"name": "宮本太郎", "role": "講師", "affiliation": "中央大学",
                      "topic": "生活困窮、孤独・孤立をめぐる新たな政策と制度"}],
        "sessions": [{"date": "2024-03-05", "start_time": "10:00", "end_time": "12:00",
                      "venue_name": "品川介護福祉専門学校", "venue_area_code": "131091"}]},
     {"head_counts": {"government": 46}}, None),
]

HANDOUTS = [
    ("noboribetsu-pamphlet", "012301", "noboribetsu-3", None, {
        "item": "孤独・孤立対策 相談窓口パンフレット", "kind": "pamphlet", "copies_printed": 23000,
        "distributed_on": "2024-02-01", "distributions": [
            {"site_kind": "市報折込", "copies": 19000},
            {"site_kind": "保健福祉部各課", "copies": 1370}, {"site_kind": "市民相談・納税相談窓口", "copies": 230},
            {"site_kind": "社会福祉協議会", "copies": 400}, {"site_kind": "民生委員児童委員協議会", "copies": 1500},
            {"site_kind": "地域包括支援センター", "site_count": 3, "copies": 150},
            {"site_kind": "登別市総合相談支援センター en", "copies": 300},
            {"site_kind": "地域若者サポートステーション", "copies": 50}]}),
    ("koto-leaflet", "131083", "koto-3", None, {
        "item": "寄り添いサポートリスト（相談窓口リーフレット）", "kind": "leaflet", "copies_printed": 1000,
        "distributed_on": "2024-02-26", "distributions": [
            {"site_kind": "長寿サポートセンター", "site_count": 21, "copies": 210},
            {"site_kind": "福祉会館", "site_count": 7, "copies": 70},
            {"site_kind": "ふれあいセンター", "site_count": 4, "copies": 40},
            {"site_kind": "高齢者総合施設", "copies": 10}, {"site_kind": "社会福祉協議会", "copies": 350},
            {"site_kind": "出張所", "site_count": 8, "copies": 80}, {"site_kind": "保健所", "copies": 10},
            {"site_kind": "保健相談所", "site_count": 4, "copies": 40}, {"site_kind": "保護第二課相談係", "copies": 50},
            {"site_kind": "福祉課", "copies": 10}, {"site_kind": "保護第一課相談係", "copies": 50},
            {"site_kind": "広報広聴課", "copies": 10}, {"site_kind": "区議会事務局", "copies": 50},
            {"site_kind": "長寿応援課", "copies": 20}]}),
    ("hokkaido-awareness-goods", "01", "hokkaido-3", "hokkaido-awareness-event", {
        "item": "啓発グッズ", "kind": "goods", "distributed_on": "2024-02-23",
        "distributions": [{"site_kind": "啓発イベント会場", "copies": 400}]}),
    ("hokkaido-tissues", "01", "hokkaido-4", None, {
        "item": "ポケットティッシュ（手袋型ロゴ）", "kind": "goods", "distributed_on": "2024-02-23",
        "distributions": [{"site_kind": "イベント会場", "site_count": 2, "copies": 1000}]}),
]


def seed(dsn: str | None = None) -> dict:
    """Write the demo data (idempotent). Returns counts of what was added this time."""
    dsn = dsn or settings.database_url("events")
    migrations.ensure_database("events")
    migrations.apply_migrations(dsn, "events")
    added = {"platforms": 0, "trial_projects": 0, "events": 0, "handouts": 0}
    pool = open_pool(dsn, min_size=1, max_size=2, name="events-demo")
    held_at = datetime.now(timezone.utc)
    try:
        def uow():
            from contextlib import contextmanager

            @contextmanager
            def unit():
                with pool.connection() as conn, conn.transaction():
                    yield UnitOfWork(conn, "events", "demo-seed", "events.demo_data")
            return unit()

        with uow() as u:
            for area, level, name in PLATFORMS:
                if repo.platform(u.conn, platform_id(area)) is None:
                    local_copies.apply_platform(u.conn, {
                        "platform_id": platform_id(area), "revision": 0, "level": level, "area_code": area,
                        "parent_platform_id": platform_id("01") if area.startswith("01") and area != "01" else None,
                        "name": name, "phase": "established", "secretariat_organization_ids": []})
                    added["platforms"] += 1
        for slug, area, body, verification in TRIAL_PROJECTS:
            pid = demo_id("trial-project", slug)
            with uow() as u:
                if repo.trial_project(u.conn, pid) is not None:
                    continue
                trial_projects.create(u, SYSTEM, TrialProjectCreateSchema().load(
                    {**body, "platform_id": platform_id(area)}), project_id=pid)
                trial_projects.verify(u, SYSTEM, pid, TrialProjectVerifySchema().load(verification))
                added["trial_projects"] += 1
        for slug, area, project, body, attendance, survey in EVENTS:
            eid = demo_id("event", slug)
            with uow() as u:
                if repo.event(u.conn, eid) is not None:
                    continue
                data = EventCreateSchema().load({
                    **body, "host_platform_id": platform_id(area), "registration_enabled": False,
                    "trial_project_id": demo_id("trial-project", project) if project else None})
                event_catalogue.create_event(u, SYSTEM, eid, data)
                event_catalogue.change_status(u, SYSTEM, eid, "held", held_at)
                if attendance:
                    outcomes.record_attendance(u, SYSTEM, eid, AttendanceSchema().load(attendance))
                if survey:
                    outcomes.record_survey(u, SYSTEM, eid, SurveySchema().load(survey))
                added["events"] += 1
        for slug, area, project, event_slug, body in HANDOUTS:
            hid = demo_id("handout", slug)
            with uow() as u:
                if repo.handout(u.conn, hid) is not None:
                    continue
                outcomes.record_handout(u, SYSTEM, HandoutCreateSchema().load({
                    **body, "platform_id": platform_id(area), "trial_project_id": demo_id("trial-project", project),
                    "event_id": demo_id("event", event_slug) if event_slug else None}), handout_id=hid)
                added["handouts"] += 1
    finally:
        pool.close()
    return added


def main():
    logging.basicConfig(level="WARNING")
    print("events demo data:", seed())


if __name__ == "__main__":
    main()
