import base64
import os

import pytest
from cryptography.exceptions import InvalidTag

from services.events.access import can_manage, can_read
from services.events.personal_data import KeyRing, KeyRingError, minimal
from services.events.survey_results import SurveyProblem, kpi, normalise_questions, response_rate
from services.servicekit.caller import Principal


def test_standard_question_fills_its_text_and_options():
    [q] = normalise_questions([{"template_code": "understanding", "answered": 108,
                                "counts": {"4": 47, "3": 56, "2": 5}}], respondents=108)
    assert q["kind"] == "scale" and q["text"].startswith("本日の内容")
    assert q["counts"] == {"4": 47, "3": 56, "2": 5, "1": 0}
    assert kpi("understanding", q["counts"], q["answered"])["rate"] == round(103 / 108, 4)


def test_counts_are_checked():
    with pytest.raises(SurveyProblem) as e:
        normalise_questions([{"template_code": "awareness_anyone", "counts": {"first_time": 60, "knew": 60}}], 108)
    assert e.value.pointer == "#/questions/0/counts"
    with pytest.raises(SurveyProblem):
        normalise_questions([{"kind": "single_choice", "text": "x", "options": [{"code": "a", "label": "A"}],
                              "counts": {"zzz": 1}}], 10)
    with pytest.raises(SurveyProblem):
        normalise_questions([{"kind": "free_text", "text": "x", "answered": 11}], 10)
    # Multiple choice: the ticks may add up to more than the answers, but no option beyond them.
    [q] = normalise_questions([{"template_code": "intention_to_act", "answered": 47,
                                "counts": {"act_with_perspective": 23, "review_methods": 11, "none": 5}}], 50)
    assert kpi("intention_to_act", q["counts"], 47)["positive"] == 42


def test_intention_without_a_none_count_is_the_largest_positive_share():
    # 登別市 2024-02-16: 58% (29 of 50) want to act with the perspective; stored counts list every option as 0 else.
    [q] = normalise_questions([{"template_code": "intention_to_act", "answered": 50,
                                "counts": {"act_with_perspective": 29}}], 50)
    assert q["counts"]["none"] == 0
    assert kpi("intention_to_act", q["counts"], 50)["rate"] == 0.58


def test_response_rate():
    assert response_rate(108, 342) == 0.3158
    assert response_rate(5, 0) is None


def test_scope_of_management_and_reading():
    pref = Principal("p", "prefecture", "01")
    bureau = Principal("b", "bureau", "01B04")
    noboribetsu = Principal("m", "municipality", "012301")
    muroran = Principal("m2", "municipality", "012050")
    koto = Principal("k", "municipality", "131083")
    assert can_manage(noboribetsu, "municipality", "012301")
    assert not can_manage(bureau, "municipality", "012301") and can_read(bureau, "municipality", "012301")
    assert not can_manage(pref, "municipality", "012301") and can_read(pref, "municipality", "012301")
    assert can_manage(bureau, "bureau", "01B04") and not can_manage(noboribetsu, "bureau", "01B04")
    assert not can_read(noboribetsu, "bureau", "01B04")
    assert can_manage(pref, "prefecture", "01") and not can_read(bureau, "prefecture", "01")
    assert not can_read(koto, "municipality", "012301") and not can_read(muroran, "municipality", "012301")
    assert not can_read(Principal("o", "organization", organization_id="x"), "municipality", "012301")
    # A cross-area PF is run by its member municipalities and read by the bureau and prefecture above it.
    assert can_manage(noboribetsu, "cross_area", "xa-nishi-iburi")
    assert can_read(bureau, "cross_area", "xa-nishi-iburi") and not can_manage(bureau, "cross_area", "xa-nishi-iburi")
    assert not can_read(koto, "cross_area", "xa-nishi-iburi")
    assert can_manage(Principal("a", "admin"), "municipality", "131083")


def key():
    return base64.b64encode(os.urandom(32)).decode()


def test_personal_data_is_sealed_bound_to_its_row_and_keys_rotate():
    k1, k2 = key(), key()
    ring1 = KeyRing.parse(f"k1:{k1}", "k1")
    sealed = ring1.seal({"name": "山田 花子"}, "reg-1")
    assert "山田".encode() not in sealed.blob
    assert ring1.open(sealed, "reg-1") == {"name": "山田 花子"}
    with pytest.raises(InvalidTag):
        ring1.open(sealed, "reg-2")
    ring2 = KeyRing.parse(f"k1:{k1},k2:{k2}", "k2")
    assert ring2.open(sealed, "reg-1") == {"name": "山田 花子"}
    assert ring2.seal({"name": "x"}, "r").key_id == "k2"
    with pytest.raises(KeyRingError):
        KeyRing.parse(f"k1:{k1}", "k9")
    with pytest.raises(KeyRingError):
        KeyRing.parse("k1:" + base64.b64encode(b"short").decode(), "k1")
    assert minimal({"name": " 山田 ", "contact": "", "address": "札幌市"}) == {"name": "山田"}
