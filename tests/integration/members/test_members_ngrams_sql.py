"""The index expression members_ngrams() in SQL must produce exactly the n-grams the Python side queries with,
or searches would silently miss organisations."""
import pytest

from services.members import japanese_text
from services.members.scale_data import generate
from tests.support.fixtures import connect

pytestmark = pytest.mark.integration

SAMPLES = ["北海道ひきこもり成年相談センター", "ﾋｷｺﾓﾘ　家族会", "  子ども食堂 ひまわり  ", "A", "ab cd", "",
           "NPO法人 もったいないわ・千歳", "道南ひきこもり家族交流会「あさがお」", "L-Port\n北海道レインボー・リソースセンター",
           "住宅確保要配慮者居住支援法人 株式会社AIMS", "𠮷野家 🍙 おにぎり"]


def test_sql_and_python_ngrams_agree(members_pool):
    texts = SAMPLES + [o["name"] + " " + o["description"] for o in generate(200, seed=5)]
    with connect("members") as conn:
        for text in texts:
            folded = japanese_text.search_text(text)
            sql = conn.execute("SELECT members_ngrams(%s) AS g", (folded,)).fetchone()["g"]
            assert sql == japanese_text.document_ngrams(text), text


def test_the_planner_uses_the_ngram_index(members_db):
    with connect("members") as conn:
        conn.execute("SET enable_seqscan = off")
        plan = "\n".join(r["QUERY PLAN"] for r in conn.execute(
            "EXPLAIN SELECT id FROM organizations o WHERE members_ngrams(o.search_text) @> %s::text[]",
            (["ひき", "きこ"],)))
    assert "organizations_ngrams" in plan
