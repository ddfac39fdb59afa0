"""Japanese text for the directory's search index, on top of the kit's one folding
(`services.servicekit.japanese_text.fold`: NFKC, lower case, katakana→hiragana, no whitespace).

Why not pg_trgm alone: its trigrams depend on the database's ctype (a plain C ctype yields none for kana and
kanji), and a trigram index cannot serve the one- and two-character queries common in Japanese (「食堂」).
The directory indexes, per organisation, the unigrams and bigrams of its folded text (the SQL function
`members_ngrams`, a GIN expression index): independent of ctype, and any query of one or more characters narrows
the candidates by index before the exact substring check. A query's words (split on any whitespace, full-width
included) must all match (AND).
"""
from __future__ import annotations

import re
import unicodedata

from services.servicekit.japanese_text import fold, like_pattern  # noqa: F401  (re-exported for the repository)

_WHITESPACE = re.compile(r"\s+")


def search_terms(query: str | None) -> list[str]:
    """A query's words, each folded; every one must match."""
    words = _WHITESPACE.split(unicodedata.normalize("NFKC", query or ""))
    return [t for t in (fold(w) for w in words) if t]


def ngrams_of_term(term: str) -> set[str]:
    """What a folded term needs from the index: its bigrams, or its one character."""
    if len(term) == 1:
        return {term}
    return {term[i:i + 2] for i in range(len(term) - 1)}


def search_text(*texts: str | None) -> str:
    """The folded texts, one per line, so that no match spans two of them (name, kana, description …)."""
    return "\n".join(f for f in (fold(t) for t in texts) if f)


def document_ngrams(*texts: str | None) -> list[str]:
    """Every unigram and bigram of each folded text, sorted: what `members_ngrams(search_text)` computes in SQL."""
    grams: set[str] = set()
    for token in search_text(*texts).split("\n"):
        grams.update(token)
        grams.update(token[i:i + 2] for i in range(len(token) - 1))
    return sorted(grams)
