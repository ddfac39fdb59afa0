from services.events.text_search import event_search_text
from services.servicekit.japanese_text import fold, like_pattern


def test_folding_for_japanese_search():
    assert fold("ＰＦ推進会議") == fold("pf 推進会議") == "pf推進会議"
    assert fold("フォーラム") == fold("ふぉーらむ")
    assert fold("ｶﾀｶﾅ") == "かたかな"  # half-width katakana via NFKC
    assert like_pattern("100%_x") == "%100\\%\\_x%"


def test_search_text_covers_title_venue_and_speakers():
    text = event_search_text({"title": "孤独・孤立を考えるフォーラム", "speakers": [{"name": "駒村康平"}]},
                             [{"venue_name": "総合区民センター レクホール"}])
    assert fold("ﾌｫｰﾗﾑ") in text and "駒村康平" in text and fold("レクホール") in text
