"""Loading Camunda Forms and validating submitted data against them (engine.forms)."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from engine.errors import InvalidInput
from engine.forms import load_form, load_form_file, parse_submission_text, to_plain, validate_submission

FIXTURES = Path(__file__).parent / "fixtures" / "forms"
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def form_bytes(*components: dict, **top: object) -> bytes:
    doc = {
        "components": list(components),
        "type": "default",
        "id": "sample",
        "executionPlatform": "Camunda Platform",
        "executionPlatformVersion": "7.22.0",
        "exporter": {"name": "Camunda Modeler", "version": "5.31.0"},
        "schemaVersion": 16,
    }
    doc.update(top)
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def component(ctype: str, key: str, **extra: object) -> dict:
    return {"type": ctype, "id": f"Component_{key}", "key": key, "label": f"Nhãn {key}", **extra}


def sample(*components: dict):
    return load_form(form_bytes(*components), "sample.form")


@pytest.fixture(scope="module")
def every():
    return load_form_file(FIXTURES / "every_component.form")


def valid_every_data(**changes: object) -> dict:
    data = {"code": "AB12", "channel": "direct", "agreed": True, "documents": ["form"], "owner": {"name": "Công ty A"}}
    data.update(changes)
    return data


def problems_of(form, data: dict, **kwargs: object) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as caught:
        validate_submission(form, data, **kwargs)
    found: dict[str, list[str]] = {}
    for problem in caught.value.details["problems"]:
        found.setdefault(problem["key"], []).append(problem["problem"])
    return found


# --- loading -----------------------------------------------------------------------------------------------------


def test_every_component_type_loads_with_data_fields_in_document_order_and_group_paths(every):
    assert every.id == "every_component"
    assert [f.key for f in every.fields] == [
        "code", "email", "phone", "note", "count", "fee", "level", "channel", "agreed", "urgent", "documents", "tags",
        "day", "at", "moment", "owner.name", "owner.address.city", "old_case",
    ]
    assert every.provided_keys() == {
        "code", "email", "phone", "note", "count", "fee", "level", "channel", "agreed", "urgent", "documents", "tags",
        "day", "at", "moment", "owner", "old_case",
    }


def test_field_carries_the_rules_of_its_component(every):
    code = every.field("code")
    assert (code.required, code.min_length, code.max_length, code.pattern) == (True, 3, 8, r"^[A-Z]+\d*$")
    fee = every.field("fee")
    assert (fee.minimum, fee.maximum, fee.decimal_digits, fee.increment) == (0, 1000, 2, 0.5)
    assert every.field("level").values == [("low", "Thấp"), ("high", "Cao")]
    assert every.field("level").default == "low"
    assert every.field("email").validation_type == "email"
    assert every.field("day").subtype == "date"


def test_datetime_label_comes_from_date_and_time_labels(every):
    assert every.field("day").label == "Ngày hẹn"
    assert every.field("at").label == "Giờ hẹn"
    assert every.field("moment").label == "Ngày tiếp nhận / Giờ tiếp nhận"


def test_disabled_component_is_not_a_data_field(every):
    assert every.field("disabled_field") is None


def test_unknown_component_type_is_refused_naming_component_id_and_type():
    with pytest.raises(InvalidInput, match=r"thành phần 'Component_files': loại 'filepicker' không được hỗ trợ"):
        sample(component("filepicker", "files"))


def test_unknown_type_inside_a_group_is_refused_too():
    group = {"type": "group", "id": "Component_g", "components": [component("dynamiclist", "rows")]}
    with pytest.raises(InvalidInput, match=r"'Component_rows': loại 'dynamiclist'"):
        sample(group)


def test_duplicate_key_is_refused_naming_both_components():
    first = component("textfield", "name")
    second = dict(component("textarea", "name"), id="Component_other")
    with pytest.raises(InvalidInput, match=r"'Component_other': khóa 'name' trùng với thành phần 'Component_name'"):
        sample(first, second)


def test_keys_made_equal_by_group_paths_are_duplicates():
    inner = {"type": "group", "id": "Component_g", "path": "owner", "components": [component("textfield", "name")]}
    outer = dict(component("textfield", "owner.name"), id="Component_flat")
    with pytest.raises(InvalidInput, match=r"khóa 'owner.name' trùng"):
        sample(inner, outer)


def test_key_nested_inside_another_key_is_refused():
    with pytest.raises(InvalidInput, match=r"khóa 'owner.name' nằm bên trong khóa 'owner'"):
        sample(component("textfield", "owner"), component("textfield", "owner.name", id="Component_on"))


def test_duplicate_component_id_is_refused():
    with pytest.raises(InvalidInput, match=r"'Component_a': id bị trùng"):
        sample(component("textfield", "a"), dict(component("textfield", "b"), id="Component_a"))


def test_component_without_id_is_refused_with_its_position_and_type():
    bare = {"type": "textfield", "key": "a", "label": "A"}
    with pytest.raises(InvalidInput, match=r"thành phần ở vị trí 1 \(loại 'textfield'\) thiếu thuộc tính 'id'"):
        sample(component("textfield", "b"), bare)


def test_form_without_id_is_refused():
    content = json.dumps({"components": []}).encode()
    with pytest.raises(InvalidInput, match=r"Biểu mẫu 'x.form', biểu mẫu: thiếu thuộc tính bắt buộc 'id'"):
        load_form(content, "x.form")


def test_data_component_without_key_is_refused():
    with pytest.raises(InvalidInput, match=r"'Component_k': thành phần nhập liệu loại 'number' thiếu thuộc tính 'key'"):
        sample({"type": "number", "id": "Component_k", "label": "Số"})


def test_key_with_spaces_is_refused_naming_component_and_property():
    with pytest.raises(InvalidInput, match=r"thành phần 'Component_x', thuộc tính 'key': sai định dạng"):
        sample(dict(component("textfield", "x"), key="họ tên"))


def test_invalid_regex_is_refused_naming_component():
    with pytest.raises(InvalidInput, match=r"'Component_code': biểu thức chính quy '\[A-Z' không hợp lệ") as caught:
        sample(component("textfield", "code", validate={"pattern": "[A-Z"}))
    assert caught.value.details == {"file": "sample.form", "component": "Component_code"}


def test_wrong_property_type_is_refused_naming_component_and_property():
    with pytest.raises(InvalidInput, match=r"'Component_a', thuộc tính 'validate.required': phải có kiểu đúng/sai"):
        sample(component("textfield", "a", validate={"required": "yes"}))


def test_unknown_datetime_subtype_is_refused():
    with pytest.raises(InvalidInput, match=r"'Component_d', thuộc tính 'subtype': phải là một trong"):
        sample(component("datetime", "d", subtype="week"))


def test_choice_component_without_values_is_refused():
    with pytest.raises(InvalidInput, match=r"'Component_s': không có lựa chọn nào trong 'values'"):
        sample(component("select", "s", values=[]))


def test_duplicate_choice_value_is_refused():
    values = [{"label": "A", "value": "a"}, {"label": "B", "value": "a"}]
    with pytest.raises(InvalidInput, match=r"giá trị lựa chọn 'a' bị trùng"):
        sample(component("radio", "r", values=values))


def test_values_from_a_variable_are_refused():
    with pytest.raises(InvalidInput, match=r"'Component_s': lấy danh sách lựa chọn từ biến"):
        sample(component("select", "s", valuesKey="options"))


def test_conditional_hide_is_refused():
    with pytest.raises(InvalidInput, match=r"'Component_a': có điều kiện ẩn"):
        sample(component("textfield", "a", conditional={"hide": "=b = true"}))


def test_feel_readonly_is_refused():
    with pytest.raises(InvalidInput, match=r"'Component_a': thuộc tính 'readonly' là biểu thức FEEL"):
        sample(component("textfield", "a", readonly="=locked"))


def test_invalid_default_value_is_refused_naming_component():
    values = [{"label": "A", "value": "a"}]
    with pytest.raises(InvalidInput, match=r"'Component_s': giá trị mặc định không hợp lệ: không thuộc danh sách"):
        sample(component("select", "s", values=values, defaultValue="z"))


def test_min_greater_than_max_is_refused():
    with pytest.raises(InvalidInput, match=r"'Component_n': giới hạn 'min' lớn hơn giới hạn trên"):
        sample(component("number", "n", validate={"min": 5, "max": 1}))


def test_length_rule_on_a_number_is_refused():
    with pytest.raises(InvalidInput, match=r"'Component_n': quy tắc 'maxLength' chỉ áp dụng cho trường văn bản"):
        sample(component("number", "n", validate={"maxLength": 3}))


def test_min_on_a_text_field_is_refused():
    with pytest.raises(InvalidInput, match=r"'Component_t': quy tắc 'min' chỉ áp dụng cho trường số"):
        sample(component("textfield", "t", validate={"min": 3}))


def test_numeric_text_in_rules_is_read_as_numbers():
    form = sample(component("number", "n", validate={"min": "2", "max": "4.5"}, increment="0.5"))
    field = form.field("n")
    assert (field.minimum, field.maximum, field.increment) == (2, 4.5, 0.5)


def test_camunda_8_form_is_refused():
    with pytest.raises(InvalidInput, match=r"được soạn cho nền tảng 'Camunda Cloud'"):
        load_form(form_bytes(executionPlatform="Camunda Cloud"), "c8.form")


def test_form_file_that_is_not_utf8_is_refused_naming_file():
    content = form_bytes(component("textfield", "a")).replace(b"Nh\xc3\xa3n", b"Nh\xe3n")
    with pytest.raises(InvalidInput, match=r"'bad.form' không phải văn bản UTF-8 \(byte không hợp lệ ở vị trí \d+\)"):
        load_form(content, "bad.form")


def test_form_file_that_is_not_json_is_refused_with_the_line():
    with pytest.raises(InvalidInput, match=r"Biểu mẫu 'bad.form' không phải JSON hợp lệ \(lỗi ở dòng 2, cột 1\)"):
        load_form(b'{"components": [],\n}', "bad.form")


def test_form_file_with_a_repeated_json_key_is_refused():
    with pytest.raises(InvalidInput, match=r"có khóa 'id' xuất hiện hai lần"):
        load_form(b'{"id": "a", "id": "b", "components": []}', "dup.form")


def test_form_file_that_is_a_json_list_is_refused():
    with pytest.raises(InvalidInput, match=r"Biểu mẫu 'list.form' phải là một đối tượng JSON"):
        load_form(b"[]", "list.form")


def test_form_raw_keeps_the_file_as_parsed(every):
    assert every.raw["exporter"] == {"name": "Camunda Modeler", "version": "5.31.0"}
    assert every.filename == "every_component.form"


# --- validation: text ----------------------------------------------------------------------------------------------


def test_valid_submission_returns_typed_values_nested_by_group_path(every):
    result = validate_submission(every, valid_every_data(count="3", day="2026-03-02"))
    assert result == {
        "code": "AB12", "count": 3, "level": "low", "channel": "direct", "agreed": True, "urgent": False,
        "documents": ["form"], "tags": [], "day": dt.date(2026, 3, 2), "owner": {"name": "Công ty A"},
        "old_case": "H01",
    }


def test_missing_required_text_is_reported_as_required(every):
    data = valid_every_data()
    del data["code"]
    assert problems_of(every, data) == {"code": ["bắt buộc"]}


def test_whitespace_only_text_counts_as_missing(every):
    assert problems_of(every, valid_every_data(code="   ")) == {"code": ["bắt buộc"]}


def test_text_is_trimmed_before_it_is_stored(every):
    assert validate_submission(every, valid_every_data(code="  AB12 \t"))["code"] == "AB12"


def test_min_length_is_checked(every):
    assert problems_of(every, valid_every_data(code="AB")) == {"code": ["cần ít nhất 3 ký tự (đang có 2)"]}


def test_max_length_is_checked(every):
    assert problems_of(every, valid_every_data(note="x" * 21)) == {"note": ["tối đa 20 ký tự (đang có 21)"]}


def test_max_length_counts_characters_after_nfc_normalisation(every):
    text = "Trường Đại học Bách"  # 19 characters composed, 25 code points decomposed
    assert len(nfd(text)) > 20
    assert validate_submission(every, valid_every_data(note=nfd(text)))["note"] == text


def test_pattern_is_searched_like_a_javascript_regexp(every):
    assert problems_of(every, valid_every_data(code="ab12")) == {"code": ["không đúng định dạng yêu cầu (Ví dụ: AB12)"]}


def test_unanchored_pattern_matches_anywhere_in_the_text():
    form = sample(component("textfield", "ref", validate={"pattern": "[0-9]{3}"}))
    assert validate_submission(form, {"ref": "số 125/QĐ"}) == {"ref": "số 125/QĐ"}
    assert problems_of(form, {"ref": "số 12"}) == {"ref": ["không đúng định dạng yêu cầu ([0-9]{3})"]}


def test_pattern_digit_class_is_ascii_only_as_in_javascript(every):
    arabic_indic_digits = "AB\u0661\u0662"
    assert problems_of(every, valid_every_data(code=arabic_indic_digits))["code"][0].startswith("không đúng định dạng")


def test_several_rules_of_one_field_are_all_reported(every):
    assert problems_of(every, valid_every_data(code="a")) == {
        "code": ["cần ít nhất 3 ký tự (đang có 1)", "không đúng định dạng yêu cầu (Ví dụ: AB12)"]
    }


def test_email_validation_type_is_checked(every):
    assert validate_submission(every, valid_every_data(email="lan@skhcn.caobang.gov.vn"))["email"] == (
        "lan@skhcn.caobang.gov.vn"
    )
    assert problems_of(every, valid_every_data(email="lan@")) == {
        "email": ["không phải địa chỉ thư điện tử hợp lệ (ví dụ: ten@example.vn)"]
    }


def test_phone_validation_type_wants_an_international_number(every):
    assert validate_submission(every, valid_every_data(phone="+84912345678"))["phone"] == "+84912345678"
    assert problems_of(every, valid_every_data(phone="0912 345 678")) == {
        "phone": ["không phải số điện thoại quốc tế hợp lệ (ví dụ: +84912345678)"]
    }


def test_textfield_refuses_line_breaks_and_control_characters(every):
    assert problems_of(every, valid_every_data(owner={"name": "Công\nty"})) == {
        "owner.name": ["chứa ký tự điều khiển không được phép (kể cả xuống dòng)"]
    }


def test_textarea_keeps_line_breaks_and_normalises_them(every):
    assert validate_submission(every, valid_every_data(note="dòng 1\r\ndòng 2"))["note"] == "dòng 1\ndòng 2"


def test_text_without_max_length_still_has_a_hard_ceiling(every):
    huge = "a" * 100_001
    assert problems_of(every, valid_every_data(owner={"name": huge})) == {
        "owner.name": ["tối đa 100000 ký tự (đang có 100001)"]
    }


def test_text_that_is_not_a_string_is_refused(every):
    assert problems_of(every, valid_every_data(code=1234)) == {"code": ["phải là chuỗi văn bản"]}


def test_lone_surrogate_in_text_is_refused(every):
    assert problems_of(every, valid_every_data(note="a\ud800b")) == {"note": ["chứa ký tự Unicode không hợp lệ"]}


def test_text_is_nfc_normalised_everywhere(every):
    result = validate_submission(every, valid_every_data(owner={"name": nfd("Hợp tác xã Hồng Phúc")}))
    assert result["owner"]["name"] == unicodedata.normalize("NFC", "Hợp tác xã Hồng Phúc")
    assert result["owner"]["name"] != nfd("Hợp tác xã Hồng Phúc")


# --- validation: numbers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [3, "3", " 3 ", 3.0])
def test_whole_number_field_types_values_as_int(every, raw):
    value = validate_submission(every, valid_every_data(count=raw))["count"]
    assert value == 3 and type(value) is int


def test_decimal_field_types_values_as_float_and_accepts_a_decimal_comma(every):
    assert validate_submission(every, valid_every_data(fee="2,5"))["fee"] == 2.5
    value = validate_submission(every, valid_every_data(fee=3))["fee"]
    assert value == 3.0 and type(value) is float


def test_decimal_digits_zero_means_integer(every):
    assert problems_of(every, valid_every_data(count=1.5)) == {"count": ["phải là số nguyên"]}


def test_decimal_digits_limit_the_fraction(every):
    assert problems_of(every, valid_every_data(fee="1.255")) == {
        "fee": ["tối đa 2 chữ số thập phân", "phải là bội số của 0.5"]
    }


def test_increment_is_checked(every):
    assert problems_of(every, valid_every_data(fee=0.7)) == {"fee": ["phải là bội số của 0.5"]}


def test_minimum_and_maximum_are_checked(every):
    assert problems_of(every, valid_every_data(count=0)) == {"count": ["phải ≥ 1"]}
    assert problems_of(every, valid_every_data(count="11")) == {"count": ["phải ≤ 10"]}


@pytest.mark.parametrize("raw", ["ba", True, "1e3", "NaN", [1], "1.2.3"])
def test_non_numbers_are_refused(every, raw):
    assert problems_of(every, valid_every_data(count=raw)) == {"count": ["phải là số"]}


def test_numbers_beyond_safe_precision_are_refused(every):
    assert problems_of(every, valid_every_data(fee="1" * 16)) == {"fee": ["vượt quá giới hạn số (nhỏ hơn 10^15)"]}


# --- validation: choices -------------------------------------------------------------------------------------------


def test_select_value_outside_its_list_is_refused(every):
    assert problems_of(every, valid_every_data(level="medium")) == {
        "level": ["không thuộc danh sách lựa chọn (low, high)"]
    }


def test_radio_value_outside_its_list_is_refused(every):
    assert problems_of(every, valid_every_data(channel="fax")) == {
        "channel": ["không thuộc danh sách lựa chọn (direct, online)"]
    }


def test_required_radio_without_value_is_reported(every):
    data = valid_every_data()
    del data["channel"]
    assert problems_of(every, data) == {"channel": ["bắt buộc"]}


def test_absent_optional_field_takes_its_default_value(every):
    assert validate_submission(every, valid_every_data())["level"] == "low"


def test_explicit_null_means_empty_and_does_not_take_the_default(every):
    assert "level" not in validate_submission(every, valid_every_data(level=None))


def test_checklist_takes_a_list_or_comma_separated_text_and_drops_repeats(every):
    assert validate_submission(every, valid_every_data(documents=["copy", "form", "copy"]))["documents"] == [
        "copy", "form"
    ]
    assert validate_submission(every, valid_every_data(documents="form, photo"))["documents"] == ["form", "photo"]


def test_checklist_value_outside_its_list_is_refused(every):
    assert problems_of(every, valid_every_data(documents=["form", "video"])) == {
        "documents": ["có giá trị không thuộc danh sách lựa chọn (form, copy, photo)"]
    }


def test_required_checklist_needs_at_least_one_value(every):
    assert problems_of(every, valid_every_data(documents=[])) == {"documents": ["bắt buộc"]}


def test_checklist_that_is_not_a_list_is_refused(every):
    assert problems_of(every, valid_every_data(documents={"form": True})) == {
        "documents": ["phải là danh sách giá trị"]
    }


def test_taglist_values_are_checked_like_a_checklist(every):
    assert validate_submission(every, valid_every_data(tags=["linked"]))["tags"] == ["linked"]
    assert problems_of(every, valid_every_data(tags=["vip"])) == {
        "tags": ["có giá trị không thuộc danh sách lựa chọn (priority, linked)"]
    }


# --- validation: checkbox ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw,expected", [(True, True), ("true", True), ("có", True), ("C", True),
                                          (False, False), ("không", False), ("n", False)])
def test_checkbox_takes_booleans_and_yes_no_words(every, raw, expected):
    assert validate_submission(every, valid_every_data(urgent=raw))["urgent"] is expected


def test_absent_checkbox_is_false(every):
    assert validate_submission(every, valid_every_data())["urgent"] is False


def test_required_checkbox_must_be_ticked(every):
    assert problems_of(every, valid_every_data(agreed=False)) == {"agreed": ["phải được đánh dấu"]}


def test_checkbox_refuses_other_values(every):
    assert problems_of(every, valid_every_data(urgent="maybe")) == {"urgent": ["phải là có/không (true/false)"]}
    assert problems_of(every, valid_every_data(urgent=1)) == {"urgent": ["phải là có/không (true/false)"]}


# --- validation: date and time -------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["2026-03-02", "02/03/2026", "2/3/2026", dt.date(2026, 3, 2)])
def test_date_subtype_becomes_a_date(every, raw):
    assert validate_submission(every, valid_every_data(day=raw))["day"] == dt.date(2026, 3, 2)


@pytest.mark.parametrize("raw", ["2026-02-30", "30/02/2026", "2026-03-02T08:00", "mai", 20260302])
def test_invalid_dates_are_refused(every, raw):
    assert problems_of(every, valid_every_data(day=raw)) == {
        "day": ["phải là ngày hợp lệ dạng YYYY-MM-DD hoặc DD/MM/YYYY"]
    }


def test_time_subtype_becomes_a_time(every):
    assert validate_submission(every, valid_every_data(at="14:30"))["at"] == dt.time(14, 30)
    assert problems_of(every, valid_every_data(at="25:00")) == {"at": ["phải là giờ hợp lệ dạng HH:MM"]}


def test_datetime_without_offset_is_vietnamese_local_time(every):
    value = validate_submission(every, valid_every_data(moment="2026-03-02T14:30"))["moment"]
    assert value == dt.datetime(2026, 3, 2, 14, 30, tzinfo=VN)
    assert value.utcoffset() == dt.timedelta(hours=7)


def test_datetime_keeps_a_given_offset(every):
    value = validate_submission(every, valid_every_data(moment="2026-03-02T07:30:00Z"))["moment"]
    assert value == dt.datetime(2026, 3, 2, 14, 30, tzinfo=VN)
    assert value.utcoffset() == dt.timedelta(0)


def test_datetime_accepts_vietnamese_day_first_text(every):
    value = validate_submission(every, valid_every_data(moment="02/03/2026 14:30"))["moment"]
    assert value == dt.datetime(2026, 3, 2, 14, 30, tzinfo=VN)


def test_datetime_without_time_is_refused(every):
    assert problems_of(every, valid_every_data(moment="2026-03-02")) == {
        "moment": ["phải là ngày giờ hợp lệ dạng YYYY-MM-DDTHH:MM hoặc DD/MM/YYYY HH:MM"]
    }


def test_disallow_passed_dates_uses_the_given_today():
    form = sample(component("datetime", "d", subtype="date", disallowPassedDates=True))
    assert problems_of(form, {"d": "2026-03-01"}, today=dt.date(2026, 3, 2)) == {"d": ["không được là ngày đã qua"]}
    assert validate_submission(form, {"d": "2026-03-02"}, today=dt.date(2026, 3, 2)) == {"d": dt.date(2026, 3, 2)}


# --- validation: keys, groups, read-only, the whole message ---------------------------------------------------------


def test_unknown_keys_are_refused(every):
    assert problems_of(every, valid_every_data(approved=True, owner={"name": "A", "age": 3})) == {
        "approved": ["không có trong biểu mẫu"],
        "owner.age": ["không có trong biểu mẫu"],
    }


def test_group_fields_accept_dotted_keys(every):
    data = valid_every_data(**{"owner.address.city": "Cao Bằng"})
    assert validate_submission(every, data)["owner"] == {"name": "Công ty A", "address": {"city": "Cao Bằng"}}


def test_a_field_given_both_nested_and_dotted_is_refused(every):
    data = valid_every_data(**{"owner.name": "B"})
    assert problems_of(every, data) == {"owner.name": ["được nhập hai lần"]}


def test_read_only_field_refuses_input_and_keeps_its_default(every):
    assert problems_of(every, valid_every_data(old_case="H99")) == {"old_case": ["là trường chỉ đọc, không được nhập"]}
    assert validate_submission(every, valid_every_data())["old_case"] == "H01"


def test_submission_that_is_not_an_object_is_refused(every):
    with pytest.raises(InvalidInput, match=r"Dữ liệu cho biểu mẫu 'every_component' phải là một đối tượng JSON"):
        validate_submission(every, ["code"])


def test_every_problem_is_reported_at_once_with_labels():
    form = sample(
        component("textfield", "name", label="Họ và tên người nộp", validate={"required": True}),
        component("number", "sets", label="Số bộ hồ sơ", validate={"min": 1}),
        component("select", "channel", label="Hình thức nộp", values=[{"label": "Trực tiếp", "value": "direct"}]),
    )
    with pytest.raises(InvalidInput) as caught:
        validate_submission(form, {"sets": "0", "channel": "fax", "extra": 1})
    assert caught.value.message == (
        "Biểu mẫu 'sample': khóa 'extra': không có trong biểu mẫu; Họ và tên người nộp: bắt buộc; "
        "Số bộ hồ sơ: phải ≥ 1; Hình thức nộp: không thuộc danh sách lựa chọn (direct)."
    )
    assert caught.value.details["form"] == "sample"
    assert caught.value.details["problems"] == [
        {"key": "extra", "label": "khóa 'extra'", "problem": "không có trong biểu mẫu"},
        {"key": "name", "label": "Họ và tên người nộp", "problem": "bắt buộc"},
        {"key": "sets", "label": "Số bộ hồ sơ", "problem": "phải ≥ 1"},
        {"key": "channel", "label": "Hình thức nộp", "problem": "không thuộc danh sách lựa chọn (direct)"},
    ]


def test_problems_never_echo_the_submitted_value():
    form = sample(component("textfield", "id_number", validate={"pattern": "^[0-9]{12}$"}))
    with pytest.raises(InvalidInput) as caught:
        validate_submission(form, {"id_number": "SECRET-001"})
    assert "SECRET-001" not in caught.value.message
    assert "SECRET-001" not in json.dumps(caught.value.to_dict(), ensure_ascii=False)


# --- submitted text ------------------------------------------------------------------------------------------------


def test_submission_text_is_parsed_as_a_json_object():
    assert parse_submission_text('{"ten": "Lan", "sets": 2}'.encode(), "--data") == {"ten": "Lan", "sets": 2}


def test_submission_that_is_not_utf8_is_refused_naming_the_source():
    with pytest.raises(InvalidInput, match=r"Dữ liệu biểu mẫu từ 'data.json' không phải văn bản UTF-8"):
        parse_submission_text('{"ten": "Lan"}'.encode("utf-16"), "data.json")
    with pytest.raises(InvalidInput, match=r"không phải văn bản UTF-8 \(byte không hợp lệ ở vị trí 10\)"):
        parse_submission_text('{"ten": "Hà"}'.encode("latin-1"), "data.json")


def test_submission_with_invalid_json_is_refused_naming_the_source():
    with pytest.raises(InvalidInput, match=r"từ '--data' không phải JSON hợp lệ \(lỗi ở dòng 1, cột 9\)") as e:
        parse_submission_text(b'{"a": 1,}', "--data")
    assert e.value.details == {"source": "--data"}


def test_submission_that_is_not_an_object_is_refused_naming_the_source():
    with pytest.raises(InvalidInput, match=r"Dữ liệu biểu mẫu từ '--data' phải là một đối tượng JSON"):
        parse_submission_text(b'["a"]', "--data")


def test_submission_with_a_repeated_key_is_refused():
    with pytest.raises(InvalidInput, match=r"có khóa 'sets' xuất hiện hai lần"):
        parse_submission_text(b'{"sets": 1, "sets": 2}', "--data")


def test_submission_with_nan_is_refused():
    with pytest.raises(InvalidInput, match=r"chứa hằng số 'NaN' không thuộc chuẩn JSON"):
        parse_submission_text(b'{"sets": NaN}', "--data")


def test_deeply_nested_submission_is_refused():
    with pytest.raises(InvalidInput, match=r"có cấu trúc lồng nhau quá sâu"):
        parse_submission_text(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "--data")


# --- views: JSON Schema and describe -------------------------------------------------------------------------------


def test_json_schema_accepts_the_canonical_form_of_a_valid_submission(every):
    result = validate_submission(every, valid_every_data(count=2, fee=1.5, day="2026-03-02", at="08:00",
                                                         moment="2026-03-02T08:00", tags=["priority"]))
    schema = every.to_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(json.dumps(to_plain_tree(result))), schema,
                        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_json_schema_rejects_unknown_keys_values_and_ranges(every):
    validator = jsonschema.Draft202012Validator(every.to_json_schema())
    base = to_plain_tree(validate_submission(every, valid_every_data()))
    for change in ({"extra": 1}, {"count": 11}, {"level": "medium"}, {"agreed": False}, {"owner": {"age": 3}}):
        assert not validator.is_valid({**base, **change}), change


def test_json_schema_requires_required_fields_without_a_default(every):
    schema = every.to_json_schema()
    assert schema["required"] == ["code", "channel", "agreed", "documents"]
    assert schema["properties"]["owner"]["required"] == ["name"]
    assert schema["properties"]["day"] == {"title": "Ngày hẹn", "type": "string", "format": "date"}


def test_describe_lists_fields_with_labels_choices_defaults_and_limits(every):
    view = every.describe()
    json.dumps(view, ensure_ascii=False)  # JSON-able as the CLI prints it
    by_key = {f["key"]: f for f in view["fields"]}
    assert view["id"] == "every_component"
    assert by_key["level"]["values"] == [{"value": "low", "label": "Thấp"}, {"value": "high", "label": "Cao"}]
    assert by_key["level"]["default"] == "low"
    assert by_key["code"]["limits"] == {"min_length": 3, "max_length": 8, "pattern": r"^[A-Z]+\d*$"}
    assert by_key["fee"]["limits"] == {"min": 0, "max": 1000, "decimal_digits": 2, "increment": 0.5}
    assert by_key["moment"]["limits"] == {"subtype": "datetime"}
    assert (by_key["code"]["required"], by_key["note"]["required"]) == (True, False)


def to_plain_tree(value: object) -> object:
    if isinstance(value, dict):
        return {k: to_plain_tree(v) for k, v in value.items()}
    return to_plain(value)
