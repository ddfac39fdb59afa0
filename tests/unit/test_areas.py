"""Area registry, check digits, scope rule and the national-code importer (no DB, no broker)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from services.servicekit.areas import (
    AreaDataError,
    UnknownArea,
    check_digit,
    default_registry,
    is_valid_municipality_code,
    load_registry,
    scope_contains,
)
from services.servicekit.areas.national_code_import import OUTPUT_FILENAME, import_national_codes, main
from services.servicekit.areas.registry import DATA_DIR, EXTRA_DIR_ENV, MUNICIPALITY_COLUMNS

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "soumu_local_gov_codes_sample.csv"

# domain.md §1.2 — 振興局, 所在地, (市, 町, 村); blank cells are zero.
HOKKAIDO_BUREAUS = {
    "01B01": ("空知", "岩見沢市", 10, 14, 0),
    "01B02": ("石狩", "札幌市", 6, 1, 1),
    "01B03": ("後志", "倶知安町", 1, 13, 6),
    "01B04": ("胆振", "室蘭市", 4, 7, 0),
    "01B05": ("日高", "浦河町", 0, 7, 0),
    "01B06": ("渡島", "函館市", 2, 9, 0),
    "01B07": ("檜山", "江差町", 0, 7, 0),
    "01B08": ("上川", "旭川市", 4, 17, 2),
    "01B09": ("留萌", "留萌市", 1, 6, 1),
    "01B10": ("宗谷", "稚内市", 1, 8, 1),
    "01B11": ("オホーツク", "網走市", 3, 14, 1),
    "01B12": ("十勝", "帯広市", 1, 16, 2),
    "01B13": ("釧路", "釧路市", 1, 6, 1),
    "01B14": ("根室", "根室市", 1, 4, 0),
}
# 総合振興局 (9) vs 振興局 (5)
NON_SOUGOU = {"01B02", "01B05", "01B07", "01B09", "01B14"}

IBURI = {  # 胆振総合振興局管内: 4 cities + 7 towns
    "012050": "室蘭市", "012131": "苫小牧市", "012301": "登別市", "012335": "伊達市",
    "015717": "豊浦町", "015750": "壮瞥町", "015784": "白老町", "015814": "厚真町",
    "015849": "洞爺湖町", "015857": "安平町", "015865": "むかわ町",
}
NOBORIBETSU, MURORAN, DATE, KUSHIRO, SAPPORO = "012301", "012050", "012335", "012068", "011002"
TOTTORI, SHIN_ONSEN, KAMI = "312011", "285862", "285854"


@pytest.fixture
def reg():
    return load_registry()


@pytest.fixture
def clean_default_registry(monkeypatch):
    monkeypatch.delenv(EXTRA_DIR_ENV, raising=False)
    default_registry.cache_clear()
    yield
    default_registry.cache_clear()


# ------------------------------------------------------------------ prefectures
def test_47_prefectures_with_jis_codes(reg):
    prefs = reg.children("JP")
    assert [p.code for p in prefs] == [f"{i:02d}" for i in range(1, 48)]
    assert all(p.level == "prefecture" and p.parent_code == "JP" for p in prefs)
    names = {p.code: p.name for p in prefs}
    assert names["01"] == "北海道" and names["13"] == "東京都" and names["47"] == "沖縄県"
    assert names["26"] == "京都府" and names["27"] == "大阪府"
    assert reg.get("01").name_kana == "ホッカイドウ"
    root = reg.get("JP")
    assert root.level == "country" and root.parent_code is None and root.name == "日本"


def test_prefectures_csv_has_english_names():
    with open(DATA_DIR / "prefectures.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 47
    assert rows[0]["name_en"] == "Hokkaido" and rows[-1]["name_en"] == "Okinawa"


# ------------------------------------------------------------------- Hokkaido
def test_hokkaido_has_14_bureaus_in_table_order(reg):
    bureaus = [a for a in reg.children("01") if a.level == "bureau"]
    assert [b.code for b in bureaus] == list(HOKKAIDO_BUREAUS)
    for b in bureaus:
        short, _seat, *_ = HOKKAIDO_BUREAUS[b.code]
        suffix = "振興局" if b.code in NON_SOUGOU else "総合振興局"
        assert b.name == short + suffix
        assert b.parent_code == "01"
    assert reg.get("01B04").name == "胆振総合振興局"
    assert reg.get("01B05").name == "日高振興局"
    assert reg.get("01B13").name == "釧路総合振興局"


def test_bureau_csv_seats_match_table():
    with open(DATA_DIR / "hokkaido_bureaus.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["code"], r["name"], r["seat"]) for r in rows] == [
        (code, short, seat) for code, (short, seat, *_) in HOKKAIDO_BUREAUS.items()
    ]


def test_hokkaido_has_179_municipalities(reg):
    munis = reg.municipalities_in("01")
    kinds = [m.kind for m in munis]
    assert len(munis) == 179
    assert (kinds.count("city"), kinds.count("town"), kinds.count("village")) == (35, 129, 15)
    # every Hokkaido municipality hangs under a bureau
    assert all(m.parent_code in HOKKAIDO_BUREAUS for m in munis)


@pytest.mark.parametrize("bureau", list(HOKKAIDO_BUREAUS))
def test_per_bureau_counts_match_domain_table(reg, bureau):
    _short, seat, cities, towns, villages = HOKKAIDO_BUREAUS[bureau]
    kinds = [m.kind for m in reg.municipalities_in(bureau)]
    assert (kinds.count("city"), kinds.count("town"), kinds.count("village")) == (cities, towns, villages)
    assert len(kinds) == cities + towns + villages
    assert seat in {m.name for m in reg.municipalities_in(bureau)}  # the seat lies in its bureau


def test_known_hokkaido_codes(reg):
    assert reg.get(SAPPORO).name == "札幌市" and reg.get(SAPPORO).kind == "city"
    assert reg.get(NOBORIBETSU).name == "登別市" and reg.get(NOBORIBETSU).name_kana == "ノボリベツシ"
    assert reg.get(NOBORIBETSU).parent_code == "01B04"
    assert reg.get("014729").parent_code == "01B08"  # 幌加内町 is in 上川 since 2010


def test_other_source_municipalities_have_no_bureau(reg):
    expected = {
        "131083": ("江東区", "special_ward"), "131091": ("品川区", "special_ward"),
        "131148": ("中野区", "special_ward"), "232068": ("春日井市", "city"),
        "232025": ("岡崎市", "city"), "232114": ("豊田市", "city"),
        "432130": ("宇城市", "city"), "431001": ("熊本市", "city"),
        "261009": ("京都市", "city"), "401307": ("福岡市", "city"),
        "122190": ("市原市", "city"), "142166": ("座間市", "city"),
        "283827": ("播磨町", "town"), "312011": ("鳥取市", "city"),
        "342025": ("呉市", "city"), "342076": ("福山市", "city"),
        "382035": ("宇和島市", "city"), "292095": ("生駒市", "city"),
        "313025": ("岩美町", "town"), "313254": ("若桜町", "town"),
        "313289": ("智頭町", "town"), "313297": ("八頭町", "town"),
        "285854": ("香美町", "town"), "285862": ("新温泉町", "town"),
    }
    for code, (name, kind) in expected.items():
        area = reg.get(code)
        assert (area.name, area.kind, area.parent_code) == (name, kind, code[:2]), code
    with open(DATA_DIR / "municipalities.csv", encoding="utf-8") as fh:
        rows = {r["code"]: r for r in csv.DictReader(fh)}
    assert all(rows[c]["bureau_code"] == "" for c in expected)
    assert all(r["bureau_code"] for r in rows.values() if r["prefecture_code"] == "01")


# ---------------------------------------------------------------- check digits
def test_every_municipality_code_has_a_valid_check_digit(reg):
    munis = [a for a in reg.all() if a.level == "municipality"]
    assert len(munis) == 179 + 24
    for m in munis:
        assert is_valid_municipality_code(m.code), m
        assert check_digit(m.code[:5]) == m.code[5]


@pytest.mark.parametrize(
    "five,digit",
    [("01100", "2"), ("13101", "6"), ("01230", "1"), ("27100", "4"), ("40130", "7"),
     ("01000", "6"), ("31201", "1"), ("28586", "2")],
)
def test_check_digit_known_codes(five, digit):
    assert check_digit(five) == digit


def test_check_digit_rejects_bad_input():
    for bad in ("0110", "011000", "0110a", "０１１００", None):
        with pytest.raises(ValueError):
            check_digit(bad)  # type: ignore[arg-type]
    for code in ("011003", "01100", "0110022", "abcdef", "０１１００２", None, 11002):
        assert is_valid_municipality_code(code) is False  # type: ignore[arg-type]
    assert is_valid_municipality_code("011002") and is_valid_municipality_code("131016")


# ----------------------------------------------------------------------- scope
def test_scope_country_contains_everything(reg):
    assert all(scope_contains("JP", a.code, reg) for a in reg.all())


def test_scope_hierarchy(reg):
    assert scope_contains("01", "01B04", reg)
    assert scope_contains("01B04", NOBORIBETSU, reg)
    assert scope_contains("01", NOBORIBETSU, reg)
    assert not scope_contains("01B04", KUSHIRO, reg)
    assert not scope_contains(NOBORIBETSU, MURORAN, reg)
    assert not scope_contains(NOBORIBETSU, "01B04", reg)  # no upward containment
    assert not scope_contains("01B04", "01", reg)
    assert not scope_contains("13", NOBORIBETSU, reg)
    assert scope_contains("13", "131083", reg)  # a prefecture contains its bureau-less municipalities


def test_scope_municipality_contains_itself(reg):
    for code in (NOBORIBETSU, "131083", TOTTORI):
        assert scope_contains(code, code, reg)
    assert scope_contains("01B04", "01B04", reg) and scope_contains("01", "01", reg)


def test_scope_cross_area_groups(reg):
    assert scope_contains("xa-nishi-iburi", DATE, reg)
    assert scope_contains("xa-nishi-iburi", NOBORIBETSU, reg)
    assert not scope_contains("xa-nishi-iburi", KUSHIRO, reg)
    assert scope_contains("xa-nishi-iburi", "xa-nishi-iburi", reg)
    assert scope_contains("01", "xa-nishi-iburi", reg)
    assert scope_contains("01B04", "xa-nishi-iburi", reg)  # all seven members are 胆振 municipalities
    assert not scope_contains("01B01", "xa-nishi-iburi", reg)
    assert not scope_contains(NOBORIBETSU, "xa-nishi-iburi", reg)  # a member does not contain its group
    # 麒麟のまち圏域 crosses the Tottori/Hyogo border
    assert scope_contains("xa-kirin", SHIN_ONSEN, reg)
    assert scope_contains("xa-kirin", TOTTORI, reg)
    assert not scope_contains("31", "xa-kirin", reg)
    assert not scope_contains("28", "xa-kirin", reg)
    assert scope_contains("JP", "xa-kirin", reg)
    assert scope_contains("31", TOTTORI, reg) and scope_contains("28", KAMI, reg)
    assert not scope_contains("xa-kirin", "31", reg)  # a group does not contain a prefecture
    assert not scope_contains("xa-kirin", "xa-nishi-iburi", reg)


def test_scope_unknown_codes_are_false_and_never_raise(reg):
    for scope, area in [("ZZ", NOBORIBETSU), ("01", "999999"), ("nope", "nope"), ("", ""),
                        (None, NOBORIBETSU), ("01", None), (["01"], NOBORIBETSU), ("01", {"x": 1})]:
        assert scope_contains(scope, area, reg) is False  # type: ignore[arg-type]
    assert reg.contains("01", NOBORIBETSU) and not reg.contains("01", "999999")


def test_scope_uses_default_registry(clean_default_registry):
    assert scope_contains("01B04", NOBORIBETSU)
    assert not scope_contains("31", "xa-kirin")


# -------------------------------------------------------------------- registry
def test_get_find_children_ancestors(reg):
    with pytest.raises(UnknownArea):
        reg.get("999999")
    with pytest.raises(KeyError):  # UnknownArea is a KeyError
        reg.get("ZZ")
    assert reg.find("999999") is None
    assert [a.code for a in reg.ancestors(NOBORIBETSU)] == ["01B04", "01", "JP"]
    assert [a.code for a in reg.ancestors("131083")] == ["13", "JP"]
    assert reg.ancestors("JP") == [] and reg.ancestors("xa-kirin") == []
    kids = reg.children("01B04")
    assert [k.code for k in kids] == sorted(IBURI)
    tottori_kids = [a.code for a in reg.children("31")]
    assert tottori_kids == sorted(tottori_kids) and TOTTORI in tottori_kids
    assert [a.code for a in reg.children("01")] == list(HOKKAIDO_BUREAUS)  # no bureau-less munis
    with pytest.raises(UnknownArea):
        reg.children("ZZ")


def test_tree_of_iburi_has_only_iburi_municipalities(reg):
    tree = reg.tree("01B04")
    assert (tree["code"], tree["name"], tree["level"], tree["kind"]) == ("01B04", "胆振総合振興局", "bureau", None)
    assert set(tree) == {"code", "name", "name_kana", "level", "kind", "children"}
    assert {c["code"]: c["name"] for c in tree["children"]} == IBURI
    assert all(c["level"] == "municipality" and c["children"] == [] for c in tree["children"])


def test_full_tree_excludes_cross_area_groups(reg):
    tree = reg.tree()
    assert tree["code"] == "JP" and len(tree["children"]) == 47

    def codes(node):
        yield node["code"]
        for c in node["children"]:
            yield from codes(c)

    all_codes = list(codes(tree))
    assert len(all_codes) == len(set(all_codes)) == len(reg.all()) - 2
    assert not any(c.startswith("xa-") for c in all_codes)
    assert [g.code for g in reg.cross_area_groups()] == ["xa-kirin", "xa-nishi-iburi"]


def test_municipalities_in_scopes(reg):
    assert {a.code for a in reg.municipalities_in("xa-nishi-iburi")} == {
        "012050", "012301", "012335", "015717", "015750", "015784", "015849"}
    kirin = reg.municipalities_in("xa-kirin")
    assert len(kirin) == 7 and {a.code[:2] for a in kirin} == {"28", "31"}
    assert [a.code for a in reg.municipalities_in(NOBORIBETSU)] == [NOBORIBETSU]
    assert len(reg.municipalities_in("JP")) == 179 + 24
    assert [a.code for a in reg.municipalities_in("13")] == ["131083", "131091", "131148"]


# ------------------------------------------------------------------ validation
def _write_extra(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "extra.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=MUNICIPALITY_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.mark.parametrize(
    "row,message",
    [
        ({"code": "022013", "name": "青森市", "name_kana": "", "kind": "city", "prefecture_code": "02", "bureau_code": ""}, "check digit"),
        ({"code": "012301", "name": "登別市", "name_kana": "", "kind": "city", "prefecture_code": "01", "bureau_code": "01B04"}, "already defined"),
        ({"code": "022012", "name": "青森市", "name_kana": "", "kind": "city", "prefecture_code": "02", "bureau_code": "02B01"}, "does not exist"),
        ({"code": "022012", "name": "青森市", "name_kana": "", "kind": "metropolis", "prefecture_code": "02", "bureau_code": ""}, "kind"),
        ({"code": "022012", "name": "青森市", "name_kana": "", "kind": "city", "prefecture_code": "03", "bureau_code": ""}, "does not match"),
    ],
)
def test_invalid_extra_data_is_rejected_with_a_clear_error(tmp_path, row, message):
    path = _write_extra(tmp_path, [row])
    with pytest.raises(AreaDataError, match=message) as info:
        load_registry(DATA_DIR, [path])
    assert "extra.csv" in str(info.value)


# -------------------------------------------------------------------- importer
def _sjis_copy(tmp_path: Path) -> Path:
    path = tmp_path / "sjis.csv"
    path.write_bytes(FIXTURE.read_text(encoding="utf-8").encode("cp932"))
    return path


@pytest.mark.parametrize("variant", ["utf-8", "cp932"])
def test_importer_adds_only_new_valid_municipalities(tmp_path, variant):
    source = FIXTURE if variant == "utf-8" else _sjis_copy(tmp_path)
    out = tmp_path / "extra"
    report = import_national_codes(source, out)

    assert report.encoding == variant
    assert report.added_codes == ["022012", "022021"]
    assert report.rows_read == 9
    assert report.prefecture_rows == 2
    assert report.already_known == 2  # 札幌市, 登別市
    assert report.skipped_wards == 1  # 札幌市中央区
    assert [code for _, code, _ in report.skipped] == ["016951"]  # 色丹村
    assert report.invalid_codes == ["022030"]
    assert "check digit" in report.invalid[0][2]
    assert "invalid rows: 1" in report.summary()

    with open(out / OUTPUT_FILENAME, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows == [
        {"code": "022012", "name": "青森市", "name_kana": "アオモリシ", "kind": "city", "prefecture_code": "02", "bureau_code": ""},
        {"code": "022021", "name": "弘前市", "name_kana": "ヒロサキシ", "kind": "city", "prefecture_code": "02", "bureau_code": ""},
    ]


def test_default_registry_picks_up_imported_codes(tmp_path, monkeypatch, clean_default_registry):
    assert default_registry().find("022012") is None
    out = tmp_path / "extra"
    import_national_codes(FIXTURE, out)
    monkeypatch.setenv(EXTRA_DIR_ENV, str(out))
    assert default_registry().find("022012") is None  # cached until cleared
    default_registry.cache_clear()
    reg = default_registry()
    aomori = reg.get("022012")
    assert (aomori.name, aomori.kind, aomori.parent_code, aomori.name_kana) == ("青森市", "city", "02", "アオモリシ")
    assert scope_contains("02", "022021") and not scope_contains("01", "022021")
    assert reg.find("022030") is None and reg.find("011011") is None
    assert len(reg.municipalities_in("01")) == 179


def test_importer_is_idempotent_and_sees_other_extra_files(tmp_path):
    out = tmp_path / "extra"
    import_national_codes(FIXTURE, out)
    again = import_national_codes(FIXTURE, out)  # its own previous output is not "known"
    assert again.added_codes == ["022012", "022021"]
    shutil.copy(out / OUTPUT_FILENAME, out / "manual.csv")
    (out / OUTPUT_FILENAME).unlink()
    third = import_national_codes(FIXTURE, out)  # now known through manual.csv
    assert third.added_codes == [] and third.already_known == 4


def test_importer_cli_with_wards(tmp_path, capsys):
    out = tmp_path / "extra"
    assert main([str(FIXTURE), "--out", str(out), "--include-wards"]) == 0
    printed = capsys.readouterr().out
    assert "added: 3" in printed and "022030" in printed
    reg = load_registry(DATA_DIR, [out / OUTPUT_FILENAME])
    ward = reg.get("011011")
    assert (ward.kind, ward.parent_code, ward.name_kana) == ("ward", SAPPORO, "サッポロシチュウオウク")
    assert scope_contains(SAPPORO, "011011", reg) and scope_contains("01B02", "011011", reg)
    assert not scope_contains("011011", SAPPORO, reg)


def test_importer_cli_needs_an_output_dir(monkeypatch):
    monkeypatch.delenv(EXTRA_DIR_ENV, raising=False)
    with pytest.raises(SystemExit):
        main([str(FIXTURE)])


def test_importer_rejects_a_file_without_the_header(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\n011002,札幌市\n", encoding="utf-8")
    assert main([str(bad), "--out", str(tmp_path / "o")]) == 1


def test_importer_repeated_rows(tmp_path):
    src = tmp_path / "dup.csv"
    src.write_text(
        "団体コード,都道府県名（漢字）,市区町村名（漢字）,都道府県名（カナ）,市区町村名（カナ）\n"
        "22012,青森県,青森市,ｱｵﾓﾘｹﾝ,ｱｵﾓﾘｼ\n"  # leading zero lost in a spreadsheet
        "022012,青森県,青森市,ｱｵﾓﾘｹﾝ,ｱｵﾓﾘｼ\n"
        "022012,青森県,弘前市,ｱｵﾓﾘｹﾝ,ﾋﾛｻｷｼ\n"
        "141003,北海道,横浜市,ﾎｯｶｲﾄﾞｳ,ﾖｺﾊﾏｼ\n",
        encoding="utf-8",
    )
    report = import_national_codes(src, tmp_path / "out")
    assert report.added_codes == ["022012"]
    assert [(code, why) for _, code, why in report.skipped] == [("022012", "repeated row")]
    assert report.invalid_codes == ["022012", "141003"]
