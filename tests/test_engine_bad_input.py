"""Bad input gets one clear message, a distinct exit code, and changes nothing (issue 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "bpmn"
DIAGRAM = (FIXTURE / "review_fixture.bpmn").read_text(encoding="utf-8")
CONDITION = "${score &gt;= 5 &amp;&amp; !empty draft_reference}"


def _write(tmp_path: Path, text: str, name: str = "review_fixture.bpmn") -> Path:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    for form in FIXTURE.glob("*.form"):
        (folder / form.name).write_bytes(form.read_bytes())
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def _deploy_fails(cli, folder: Path, *needles: str) -> None:
    result = cli("deploy", str(folder), "--json")
    assert result.code == 4, result.err
    message = result.err_json()["message"]
    for needle in needles:
        assert needle in message, message
    assert "Traceback" not in result.err and result.out == ""
    # One transaction: nothing of the batch was stored, not even the valid forms.
    listed = cli("deploy", str(FIXTURE), "--json").json()["definitions"]
    assert {d["status"] for d in listed} == {"deployed"}


def test_malicious_condition_is_refused_at_deploy_naming_file_element_and_expression(cli, tmp_path):
    marker = tmp_path / "pwned"
    text = DIAGRAM.replace(CONDITION, f"${{__import__('os').system('touch {marker}')}}")
    _deploy_fails(cli, _write(tmp_path, text), "review_fixture.bpmn", "Flow_approved", "__import__")
    assert not marker.exists()


@pytest.mark.parametrize("expression", ["${score + 1 &gt; 5}", "${x.__class__}", "${draft_reference[0] == 'a'}",
                                        "score &gt;= 5", "${score &gt;= }"])
def test_conditions_outside_the_grammar_are_refused_at_deploy(cli, tmp_path, expression):
    _deploy_fails(cli, _write(tmp_path, DIAGRAM.replace(CONDITION, expression)), "Flow_approved")


def test_a_condition_on_a_variable_no_form_declares_deploys_as_in_camunda_7_and_lint_warns(cli, tmp_path):
    text = DIAGRAM.replace(CONDITION, "${approved_by_minister == true}")
    folder = _write(tmp_path, text)
    deployed = cli("deploy", str(folder), "--json")
    assert deployed.code == 0, deployed.err
    linted = cli("lint", str(folder), "--no-node", "--json")
    assert linted.code == 0, linted.out  # a warning does not fail lint
    findings = [f for file in linted.json()["files"] for f in file["findings"]]
    warned = [f for f in findings if f["rule"] == "condition-variable"]
    assert [(f["element_id"], f["severity"]) for f in warned] == [("Flow_approved", "warning")]
    assert "approved_by_minister" in warned[0]["message_vi"] and warned[0]["line"]
    (tmp_path / "clean").mkdir()
    clean = cli("lint", str(_write(tmp_path / "clean", DIAGRAM)), "--no-node", "--json")
    assert not [f for file in clean.json()["files"] for f in file["findings"] if f["rule"] == "condition-variable"]


def test_user_task_with_a_missing_form_is_refused(cli, tmp_path):
    text = DIAGRAM.replace('camunda:formRef="fixture_decision"', 'camunda:formRef="no_such_form"')
    _deploy_fails(cli, _write(tmp_path, text), "approve", "no_such_form")


def test_script_task_is_refused_and_never_run(cli, tmp_path):
    marker = tmp_path / "ran"
    text = DIAGRAM.replace(
        '<bpmn:endEvent id="EndEvent_refused" name="Từ chối">',
        f'<bpmn:scriptTask id="Script_1" scriptFormat="python"><bpmn:script>open("{marker}", "w")</bpmn:script>'
        '</bpmn:scriptTask><bpmn:endEvent id="EndEvent_refused" name="Từ chối">')
    _deploy_fails(cli, _write(tmp_path, text), "Script_1", "script")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ('isExecutable="true"', 'isExecutable="false"', "isExecutable"),
        ('id="StartEvent_received"', 'id="Start"', "Start"),
        ("<bpmn:timeDuration xsi:type=\"bpmn:tFormalExpression\">P1.25D</bpmn:timeDuration>",
         "<bpmn:timeDuration xsi:type=\"bpmn:tFormalExpression\">P1Y</bpmn:timeDuration>", "Timer_appraise"),
        ("<bpmn:timeDuration xsi:type=\"bpmn:tFormalExpression\">P1.25D</bpmn:timeDuration>",
         # A cycle (R3/PT1H) on that non-interrupting boundary runs as a reminder (issue 14); cron is refused.
         "<bpmn:timeCycle xsi:type=\"bpmn:tFormalExpression\">0 0 9 * * ?</bpmn:timeCycle>", "cron"),
        ('<bpmn:timerEventDefinition id="TimerEventDefinition_receive">',
         '<bpmn:messageEventDefinition id="Message_receive" /><bpmn:timerEventDefinition id="TimerEventDefinition_receive">',
         "message"),
    ],
)
def test_unsupported_or_reserved_constructs_are_refused_with_the_element_named(cli, tmp_path, old, new, needle):
    assert old in DIAGRAM
    _deploy_fails(cli, _write(tmp_path, DIAGRAM.replace(old, new, 1)), needle)


def test_malformed_xml_is_refused_with_its_line(cli, tmp_path):
    _deploy_fails(cli, _write(tmp_path, DIAGRAM.replace("</bpmn:process>", "</bpmn:proces>")), "dòng")


def test_xml_with_entities_is_refused_without_expanding_them(cli, tmp_path):
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n'
            + DIAGRAM.split("\n", 1)[1].replace('name="Tiếp nhận hồ sơ"', 'name="&lol2;"'))
    _deploy_fails(cli, _write(tmp_path, bomb), "DOCTYPE")


def test_unreachable_database_exits_6_with_one_sentence(tmp_path):
    from engine.cli.main import run
    import io
    from contextlib import redirect_stderr

    err = io.StringIO()
    with redirect_stderr(err):
        code = run(["--db", "postgresql+psycopg://nobody:x@127.0.0.1:1/none", "procedures"])
    assert code == 6
    assert "Không kết nối được cơ sở dữ liệu" in err.getvalue() and "Traceback" not in err.getvalue()
    assert "x@" not in err.getvalue()  # the password is never printed


def test_database_from_a_newer_schema_is_refused_and_left_alone(cli):
    from sqlalchemy import create_engine, text

    assert cli("procedures", "--json").code == 0  # creates the schema
    engine = create_engine(cli.db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    result = cli("procedures", "--json")
    assert result.code == 6 and "mới hơn" in result.err_json()["message"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999_future"
    engine.dispose()


def test_unknown_user_is_refused(cli, fixtures):
    cli("deploy", str(fixtures / "bpmn"))
    result = cli("start", "review_fixture", "--applicant", "A", "--json", user="ghost")
    assert result.code == 3 and "ghost" in result.err_json()["message"]


def test_missing_acting_user_is_refused(cli, fixtures):
    cli("deploy", str(fixtures / "bpmn"))
    result = cli("start", "review_fixture", "--applicant", "A")
    assert result.code == 4 and "--as" in result.err


def test_usage_errors_exit_2(cli):
    assert cli("start").code == 2
    assert cli("no-such-command").code == 2


def test_received_at_in_the_future_is_refused(cli, fixtures):
    cli("deploy", str(fixtures / "bpmn"))
    result = cli("start", "review_fixture", "--applicant", "A", "--received-at", "2026-03-03T08:00",
                 now="2026-03-02T08:00", user="lan")
    assert result.code == 4
