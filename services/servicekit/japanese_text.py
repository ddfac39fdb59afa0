"""Japanese-first text folding for search (every service uses this one): NFKC (full-width → half-width, compatibility forms), lower case,
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
