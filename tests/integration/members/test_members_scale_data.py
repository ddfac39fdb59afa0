"""The synthetic scale-data generator: spreads organisations over areas, legal forms and fields, keeps the
search indexes (rebuilt after the bulk load) and yields data the directory search finds."""
import pytest

from services.members import organizations, scale_data
from services.members.schemas import OrganizationQuerySchema
from services.servicekit import settings
from tests.integration.members.conftest import ADMIN
from tests.support.fixtures import connect

pytestmark = pytest.mark.integration


def test_generated_organisations_are_spread_and_searchable(members_db):
    import psycopg
    with psycopg.connect(settings.database_url("members")) as conn:
        assert scale_data.load(conn, 2000, seed=3) == 2000
    scale_data.vacuum_analyze(settings.database_url("members"))
    with connect("members") as conn:
        spread = conn.execute("SELECT count(DISTINCT legal_form) AS forms, count(DISTINCT home_area_code) AS homes, "
                              "count(DISTINCT left(home_area_code, 2)) AS prefectures FROM organizations").fetchone()
        indexes = {r["indexname"] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'organizations' AND indexdef LIKE '%%USING gin%%'")}
    assert spread["forms"] >= 15 and spread["homes"] >= 150 and spread["prefectures"] >= 2
    assert indexes == {"organizations_ngrams", "organizations_taxonomy", "organizations_service_areas",
                       "organizations_activity_types"}
    q = OrganizationQuerySchema().load({"q": "ﾋｷｺﾓﾘ", "service_area": "012301", "taxonomy_term": ["isolation"]})
    with members_db.unit_of_work() as uow:
        page = organizations.search(uow, ADMIN, q)
    for org in page["contents"]:
        assert "ひきこもり" in org["name"]
        assert set(org["service_area_codes"]) & {"012301", "01B04", "01", "JP", "xa-nishi-iburi"}
    # Same seed, same data.
    assert [o["name"] for o in scale_data.generate(5, seed=3)] == [o["name"] for o in scale_data.generate(5, seed=3)]
