"""`camunda:inputOutput` with Camunda 7's scoping (issue 14, part 5), through the CLI with a fixed clock.

The diagram (tests/fixtures/external/io_fixture.bpmn): user task `assess` (candidateGroups `${unit}`) with inputs
unit = "staff", docs = [${doc_a}, "bản sao"], contact = {phone: ${phone}, name: ${applicant_name}} and outputs
assessment = ${score}, contact_out = ${contact}, docs_out = ${docs}; then external task `notify` (topic sms) with
input to = ${phone} and output sent = ${status}; then user task `close`.
"""

from __future__ import annotations

import pytest

NOW = "2026-03-02T09:00"


@pytest.fixture
def deployed(cli, fixtures):
    assert cli("deploy", str(fixtures / "external" / "io_fixture.bpmn"), "--json", now=NOW).code == 0
    return cli


def _ok(result):
    assert result.code == 0, (result.out, result.err)
    return result.json()


def test_inputs_live_inside_the_step_outputs_reach_the_case_and_a_completion_variable_named_like_an_input_stays_local(
        deployed):
    case = _ok(deployed("start", "io_fixture", "--applicant", "Phạm Thu", "--data",
                        '{"phone": "0912345678", "doc_a": "đơn đề nghị"}', "--json", now=NOW, user="lan"))
    assess = case["tasks"][0]
    assert assess["candidate_groups"] == ["staff"]  # the input parameter, seen by the assignment expression
    _ok(deployed("complete", assess["task_id"], "--data", '{"score": 7, "unit": "khác"}', "--json", now=NOW,
                 user="mai"))
    fetched = _ok(deployed("external", "fetch", "--topic", "sms", "--worker", "sms-1", "--json", now=NOW))
    variables = fetched[0]["variables"]
    assert variables["assessment"] == 7 and variables["score"] == 7
    assert variables["contact_out"] == {"phone": "0912345678", "name": "Phạm Thu"}
    assert variables["docs_out"] == ["đơn đề nghị", "bản sao"]
    assert not {"unit", "docs", "contact"} & set(variables)  # the step's locals, dropped (even the completed `unit`)
    assert variables["to"] == "0912345678"  # the external task's own input, visible to its worker
    _ok(deployed("external", "complete", fetched[0]["id"], "--worker", "sms-1", "--data", '{"status": "đã gửi"}',
                 "--json", now=NOW))
    close = _ok(deployed("tasks", "--case", case["case_id"], "--json", now=NOW))
    assert [t["element_id"] for t in close] == ["close"]
    done = _ok(deployed("complete", close[0]["task_id"], "--data", "{}", "--json", now=NOW, user="lan"))
    assert done["status"] == "completed"
    replay = deployed("replay", case["case_id"], "--json", now="2026-03-03T09:00")
    assert replay.json()["ok"], replay.out
    assert deployed("verify", case["case_id"], now="2026-03-03T09:00").code == 0


def test_an_input_reading_a_variable_the_case_lacks_refuses_the_command_that_creates_the_step(deployed):
    result = deployed("start", "io_fixture", "--applicant", "X", "--data", '{"phone": "1"}', "--json", now=NOW,
                      user="lan")
    assert result.code == 4 and "doc_a" in result.err_json()["message"]


def _with_io(fixtures, tmp_path, old: str, new: str) -> str:
    text = (fixtures / "external" / "io_fixture.bpmn").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "io.bpmn"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("old", "new", "needle"), [
    ('<camunda:inputParameter name="unit">staff</camunda:inputParameter>',
     '<camunda:inputParameter name="unit"><camunda:script scriptFormat="groovy">"staff"</camunda:script>'
     '</camunda:inputParameter>', "chạy mã lệnh"),
    ('<camunda:outputParameter name="assessment">${score}</camunda:outputParameter>',
     '<camunda:outputParameter name="assessment">${score.__class__}</camunda:outputParameter>', "assess"),
    ('<bpmn:endEvent id="EndEvent_done" name="Xong">',
     '<bpmn:endEvent id="EndEvent_done" name="Xong"><bpmn:extensionElements><camunda:inputOutput>'
     '<camunda:inputParameter name="a">1</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements>',
     "chỉ chạy trên tác vụ người dùng"),
])
def test_deploy_refuses_an_io_mapping_that_cannot_run_naming_the_element(cli, fixtures, tmp_path, old, new, needle):
    result = cli("deploy", _with_io(fixtures, tmp_path, old, new), "--json", now=NOW)
    assert result.code == 4, result.out
    assert needle in result.err_json()["message"] and "camunda:inputOutput" in result.err_json()["message"]
