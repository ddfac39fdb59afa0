"""The demo seed: real FY R5 figures, stable ids shared with the members demo, idempotent."""
import uuid

import pytest

from services.events import demo_data, statistics
from services.servicekit.caller import Principal

pytestmark = pytest.mark.integration


def test_seed_is_idempotent_and_carries_the_reports_figures(events_db, units):
    first = demo_data.seed(events_db)
    again = demo_data.seed(events_db)
    assert again == {"platforms": 0, "trial_projects": 0, "events": 0, "handouts": 0}
    assert first["events"] in (0, 7) and first["trial_projects"] in (0, 13)
    assert demo_data.platform_id("012301") == str(uuid.uuid5(
        uuid.NAMESPACE_URL, "https://tsunagu.example.jp/demo/platform/012301"))
    from datetime import datetime, timezone
    with units() as uow:
        hokkaido = statistics.statistics(uow, Principal("p", "prefecture", "01"), "01", 2023,
                                         datetime.now(timezone.utc))
        koto = statistics.statistics(uow, Principal("k", "municipality", "131083"), "131083", 2023,
                                     datetime.now(timezone.utc))
    pref = hokkaido["areas"]["01"]
    assert pref["trial_projects"]["budget_yen"] >= 7_650_000  # 310万 + 180万 + 170万 + 105万
    assert pref["attendance"]["by_category"]["other"] >= 342
    assert hokkaido["areas"]["012301"]["attendance"]["total"] >= 73
    assert hokkaido["areas"]["012301"]["handouts"]["copies_distributed"] >= 23000
    assert pref["survey_kpis"]["navi_first_learned"]["positive"] >= 91 + 68
    assert koto["areas"]["131083"]["trial_projects"]["budget_yen"] >= 3_700_000  # 200万 + 30万 + 100万 + 40万
    assert koto["areas"]["131083"]["handouts"]["copies_distributed"] >= 1000
