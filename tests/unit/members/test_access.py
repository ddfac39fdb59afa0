from services.members import access
from services.servicekit.caller import Principal

PREF = Principal("p", "prefecture", "01")
IBURI = Principal("b", "bureau", "01B04")
KUSHIRO = Principal("k", "bureau", "01B13")
NOBORIBETSU = Principal("n", "municipality", "012301")
MURORAN = Principal("m", "municipality", "012050")
ADMIN = Principal("a", "admin")
ORG = Principal("o", "organization", organization_id="11111111-1111-1111-1111-111111111111")
KOTO = Principal("t", "municipality", "131083")

PREF_PF = {"level": "prefecture", "area_code": "01", "secretariat_organization_ids": []}
IBURI_PF = {"level": "bureau", "area_code": "01B04", "secretariat_organization_ids": []}
NOBORI_PF = {"level": "municipality", "area_code": "012301",
             "secretariat_organization_ids": ["11111111-1111-1111-1111-111111111111"]}


def test_platform_reading_follows_area_scope():
    assert access.can_read_platform(PREF, NOBORI_PF) and access.can_read_platform(IBURI, NOBORI_PF)
    assert not access.can_read_platform(KUSHIRO, NOBORI_PF)
    assert not access.can_read_platform(NOBORIBETSU, PREF_PF)
    assert not access.can_read_platform(KOTO, PREF_PF)
    assert access.can_read_platform(ADMIN, NOBORI_PF)
    assert not access.can_read_platform(None, NOBORI_PF)
    assert access.can_read_platform(ORG, NOBORI_PF)  # secretariat organisation
    assert not access.can_read_platform(ORG, PREF_PF)
    assert access.can_read_platform(ORG, PREF_PF, frozenset({ORG.organization_id}))  # a member


def test_staff_manage_only_their_own_levels_pf():
    assert access.can_manage_platform(PREF, PREF_PF) and not access.can_manage_platform(PREF, NOBORI_PF)
    assert access.can_manage_platform(IBURI, IBURI_PF) and not access.can_manage_platform(IBURI, NOBORI_PF)
    assert access.can_manage_platform(NOBORIBETSU, NOBORI_PF) and not access.can_manage_platform(MURORAN, NOBORI_PF)
    assert access.can_manage_area(PREF, "cross_area", "xa-nishi-iburi")
    assert not access.can_manage_area(IBURI, "cross_area", "xa-nishi-iburi")
    assert not access.can_manage_platform(ORG, NOBORI_PF)
    assert access.can_manage_memberships(ORG, NOBORI_PF)  # joint secretariat runs memberships
    assert not access.can_manage_memberships(ORG, PREF_PF)


def test_organisations_are_in_scope_by_home_or_overlapping_service_area():
    all_hokkaido = {"id": "x", "home_area_code": "011002", "service_area_codes": ["01"], "published": False,
                    "active": True}
    muroran_only = {"id": "y", "home_area_code": "012050", "service_area_codes": ["012050"], "published": True,
                    "active": True}
    assert access.can_read_organization(NOBORIBETSU, all_hokkaido)
    assert not access.can_read_organization(NOBORIBETSU, muroran_only)
    assert access.can_read_organization(IBURI, muroran_only) and access.can_read_organization(PREF, muroran_only)
    assert not access.can_read_organization(KOTO, all_hokkaido)
    assert access.can_read_organization(ORG, muroran_only)  # published
    assert not access.can_read_organization(ORG, all_hokkaido)  # unpublished, not its own
    assert access.can_edit_organization(MURORAN, muroran_only) and not access.can_edit_organization(NOBORIBETSU,
                                                                                                      muroran_only)
    assert not access.can_edit_organization(ORG, muroran_only)


def test_sql_helper_sets():
    assert "012301" in access.areas_within("01B04") and "012068" not in access.areas_within("01B04")
    containing = set(access.areas_containing("012301"))
    assert {"012301", "01B04", "01", "JP", "xa-nishi-iburi"} <= containing
    assert "012050" not in containing
