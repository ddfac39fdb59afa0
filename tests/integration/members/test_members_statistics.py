"""Dashboard statistics as of a date, keyed by area code, reconstructed from the dated histories."""
from datetime import date

import pytest

from services.members import memberships, organizations, platforms, statistics
from services.servicekit.caller import Principal
from services.servicekit.errors import NotFound
from tests.integration.members.conftest import ADMIN

pytestmark = pytest.mark.integration


def org(uow, name, home, form="NPO法人", terms=()):
    return organizations.register(uow, ADMIN, {"name": name, "legal_form": form, "home_area_code": home,
                                               "service_area_codes": [home], "taxonomy_terms": list(terms)})


def test_figures_as_of_a_date_by_area_level_phase_class_status_form_and_field(members_db):
    with members_db.unit_of_work() as uow:
        a = org(uow, "登別市", "012301", "行政機関")
        b = org(uow, "登別こども食堂", "012301", "任意団体", ["kodomo_shokudo"])
        c = org(uow, "室蘭の団体", "012050", "NPO法人", ["hikikomori"])
        pref = platforms.create(uow, ADMIN, {"name": "全道PF", "level": "prefecture", "area_code": "01",
                                             "phase": "initial", "phase_since": date(2023, 4, 1)})
        platforms.set_phase(uow, ADMIN, pref["id"], {"to_phase": "established", "effective_on": date(2023, 10, 26)})
        nobori = platforms.create(uow, ADMIN, {"name": "登別PF", "level": "municipality", "area_code": "012301",
                                               "phase": "established", "phase_since": date(2023, 3, 1)})
        platforms.create(uow, ADMIN, {"name": "釧路PF", "level": "bureau", "area_code": "01B13",
                                      "phase": "preparation", "phase_since": date(2024, 4, 1)})
        platforms.create(uow, ADMIN, {"name": "江東区PF", "level": "municipality", "area_code": "131083",
                                      "phase": "preparation", "phase_since": date(2023, 12, 1)})
        for organisation, pf, cls, joined in ((a, pref, "steering", date(2023, 10, 26)),
                                              (b, pref, "member", date(2024, 2, 1)),
                                              (b, nobori, "core", date(2023, 3, 1)),
                                              (c, pref, "member", date(2024, 2, 20))):
            m = memberships.apply(uow, ADMIN, pf["id"], {"organization_id": organisation["id"],
                                                         "membership_class": cls, "effective_on": joined})
            memberships.act(uow, ADMIN, m["id"], "approve", {"effective_on": joined})
        m = memberships.invite(uow, ADMIN, nobori["id"], {"organization_id": c["id"], "effective_on": date(2024, 3, 1)})
        memberships.act(uow, ADMIN, m["id"], "withdraw", {"effective_on": date(2024, 3, 10)})

        now = statistics.compute(uow, ADMIN, "01", date(2024, 3, 15))
        before = statistics.compute(uow, ADMIN, "01", date(2023, 9, 1))
        bureau = statistics.compute(uow, Principal("b", "bureau", "01B04"), "01B04", date(2024, 3, 15))
        with pytest.raises(NotFound):
            statistics.compute(uow, Principal("m", "municipality", "012301"), "01", date(2024, 3, 15))

    assert now["as_of"] == "2024-03-15" and now["scope_area"] == "01"
    assert now["platforms_by_level_and_phase"]["prefecture"]["established"] == 1
    assert now["platforms_by_level_and_phase"]["municipality"]["established"] == 1
    assert now["platforms_by_level_and_phase"]["bureau"]["preparation"] == 0  # 釧路 starts 2024-04-01
    assert set(now["by_area"]) == {"01", "012301"}  # 江東区 is outside Hokkaido
    assert {p["area_code"] for p in now["platforms"]} == {"01", "012301"}
    pref_pf = next(p for p in now["platforms"] if p["area_code"] == "01")
    assert pref_pf["phase"] == "established" and pref_pf["phase_since"] == "2023-10-26"
    assert pref_pf["members_by_class"]["steering"] == 1 and pref_pf["members_by_status"]["active"] == 3
    assert now["by_area"]["012301"]["by_status"] == {"active": 1, "withdrawn": 1}
    assert now["by_area"]["012301"]["members"] == 1 and now["by_area"]["01"]["members"] == 3
    totals = now["totals"]
    assert totals["members"] == 4 and totals["platforms"] == 2
    assert totals["by_status"] == {"active": 4, "withdrawn": 1}
    assert totals["by_class"] == {"core": 1, "member": 2, "steering": 1}
    assert totals["by_legal_form"] == {"NPO法人": 1, "任意団体": 2, "行政機関": 1}
    assert totals["by_field"] == {"hikikomori": 1, "kodomo_shokudo": 2}
    assert totals["new_by_month"] == {"2023-03": 1, "2023-10": 1, "2024-02": 2}
    assert now["by_area"]["01"]["new_by_month"] == {"2023-10": 1, "2024-02": 2}

    # In September 2023 the prefecture PF was still 初期 with no members; 登別's PF had one core member.
    assert before["platforms_by_level_and_phase"]["prefecture"] == {"initial": 1, "preparation": 0,
                                                                    "established": 0, "self_running": 0}
    assert "01" not in before["by_area"]
    assert before["totals"]["by_class"] == {"core": 1}

    assert set(bureau["by_area"]) == {"012301"}
