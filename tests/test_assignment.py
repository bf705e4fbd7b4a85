"""Assignment with Camunda 7's rules (issue 19, part 1): assignee, candidate users and groups, literal or `${...}`,
`${initiator}`; enforced on complete, form and claim; claim/unclaim in the history and replayed; tasks --mine.

The diagram (tests/fixtures/assignment/assignment_fixture.bpmn, as Camunda Modeler saves it) runs
receive (group reception, form with `handler`) -> appraise (assignee ${handler}, group staff) ->
review (candidateUsers "hung, son") -> sign (assignee "son") -> notify (assignee ${initiator}).
Demo users: lan (reception), hung (department_leader), mai and nam (staff), son (director).
"""

from __future__ import annotations

import pytest

NOW = "2026-03-02T09:00"


@pytest.fixture
def deployed(cli, fixtures):
    result = cli("deploy", str(fixtures / "assignment"), "--json", now=NOW)
    assert result.code == 0, result.err
    return cli


def _start(cli, user="lan", process="assignment_fixture"):
    result = cli("start", process, "--applicant", "Công ty TNHH Ánh Dương", "--json", now=NOW, user=user)
    assert result.code == 0, result.err
    return result.json()


def _task(cli, case_id):
    tasks = cli("tasks", "--case", case_id, "--json", now=NOW).json()
    assert len(tasks) == 1, tasks
    return tasks[0]


def _done(cli, case_id, user, data="{}"):
    task = _task(cli, case_id)
    result = cli("complete", task["task_id"], "--data", data, "--json", now=NOW, user=user)
    assert result.code == 0, result.err
    return _task(cli, case_id) if result.json()["tasks"] else None


def _at_review(cli):
    case_id = _start(cli)["case_id"]
    _done(cli, case_id, "lan", '{"handler": "mai"}')
    review = _done(cli, case_id, "mai")
    assert review["element_id"] == "review"
    return case_id, review


def _history(cli, case_id):
    return cli("history", case_id, "--json", now=NOW).json()["events"]


def _refused_and_unchanged(cli, case_id, *args, user, code=5):
    before = _history(cli, case_id)
    task_before = _task(cli, case_id)
    result = cli(*args, "--json", now=NOW, user=user)
    assert result.code == code, (result.out, result.err)
    assert result.out == ""
    assert _history(cli, case_id) == before
    assert _task(cli, case_id) == task_before
    return result.err_json()


# --- resolved when the task is created, carried in task_created, stored on the row ---------------------------------

def test_an_assignee_expression_reads_the_form_data_of_an_earlier_step(deployed):
    case_id = _start(deployed)["case_id"]
    appraise = _done(deployed, case_id, "lan", '{"handler": "mai"}')
    assert (appraise["element_id"], appraise["assignee"], appraise["candidate_groups"]) == ("appraise", "mai", ["staff"])
    created = [e for e in _history(deployed, case_id) if e["type"] == "task_created"][-1]
    assert created["payload"]["assignee"] == "mai" and created["payload"]["groups"] == ["staff"]


def test_an_assigned_task_is_completed_by_its_assignee_only_even_within_its_candidate_group(deployed):
    case_id = _start(deployed)["case_id"]
    appraise = _done(deployed, case_id, "lan", '{"handler": "mai"}')
    err = _refused_and_unchanged(deployed, case_id, "complete", appraise["task_id"], "--data", "{}", user="nam")
    assert err["error"] == "conflict" and "'nam'" in err["message"] and "mai" in err["message"]
    assert _done(deployed, case_id, "mai")["element_id"] == "review"


def test_an_assignee_expression_that_gives_nothing_leaves_the_task_to_its_candidate_group(deployed):
    case_id = _start(deployed)["case_id"]
    appraise = _done(deployed, case_id, "lan", '{"handler": ""}')
    assert appraise["assignee"] is None and appraise["candidate_groups"] == ["staff"]
    created = [e for e in _history(deployed, case_id) if e["type"] == "task_created"][-1]
    assert "assignee" not in created["payload"]
    assert _done(deployed, case_id, "nam")["element_id"] == "review"


def test_an_assignee_expression_that_gives_a_number_is_refused_and_changes_nothing(deployed):
    case_id = _start(deployed, process="assignment_number_fixture")["case_id"]
    receive = _task(deployed, case_id)
    err = _refused_and_unchanged(deployed, case_id, "complete", receive["task_id"], "--data", '{"copies": 3}',
                                 user="lan", code=4)
    assert "camunda:assignee" in err["message"] and "${copies}" in err["message"] and "check" in err["message"]


def test_candidate_users_are_stored_and_only_they_may_work_on_the_task(deployed):
    case_id, review = _at_review(deployed)
    assert review["candidate_users"] == ["hung", "son"] and review["assignee"] is None
    _refused_and_unchanged(deployed, case_id, "complete", review["task_id"], "--data", "{}", user="nam")
    assert _done(deployed, case_id, "son")["element_id"] == "sign"


def test_a_literal_assignee_is_the_only_one_who_may_complete_the_task(deployed):
    case_id, _ = _at_review(deployed)
    sign = _done(deployed, case_id, "hung")
    assert (sign["element_id"], sign["assignee"]) == ("sign", "son")
    err = _refused_and_unchanged(deployed, case_id, "complete", sign["task_id"], "--data", "{}", user="hung")
    assert "hung" in err["message"] and "son" in err["message"]
    assert _done(deployed, case_id, "son")["element_id"] == "notify"


def test_initiator_is_the_officer_who_started_the_case(deployed, tmp_path):
    config = tmp_path / "two_receptionists.toml"
    config.write_text(_users_toml(extra='[users.thu]\nname = "Ngô Thị Thu"\ngroups = ["reception"]\n'), encoding="utf-8")
    deployed.config = config
    case_id = _start(deployed, user="thu")["case_id"]
    _done(deployed, case_id, "lan", '{"handler": "mai"}')
    _done(deployed, case_id, "mai")
    _done(deployed, case_id, "hung")
    notify = _done(deployed, case_id, "son")
    assert (notify["element_id"], notify["assignee"]) == ("notify", "thu")
    _refused_and_unchanged(deployed, case_id, "complete", notify["task_id"], "--data", "{}", user="lan")
    assert _done(deployed, case_id, "thu") is None
    assert deployed("verify", case_id, now=NOW).code == 0  # the replay sets the initiator from case_started's actor


def test_start_data_may_not_set_the_initiator(deployed):
    result = deployed("start", "assignment_fixture", "--applicant", "A", "--data", '{"initiator": "son"}', "--json",
                      now=NOW, user="lan")
    assert result.code == 4 and "initiator" in result.err_json()["message"]
    assert deployed("tasks", "--json", now=NOW).json() == []


def test_step_data_may_not_overwrite_the_initiator(deployed):
    case_id, review = _at_review(deployed)
    _refused_and_unchanged(deployed, case_id, "complete", review["task_id"], "--data", '{"initiator": "hung"}',
                           user="hung", code=4)


# --- claim / unclaim ---------------------------------------------------------------------------------------------

def test_a_candidate_claims_a_task_and_then_holds_it_alone(deployed):
    case_id, review = _at_review(deployed)
    claimed = deployed("claim", review["task_id"][:8], "--json", now=NOW, user="son")
    assert claimed.code == 0, claimed.err
    assert claimed.json()["assignee"] == "son" and claimed.json()["changed"] is True
    assert _task(deployed, case_id)["assignee"] == "son"
    event = _history(deployed, case_id)[-1]
    assert (event["type"], event["actor"], event["payload"]["assignee"]) == ("task_claimed", "son", "son")
    _refused_and_unchanged(deployed, case_id, "complete", review["task_id"], "--data", "{}", user="hung")


def test_claiming_a_task_someone_else_holds_is_a_conflict(deployed):
    case_id, review = _at_review(deployed)
    assert deployed("claim", review["task_id"], now=NOW, user="son").code == 0
    err = _refused_and_unchanged(deployed, case_id, "claim", review["task_id"], user="hung")
    assert "son" in err["message"] and "hung" in err["message"]


def test_claiming_a_task_one_already_holds_changes_nothing(deployed):
    case_id, review = _at_review(deployed)
    assert deployed("claim", review["task_id"], now=NOW, user="son").code == 0
    before = _history(deployed, case_id)
    again = deployed("claim", review["task_id"], "--json", now=NOW, user="son")
    assert again.code == 0 and again.json()["changed"] is False
    assert _history(deployed, case_id) == before


def test_an_officer_who_is_not_a_candidate_may_not_claim(deployed):
    case_id, review = _at_review(deployed)
    err = _refused_and_unchanged(deployed, case_id, "claim", review["task_id"], user="nam")
    assert "nam" in err["message"]


def test_a_member_of_a_candidate_group_may_claim(deployed):
    case_id = _start(deployed)["case_id"]
    appraise = _done(deployed, case_id, "lan", '{"handler": ""}')
    assert deployed("claim", appraise["task_id"], now=NOW, user="nam").code == 0
    _refused_and_unchanged(deployed, case_id, "complete", appraise["task_id"], "--data", "{}", user="mai")
    assert _done(deployed, case_id, "nam")["element_id"] == "review"


def test_unclaim_by_the_assignee_returns_the_task_to_its_candidates(deployed):
    case_id, review = _at_review(deployed)
    assert deployed("claim", review["task_id"], now=NOW, user="son").code == 0
    _refused_and_unchanged(deployed, case_id, "unclaim", review["task_id"], user="hung")
    result = deployed("unclaim", review["task_id"], "--json", now=NOW, user="son")
    assert result.code == 0 and result.json()["assignee"] is None
    event = _history(deployed, case_id)[-1]
    assert (event["type"], event["payload"]["previous_assignee"]) == ("task_unclaimed", "son")
    assert deployed("claim", review["task_id"], now=NOW, user="hung").code == 0
    assert _done(deployed, case_id, "hung")["element_id"] == "sign"


def test_unclaiming_an_unclaimed_task_or_one_without_candidates_is_refused(deployed):
    case_id, review = _at_review(deployed)
    _refused_and_unchanged(deployed, case_id, "unclaim", review["task_id"], user="son")
    _done(deployed, case_id, "hung")
    sign = _task(deployed, case_id)
    err = _refused_and_unchanged(deployed, case_id, "unclaim", sign["task_id"], user="son")
    assert "không có người hay nhóm ứng viên" in err["message"]


def test_claim_of_a_finished_task_is_a_conflict(deployed):
    case_id, review = _at_review(deployed)
    _done(deployed, case_id, "hung")
    assert deployed("claim", review["task_id"], now=NOW, user="son").code == 5


# --- form, tasks --mine ----------------------------------------------------------------------------------------------

def test_the_form_of_a_task_is_refused_to_an_officer_who_may_not_work_on_it(deployed):
    case_id = _start(deployed)["case_id"]
    receive = _task(deployed, case_id)
    assert deployed("form", receive["task_id"], "--json", now=NOW, user="lan").json()["form"]["id"] == "assign_reception"
    refused = deployed("form", receive["task_id"], "--json", now=NOW, user="mai")
    assert refused.code == 5 and refused.out == "" and "mai" in refused.err_json()["message"]
    assert deployed("form", receive["task_id"], "--json", now=NOW).code == 4  # who is asking must be said


def test_tasks_mine_shows_own_tasks_and_unassigned_candidate_tasks_only(deployed):
    first, review = _at_review(deployed)  # review: candidate users hung, son
    second = _start(deployed)["case_id"]
    appraise = _done(deployed, second, "lan", '{"handler": "nam"}')  # appraise: assigned to nam, group staff

    def mine(user):
        result = deployed("tasks", "--mine", "--json", now=NOW, user=user)
        assert result.code == 0, result.err
        return sorted(t["task_id"] for t in result.json())

    assert mine("son") == [review["task_id"]] and mine("hung") == [review["task_id"]]
    assert mine("nam") == [appraise["task_id"]]
    assert mine("mai") == []  # staff, but the task is nam's
    assert deployed("claim", review["task_id"], now=NOW, user="son").code == 0
    assert mine("hung") == [] and mine("son") == [review["task_id"]]


# --- replay and verify -------------------------------------------------------------------------------------------

def test_replay_and_verify_reproduce_assignments_claims_and_unclaims(deployed):
    case_id, review = _at_review(deployed)
    for user, command in (("son", "claim"), ("son", "unclaim"), ("hung", "claim")):
        assert deployed(command, review["task_id"], now=NOW, user=user).code == 0
    verified = deployed("verify", case_id, "--json", now=NOW)
    assert verified.code == 0, verified.out
    replayed = deployed("replay", case_id, "--json", now=NOW)
    assert replayed.code == 0 and replayed.json()["ok"] is True, replayed.out
    held = [t for t in replayed.json()["state"]["tasks"] if t["element_id"] == "review"]
    assert held[0]["assignee"] == "hung"
    _done(deployed, case_id, "hung")
    assert deployed("verify", case_id, now=NOW).code == 0


def test_verify_catches_an_assignee_changed_behind_the_engine(deployed):
    from sqlalchemy import create_engine, text

    case_id, review = _at_review(deployed)
    assert deployed("claim", review["task_id"], now=NOW, user="son").code == 0
    engine = create_engine(deployed.db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE tasks SET assignee = 'nam' WHERE id = :t"), {"t": review["task_id"]})
    engine.dispose()
    result = deployed("verify", case_id, "--json", now=NOW)
    assert result.code == 7
    fields = [(d["where"], d["field"]) for d in result.json()["broken"][0]["differences"]]
    assert ("task", "assignee") in fields


# --- deploy-time checks ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("attribute", "value", "needle"), [
    ("camunda:assignee", "${nobody_sets_this}", "nobody_sets_this"),
    ("camunda:candidateUsers", "hung, ${a.__class__}", "candidateUsers"),
    ("camunda:assignee", "${handler + 1}", "assignee"),
])
def test_deploy_refuses_an_assignment_expression_it_could_not_evaluate(cli, fixtures, tmp_path, attribute, value,
                                                                          needle):
    text = (fixtures / "assignment" / "assignment_fixture.bpmn").read_text(encoding="utf-8")
    text = text.replace('camunda:assignee="son"', f'{attribute}="{value}"')
    (tmp_path / "bad.bpmn").write_text(text, encoding="utf-8")
    (tmp_path / "assign_reception.form").write_bytes((fixtures / "assignment" / "assign_reception.form").read_bytes())
    result = cli("deploy", str(tmp_path), "--json", now=NOW)
    assert result.code == 4, result.out
    assert "sign" in result.err_json()["message"] and needle in result.err_json()["message"]
    assert cli("procedures", "--json", now=NOW).code == 0


def test_deploy_refuses_an_initiator_that_is_not_a_variable_name(cli, fixtures, tmp_path):
    text = (fixtures / "assignment" / "assignment_fixture.bpmn").read_text(encoding="utf-8")
    (tmp_path / "bad.bpmn").write_text(text.replace('camunda:initiator="initiator"', 'camunda:initiator="a-b"'),
                                       encoding="utf-8")
    (tmp_path / "assign_reception.form").write_bytes((fixtures / "assignment" / "assign_reception.form").read_bytes())
    result = cli("deploy", str(tmp_path), "--json", now=NOW)
    assert result.code == 4 and "camunda:initiator" in result.err_json()["message"]


# --- the pure rules ------------------------------------------------------------------------------------------------

def test_a_comma_inside_an_expression_does_not_split_the_list():
    from engine.assignment import split_list

    assert split_list(" hung, ${x == 'a,b'} ,son,, ") == ["hung", "${x == 'a,b'}", "son"]
    assert split_list(None) == [] and split_list("") == []


def test_candidate_expressions_may_give_a_text_list_a_list_or_nothing_and_nothing_else():
    from engine.assignment import resolve
    from engine.errors import InvalidInput

    ext = {"assignee": None, "candidate_users": ["${a}", "${b}", "${c}", "lan"], "candidate_groups": ["${g}"]}
    got = resolve("t", ext, {"a": "hung, son", "b": ["mai", "hung"], "c": None, "g": "staff"})
    assert got.candidate_users == ("hung", "son", "mai", "lan") and got.candidate_groups == ("staff",)
    with pytest.raises(InvalidInput, match="candidateUsers"):
        resolve("t", ext, {"a": 1, "b": [], "c": None, "g": "staff"})
    with pytest.raises(InvalidInput, match="assignee"):
        resolve("t", {"assignee": "${a}"}, {"a": ["hung"]})
    assert resolve("t", {"assignee": "${a}", "candidate_groups": ["staff"]}, {"a": "  "}).assignee is None
    with pytest.raises(InvalidInput, match="'a'"):
        resolve("t", {"assignee": "${a}"}, {})  # a variable the case does not have


def _users_toml(extra: str = "", security: str = "") -> str:
    from engine.config import _demo_users

    lines = []
    for user_id, entry in _demo_users().items():
        lines += [f"[users.{user_id}]", f'name = "{entry["name"]}"', f"groups = {entry['groups']!r}".replace("'", '"'),
                  ""]
    return "\n".join(lines) + extra + security


def test_a_declared_assignment_that_gives_nobody_is_refused_rather_than_open_to_all():
    from engine.assignment import resolve
    from engine.errors import InvalidInput

    with pytest.raises(InvalidInput, match=r"\$\{handler\}"):
        resolve("appraise", {"assignee": "${handler}", "candidate_users": [], "candidate_groups": []}, {"handler": None})
    with pytest.raises(InvalidInput, match="appraise"):
        resolve("appraise", {"assignee": None, "candidate_users": ["${people}"], "candidate_groups": []}, {"people": []})
    assert resolve("open", {"assignee": None, "candidate_users": [], "candidate_groups": []}, {}).assignee is None


def test_lint_counts_an_assignee_or_candidate_users_alone_as_assigned_as_the_engine_enforces_them(fixtures):
    from engine.lint.runner import lint_paths

    report = lint_paths([fixtures / "assignment" / "assignment_fixture.bpmn"], use_node=False)
    rules = {f.rule for f in report.files[0].findings}
    assert "user-task-form" in rules  # the project's rules ran (these steps have no form)
    assert "user-task-assignee" not in rules  # review: candidateUsers only; sign, notify: assignee only


def test_the_task_list_shows_who_holds_each_step(deployed):
    case_id, review = _at_review(deployed)
    assert deployed("claim", review["task_id"], now=NOW, user="son").code == 0
    shown = deployed("tasks", "--case", case_id, now=NOW)
    assert shown.code == 0 and "Người" in shown.out and "son" in shown.out


def test_two_candidates_claiming_at_once_one_wins_and_the_other_gets_a_conflict(deployed):
    import threading

    from engine.calendar import BusinessCalendar, FixedClock, parse_instant
    from engine.config import load_settings
    from engine.errors import Conflict
    from engine.service import Service

    case_id, review = _at_review(deployed)
    outcomes: dict[str, str] = {}
    barrier = threading.Barrier(2)

    def claim(user: str) -> None:
        service = Service.open(load_settings(None, deployed.db_url), clock=FixedClock(parse_instant(NOW)),
                               calendar=BusinessCalendar.default())
        try:
            barrier.wait()
            service.claim_task(review["task_id"], actor=user)
            outcomes[user] = "claimed"
        except Conflict:
            outcomes[user] = "conflict"
        finally:
            service.store.dispose()

    threads = [threading.Thread(target=claim, args=(user,)) for user in ("hung", "son")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["claimed", "conflict"]
    winner = next(user for user, outcome in outcomes.items() if outcome == "claimed")
    assert _task(deployed, case_id)["assignee"] == winner
    assert [e["type"] for e in _history(deployed, case_id)].count("task_claimed") == 1
    assert deployed("verify", case_id, now=NOW).code == 0


def test_a_condition_may_read_the_initiator(cli, fixtures, tmp_path):
    import shutil

    folder = tmp_path / "defs"
    shutil.copytree(fixtures / "bpmn", folder)
    path = folder / "review_fixture.bpmn"
    text = path.read_text(encoding="utf-8")
    text = text.replace('<bpmn:startEvent id="StartEvent_received" name="Hồ sơ được nộp">',
                        '<bpmn:startEvent id="StartEvent_received" name="Hồ sơ được nộp" camunda:initiator="receiver">')
    text = text.replace("${score &gt;= 5 &amp;&amp; !empty draft_reference}", "${receiver == 'lan' &amp;&amp; score &gt;= 5}")
    path.write_text(text, encoding="utf-8")
    result = cli("deploy", str(folder), "--json", now=NOW)
    assert result.code == 0, result.err

    def warned() -> list[str]:
        linted = cli("lint", str(folder), "--no-node", "--json", now=NOW).json()
        return [f["message_vi"] for file in linted["files"] for f in file["findings"]
                if f["rule"] == "condition-variable"]

    assert warned() == []
    # Without the initiator nothing declares `receiver`: deploy accepts it as Camunda 7 does, lint warns.
    path.write_text(text.replace(' camunda:initiator="receiver"', ""), encoding="utf-8")
    assert cli("deploy", str(folder), "--json", now=NOW).code == 0
    assert len(warned()) == 1 and "receiver" in warned()[0]
