"""A corpus of hostile inputs for every command that reads a designer's file or an operator's data (issue 19).

Each `Case` names one input, how to write it into the corpus directory, the command line that feeds it to `tthc`
(`{path}` is the input, `{task}` a ready task, `{out}` a scratch directory) and the exit code expected. Big inputs
(50 MB, 100,000-deep nesting) are generated once per test module, never committed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "bpmn"
DIAGRAM = (FIXTURE / "review_fixture.bpmn").read_text(encoding="utf-8")
DECISION = (ROOT / "bpmn" / "appraisal_routing.dmn").read_text(encoding="utf-8")
FORM = json.loads((FIXTURE / "fixture_reception.form").read_text(encoding="utf-8"))
SEED = (ROOT / "tests" / "fixtures" / "seed004.txt").read_text(encoding="utf-8")
CONDITION = "${score &gt;= 5 &amp;&amp; !empty draft_reference}"
TIMER = "<bpmn:timeDuration xsi:type=\"bpmn:tFormalExpression\">P1.25D</bpmn:timeDuration>"
MB = 1024 * 1024
DEEP = 100_000
# Where an injected command would leave its mark if any text were ever run.
MARKER = "/tmp/tthc-hostile-pwned"
SHELL = f"__import__('os').system('touch {MARKER}')"

# The reception form as deployed for the corpus: a designer's pattern that backtracks for ever on "aaaa…!".
REDOS_PATTERN = "^(a|aa)+$"


def reception_form_with_pattern() -> str:
    form = json.loads(json.dumps(FORM))
    form["components"][0]["validate"] = {"pattern": REDOS_PATTERN}
    return json.dumps(form, ensure_ascii=False)


@dataclass(frozen=True)
class Case:
    name: str  # the file written into the corpus (or the argument, for non-files)
    write: Callable[[Path], None]  # writes the input at the given path
    args: tuple[str, ...]
    code: int = 4
    needle: str | None = None  # a word the one-sentence message must contain

    @property
    def id(self) -> str:
        return self.name


def _text(text: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(text, encoding="utf-8")


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _lazy(make: Callable[[], bytes]) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(make())


def _folder_with(diagram: str) -> Callable[[Path], None]:
    """A folder as designers deploy it: the diagram and its forms."""
    def write(path: Path) -> None:
        path.mkdir()
        for form in FIXTURE.glob("*.form"):
            (path / form.name).write_bytes(form.read_bytes())
        (path / "review_fixture.bpmn").write_text(diagram, encoding="utf-8")
    return write


def _directory(path: Path) -> None:
    path.mkdir()


def _fifo(path: Path) -> None:
    os.mkfifo(path)  # reading it would wait for ever


def _symlink_loop(path: Path) -> None:
    (path / "inner").mkdir(parents=True)
    (path / "inner" / "up").symlink_to("..")


def _sparse(size: int) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with path.open("wb") as handle:
            handle.truncate(size)
    return write


def _doctype(body: str) -> str:
    return DIAGRAM.replace('<?xml version="1.0" encoding="UTF-8"?>\n', f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n')


def _with_entity(doctype: str, use: str) -> str:
    return _doctype(doctype).replace('name="Tiếp nhận hồ sơ"', f'name="{use}"')


def _condition(expression: str) -> str:
    return DIAGRAM.replace(CONDITION, expression)


def _user_task_attribute(attribute: str) -> str:
    return DIAGRAM.replace('<bpmn:userTask id="approve" name="Phê duyệt"',
                           f'<bpmn:userTask id="approve" name="Phê duyệt" {attribute}', 1)


def _deep_xml() -> bytes:
    return (DIAGRAM.split("<bpmn:collaboration", 1)[0].encode() + b"<bpmn:documentation>" * DEEP
            + b"</bpmn:documentation>" * DEEP + b"</bpmn:definitions>")


def _many_elements() -> bytes:
    notes = "".join(f'<bpmn:textAnnotation id="N{i}" />' for i in range(60_000))
    return DIAGRAM.replace("</bpmn:process>", notes + "</bpmn:process>").encode()


def _big_diagram() -> bytes:
    note = '<bpmn:textAnnotation id="N{}"><bpmn:text>Ghi chú dài dòng cho hồ sơ.</bpmn:text></bpmn:textAnnotation>\n'
    count = 50 * MB // len(note) + 1
    return DIAGRAM.replace("</bpmn:process>", "".join(note.format(i) for i in range(count)) + "</bpmn:process>").encode()


def _form(**changes) -> str:
    form = json.loads(json.dumps(FORM))
    form["components"][0].update(changes)
    return json.dumps(form, ensure_ascii=False)


def _nested_groups(depth: int) -> str:
    """Groups inside groups, written as text: json.dumps itself recurses too deep for a thousand levels."""
    leaf = '{"type": "textfield", "id": "Leaf", "key": "leaf", "label": "Lá"}'
    opening = "".join(f'{{"type": "group", "id": "Group_{level}", "label": "Nhóm", "components": ['
                      for level in range(depth))
    return f'{{"id": "nested", "components": [{opening}{leaf}{"]}" * depth}]}}'



def _deep_json(prefix: str = '{"a": ', suffix: str = "}") -> bytes:
    return (prefix + "[" * DEEP + "]" * DEEP + suffix).encode()


def _dmn_cell(text: str) -> str:
    return DECISION.replace("<text>\"approve\"</text>", f"<text>{text}</text>", 1)


def _big_json_object() -> bytes:
    return json.dumps({"applicant_phone": "x" * (2 * MB)}).encode()


DEPLOY = ("deploy", "{path}")
LINT = ("lint", "--no-node", "{path}")
COMPLETE = ("complete", "{task}", "--data", "@{path}")  # run as the reception officer
DECIDE = ("decide", "appraisal_routing", "--data", "@{path}")
IMPORT = ("import-procedures", "{path}", "--out", "{out}")

XXE_FILE = '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
XXE_HTTP = '<!DOCTYPE d [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">]>'
XXE_PARAMETER = '<!DOCTYPE d [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>'
LAUGHS = ("<!DOCTYPE d [<!ENTITY l0 \"lol\">"
          + "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)) + "]>")
QUADRATIC = f'<!DOCTYPE d [<!ENTITY big "{"x" * 50_000}">]>'

CASES: list[Case] = [
    # --- diagrams: entities, size, shape, encoding -----------------------------------------------------------
    Case("xxe_file.bpmn", _text(_with_entity(XXE_FILE, "&xxe;")), DEPLOY, needle="DOCTYPE"),
    Case("xxe_http.bpmn", _text(_with_entity(XXE_HTTP, "&xxe;")), DEPLOY, needle="DOCTYPE"),
    Case("xxe_parameter.bpmn", _text(_doctype(XXE_PARAMETER)), DEPLOY),
    Case("billion_laughs.bpmn", _text(_with_entity(LAUGHS, "&l9;")), DEPLOY),
    Case("quadratic_blowup.bpmn", _text(_with_entity(QUADRATIC, "&big;" * 2000)), DEPLOY),
    Case("xxe_file_lint.bpmn", _text(_with_entity(XXE_FILE, "&xxe;")), LINT),
    Case("billion_laughs_lint.bpmn", _text(_with_entity(LAUGHS, "&l9;")), LINT),
    Case("big_50mb.bpmn", _lazy(_big_diagram), DEPLOY, needle="max_file_bytes"),
    Case("big_50mb_lint.bpmn", _lazy(_big_diagram), LINT),
    Case("deep_100k.bpmn", _lazy(_deep_xml), DEPLOY, needle="max_depth"),
    Case("deep_100k_lint.bpmn", _lazy(_deep_xml), LINT),
    Case("many_elements.bpmn", _lazy(_many_elements), DEPLOY, needle="max_elements"),
    Case("invalid_utf8.bpmn", _bytes(DIAGRAM.encode().replace("Tiếp".encode(), b"Ti\xff\xfep")), DEPLOY),
    Case("nul_bytes.bpmn", _bytes(DIAGRAM.encode().replace(b"<bpmn:process", b"\x00<bpmn:process", 1)), DEPLOY),
    Case("binary.bpmn", _bytes(bytes(range(256)) * 64), DEPLOY),
    Case("binary_lint.bpmn", _bytes(bytes(range(256)) * 64), LINT),
    Case("empty.bpmn", _bytes(b""), DEPLOY),
    Case("html_root.bpmn", _text("<html><body>Không phải BPMN</body></html>"), DEPLOY),
    Case("directory.bpmn", _directory, DEPLOY),
    Case("sparse_50mb.bpmn", _sparse(50 * MB), DEPLOY, needle="max_file_bytes"),
    Case("fifo.bpmn", _fifo, DEPLOY),
    Case("fifo_lint.bpmn", _fifo, LINT),
    Case("symlink_loop", _symlink_loop, DEPLOY),
    # --- diagrams: injection in every text field --------------------------------------------------------------
    Case("condition_import", _folder_with(_condition(f"${{{SHELL}}}")), DEPLOY, needle="__import__"),
    Case("condition_subclasses", _folder_with(_condition("${score.__class__.__mro__[1].__subclasses__()}")), DEPLOY),
    Case("condition_getclass", _folder_with(_condition("${''.getClass().forName('java.lang.Runtime')}")), DEPLOY),
    Case("condition_dunder_path", _folder_with(_condition("${draft_reference.__globals__ == 1}")), DEPLOY),
    Case("condition_method_call", _folder_with(_condition("${execution.getVariable('score') &gt; 5}")), DEPLOY),
    Case("condition_long", _folder_with(_condition("${" + " || ".join(["score == 1"] * 400) + "}")), DEPLOY,
         needle="max_expression_chars"),
    Case("condition_deep_parens", _folder_with(_condition("${" + "(" * 600 + "score" + ")" * 600 + " &gt; 1}")),
         DEPLOY),
    Case("timer_import", _folder_with(DIAGRAM.replace(TIMER, TIMER.replace("P1.25D", f"${{{SHELL}}}"))), DEPLOY),
    Case("timer_shell", _folder_with(DIAGRAM.replace(TIMER, TIMER.replace("P1.25D", "P1D; rm -rf /"))), DEPLOY),
    Case("candidate_groups_import", _folder_with(DIAGRAM.replace(
        'camunda:candidateGroups="director"', f'camunda:candidateGroups="${{{SHELL}}}"')), DEPLOY),
    Case("assignee_getclass", _folder_with(_user_task_attribute(
        "camunda:assignee=\"${''.getClass()}\"")), DEPLOY),
    Case("form_ref_path", _folder_with(DIAGRAM.replace(
        'camunda:formRef="fixture_decision"', 'camunda:formRef="../../etc/passwd"')), DEPLOY),
    Case("form_key_import", _folder_with(DIAGRAM.replace(
        "camunda-forms:deployment:fixture_appraisal.form", f"camunda-forms:deployment:{SHELL}")), DEPLOY),
    Case("execution_listener_script", _folder_with(DIAGRAM.replace(
        '<bpmn:incoming>Flow_approved</bpmn:incoming>',
        '<bpmn:extensionElements><camunda:executionListener event="start"><camunda:script scriptFormat="python">'
        f"{SHELL}</camunda:script></camunda:executionListener></bpmn:extensionElements>"
        '<bpmn:incoming>Flow_approved</bpmn:incoming>')), DEPLOY, needle="camunda:executionListener"),
    Case("java_delegate", _folder_with(_user_task_attribute('camunda:class="java.lang.Runtime"')), DEPLOY,
         needle="camunda:class"),
    # --- forms ---------------------------------------------------------------------------------------------
    Case("deep_100k.form", _lazy(lambda: _deep_json('{"id": "f", "components": ', "}")), DEPLOY),
    Case("deep_100k_lint.form", _lazy(lambda: _deep_json('{"id": "f", "components": ', "}")), LINT),
    Case("groups_1000.form", _text(_nested_groups(1000)), DEPLOY),
    Case("groups_1000_lint.form", _text(_nested_groups(1000)), LINT),
    Case("groups_12.form", _text(_nested_groups(12)), DEPLOY, needle="max_form_depth"),
    Case("big_2mb.form", _lazy(lambda: json.dumps({**FORM, "padding": "x" * 2 * MB}).encode()), DEPLOY),
    Case("invalid_utf8.form", _bytes(b'{"id": "f\xff", "components": []}'), DEPLOY),
    Case("nul_bytes.form", _bytes(b'{"id": "f",\x00 "components": []}'), DEPLOY),
    Case("binary.form", _bytes(bytes(range(256)) * 16), DEPLOY),
    Case("duplicate_keys.form", _text('{"id": "f", "id": "g", "components": []}'), DEPLOY),
    Case("nan.form", _text('{"id": "f", "components": [], "schemaVersion": NaN}'), DEPLOY),
    Case("key_dunder.form", _text(_form(key="__class__")), DEPLOY, needle="__class__"),
    Case("key_import.form", _text(_form(key=SHELL)), DEPLOY),
    Case("conditional_feel.form", _text(_form(conditional={"hide": f"={SHELL}"})), DEPLOY),
    Case("pattern_invalid.form", _text(_form(validate={"pattern": "(unclosed"})), DEPLOY),
    # --- decision tables -----------------------------------------------------------------------------------
    Case("xxe_file.dmn", _text(DECISION.replace('<?xml version="1.0" encoding="UTF-8"?>\n',
                                                '<?xml version="1.0" encoding="UTF-8"?>\n' + XXE_FILE)), DEPLOY),
    Case("billion_laughs.dmn", _text(DECISION.replace('<?xml version="1.0" encoding="UTF-8"?>\n',
                                                      '<?xml version="1.0" encoding="UTF-8"?>\n' + LAUGHS)), DEPLOY),
    Case("cell_import.dmn", _text(_dmn_cell(SHELL.replace("'", "&quot;"))), DEPLOY),
    Case("cell_getclass.dmn", _text(_dmn_cell("conclusion.getClass()")), DEPLOY),
    Case("cell_subclasses.dmn", _text(_dmn_cell("conclusion.__class__.__mro__[1].__subclasses__()")), DEPLOY),
    Case("cell_long.dmn", _text(_dmn_cell(",".join(['"approve"'] * 400))), DEPLOY, needle="max_expression_chars"),
    Case("deep_100k.dmn", _lazy(lambda: _deep_xml().replace(b"bpmn:documentation", b"x")), DEPLOY),
    Case("invalid_utf8.dmn", _bytes(DECISION.encode().replace("Định".encode(), b"\xc3\x28nh")), DEPLOY),
    # --- catalog -------------------------------------------------------------------------------------------
    Case("deep/catalog.json", _lazy(lambda: _deep_json('{"procedures": ', "}")), DEPLOY),
    Case("utf8/catalog.json", _bytes(b'{"procedures": ["\xff"]}'), DEPLOY),
    Case("shape/catalog.json", _text('{"procedures": "all"}'), DEPLOY),
    Case("big/catalog.json", _sparse(50 * MB), DEPLOY, needle="max_file_bytes"),
    # --- submitted data (complete, decide) -------------------------------------------------------------------
    Case("deep_100k.json", _lazy(_deep_json), COMPLETE),
    Case("big_2mb.json", _lazy(_big_json_object), COMPLETE, needle="max_json_bytes"),
    Case("invalid_utf8.json", _bytes(b'{"applicant_phone": "\xff"}'), COMPLETE),
    Case("nul_in_value.json", _text('{"applicant_phone": "09\\u0000"}'), COMPLETE),
    Case("nan.json", _text('{"applicant_phone": NaN}'), COMPLETE),
    Case("duplicate_keys.json", _text('{"applicant_phone": "1", "applicant_phone": "2"}'), COMPLETE),
    Case("not_object.json", _text("[1, 2, 3]"), COMPLETE),
    Case("binary.json", _bytes(bytes(range(256))), COMPLETE),
    Case("dunder_key.json", _text('{"__class__": {"__init__": 1}}'), COMPLETE),
    Case("redos.json", _text(json.dumps({"applicant_phone": "a" * 3000 + "!"})), COMPLETE),
    Case("data_directory", _directory, COMPLETE),
    Case("deep_100k_decide.json", _lazy(_deep_json), DECIDE),
    Case("big_2mb_decide.json", _lazy(_big_json_object), DECIDE, needle="max_json_bytes"),
    Case("invalid_utf8_decide.json", _bytes(b'{"conclusion": "\xff"}'), DECIDE),
    # --- internal-procedure tables (import-procedures) ---------------------------------------------------------
    Case("big_50mb.txt", _lazy(lambda: (SEED * (50 * MB // len(SEED.encode()) + 1)).encode()), IMPORT,
         needle="max_file_bytes"),
    Case("binary.txt", _bytes(bytes(range(256)) * 64), IMPORT),
    Case("invalid_utf8.txt", _bytes(SEED.encode().replace("Quy".encode(), b"Qu\xff", 1)), IMPORT),
    Case("import_directory", _directory, IMPORT),
]

# Arguments that are not files in the corpus.
SPECIAL_ARGS: list[tuple[str, tuple[str, ...], int]] = [
    ("data_dev_zero", ("complete", "{task}", "--data", "@/dev/zero"), 4),
    ("data_missing_file", ("complete", "{task}", "--data", "@/nonexistent/tthc.json"), 3),
    ("data_inline_deep", ("complete", "{task}", "--data", "[" * DEEP + "]" * DEEP), 4),
]
