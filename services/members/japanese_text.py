"""Japanese text for search: NFKC (full/half width), lower case, katakana folded to hiragana; and the
character n-grams the directory index stores.

Why not pg_trgm alone: its trigrams depend on the database's ctype (a plain C ctype yields none for kana and
kanji), and a trigram index cannot serve the one- and two-character queries that are common in Japanese
(「食堂」, 「居場所」 is three). The directory stores, per organisation, the set of unigrams and bigrams of the
folded text in a GIN-indexed text[]: independent of ctype, and any query of one or more characters narrows
the candidates by index before the exact substring check.
"""
from __future__ import annotations

import re
import unicodedata

_KATAKANA_START, _KATAKANA_END = 0x30A1, 0x30F6  # ァ .. ヶ
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """NFKC + lower case + katakana→hiragana + collapsed spaces. ﾋｷｺﾓﾘ, ヒキコモリ and ひきこもり fold alike."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).lower()
    out = []
    for ch in text:
        code = ord(ch)
        if _KATAKANA_START <= code <= _KATAKANA_END:
            out.append(chr(code - 0x60))
        else:
            out.append(ch)
    return _SPACES.sub(" ", "".join(out)).strip()


def search_terms(query: str | None) -> list[str]:
    """A query split on spaces (full- or half-width) into folded terms; every term must match (AND)."""
    return [t for t in fold(query).split(" ") if t]


def ngrams_of_term(term: str) -> set[str]:
    """What a term needs from the index: its bigrams, or the single character of a one-character term."""
    if len(term) == 1:
        return {term}
    return {term[i:i + 2] for i in range(len(term) - 1)}


def document_ngrams(*texts: str | None) -> list[str]:
    """Every unigram and bigram of the folded texts (bigrams do not cross spaces), sorted for stable storage."""
    grams: set[str] = set()
    for text in texts:
        for token in fold(text).split(" "):
            if not token:
                continue
            grams.update(token)
            grams.update(token[i:i + 2] for i in range(len(token) - 1))
    return sorted(grams)


def search_text(*texts: str | None) -> str:
    """The folded text a substring check runs against; parts separated by a newline so no match spans two."""
    return "\n".join(fold(t) for t in texts if t)


def like_pattern(term: str) -> str:
    """A LIKE pattern for a literal substring (escapes %, _ and the escape character)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
