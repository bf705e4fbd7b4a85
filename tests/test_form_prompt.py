"""Interactive prompting of a form (engine.cli.form_prompt): in-process with text streams, and through a real
pseudo-terminal the way `tthc complete` without --data runs it."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import typer
import pytest

from engine.cli.form_prompt import prompt_form
from engine.forms import load_form_file, validate_submission

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "forms" / "every_component.form"

# Answers for every_component.form in field order: code, email, phone, note, count, fee, level, channel, agreed,
# urgent, documents, tags, day, at, moment, owner.name, owner.address.city (old_case is read-only, not asked).
BASE_ANSWERS = {
    "code": "AB12", "email": "", "phone": "", "note": "", "count": "", "fee": "", "level": "", "channel": "1",
    "agreed": "c", "urgent": "", "documents": "1", "tags": "", "day": "", "at": "", "moment": "",
    "owner.name": "Công ty A", "owner.address.city": "",
}


@pytest.fixture(scope="module")
def every():
    return load_form_file(FIXTURE)


def run(form, lines: list[str], defaults: dict | None = None) -> tuple[dict, str]:
    out = io.StringIO()
    result = prompt_form(form, defaults or {}, input=io.StringIO("".join(line + "\n" for line in lines)), output=out)
    return result, out.getvalue()


def answers(**changes: str | list[str]) -> list[str]:
    """The answer lines; a list value answers one field several times (re-asks)."""
    lines: list[str] = []
    for key, answer in {**BASE_ANSWERS, **changes}.items():
        lines.extend(answer if isinstance(answer, list) else [answer])
    return lines


def test_answers_become_a_dict_that_validate_submission_accepts(every):
    result, _ = run(every, answers(count="3", day="02/03/2026", tags="2,1", at="14:30"))
    assert result == {
        "code": "AB12", "count": 3, "level": "low", "channel": "direct", "agreed": True, "urgent": False,
        "documents": ["form"], "tags": ["linked", "priority"], "day": "2026-03-02", "at": "14:30:00",
        "owner.name": "Công ty A",
    }
    typed = validate_submission(every, result)
    assert typed["owner"] == {"name": "Công ty A"}
    assert typed["count"] == 3


def test_choices_are_numbered_and_may_be_picked_by_number_or_value(every):
    by_number, output = run(every, answers(channel="2"))
    by_value, _ = run(every, answers(channel="online"))
    assert by_number["channel"] == by_value["channel"] == "online"
    assert "  1. Trực tiếp\n  2. Trực tuyến\n" in output
    assert "Kênh * (chọn 1–2): " in output


def test_enter_keeps_the_default_shown_in_brackets(every):
    result, output = run(every, answers(level=""))
    assert result["level"] == "low"
    assert "Mức độ (chọn 1–2) [Thấp]: " in output


def test_invalid_answer_is_re_asked_with_the_vietnamese_problem(every):
    result, output = run(every, answers(count=["0", "mười", "4"]))
    assert result["count"] == 4
    assert output.count("Số lượng (1–10): ") == 3
    assert "  ✗ Số lượng: phải ≥ 1\n" in output
    assert "  ✗ Số lượng: phải là số\n" in output


def test_missing_required_answer_is_re_asked(every):
    result, output = run(every, answers(code=["", "XY9"]))
    assert result["code"] == "XY9"
    assert "  ✗ Mã số: bắt buộc\n" in output
    assert "  Ví dụ: AB12\n" in output  # the description is shown before the question


def test_dash_clears_an_optional_default(every):
    result, _ = run(every, answers(level="-"))
    assert "level" not in result


def test_checkbox_asks_c_or_k_and_must_be_ticked_when_required(every):
    result, output = run(every, answers(agreed=["k", "có"], urgent="c"))
    assert (result["agreed"], result["urgent"]) == (True, True)
    assert "Cam kết đúng sự thật * (c/k): " in output
    assert "  ✗ Cam kết đúng sự thật: phải được đánh dấu\n" in output


def test_checklist_takes_numbers_or_values_separated_by_commas(every):
    result, output = run(every, answers(documents=["4", "3, copy"]))
    assert result["documents"] == ["photo", "copy"]
    assert "có giá trị không thuộc danh sách lựa chọn (form, copy, photo)" in output


def test_given_defaults_override_the_form_defaults_and_reach_group_fields(every):
    defaults = {"level": "high", "owner": {"name": "Hợp tác xã B"}, "count": 7}
    result, output = run(every, answers(**{"owner.name": ""}), defaults)
    assert (result["level"], result["owner.name"], result["count"]) == ("high", "Hợp tác xã B", 7)
    assert "Tên chủ sở hữu * [Hợp tác xã B]: " in output
    assert "Số lượng (1–10) [7]: " in output


def test_read_only_fields_are_not_asked(every):
    result, output = run(every, answers())
    assert "Mã hồ sơ cũ" not in output
    assert "old_case" not in result


def test_text_answers_are_nfc_normalised(every):
    decomposed = unicodedata.normalize("NFD", "Hợp tác xã Đồng Tâm")
    result, _ = run(every, answers(**{"owner.name": decomposed}))
    assert result["owner.name"] == unicodedata.normalize("NFC", "Hợp tác xã Đồng Tâm")


def test_end_of_input_cancels_the_form(every):
    with pytest.raises(typer.Abort):
        run(every, ["AB12"])


# --- through a pseudo-terminal ----------------------------------------------------------------------------------------

CHILD = """
import json
from pathlib import Path
from engine.cli.form_prompt import prompt_form
from engine.forms import load_form
form = load_form(Path("forms/reception.form").read_bytes(), "reception.form")
print("RESULT=" + json.dumps(prompt_form(form, {}), ensure_ascii=False), flush=True)
"""


class Terminal:
    """The controlling side of a pty: wait for text with a deadline (select, never sleep), type lines."""

    def __init__(self, master: int, timeout: float = 20.0) -> None:
        self.master = master
        self.timeout = timeout
        self.buffer = b""
        self.position = 0

    def _read_more(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            shown = self.buffer[self.position:].decode("utf-8", "replace")
            raise AssertionError(f"timed out; terminal shows: {shown!r}")
        ready, _, _ = select.select([self.master], [], [], remaining)
        if ready:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            if not chunk:
                raise AssertionError(f"terminal closed; it showed: {self.buffer.decode('utf-8', 'replace')!r}")
            self.buffer += chunk

    def expect(self, text: str) -> None:
        wanted = text.encode("utf-8")
        deadline = time.monotonic() + self.timeout
        while (found := self.buffer.find(wanted, self.position)) < 0:
            self._read_more(deadline)
        self.position = found + len(wanted)

    def expect_regex(self, pattern: bytes) -> re.Match[bytes]:
        deadline = time.monotonic() + self.timeout
        while (match := re.compile(pattern).search(self.buffer, self.position)) is None:
            self._read_more(deadline)
        self.position = match.end()
        return match

    def send(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode("utf-8"))


def test_reception_form_is_filled_through_a_pseudo_terminal_with_a_re_ask():
    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONUTF8="1", PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    term = Terminal(master)
    try:
        term.expect("Biểu mẫu 'reception'")
        term.expect("Họ và tên người nộp *: ")
        term.send(unicodedata.normalize("NFD", "Nguyễn Thị Hoà"))
        term.expect("Địa chỉ *: ")
        term.send("Phường Thục Phán, Cao Bằng")
        term.expect("Số điện thoại: ")
        term.send("12345")
        term.expect("✗ Số điện thoại: không đúng định dạng yêu cầu")
        term.expect("Số điện thoại: ")
        term.send("0912345678")
        term.expect("Thư điện tử: ")
        term.send("")
        term.expect("Đơn đề nghị (theo mẫu) (c/k) [k]: ")
        term.send("c")
        for label in ("Giấy tờ pháp lý của tổ chức (bản sao)", "Hồ sơ năng lực, tài liệu kỹ thuật"):
            term.expect(f"{label} (c/k) [k]: ")
            term.send("c")
        term.expect("Giấy chứng nhận/quyết định đã được cấp (bản sao) (c/k) [k]: ")
        term.send("")
        term.expect("Phương án thử nghiệm có kiểm soát (c/k) [k]: ")
        term.send("k")
        term.expect("Số bộ hồ sơ * (1–20) [1]: ")
        term.send("25")
        term.expect("✗ Số bộ hồ sơ: phải ≤ 20")
        term.expect("Số bộ hồ sơ * (1–20) [1]: ")
        term.send("2")
        term.expect("  3. Bưu chính công ích")
        term.expect("Hình thức nộp hồ sơ * (chọn 1–3) [Trực tiếp]: ")
        term.send("3")
        term.expect("Hình thức nhận kết quả * (chọn 1–2) [Tại Bộ phận Một cửa]: ")
        term.send("2")
        term.expect("Kết quả kiểm tra hồ sơ * (chọn 1–2) [Tiếp nhận]: ")
        term.send("")
        term.expect("Ghi chú: ")
        term.send("Nộp qua bưu điện")
        match = term.expect_regex(rb"RESULT=(\{[^\r\n]*\})\r?\n")
        exit_code = child.wait(timeout=10)
    finally:
        if child.poll() is None:  # only when an expectation failed: do not leave the child behind
            child.kill()
            child.wait()
        os.close(master)
    assert exit_code == 0
    assert json.loads(match.group(1).decode("utf-8")) == {
        "applicant_name": "Nguyễn Thị Hoà",
        "applicant_address": "Phường Thục Phán, Cao Bằng",
        "applicant_phone": "0912345678",
        "has_application": True,
        "has_legal_documents": True,
        "has_capacity_documents": True,
        "has_issued_certificate": False,
        "has_trial_plan": False,
        "sets": 2,
        "channel": "postal",
        "delivery": "postal",
        "reception_decision": "receive",
        "reception_note": "Nộp qua bưu điện",
    }
