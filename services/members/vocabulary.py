"""The members service's closed vocabularies: legal forms, activity types, referral capacity, PF levels and
phases, membership classes, statuses and recruitment sources. Japanese labels are what staff see."""
from __future__ import annotations

# Legal forms (法人格・団体種別) seen in the PF rosters (domain.md §2.3). The value is the Japanese form itself.
LEGAL_FORMS: tuple[str, ...] = (
    "社会福祉協議会", "NPO法人", "認定NPO法人", "社会福祉法人", "一般社団法人", "一般財団法人", "公益社団法人",
    "公益財団法人", "任意団体", "株式会社", "有限会社", "合同会社", "相互会社", "協同組合", "医療法人", "学校法人",
    "行政機関", "町内会・自治会", "民生委員児童委員協議会", "大学", "郵便局", "その他",
)

# Spellings found in rosters, survey results and navi exports, mapped to the canonical form.
LEGAL_FORM_ALIASES: dict[str, str] = {
    "特定非営利活動法人": "NPO法人", "特非": "NPO法人", "(特非)": "NPO法人", "npo": "NPO法人", "npo法人": "NPO法人",
    "認定特定非営利活動法人": "認定NPO法人", "認定npo法人": "認定NPO法人",
    "社福": "社会福祉法人", "(社福)": "社会福祉法人", "社協": "社会福祉協議会",
    "一社": "一般社団法人", "(一社)": "一般社団法人", "一財": "一般財団法人", "公社": "公益社団法人",
    "公財": "公益財団法人", "(公財)": "公益財団法人", "(株)": "株式会社", "（株）": "株式会社",
    "町内会": "町内会・自治会", "自治会": "町内会・自治会", "町会": "町内会・自治会", "町会・自治会": "町内会・自治会",
    "民児協": "民生委員児童委員協議会", "自治体": "行政機関", "行政": "行政機関", "官公庁": "行政機関",
}

ACTIVITY_TYPES: dict[str, str] = {
    "consultation": "相談窓口",
    "place_to_belong": "居場所づくり",
    "outreach": "アウトリーチ",
    "other": "その他",
}
ACTIVITY_TYPE_BY_LABEL = {label: code for code, label in ACTIVITY_TYPES.items()}

REFERRAL_CAPACITY: dict[str, str] = {"accepting": "受入可", "paused": "受入停止", "waitlist": "待機"}

PLATFORM_LEVELS: tuple[str, ...] = ("prefecture", "bureau", "municipality", "cross_area")
PHASES: dict[str, str] = {"initial": "初期", "preparation": "準備", "established": "設立",
                          "self_running": "自走"}
PHASE_ORDER = {phase: i for i, phase in enumerate(PHASES)}

MEMBERSHIP_CLASSES: dict[str, str] = {"steering": "幹事会員", "member": "会員", "core": "コアメンバー",
                                      "observer": "オブザーバー"}
CORE_TIER_CLASSES = frozenset({"steering", "core"})
MEMBERSHIP_STATUSES: tuple[str, ...] = ("invited", "applied", "active", "suspended", "withdrawn")

RECRUITMENT_SOURCES: dict[str, str] = {
    "navi_registration": "支援情報ナビ登録",
    "resource_survey": "リソース調査",
    "grant_recipient": "助成先リスト",
    "existing_council": "既存の会議体",
    "key_person": "キーパーソンの紹介",
    "direct_approach": "直接の働きかけ",
    "self_application": "参加の申し出",
    "other": "その他",
}


def canonical_legal_form(value: str | None) -> str | None:
    """The canonical legal form for a value as written in a roster or CSV, or None if unknown."""
    if value is None:
        return None
    import unicodedata
    text = unicodedata.normalize("NFKC", value).strip()
    if text in LEGAL_FORMS:
        return text
    folded = text.lower().replace("（", "(").replace("）", ")")
    for alias, form in LEGAL_FORM_ALIASES.items():
        if folded == unicodedata.normalize("NFKC", alias).lower():
            return form
    upper = {f.lower(): f for f in LEGAL_FORMS}
    return upper.get(folded)


def tier_of(membership_class: str) -> str:
    return "core" if membership_class in CORE_TIER_CLASSES else "wider"
