from services.members import japanese_text as jt

CENTRE = "北海道ひきこもり成年相談センター"


def test_katakana_half_width_and_hiragana_fold_alike():
    assert jt.fold("ヒキコモリ") == jt.fold("ﾋｷｺﾓﾘ") == jt.fold("ひきこもり") == "ひきこもり"
    assert jt.fold("ＮＰＯ法人　もったいないわ・千歳") == "npo法人もったいないわ・千歳"  # the kit's fold drops spaces


def _matches(query: str, text: str) -> bool:
    doc_grams = set(jt.document_ngrams(text))
    folded = jt.search_text(text)
    return all(jt.ngrams_of_term(t) <= doc_grams and t in folded for t in jt.search_terms(query))


def test_substring_search_finds_the_centre_in_every_spelling():
    for query in ("ひきこもり", "ヒキコモリ", "ﾋｷｺﾓﾘ", "相談", "成年相談センター", "北海道 センター", "ｾﾝﾀｰ"):
        assert _matches(query, CENTRE), query
    assert not _matches("ひきこもり家族", CENTRE)
    assert not _matches("北海道 食堂", CENTRE)


def test_one_character_query_uses_a_unigram():
    assert jt.ngrams_of_term("食") == {"食"}
    assert "食" in jt.document_ngrams("子ども食堂")
    assert jt.ngrams_of_term("食堂") == {"食堂"}


def test_bigrams_do_not_cross_fields_and_like_patterns_escape():
    grams = jt.document_ngrams("ab", "cd")  # e.g. name and description
    assert "bc" not in grams and "ab" in grams and "cd" in grams
    assert "bc" in jt.document_ngrams("ab cd")  # inside one field spaces are folded away
    assert jt.like_pattern("100%_\\") == "%100\\%\\_\\\\%"


def test_empty_queries_have_no_terms():
    assert jt.search_terms("  　 ") == []
    assert jt.search_terms(None) == []
    assert jt.search_terms("北海道　ｾﾝﾀｰ") == ["北海道", "せんたー"]
