from services.members.csv_import import decode, parse, row_to_body


def test_rows_become_register_bodies_with_japanese_labels_mapped():
    body = row_to_body({"name": "登別こども食堂", "legal_form": "任意団体", "home_area_code": "012301",
                        "service_area_codes": "012301、012050", "taxonomy_terms": "子ども食堂;hikikomori",
                        "activity_types": "居場所づくり アウトリーチ", "published": "はい", "referral_capacity": "待機",
                        "email": ""})
    assert body == {"name": "登別こども食堂", "legal_form": "任意団体", "home_area_code": "012301",
                    "service_area_codes": ["012301", "012050"], "taxonomy_terms": ["kodomo_shokudo", "hikikomori"],
                    "activity_types": ["place_to_belong", "outreach"], "published": True,
                    "referral_capacity": "waitlist"}


def test_line_numbers_follow_the_file_including_quoted_newlines_and_blank_lines():
    text = ("name,legal_form,home_area_code,service_area_codes,description\n"
            "A,任意団体,012301,012301,\"two\nlines\"\n"
            "\n"
            "B,任意団体,012301,012301,x\n")
    rows, errors = parse(text)
    assert errors == []
    assert [(line, row["name"]) for line, row in rows] == [(2, "A"), (5, "B")]


def test_missing_and_unknown_columns_are_reported_on_line_one():
    _, errors = parse("name,legal_form\nA,任意団体\n")
    assert errors[0]["line"] == 1 and "service_area_codes" in errors[0]["detail"]
    _, errors = parse("name,legal_form,home_area_code,service_area_codes,colour\n")
    assert "colour" in errors[0]["detail"]


def test_a_nul_character_is_reported_with_its_line_and_column():
    rows, errors = parse("name,legal_form,home_area_code,service_area_codes\nA\x00,任意団体,012301,012301\n")
    assert errors == [{"line": 2, "pointer": "#/name", "detail": "must not contain the NUL character (U+0000)"}]
    assert [line for line, _ in rows] == [2]  # still a row: it is reported as invalid with the others


def test_shift_jis_files_are_decoded():
    assert decode("名前".encode("cp932")) == "名前"
    assert decode("\ufeff名前".encode("utf-8")) == "名前"
