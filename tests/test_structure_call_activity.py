"""Call activities (issue 14): the called process runs as a child case with Camunda 7's in/out mappings, business
key, bindings, error propagation and boundary timers, multi-instance; driven through the CLI on a fixed clock; each
case's history replays and verifies exactly."""

from __future__ import annotations

import json

import pytest

START = "2026-03-02T08:00"  # Monday, a working day


@pytest.fixture
def deployed(cli, fixtures):
    result = cli("deploy", str(fixtures / "bpmn"), "--json")
    assert result.code == 0, result.err
    return cli


def _ok(result):
    assert result.code == 0, result.err
    return result.json()


def _complete(cli, task, data, user, now):
    return _ok(cli("complete", task["task_id"], "--data", json.dumps(data), "--json", now=now, user=user))


def _show(cli, case_id, now="2026-03-02T16:00"):
    return _ok(cli("show", case_id, "--json", now=now))


def _exact(cli, *case_ids, now="2026-03-20T16:00"):
    for case_id in case_ids:
        assert cli("verify", case_id, now=now).code == 0, case_id
        replayed = cli("replay", case_id, "--json", now=now)
        assert replayed.code == 0, (case_id, replayed.out, replayed.err)
        assert replayed.json()["ok"], replayed.json()["differences"]


def _events(cli, case_id, kind=None):
    events = _ok(cli("history", case_id, "--json"))["events"]
    return [e for e in events if kind is None or e["type"] == kind]


def _start_permit(cli, data=None):
    data = {"permit_no": "GP-123", "fee": 150, "business_key": "G22.50-0001", **(data or {})}
    return _ok(cli("start", "call_parent", "--applicant", "Công ty TNHH Ánh Dương", "--data", json.dumps(data),
                   "--json", now=START, user="lan"))


def test_a_call_activity_starts_a_child_case_with_the_in_variables_and_completes_with_the_out_variables(deployed):
    parent = _start_permit(deployed)
    assert parent["tasks"] == []  # the caller waits for its child
    child_id = parent["case_id"] + ".1"
    child = _show(deployed, child_id)
    assert child["parent_case_id"] == parent["case_id"]
    assert [t["element_id"] for t in child["tasks"]] == ["verify"]
    started = _events(deployed, child_id, "case_started")[0]["payload"]
    assert started["parent_case_id"] == parent["case_id"]
    # camunda:in source / sourceExpression / businessKey="#{execution.processBusinessKey}"
    assert started["data"] == {"permit_no": "GP-123", "high_fee": True, "business_key": "G22.50-0001"}
    assert _show(deployed, parent["case_id"])["children"][0]["id"] == child_id
    view = _complete(deployed, child["tasks"][0], {"valid": True, "note": "Còn hạn"}, "mai", "2026-03-02T10:00")
    assert view["status"] == "completed"
    parent_view = _show(deployed, parent["case_id"])
    assert [t["element_id"] for t in parent_view["tasks"] if t["status"] == "open"] == ["approve"]
    done = _events(deployed, parent["case_id"], "call_activity_completed")
    assert len(done) == 1 and done[0]["payload"]["child_case_id"] == child_id
    assert done[0]["payload"]["data"] == {"permit_valid": True, "check_note": "Còn hạn"}
    assert parent_view["children"][0]["status"] == "completed"
    _exact(deployed, parent["case_id"], child_id)


def test_an_error_end_event_in_the_child_is_caught_by_the_error_boundary_on_the_call_activity(deployed):
    parent = _start_permit(deployed)
    child_id = parent["case_id"] + ".1"
    child = _show(deployed, child_id)
    view = _complete(deployed, child["tasks"][0], {"valid": False, "note": "Hết hạn"}, "mai", "2026-03-02T10:00")
    assert view["status"] == "completed"
    parent_view = _show(deployed, parent["case_id"])
    assert [t["element_id"] for t in parent_view["tasks"]] == ["reject"]
    done = _events(deployed, parent["case_id"], "call_activity_completed")[0]["payload"]
    assert done["error_code"] == "PERMIT_INVALID" and done["data"] == {}
    caught = _events(deployed, parent["case_id"], "error_caught")[0]["payload"]
    assert caught["attached_to"] == "check_permit"
    assert caught["variables"] == {"errorCode": "PERMIT_INVALID", "errorMessage": "Giấy phép đã hết hiệu lực"}
    assert not _events(deployed, parent["case_id"], "call_activity_cancelled")
    _exact(deployed, parent["case_id"], child_id)


def test_a_boundary_timer_on_the_call_activity_interrupts_it_and_withdraws_the_child(deployed):
    parent = _start_permit(deployed)
    child_id = parent["case_id"] + ".1"
    # P3D of working time from Monday 08:00: Thursday 08:00; the caller's clock runs while the child works.
    assert deployed("tick", now="2026-03-05T09:00").code == 0
    parent_view = _show(deployed, parent["case_id"], now="2026-03-05T09:00")
    assert [t["element_id"] for t in parent_view["tasks"]] == ["escalate"]
    assert _events(deployed, parent["case_id"], "call_activity_cancelled")
    child = _show(deployed, child_id, now="2026-03-05T09:00")
    assert child["status"] == "withdrawn" and child["tasks"] == []
    assert _events(deployed, child_id, "case_withdrawn")[0]["actor"] == "engine"
    _exact(deployed, parent["case_id"], child_id)


def test_withdrawing_the_caller_withdraws_its_child_and_a_child_cannot_be_withdrawn_alone(deployed):
    parent = _start_permit(deployed)
    child_id = parent["case_id"] + ".1"
    refused = deployed("withdraw", child_id, "--reason", "Rút riêng", now="2026-03-02T09:00", user="lan")
    assert refused.code == 5 and parent["case_id"] in refused.err
    assert _show(deployed, child_id)["status"] == "active"
    _ok(deployed("withdraw", parent["case_id"], "--reason", "Người nộp rút hồ sơ", "--json", now="2026-03-02T09:00",
                 user="lan"))
    assert _show(deployed, child_id)["status"] == "withdrawn"
    assert _show(deployed, parent["case_id"])["children"][0]["status"] == "withdrawn"
    _exact(deployed, parent["case_id"], child_id)


def test_a_multi_instance_call_activity_starts_one_child_per_item_and_waits_for_all(deployed):
    units = ["so_tai_chinh", "so_xay_dung", "so_tu_phap"]
    parent = _ok(deployed("start", "call_consult_parent", "--applicant", "Công ty TNHH Ánh Dương", "--data",
                          json.dumps({"units": units}), "--json", now=START, user="lan"))
    children = _show(deployed, parent["case_id"])["children"]
    assert [c["id"] for c in children] == [f"{parent['case_id']}.{i}" for i in (1, 2, 3)]
    for i, child in enumerate(children):
        data = _events(deployed, child["id"], "case_started")[0]["payload"]["data"]
        assert data == {"unit": units[i], "loopCounter": i}  # in source + variables="all" local="true"
    for i, child in enumerate(children):
        task = _show(deployed, child["id"])["tasks"][0]
        view = _complete(deployed, task, {"opinion": f"Đồng ý {i}"}, "mai", f"2026-03-02T1{i}:00")
        open_steps = [t["element_id"] for t in _show(deployed, parent["case_id"])["tasks"]]
        assert open_steps == ([] if i < 2 else ["decide"])
    done = _events(deployed, parent["case_id"], "call_activity_completed")
    assert [e["payload"]["child_case_id"] for e in done] == [c["id"] for c in children]
    _exact(deployed, parent["case_id"], *[c["id"] for c in children])


def _variant(fixtures, tmp_path, name: str, binding: str) -> str:
    """The all-variables caller as process `call_all_<name>` with the given binding attributes."""
    text = (fixtures / "bpmn" / "call" / "all_parent.bpmn").read_text(encoding="utf-8")
    text = text.replace("call_all_parent", f"call_all_{name}").replace(
        'calledElement="${check_process}"', f'calledElement="${{check_process}}" {binding}')
    path = tmp_path / f"all_{name}.bpmn"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _version_2(fixtures, tmp_path) -> str:
    text = (fixtures / "bpmn" / "call" / "permit_check.bpmn").read_text(encoding="utf-8")
    text = text.replace('camunda:versionTag="v1"', 'camunda:versionTag="v2"').replace(
        'name="Đối chiếu giấy phép"', 'name="Đối chiếu giấy phép (bản 2)"')
    path = tmp_path / "permit_check_v2.bpmn"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_bindings_choose_the_called_version_and_all_variables_flow_both_ways(cli, fixtures, tmp_path):
    assert cli("deploy", str(fixtures / "bpmn"), now="2026-03-01T08:00").code == 0
    # One deploy is one deployment: this caller's deployment holds version 1 of the called process.
    assert cli("deploy", _variant(fixtures, tmp_path, "deployment", 'camunda:calledElementBinding="deployment"'),
               now="2026-03-01T09:00").code == 0
    assert cli("deploy", _version_2(fixtures, tmp_path), now="2026-03-01T10:00").code == 0
    variants = {
        "latest": ("", 2),
        "version": ('camunda:calledElementBinding="version" camunda:calledElementVersion="1"', 1),
        "tag": ('camunda:calledElementBinding="versionTag" camunda:calledElementVersionTag="v1"', 1),
    }
    for name, (binding, _) in variants.items():
        assert cli("deploy", _variant(fixtures, tmp_path, name, binding), now="2026-03-01T11:00").code == 0
    variants["deployment"] = ("", 1)
    for name, (_, version) in variants.items():
        parent = _ok(cli("start", f"call_all_{name}", "--applicant", "Bà Nguyễn Thị Hoa", "--data",
                         json.dumps({"check_process": "call_permit_check", "permit_no": "GP-9"}), "--json",
                         now=START, user="lan"))
        child_id = parent["case_id"] + ".1"
        started = _events(cli, child_id, "case_started")[0]["payload"]
        assert started["definition_version"] == version, name
        assert started["data"] == {"check_process": "call_permit_check", "permit_no": "GP-9"}  # variables="all"
        task = _show(cli, child_id)["tasks"][0]
        _complete(cli, task, {"valid": True, "note": name}, "mai", "2026-03-02T10:00")
        done = _events(cli, parent["case_id"], "call_activity_completed")[0]["payload"]["data"]
        # out variables="all": the child's variables, never its own case number or limits
        assert done == {"check_process": "call_permit_check", "permit_no": "GP-9", "valid": True, "note": name}
        _exact(cli, parent["case_id"], child_id)


def test_a_called_process_that_does_not_exist_is_a_run_time_error_and_nothing_changes(deployed):
    result = deployed("start", "call_all_parent", "--applicant", "Bà Nguyễn Thị Hoa", "--data",
                      json.dumps({"check_process": "khong_co_quy_trinh"}), "--json", now=START, user="lan")
    assert result.code == 3, result.err
    assert "khong_co_quy_trinh" in json.loads(result.err)["message"]
    parent = _start_permit(deployed)
    assert parent["case_id"].endswith("-0001")  # the refused start wrote nothing, not even a case number


@pytest.mark.parametrize(("attributes", "words"), [
    ('calledElement="call_permit_check" camunda:variableMappingClass="org.example.Mapping"', "mã lệnh"),
    ('calledElement="call_permit_check" camunda:variableMappingDelegateExpression="${mapping}"', "mã lệnh"),
    ('camunda:caseRef="permit_case"', "CMMN"),
    ('calledElement="call_permit_check" camunda:calledElementBinding="version"', "calledElementVersion"),
    ('calledElement="${check_process + 1}"', "calledElement"),
])
def test_call_activities_that_would_run_code_or_cannot_resolve_are_refused_at_deploy(cli, fixtures, tmp_path,
                                                                                    attributes, words):
    text = (fixtures / "bpmn" / "call" / "all_parent.bpmn").read_text(encoding="utf-8")
    path = tmp_path / "refused.bpmn"
    path.write_text(text.replace('calledElement="${check_process}"', attributes), encoding="utf-8")
    result = cli("deploy", str(path), "--json")
    assert result.code == 4, result.err
    message = json.loads(result.err)["message"]
    assert "check_all" in message and words in message, message


def test_show_prints_the_link_between_caller_and_child(deployed):
    parent = _start_permit(deployed)
    child_id = parent["case_id"] + ".1"
    shown = deployed("show", parent["case_id"], now="2026-03-02T09:00")
    assert shown.code == 0 and f"Hồ sơ con: {child_id}" in shown.out
    shown = deployed("show", child_id, now="2026-03-02T09:00")
    assert shown.code == 0 and f"Hồ sơ con của hồ sơ {parent['case_id']}" in shown.out


def _flat(table: str) -> str:
    """A rich table's text with its borders and wrapping removed (cells wrap at the terminal width)."""
    import re

    return "".join(re.sub(r"[│┃┏┓┗┛┡┩└┘├┤┬┴┼━─╇╈┳┻]", "", line).strip() for line in table.splitlines()).replace(" ", "")


def test_history_and_the_control_slip_name_the_child_and_the_caller(deployed, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # the timeline's cells are not cut short
    parent = _start_permit(deployed)
    child_id = parent["case_id"] + ".1"
    task = _show(deployed, child_id)["tasks"][0]
    _complete(deployed, task, {"valid": True, "note": "Còn hạn"}, "mai", "2026-03-02T10:00")
    timeline = deployed("history", parent["case_id"], now="2026-03-02T11:00")
    assert timeline.code == 0 and f"hồsơcon{child_id}" in _flat(timeline.out) and "call_permit_check" in _flat(timeline.out)
    timeline = deployed("history", child_id, now="2026-03-02T11:00")
    assert timeline.code == 0 and f"hồsơconcủa{parent['case_id']}" in _flat(timeline.out)
    slip = deployed("slip", parent["case_id"], now="2026-03-02T11:00")
    assert slip.code == 0 and f"hồ sơ con {child_id} kết thúc" in slip.out
    html = deployed("slip", child_id, "--format", "html", now="2026-03-02T11:00")
    assert html.code == 0 and f"hồ sơ con của hồ sơ {parent['case_id']}" in html.out


def test_a_child_case_is_not_counted_as_a_dossier_in_the_report(deployed):
    parent = _start_permit(deployed)
    task = _show(deployed, parent["case_id"] + ".1")["tasks"][0]
    _complete(deployed, task, {"valid": True, "note": "Còn hạn"}, "mai", "2026-03-02T10:00")
    report = _ok(deployed("report", "--from", "2026-03-01", "--to", "2026-03-31", "--json", now="2026-03-03T10:00"))
    text = json.dumps(report, ensure_ascii=False)
    assert "call_parent" in text
    assert "call_permit_check" not in text


def test_a_sequential_multi_instance_call_activity_starts_the_next_child_when_one_ends_and_a_limit_is_its_own(
        cli, fixtures, tmp_path):
    assert cli("deploy", str(fixtures / "bpmn")).code == 0
    caller = (fixtures / "bpmn" / "call" / "consult_parent.bpmn").read_text(encoding="utf-8")
    caller = caller.replace("call_consult_parent", "call_consult_seq").replace(
        'camunda:elementVariable="unit" />', 'camunda:elementVariable="unit" isSequential="true" />')
    called = (fixtures / "bpmn" / "call" / "consult.bpmn").read_text(encoding="utf-8")
    # The called process declares a limit of its own (two working days) through its procedure properties.
    called = called.replace("call_consult", "call_consult_limited").replace(
        '<bpmn:startEvent id="StartEvent_consult"',
        '<bpmn:extensionElements><camunda:properties><camunda:property name="total_working_days" value="2" />'
        '</camunda:properties></bpmn:extensionElements>\n    <bpmn:startEvent id="StartEvent_consult"')
    caller = caller.replace('calledElement="call_consult"', 'calledElement="call_consult_limited"')
    (tmp_path / "seq.bpmn").write_text(caller, encoding="utf-8")
    (tmp_path / "limited.bpmn").write_text(called, encoding="utf-8")
    assert cli("deploy", str(tmp_path)).code == 0
    parent = _ok(cli("start", "call_consult_seq", "--applicant", "Công ty TNHH Ánh Dương", "--data",
                     json.dumps({"units": ["a", "b"]}), "--json", now=START, user="lan"))
    children = _show(cli, parent["case_id"])["children"]
    assert [c["id"] for c in children] == [parent["case_id"] + ".1"]
    first = _show(cli, children[0]["id"])
    assert first["due_at"].startswith("2026-03-04")  # two working days from Monday 08:00
    _complete(cli, first["tasks"][0], {"opinion": "Đồng ý"}, "mai", "2026-03-02T10:00")
    children = _show(cli, parent["case_id"])["children"]
    assert [c["status"] for c in children] == ["completed", "active"]
    _complete(cli, _show(cli, children[1]["id"])["tasks"][0], {"opinion": "Không"}, "mai", "2026-03-02T11:00")
    assert [t["element_id"] for t in _show(cli, parent["case_id"])["tasks"]] == ["decide"]
    _exact(cli, parent["case_id"], *[c["id"] for c in children])


def test_a_child_that_ends_at_once_completes_the_call_activity_in_the_same_command(cli, fixtures, tmp_path):
    assert cli("deploy", str(fixtures / "bpmn")).code == 0
    called = (fixtures / "bpmn" / "call" / "consult.bpmn").read_text(encoding="utf-8")
    # The called process without its step: start, then end.
    called = called.replace("call_consult", "call_instant").replace(
        'targetRef="give_opinion" />', 'targetRef="EndEvent_given" />')
    start, end = called.index('    <bpmn:userTask id="give_opinion"'), called.index("</bpmn:userTask>") + 16
    called = called[:start] + called[end:]
    called = "\n".join(line for line in called.splitlines() if "give_opinion" not in line and "Flow_2" not in line)
    (tmp_path / "instant.bpmn").write_text(called, encoding="utf-8")
    assert cli("deploy", str(tmp_path)).code == 0, "instant"
    parent = _ok(cli("start", "call_all_parent", "--applicant", "Bà Nguyễn Thị Hoa", "--data",
                     json.dumps({"check_process": "call_instant", "permit_no": "GP-1"}), "--json", now=START,
                     user="lan"))
    view = _show(cli, parent["case_id"])
    assert [t["element_id"] for t in view["tasks"]] == ["approve"]
    assert view["children"][0]["status"] == "completed"
    kinds = [e["type"] for e in _events(cli, parent["case_id"])]
    assert kinds.index("call_activity_started") < kinds.index("call_activity_completed") < kinds.index("task_created")
    _exact(cli, parent["case_id"], parent["case_id"] + ".1")


def test_each_chain_is_its_own_tampering_with_the_child_is_found_in_the_child(deployed):
    from sqlalchemy import create_engine, text

    parent = _start_permit(deployed)
    child_id = parent["case_id"] + ".1"
    _complete(deployed, _show(deployed, child_id)["tasks"][0], {"valid": True, "note": "Còn hạn"}, "mai",
              "2026-03-02T10:00")
    engine = create_engine(deployed.db_url)
    with engine.begin() as conn:  # the child's recorded answer edited behind the engine's back
        edited = ("CAST(REPLACE(CAST(payload AS TEXT), '\"note\"', '\"notes\"') AS JSON)"
                  if engine.dialect.name == "postgresql" else "REPLACE(payload, '\"note\"', '\"notes\"')")
        changed = conn.execute(text(f"UPDATE events SET payload = {edited} "
                                    "WHERE case_id = :c AND type = 'task_completed'"), {"c": child_id})
        assert changed.rowcount == 1
    engine.dispose()
    assert deployed("verify", child_id, now="2026-03-02T11:00").code == 7
    assert deployed("verify", parent["case_id"], now="2026-03-02T11:00").code == 0


def test_an_error_from_one_child_of_a_multi_instance_call_activity_is_caught_on_the_body_and_withdraws_the_others(
        cli, fixtures, tmp_path):
    assert cli("deploy", str(fixtures / "bpmn")).code == 0
    caller = (fixtures / "bpmn" / "call" / "permit_parent.bpmn").read_text(encoding="utf-8")
    caller = caller.replace("call_parent", "call_parent_mi").replace(
        '<camunda:in source="permit_no" target="permit_no" />', '<camunda:in source="permit" target="permit_no" />'
    ).replace("    </bpmn:callActivity>", '      <bpmn:multiInstanceLoopCharacteristics camunda:collection="${permits}" '
              'camunda:elementVariable="permit" />\n    </bpmn:callActivity>')
    assert "multiInstanceLoopCharacteristics" in caller
    (tmp_path / "mi.bpmn").write_text(caller, encoding="utf-8")
    assert cli("deploy", str(tmp_path)).code == 0
    parent = _ok(cli("start", "call_parent_mi", "--applicant", "Công ty TNHH Ánh Dương", "--data",
                     json.dumps({"permits": ["GP-1", "GP-2", "GP-3"], "fee": 10}), "--json", now=START, user="lan"))
    children = _show(cli, parent["case_id"])["children"]
    assert len(children) == 3
    assert [_events(cli, c["id"], "case_started")[0]["payload"]["data"]["permit_no"] for c in children] == \
        ["GP-1", "GP-2", "GP-3"]
    _complete(cli, _show(cli, children[1]["id"])["tasks"][0], {"valid": False, "note": "Hết hạn"}, "mai",
              "2026-03-02T10:00")
    view = _show(cli, parent["case_id"])
    assert [t["element_id"] for t in view["tasks"]] == ["reject"]
    assert [c["status"] for c in view["children"]] == ["withdrawn", "completed", "withdrawn"]
    _exact(cli, parent["case_id"], *[c["id"] for c in children])
