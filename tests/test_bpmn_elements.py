"""Every BPMN element Camunda Modeler can save has a stated fate (issue 14): runs, no effect, refused at deploy, or
not drawn — one table (engine.dialect.elements), checked against bpmn-moddle's schema, against the deploy checks
(engine.dialect.validate) and against the README."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.dialect import validate
from engine.dialect.elements import ELEMENTS, Fate, local_name, markdown_table

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "node_modules" / "bpmn-moddle" / "resources" / "bpmn" / "json" / "bpmn.json"
TYPE_ONLY = {"FormalExpression", "Expression"}  # xsi:type values, never element names


def _schema_types() -> set[str]:
    if not SCHEMA.is_file():
        pytest.skip("node_modules absent: run `npm ci`")
    return {t["name"] for t in json.loads(SCHEMA.read_text(encoding="utf-8"))["types"] if not t.get("isAbstract")}


def test_every_element_of_the_bpmn_schema_has_exactly_one_row():
    types = _schema_types()
    assert sorted(types - set(ELEMENTS)) == []
    assert sorted(set(ELEMENTS) - types) == []


@pytest.mark.parametrize("name", sorted(n for n, r in ELEMENTS.items() if r.in_process and n not in TYPE_ONLY))
def test_the_table_says_what_the_deploy_checks_do(name):
    row, local = ELEMENTS[name], local_name(name)
    if row.fate is Fate.RUNS:  # service and send tasks run as external tasks, and are refused when they hold code
        assert local in validate.ALLOWED, f"{local}: the table says it runs"
    elif row.fate is Fate.NO_EFFECT:
        assert local in validate.ALLOWED and local not in validate.REFUSED, f"{local}: the table says no effect"
    else:
        assert local in validate.REFUSED or local not in validate.ALLOWED, f"{local}: the table says refused"


def test_the_readme_table_is_generated_from_the_code():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, "regenerate: python3 -c 'from engine.dialect.elements import markdown_table as t; print(t())'"


def test_a_refused_element_is_refused_at_deploy_with_its_reason(cli, fixtures, tmp_path):
    text = (fixtures / "bpmn" / "review_fixture.bpmn").read_text(encoding="utf-8")
    start = text.index("<bpmn:startEvent")
    (tmp_path / "c.bpmn").write_text(text[:start] + '<bpmn:complexGateway id="gw_complex" />' + text[start:],
                                     encoding="utf-8")
    result = cli("deploy", str(tmp_path / "c.bpmn"))
    assert result.code == 4
    assert "gw_complex" in result.err and "Camunda 7 cũng không thực thi" in result.err
