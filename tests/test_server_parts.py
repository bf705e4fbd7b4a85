"""The server's parts without a server: Camunda's typed variables and dates, error statuses, credentials in the
database (`tthc user set-password`, `tthc token ...`), and a CLI that does not load the server at start-up."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from engine.errors import Conflict, InvalidInput, NotFound, StoreUnavailable
from engine.server.camunda import decode_variables, encode_variable, engine_error_response, fmt_date

ROOT = Path(__file__).resolve().parents[1]


# --- typed variables -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed, expected", [
    ({"value": "Hà Nội", "type": "String"}, "Hà Nội"),
    ({"value": True, "type": "Boolean"}, True),
    ({"value": "false", "type": "Boolean"}, False),
    ({"value": 2147483647, "type": "Integer"}, 2147483647),
    ({"value": "12", "type": "Integer"}, 12),
    ({"value": 2 ** 40, "type": "Long"}, 2 ** 40),
    ({"value": 2.5, "type": "Double"}, 2.5),
    ({"value": 3, "type": "Double"}, 3),
    ({"value": "2026-03-02T08:00:00.000+0700", "type": "Date"}, "2026-03-02T08:00:00+07:00"),
    ({"value": '{"a": [1, 2]}', "type": "Json"}, {"a": [1, 2]}),
    ({"value": None, "type": "Null"}, None),
    ({"value": "anything", "type": "Null"}, None),
    ({"value": 7}, 7),
    ({"value": 7, "type": "integer"}, 7),  # Camunda reads the type name case-insensitively on its first letter
])
def test_camunda_typed_variables_become_the_plain_values_the_forms_read(typed, expected):
    assert decode_variables({"x": typed}) == {"x": expected}


@pytest.mark.parametrize("typed", [
    {"value": 2 ** 31, "type": "Integer"},
    {"value": True, "type": "Integer"},
    {"value": 1.5, "type": "Integer"},
    {"value": 2 ** 63, "type": "Long"},
    {"value": "bảy", "type": "Double"},
    {"value": float("inf"), "type": "Double"},
    {"value": 1, "type": "String"},
    {"value": "yes", "type": "Boolean"},
    {"value": "not a date", "type": "Date"},
    {"value": "{broken", "type": "Json"},
    {"value": "NaN", "type": "Json"},
    {"value": "x", "type": "Object"},
    {"value": "x", "type": "File"},
    {"value": "x", "type": 3},
    "a bare value",
])
def test_a_variable_that_does_not_fit_its_type_is_refused_naming_the_variable(typed):
    with pytest.raises(InvalidInput) as err:
        decode_variables({"so_ho_so": typed})
    assert "so_ho_so" in err.value.message


def test_values_go_out_typed_as_camunda_would_type_them():
    assert encode_variable("n", 5) == {"type": "Integer", "value": 5, "valueInfo": {}}
    assert encode_variable("n", 2 ** 40)["type"] == "Long"
    assert encode_variable("b", False)["type"] == "Boolean"
    assert encode_variable("d", 1.5)["type"] == "Double"
    assert encode_variable("s", "x")["type"] == "String"
    assert encode_variable("z", None) == {"type": "Null", "value": None, "valueInfo": {}}
    assert encode_variable("j", {"a": 1}) == {"type": "Json", "value": '{"a": 1}', "valueInfo": {}}
    assert encode_variable("received_at", "2026-03-02T08:00:00+07:00") == {
        "type": "Date", "value": "2026-03-02T08:00:00.000+0700", "valueInfo": {}}


def test_dates_use_camundas_default_format_with_milliseconds_and_offset():
    from engine.calendar import parse_instant

    assert fmt_date(parse_instant("2026-03-02T08:00:01.234567+07:00")) == "2026-03-02T08:00:01.234+0700"
    assert fmt_date(None) is None


# --- errors --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("error, status, kind", [
    (NotFound("Không có bước 'x'.", task="x"), 404, "InvalidRequestException"),
    (InvalidInput("Biểu mẫu 'f': Điểm: bắt buộc.", form="f",
                  problems=[{"key": "score", "label": "Điểm", "problem": "bắt buộc"}]), 400, "InvalidRequestException"),
    (Conflict("Người dùng 'mai' không được xử lý bước 'A'.", user="mai", task="t"), 403, "AuthorizationException"),
    (Conflict("Bước 'A' đã được 'lan' nhận; 'mai' không nhận được.", user="mai", task="t", assignee="lan"), 409,
     "OptimisticLockingException"),
    (Conflict("Bước 'A' của hồ sơ 'H' đã được xử lý rồi.", task="t"), 409, "OptimisticLockingException"),
    (StoreUnavailable("Lỗi cơ sở dữ liệu."), 503, "ProcessEngineException"),
])
def test_engine_errors_answer_camundas_status_and_type_with_the_vietnamese_message(error, status, kind):
    response = engine_error_response(error)
    body = json.loads(response.body)
    assert (response.status_code, body["type"], body["message"]) == (status, kind, error.message)
    assert ("fields" in body) == (status == 400)


# --- credentials ---------------------------------------------------------------------------------------------------
def _rows(db_url: str, table: str) -> list[dict]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(text(f"SELECT * FROM {table}")).mappings()]
    engine.dispose()
    return rows


def test_set_password_stores_only_an_argon2id_hash_of_a_configured_users_password(cli, db_url, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("mot-mat-khau-dai\n"))
    assert cli("user", "set-password", "lan").code == 0
    [row] = _rows(db_url, "user_passwords")
    assert row["user_id"] == "lan" and row["hash"].startswith("$argon2id$")
    assert "mot-mat-khau-dai" not in json.dumps(row, default=str)

    from engine.auth.passwords import verify_password

    assert verify_password(row["hash"], "mot-mat-khau-dai") and not verify_password(row["hash"], "mot-mat-khau-dai ")
    monkeypatch.setattr(sys, "stdin", io.StringIO("ngan\n"))
    short = cli("user", "set-password", "lan")
    assert short.code == 4 and "quá ngắn" in short.err
    monkeypatch.setattr(sys, "stdin", io.StringIO("mot-mat-khau-dai\n"))
    ghost = cli("user", "set-password", "ghost")
    assert ghost.code == 3 and "ghost" in ghost.err
    assert [r["hash"] for r in _rows(db_url, "user_passwords")] == [row["hash"]]  # refusals changed nothing


def test_api_tokens_are_shown_once_stored_hashed_listed_without_secrets_and_revoked_once(cli, db_url):
    created = cli("token", "create", "--user", "mai", "--label", "cổng dịch vụ công", "--json")
    assert created.code == 0
    doc = created.json()
    assert doc["token"].startswith(f"tthc_{doc['id']}_") and doc["user"] == "mai"
    [row] = _rows(db_url, "api_tokens")
    secret = doc["token"].split("_", 2)[2]
    assert secret not in json.dumps(row, default=str) and len(row["secret_hash"]) == 64
    listed = cli("token", "list", "--json").json()
    assert [(t["id"], t["user"], t["label"], t["revoked_at"]) for t in listed] == [
        (doc["id"], "mai", "cổng dịch vụ công", None)]
    assert secret not in cli("token", "list").out
    assert cli("token", "revoke", doc["id"]).code == 0
    again = cli("token", "revoke", doc["id"])
    assert again.code == 5 and doc["id"] in again.err
    assert cli("token", "revoke", "nope").code == 3
    assert cli("token", "create", "--user", "ghost").code == 3


def test_a_token_works_only_while_unrevoked_and_only_with_its_own_secret(cli, db_url):
    from engine.auth.tokens import token_user
    from engine.store import Store

    doc = cli("token", "create", "--user", "son", "--json").json()
    store = Store.open(db_url)
    try:
        assert token_user(store, doc["token"]) == "son"
        assert token_user(store, doc["token"][:-1] + ("A" if doc["token"][-1] != "A" else "B")) is None
        assert token_user(store, "tthc_" + doc["id"]) is None
        assert token_user(store, "Bearer " + doc["token"]) is None
        cli("token", "revoke", doc["id"])
        assert token_user(store, doc["token"]) is None
    finally:
        store.dispose()


# --- start-up --------------------------------------------------------------------------------------------------------
def test_no_other_command_imports_the_server_framework_or_password_hashing_at_start_up():
    code = ("import sys; from engine.cli.main import _click_command; _click_command(); "
            "print([m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'argon2', 'multipart', "
            "'python_multipart') or m.startswith(('engine.server', 'engine.auth'))])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=True).stdout
    assert out.strip() == "[]"


def test_serve_is_a_command_with_camundas_defaults(cli):
    result = cli("serve", "--help")
    assert result.code == 0
    for option in ("--host", "--port", "--workers", "--cors-origin"):
        assert option in result.out
    assert "127.0.0.1" in result.out and "8080" in result.out


def test_once_officers_are_mapped_to_os_accounts_only_the_officer_or_an_administrator_manages_their_credentials(
        cli, tmp_path, monkeypatch):
    config = tmp_path / "tthc.toml"
    config.write_text('[users.lan]\nname = "Nguyễn Thị Lan"\ngroups = ["reception"]\nos_users = ["lan"]\n\n'
                      '[users.son]\nname = "Hoàng Minh Sơn"\ngroups = ["director"]\nos_users = ["son"]\n\n'
                      '[security]\nadmin_os_users = ["tthc-admin"]\n', encoding="utf-8")
    cli.config = config
    monkeypatch.setattr("engine.origin.check_clock_override", lambda settings, origin: None)
    monkeypatch.setattr("engine.origin.os_account", lambda: "lan")
    monkeypatch.setattr(sys, "stdin", io.StringIO("mat-khau-cua-son\n"))
    refused = cli("user", "set-password", "son")
    assert refused.code == 5 and "'lan'" in refused.err and "'son'" in refused.err
    assert cli("token", "create", "--user", "son").code == 5
    monkeypatch.setattr(sys, "stdin", io.StringIO("mat-khau-cua-lan\n"))
    assert cli("user", "set-password", "lan").code == 0
    own = cli("token", "create", "--user", "lan", "--json").json()

    monkeypatch.setattr("engine.origin.os_account", lambda: "son")
    assert cli("token", "revoke", own["id"]).code == 5  # not son's token
    monkeypatch.setattr("engine.origin.os_account", lambda: "tthc-admin")
    monkeypatch.setattr(sys, "stdin", io.StringIO("mat-khau-cua-son\n"))
    assert cli("user", "set-password", "son").code == 0
    assert cli("token", "revoke", own["id"]).code == 0
