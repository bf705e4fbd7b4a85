"""Bounded input (issue 19): limits from `[limits]`, checked before parsing; validation linear in the file's size;
parsing and validation before deploy's write transaction."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from engine.errors import InvalidInput
from engine.limits import DEFAULT, Limits, check_xml_shape, json_depth, parse_limits

FIXTURE = Path(__file__).parent / "fixtures" / "bpmn"
DIAGRAM = (FIXTURE / "review_fixture.bpmn").read_text(encoding="utf-8")


def _folder(tmp_path: Path, diagram: str) -> Path:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    for form in FIXTURE.glob("*.form"):
        (folder / form.name).write_bytes(form.read_bytes())
    (folder / "review_fixture.bpmn").write_text(diagram, encoding="utf-8")
    return folder


def annotated(count: int) -> str:
    """The fixture diagram with `count` text annotations, as the issue's 64 MB diagram had 400,000."""
    notes = "".join(
        f'<bpmn:textAnnotation id="Note_{i}"><bpmn:text>Ghi chú {i}: kiểm tra kỹ giấy tờ.</bpmn:text>'
        "</bpmn:textAnnotation>\n"
        for i in range(count)
    )
    return DIAGRAM.replace("</bpmn:process>", notes + "</bpmn:process>")


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    return path


def _definitions(cli) -> list:
    from sqlalchemy import create_engine, text

    engine = create_engine(cli.db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text('SELECT kind, "key", version FROM definitions ORDER BY id')).all()
    except Exception:  # noqa: BLE001 - no schema yet means nothing was stored
        return []
    finally:
        engine.dispose()


def test_limits_table_overrides_the_defaults_it_names_and_keeps_the_others():
    limits = parse_limits({"max_file_bytes": 1234, "max_elements": 99}, "config.toml")
    assert (limits.max_file_bytes, limits.max_elements) == (1234, 99)
    assert limits.max_depth == DEFAULT.max_depth
    assert parse_limits(None, "x") == DEFAULT


@pytest.mark.parametrize(("table", "needle"), [
    ({"max_files_bytes": 10}, "max_files_bytes"),
    ({"max_depth": 0}, "số nguyên dương"),
    ({"max_depth": True}, "số nguyên dương"),
    ({"max_depth": "10"}, "số nguyên dương"),
])
def test_a_wrong_limits_table_is_refused_naming_the_key(table, needle):
    with pytest.raises(InvalidInput, match=needle):
        parse_limits(table, "config.toml")


def test_wrong_limits_in_the_config_file_exit_4(cli, tmp_path):
    cli.config = _config(tmp_path, "[limits]\nmax_file_bytes = -1\n")
    result = cli("deploy", str(FIXTURE))
    assert result.code == 4 and "max_file_bytes" in result.err and "Traceback" not in result.err


def test_a_file_over_max_file_bytes_is_refused_by_its_size_and_nothing_is_stored(cli, tmp_path):
    folder = _folder(tmp_path, DIAGRAM)
    cli.config = _config(tmp_path, "[limits]\nmax_file_bytes = 5000\n")
    result = cli("deploy", str(folder), "--json")
    assert result.code == 4
    message = result.err_json()["message"]
    assert "review_fixture.bpmn" in message and "max_file_bytes" in message and "[limits]" in message
    assert _definitions(cli) == []


def test_raising_max_file_bytes_lets_the_same_file_through(cli, tmp_path):
    folder = _folder(tmp_path, DIAGRAM)
    cli.config = _config(tmp_path, "[limits]\nmax_file_bytes = 200000\n")
    assert cli("deploy", str(folder)).code == 0


@pytest.mark.parametrize(("limits", "needle"), [
    (Limits(max_elements=100), "max_elements"),
    (Limits(max_depth=4), "max_depth"),
    (Limits(max_expression_chars=20), "max_expression_chars"),
])
def test_the_streaming_pass_refuses_counts_depth_and_expressions_beyond_the_limits(limits, needle):
    with pytest.raises(InvalidInput, match=needle) as caught:
        check_xml_shape(DIAGRAM.encode(), "review_fixture.bpmn", limits)
    assert "review_fixture.bpmn" in caught.value.message
    check_xml_shape(DIAGRAM.encode(), "review_fixture.bpmn")  # the defaults leave a real diagram alone


def test_a_long_condition_is_refused_naming_its_flow():
    long_condition = "${" + " || ".join(f"score == {i}" for i in range(300)) + "}"
    text = DIAGRAM.replace("${score &gt;= 5 &amp;&amp; !empty draft_reference}", long_condition)
    with pytest.raises(InvalidInput, match="Flow_approved.*max_expression_chars"):
        check_xml_shape(text.encode(), "review_fixture.bpmn")


def test_documentation_and_annotations_are_not_expressions():
    text = annotated(1).replace("Ghi chú 0", "x" * 10_000)
    check_xml_shape(text.encode(), "review_fixture.bpmn")


def test_json_depth_is_measured_without_recursion():
    value: list = []
    for _ in range(100_000):
        value = [value]
    assert json_depth(value) == 100_001
    assert json_depth({"a": [1, {"b": 2}]}) == 3


def test_deploy_is_linear_in_the_number_of_annotations(cli, tmp_path):
    # 40,000 annotations took about a minute when SpiffWorkflow indexed the process with `.//*[@id]` (quadratic in
    # libxml2); linear parsing takes a second or two on a busy machine.
    folder = _folder(tmp_path, annotated(40_000))
    cli.config = _config(tmp_path, "[limits]\nmax_elements = 200000\nmax_file_bytes = 20000000\n")
    started = time.perf_counter()
    result = cli("deploy", str(folder), "--json")
    elapsed = time.perf_counter() - started
    assert result.code == 0, result.err
    assert elapsed < 15, elapsed


def test_a_diagram_over_max_elements_is_refused_before_it_is_parsed(cli, tmp_path, monkeypatch):
    import engine.usecases.deploy

    def never(*_args, **_kwargs):
        raise AssertionError("parsed despite the limit")

    monkeypatch.setattr(engine.usecases.deploy, "compile_bpmn", never)
    folder = _folder(tmp_path, annotated(30_000))
    started = time.perf_counter()
    result = cli("deploy", str(folder), "--json")
    assert result.code == 4 and "max_elements" in result.err_json()["message"]
    assert time.perf_counter() - started < 5


def test_a_start_is_not_blocked_while_a_deploy_is_still_parsing(cli, db_url, tmp_path, monkeypatch):
    """Deploy parses and validates before its write transaction: a slow file never holds SQLite's write lock."""
    import engine.usecases.deploy
    from engine.calendar import BusinessCalendar, FixedClock, parse_instant
    from engine.config import load_settings
    from engine.service import Service

    assert cli("deploy", str(FIXTURE)).code == 0
    parsing, release = threading.Event(), threading.Event()
    real_compile = engine.usecases.deploy.compile_bpmn

    def slow_compile(content, filename):
        if threading.current_thread() is deployer:  # the start below compiles its definition too
            parsing.set()
            release.wait(timeout=30)
        return real_compile(content, filename)

    monkeypatch.setattr(engine.usecases.deploy, "compile_bpmn", slow_compile)
    outcome: dict = {}

    def deploy():
        clock = FixedClock(parse_instant("2026-03-02T08:00"))
        service = Service.open(load_settings(None, db_url), clock=clock, calendar=BusinessCalendar.default())
        try:
            outcome["deploy"] = service.deploy([_folder(tmp_path, annotated(10))])
        finally:
            service.store.dispose()

    deployer = threading.Thread(target=deploy)
    deployer.start()
    assert parsing.wait(timeout=30)
    started: dict = {}
    starter = threading.Thread(target=lambda: started.update(result=cli(
        "start", "review_fixture", "--applicant", "Công ty A", "--json", user="lan", now="2026-03-02T08:00")))
    starter.start()
    starter.join(timeout=10)
    blocked = starter.is_alive()
    release.set()
    deployer.join(timeout=60)
    starter.join(timeout=60)
    assert not blocked, "start waited for the deploy's write lock"
    assert started["result"].code == 0, started["result"].err
    assert [row["status"] for row in outcome["deploy"] if row["kind"] == "bpmn"] == ["deployed"]
