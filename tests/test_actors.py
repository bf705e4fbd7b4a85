"""Trustworthy actors (issue 19, part 2): `--as` is checked against the operating-system account, administrators
may act as anyone, and every event records the OS account and host beside the officer, inside the hash chain.

The OS account and host are what `engine.origin` reads from the process; the tests set them with monkeypatch.
"""

from __future__ import annotations

import pytest

from tests.test_assignment import NOW, _at_review, _history, _start, _task, _users_toml

MAPPED = '''
[users.lan]
name = "Nguyễn Thị Lan"
groups = ["reception"]
os_users = ["lan", "lan.nguyen"]

[users.hung]
name = "Trần Văn Hùng"
groups = ["department_leader"]
os_users = ["hung"]

[users.mai]
name = "Lê Thị Mai"
groups = ["staff"]
os_users = ["mai"]

[users.son]
name = "Hoàng Minh Sơn"
groups = ["director"]
os_users = ["son"]

[security]
admin_os_users = ["root", "tthc-admin"]
'''


@pytest.fixture
def host(monkeypatch):
    monkeypatch.setattr("engine.origin.host_name", lambda: "may-mot-cua-01")
    # The harness sets the clock of every command (--now); that the check refuses it is tested on its own below.
    monkeypatch.setattr("engine.origin.check_clock_override", lambda settings, origin: None)


def _as_os(monkeypatch, account: str) -> None:
    monkeypatch.setattr("engine.origin.os_account", lambda: account)


@pytest.fixture
def mapped(cli, fixtures, tmp_path, host):
    config = tmp_path / "tthc.toml"
    config.write_text(MAPPED, encoding="utf-8")
    cli.config = config
    assert cli("deploy", str(fixtures / "assignment"), now=NOW).code == 0
    return cli


def test_acting_as_an_officer_from_a_foreign_os_account_is_refused_with_exit_5_and_creates_nothing(mapped, monkeypatch):
    _as_os(monkeypatch, "minh")
    result = mapped("start", "assignment_fixture", "--applicant", "A", "--json", now=NOW, user="lan")
    assert result.code == 5 and result.out == ""
    err = result.err_json()
    assert err["error"] == "conflict"
    assert "'minh'" in err["message"] and "'lan'" in err["message"] and err["message"].count(".") == 1
    _as_os(monkeypatch, "lan")
    assert mapped("tasks", "--json", now=NOW, user="lan").json() == []


def test_an_os_account_listed_in_os_users_may_act_as_that_officer_only(mapped, monkeypatch):
    _as_os(monkeypatch, "lan.nguyen")
    view = _start(mapped, user="lan")
    assert mapped("tasks", "--mine", "--json", now=NOW, user="hung").code == 5
    receive = _task(mapped, view["case_id"])
    assert mapped("complete", receive["task_id"], "--data", '{"handler": "mai"}', now=NOW, user="lan").code == 0


def test_without_as_the_officer_is_the_one_the_os_account_is_mapped_to(mapped, monkeypatch):
    _as_os(monkeypatch, "lan")
    result = mapped("start", "assignment_fixture", "--applicant", "A", "--json", now=NOW)
    assert result.code == 0, result.err
    assert _history(mapped, result.json()["case_id"])[0]["actor"] == "lan"
    _as_os(monkeypatch, "minh")  # mapped to no officer: who acts must be said, and cannot be
    assert mapped("start", "assignment_fixture", "--applicant", "A", now=NOW).code == 4


def test_an_administrator_account_may_act_as_any_officer_and_unclaim_any_task(mapped, monkeypatch):
    _as_os(monkeypatch, "lan")
    case_id = _start(mapped, user="lan")["case_id"]
    _as_os(monkeypatch, "tthc-admin")
    receive = _task(mapped, case_id)
    assert mapped("complete", receive["task_id"], "--data", '{"handler": "mai"}', now=NOW, user="lan").code == 0
    assert mapped("complete", _task(mapped, case_id)["task_id"], "--data", "{}", now=NOW, user="mai").code == 0
    review = _task(mapped, case_id)
    _as_os(monkeypatch, "son")
    assert mapped("claim", review["task_id"], now=NOW, user="son").code == 0
    _as_os(monkeypatch, "hung")
    assert mapped("unclaim", review["task_id"], now=NOW, user="hung").code == 5  # not the holder, not an admin
    _as_os(monkeypatch, "root")
    assert mapped("unclaim", review["task_id"], now=NOW, user="hung").code == 0
    event = _history(mapped, case_id)[-1]
    assert (event["type"], event["actor"], event["origin"]["account"]) == ("task_unclaimed", "hung", "root")
    assert mapped("verify", case_id, now=NOW).code == 0


def test_every_event_records_the_os_account_and_host_beside_the_officer(mapped, monkeypatch):
    _as_os(monkeypatch, "lan")
    case_id = _start(mapped, user="lan")["case_id"]
    _as_os(monkeypatch, "root")
    mapped("complete", _task(mapped, case_id)["task_id"], "--data", '{"handler": "mai"}', now=NOW, user="lan")
    events = _history(mapped, case_id)
    assert {(e["actor"], e["origin"]["account"]) for e in events} == {("lan", "lan"), ("lan", "root")}
    assert {e["origin"]["host"] for e in events} == {"may-mot-cua-01"}
    assert {e["origin"]["channel"] for e in events} == {"cli"}


def test_the_hash_chain_covers_the_origin(mapped, monkeypatch):
    from sqlalchemy import create_engine, text

    _as_os(monkeypatch, "lan")
    case_id = _start(mapped, user="lan")["case_id"]
    assert mapped("verify", case_id, now=NOW).code == 0
    engine = create_engine(mapped.db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE events SET origin = :o WHERE case_id = :c AND seq = 1"),
                     {"o": '{"channel": "cli", "account": "son", "host": "may-mot-cua-01"}', "c": case_id})
    engine.dispose()
    result = mapped("verify", case_id, "--json", now=NOW)
    assert result.code == 7
    broken = result.json()["broken"][0]
    assert (broken["check"], broken["seq"], broken["reason"]) == ("chain", 1, "hash_mismatch")


def test_the_demo_users_map_no_os_account_so_anyone_may_act_as_them(cli, fixtures, monkeypatch, host):
    _as_os(monkeypatch, "somebody")
    assert cli("deploy", str(fixtures / "assignment"), now=NOW).code == 0
    case_id, review = _at_review(cli)
    assert _history(cli, case_id)[-1]["origin"] == {"channel": "cli", "account": "somebody", "host": "may-mot-cua-01"}


def test_enforce_true_without_any_mapping_lets_only_administrators_act(cli, fixtures, tmp_path, monkeypatch, host):
    config = tmp_path / "tthc.toml"
    config.write_text(_users_toml(security='\n[security]\nenforce = true\nadmin_os_users = ["root"]\n'),
                      encoding="utf-8")
    cli.config = config
    assert cli("deploy", str(fixtures / "assignment"), now=NOW).code == 0
    _as_os(monkeypatch, "lan")
    assert cli("start", "assignment_fixture", "--applicant", "A", now=NOW, user="lan").code == 5
    _as_os(monkeypatch, "root")
    assert cli("start", "assignment_fixture", "--applicant", "A", now=NOW, user="lan").code == 0


def test_enforce_false_turns_the_check_off_despite_a_mapping(cli, fixtures, tmp_path, monkeypatch, host):
    config = tmp_path / "tthc.toml"
    config.write_text(MAPPED.replace("[security]", "[security]\nenforce = false"), encoding="utf-8")
    cli.config = config
    assert cli("deploy", str(fixtures / "assignment"), now=NOW).code == 0
    _as_os(monkeypatch, "minh")
    assert cli("start", "assignment_fixture", "--applicant", "A", now=NOW, user="lan").code == 0


@pytest.mark.parametrize("bad", [
    MAPPED.replace('os_users = ["hung"]', 'os_users = "hung"'),
    MAPPED.replace('os_users = ["hung"]', 'os_users = [""]'),
    MAPPED.replace('admin_os_users = ["root", "tthc-admin"]', 'admin_os_users = [1]'),
    MAPPED.replace("[security]", "[security]\nenforce = \"yes\""),
    MAPPED.replace("[security]", "[security]\nadmins = [\"root\"]"),
])
def test_a_malformed_security_configuration_is_refused_with_exit_4(cli, tmp_path, bad, monkeypatch):
    _as_os(monkeypatch, "root")
    config = tmp_path / "tthc.toml"
    config.write_text(bad, encoding="utf-8")
    cli.config = config
    result = cli("tasks", "--json", now=NOW, user="lan")
    assert result.code == 4, (result.out, result.err)
    assert str(config) in result.err_json()["message"] or "hung" in result.err_json()["message"]


def test_only_an_administrator_may_set_the_engine_clock_once_accounts_are_checked(cli, tmp_path, monkeypatch):
    config = tmp_path / "tthc.toml"
    config.write_text(MAPPED, encoding="utf-8")
    cli.config = config
    _as_os(monkeypatch, "lan")
    refused = cli("tasks", "--json", now=NOW, user="lan")
    assert refused.code == 5 and "'lan'" in refused.err_json()["message"] and "--now" in refused.err_json()["message"]
    assert cli("tasks", "--json", user="lan").code == 0
    _as_os(monkeypatch, "root")
    assert cli("tasks", "--json", now=NOW, user="lan").code == 0


def test_the_os_account_is_read_from_the_effective_uid_not_the_environment(monkeypatch):
    import pwd
    import os

    from engine.origin import os_account

    monkeypatch.setenv("USER", "somebody-else")
    monkeypatch.setenv("LOGNAME", "somebody-else")
    assert os_account() == pwd.getpwuid(os.geteuid()).pw_name
