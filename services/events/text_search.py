"""Japanese-first text folding for search: NFKC (full-width → half-width, compatibility forms), lower case,
katakana → hiragana, no whitespace. 'ＰＦ推進会議' and 'pf 推進会議' match; 'フォーラム' matches 'ふぉーらむ'."""
from __future__ import annotations

import unicodedata

_KATAKANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def fold(text: str | None) -> str:
    normalised = unicodedata.normalize("NFKC", text or "").lower().translate(_KATAKANA)
    return "".join(normalised.split())


def like_pattern(query: str) -> str:
    escaped = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def event_search_text(event: dict, sessions: list[dict]) -> str:
    parts = [event.get("title"), event.get("description"), event.get("contractor")]
    parts += [s.get("venue_name") for s in sessions]
    parts += [s.get("name") for s in event.get("speakers") or []]
    parts += [c.get("name") for c in event.get("co_hosts") or []]
    return " ".join(fold(p) for p in parts if p)
