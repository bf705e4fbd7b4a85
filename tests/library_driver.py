"""Drives a library procedure through the CLI the way operators do, one command per step, with a fixed clock."""

from __future__ import annotations

import json
from datetime import date, datetime

from engine import demo_data

GROUP_OF_ELEMENT = {
    "receive": "reception", "assign": "department_leader", "appraise": "staff", "review": "department_leader",
    "approve": "director", "register": "records_clerk", "provincial_decide": "provincial_office",
    "return_result": "reception", "receive_supplement": "reception", "issue_apology": "director",
}


class CaseDriver:
    def __init__(self, cli, code: str, applicant: str = "Công ty TNHH Ánh Dương") -> None:
        self.cli = cli
        self.code = code
        self.applicant = applicant
        self.view: dict = {}
        self.case_id = ""

    def start(self, at: str) -> dict:
        result = self.cli("start", self.code, "--applicant", self.applicant, "--json", now=at, user="lan")
        assert result.code == 0, result.err
        self.view = result.json()
        self.case_id = self.view["case_id"]
        return self.view

    def open_elements(self, at: str | None = None) -> list[str]:
        self.view = self.show(at)
        return sorted(t["element_id"] for t in self.view["tasks"])

    def task(self, element_id: str) -> dict:
        matches = [t for t in self.view["tasks"] if t["element_id"] == element_id]
        assert len(matches) == 1, (element_id, [t["element_id"] for t in self.view["tasks"]])
        return matches[0]

    def do(self, element_id: str, at: str, data: dict | None = None, user: str | None = None) -> dict:
        self.view = self.show(at)
        task = self.task(element_id)
        if data is None:
            data = demo_data.default_step_data(element_id, applicant=self.applicant,
                                               today=datetime.fromisoformat(at).date())
        who = user or demo_data.DEMO_USER_OF_GROUP[GROUP_OF_ELEMENT[element_id]]
        result = self.cli("complete", task["task_id"], "--data", json.dumps(data, ensure_ascii=False), "--json",
                          now=at, user=who)
        assert result.code == 0, (element_id, result.err)
        self.view = result.json()
        return self.view

    def correlate(self, message: str, at: str, data: dict | None = None, user: str = "lan") -> dict:
        """The applicant's message (the portal, or the desk for a dossier brought in) delivered to this case."""
        args = ["correlate", message, "--case", self.case_id, "--json"]
        if data is not None:
            args += ["--data", json.dumps(data, ensure_ascii=False)]
        result = self.cli(*args, now=at, user=user)
        assert result.code == 0, result.err
        self.view = result.json()
        return self.view

    def supplement(self, at: str) -> dict:
        """The supplemented dossier arrives (message `ho_so_bo_sung`)."""
        return self.correlate("ho_so_bo_sung", at, {"supplement_documents": "Bản sao quyết định có chứng thực"})

    def show(self, at: str | None = None) -> dict:
        result = self.cli("show", self.case_id, "--json", now=at)
        assert result.code == 0, result.err
        return result.json()

    def events(self) -> list[dict]:
        return self.cli("history", self.case_id, "--json").json()["events"]

    def event_types(self) -> list[str]:
        return [e["type"] for e in self.events()]

    def tick(self, at: str) -> dict:
        result = self.cli("tick", "--json", now=at)
        assert result.code == 0, result.err
        return result.json()


def day(text: str) -> date:
    return date.fromisoformat(text)
