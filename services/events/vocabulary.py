"""Code lists of the events domain (domain.md §3.1, §2.4; standards.md §4.2). Codes are stable English
identifiers; labels are the Japanese terms the PFs use. Stored as codes, shown as labels."""
from __future__ import annotations

EVENT_TYPES = {
    "pf_meeting": "PF会合・運営会議",
    "preparatory_meeting": "準備会",
    "training": "研修会",
    "lecture": "講演会",
    "awareness_event": "啓発イベント",
    "symposium": "シンポジウム",
    "forum": "フォーラム",
    "supporter_course": "つながりサポーター養成講座",
    "study_session": "勉強会・研究会",
    "information_exchange": "情報交換会",
    "round_table": "懇談会",
    "policy_briefing": "施策説明会",
    "other": "その他",
}

AUDIENCES = {
    "government_staff": "行政職員",
    "supporters": "支援者",
    "pf_members": "PF構成団体",
    "residents": "一般住民",
}

ATTENDEE_CATEGORIES = {
    "pf_member": "PF構成団体",
    "commissioner": "民生委員児童委員",
    "councillor": "議員",
    "government": "行政",
    "support_agency": "支援機関",
    "npo": "NPO法人",
    "contractor": "孤独・孤立事業採択団体",
    "general": "一般",
    "secretariat": "事務局",
    "other": "その他",
}

PARTICIPANT_KINDS = ("organization", "individual", "anonymous")

# Event status: planned → open → closed → held, or cancelled (events without registration: planned → held).
EVENT_STATUSES = ("planned", "open", "closed", "held", "cancelled")
