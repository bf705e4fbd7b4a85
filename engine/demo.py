"""`tthc demo`: the procedure library driven through realistic cases on a simulated clock.

Every case goes through the same use cases operators use (start, complete, tick, withdraw), in time order, with the
engine clock advanced between commands; timers fire only through `tick`, as they would under `tthc worker`.
The simulated fortnight starts on Monday 16/11/2026 so that Culture Day (Tuesday 24/11) is crossed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from engine import demo_data
from engine.calendar import TZ, BusinessCalendar, FixedClock
from engine.config import GROUP_LABELS, Settings, parse_users, _demo_users
from engine.labels import OUTCOME_LABELS, TIMING_LABELS
from engine.library import library_paths
from engine.origin import process_origin
from engine.service import Service
from engine.history import EventType

GROUP_OF_ELEMENT = {
    "receive": "reception", "assign": "department_leader", "appraise": "staff", "review": "department_leader",
    "approve": "director", "register": "records_clerk", "provincial_decide": "provincial_office",
    "return_result": "reception", "receive_supplement": "reception", "issue_apology": "director",
}


# A story step that is the applicant's message (`tthc correlate ho_so_bo_sung --case ID`), not an officer's step.
SUPPLEMENT_ARRIVES = "message:ho_so_bo_sung"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@dataclass
class Story:
    """One case: a procedure, an applicant, and the steps done at given times (data overrides per step)."""

    code: str
    applicant: str
    title: str
    received: str
    steps: list[tuple[str, str, dict | None]] = field(default_factory=list)
    withdraw_at: str | None = None
    case_id: str = ""
    start_data: dict | None = None  # what the desk records at start (the units to consult)


STORIES = [
    Story("1.014881", "Công ty TNHH Ánh Dương", "giải quyết trước hạn", "2026-11-16T08:10", [
        ("receive", "2026-11-16T09:00", None), ("assign", "2026-11-16T10:00", None),
        ("appraise", "2026-11-16T15:00", None), ("review", "2026-11-17T08:30", None),
        ("approve", "2026-11-17T10:00", None), ("register", "2026-11-17T14:00", None),
        ("return_result", "2026-11-18T09:00", None)]),
    Story("3.000452", "Trung tâm Kiểm định Bắc Sơn", "thiếu hồ sơ, hướng dẫn bổ sung tại quầy", "2026-11-16T09:30", [
        ("receive", "2026-11-16T09:45", {"complete": False})]),
    Story("1.014885", "Ông Nông Văn Bình", "từ chối tiếp nhận (không thuộc thẩm quyền)", "2026-11-16T10:15", [
        ("receive", "2026-11-16T10:30", {"refuse": True})]),
    Story("3.000450", "Công ty CP Đo lường Cao Bằng", "yêu cầu bổ sung khi thẩm định, tính lại thời hạn",
          "2026-11-16T15:20", [  # after 15:00: transferred at the start of the next working day
        ("receive", "2026-11-17T08:00", None), ("assign", "2026-11-17T09:00", None),
        ("appraise", "2026-11-17T14:00", {"conclusion": "supplement"}),
        # The applicant's supplemented dossier arrives through the national portal: a message, not a desk step.
        (SUPPLEMENT_ARRIVES, "2026-11-20T08:30", {"supplement_documents": "Bản sao quyết định có chứng thực"}),
        ("receive_supplement", "2026-11-20T09:00", None), ("appraise", "2026-11-20T15:00", None),
        ("review", "2026-11-23T09:00", None), ("approve", "2026-11-23T10:00", None),
        ("register", "2026-11-23T14:00", None), ("provincial_decide", "2026-11-25T10:00", None),
        ("return_result", "2026-11-26T09:00", None)]),
    Story("1.014888", "Phòng thử nghiệm Hà Quảng", "lãnh đạo phòng trả lại để xử lý lại", "2026-11-17T08:00", [
        ("receive", "2026-11-17T08:30", None), ("assign", "2026-11-17T10:00", None),
        ("appraise", "2026-11-18T10:00", None), ("review", "2026-11-18T14:00", {"rework": True}),
        ("appraise", "2026-11-19T09:00", None), ("review", "2026-11-19T14:00", None),
        ("approve", "2026-11-20T09:00", None), ("register", "2026-11-20T14:00", None),
        ("return_result", "2026-11-23T09:00", None)]),
    Story("1.014879", "Công ty TNHH Thiết bị Đo Nguyên Bình", "từ chối giải quyết sau thẩm định", "2026-11-17T09:00", [
        ("receive", "2026-11-17T09:30", None), ("assign", "2026-11-17T11:00", None),
        ("appraise", "2026-11-19T10:00", {"conclusion": "refuse"}), ("review", "2026-11-19T15:00", None),
        ("approve", "2026-11-20T10:00", None), ("register", "2026-11-20T15:00", None),
        ("return_result", "2026-11-23T10:00", None)]),
    # 15 working days from Mon 16/11 08:30, skipping Culture Day (Tue 24/11): due Tue 08/12 08:30, so the apology
    # timer fires one working day earlier, Mon 07/12 08:30, while the appraisal is still open and overdue.
    Story("CNS.02.1", "Công ty Công nghệ số Pác Bó", "bước quá hạn, thư xin lỗi và hẹn lại", "2026-11-16T08:30", [
        ("receive", "2026-11-16T09:00", None), ("assign", "2026-11-16T14:00", None),
        ("issue_apology", "2026-12-07T09:00", {"new_due": "2026-12-11"}),
        ("appraise", "2026-12-07T10:00", None), ("review", "2026-12-07T15:00", None),
        ("approve", "2026-12-08T09:00", None), ("register", "2026-12-08T10:00", None),
        ("provincial_decide", "2026-12-09T15:00", None), ("return_result", "2026-12-10T09:00", None)]),
    Story("CNS.01", "Công ty TNHH Sáng tạo Non Nước", "người nộp rút hồ sơ trước khi có kết quả", "2026-11-18T10:00", [
        ("receive", "2026-11-18T10:30", None), ("assign", "2026-11-18T14:00", None)],
        withdraw_at="2026-11-24T09:00"),
    # Parallel consultation (multi-instance): one step per unit, each with its own 2-working-day limit; the
    # provincial office answers late, so its step alone is marked overdue, and approval waits for every opinion.
    Story("lay_y_kien", "Hợp tác xã Nông sản Trùng Khánh", "lấy ý kiến song song ba đơn vị, một đơn vị trả lời muộn",
          "2026-11-18T10:30", [
        ("receive", "2026-11-18T10:45", None),
        ("consult", "2026-11-18T14:00", {"unit": "staff"}),
        ("consult", "2026-11-19T10:00", {"unit": "department_leader"}),
        ("consult", "2026-11-23T09:00", {"unit": "provincial_office"}),
        ("approve", "2026-11-23T10:00", None), ("return_result", "2026-11-23T14:00", None)],
        start_data={"consult_units": ["staff", "department_leader", "provincial_office"]}),
]


def _step_data(element: str, override: dict | None, story: Story, when: datetime) -> dict:
    override = override or {}
    if element == "receive" and override:
        return demo_data.reception(story.applicant, **override)
    if element == "appraise" and "conclusion" in override:
        return demo_data.appraisal(override["conclusion"])
    if element in ("review", "approve") and override.get("rework"):
        return demo_data.decision(rework=True)
    if element == "issue_apology":
        return demo_data.apology(datetime.fromisoformat(override["new_due"]).date())
    return demo_data.default_step_data(element, applicant=story.applicant, today=when.date())


def run_demo(db_url: str, say: Callable[[str], None]) -> dict:
    clock = FixedClock(at("2026-11-16T07:30"))
    settings = Settings(db_url=db_url, users=parse_users(_demo_users(), "demo"), source="demo")
    service = Service.open(settings, clock=clock, calendar=BusinessCalendar.default(),
                           origin=process_origin(settings, "demo"))
    deployed = service.deploy(library_paths())
    say(f"Đã triển khai {len([d for d in deployed if d['kind'] != 'catalog'])} định nghĩa "
        f"({len(service.procedures())} thủ tục) từ thư viện quy trình.")

    actions: list[tuple[datetime, int, Story, str, dict | None]] = []
    for order, story in enumerate(STORIES):
        actions.append((at(story.received), order, story, "start", None))
        actions += [(at(t), order, story, element, data) for element, t, data in story.steps]
        if story.withdraw_at:
            actions.append((at(story.withdraw_at), order, story, "withdraw", None))
    actions.sort(key=lambda a: (a[0], a[1]))

    fired_total = 0
    hour = clock.now()
    for when, _, story, action, data in actions:
        # The worker would have ticked every hour in between; timers fire exactly when the clock passes them.
        while hour < when:
            hour = min(hour + timedelta(hours=1), when)
            clock.set(hour)
            result = service.fire_due_timers()
            fired_total += result["fired"]
            for e in result["events"]:
                if e["type"] == EventType.STEP_OVERDUE:
                    say(f"{hour:%H:%M %d/%m}  {e['case_id']}: bước «{e['name']}» quá hạn (hạn {_t(e['due_at'])}).")
                elif e["type"] == EventType.TIMER_FIRED and e["element_id"] == "Timer_apology":
                    say(f"{hour:%H:%M %d/%m}  {e['case_id']}: còn 1 ngày làm việc đến hạn — Lãnh đạo Sở cần gửi thư xin lỗi.")
        clock.set(when)
        if action == "start":
            view = service.start_case(story.code, applicant=story.applicant, received_at=when, data=story.start_data,
                                      actor="lan")
            story.case_id = view["case_id"]
            say(f"{when:%H:%M %d/%m}  {story.case_id}: tiếp nhận hồ sơ thủ tục {story.code} của {story.applicant}; "
                f"hẹn trả {_t(view['due_at'])}.")
            continue
        if action == "withdraw":
            service.withdraw(story.case_id, "Tổ chức có văn bản đề nghị rút hồ sơ.", actor="lan")
            say(f"{when:%H:%M %d/%m}  {story.case_id}: người nộp rút hồ sơ; lập thông báo dừng giải quyết (mẫu 05).")
            continue
        if action == SUPPLEMENT_ARRIVES:
            view = service.correlate(action.split(":", 1)[1], case_id=story.case_id, data=data, actor="lan")
            say(f"{when:%H:%M %d/%m}  {story.case_id}: hồ sơ bổ sung đến qua Cổng dịch vụ công "
                "(tthc correlate ho_so_bo_sung) — Bộ phận Một cửa kiểm tra.")
            _tell(say, when, story, view)
            continue
        unit = (data or {}).get("unit")  # a multi-instance step: the instance of that unit
        task = next(t for t in service.show_case(story.case_id)["tasks"] if t["element_id"] == action
                    and (unit is None or t["candidate_groups"] == [unit]))
        user = demo_data.DEMO_USER_OF_GROUP[unit or GROUP_OF_ELEMENT[action]]
        if unit:
            data = None
            left = len(service.show_case(story.case_id)["tasks"]) - 1
            say(f"{when:%H:%M %d/%m}  {story.case_id}: {GROUP_LABELS.get(unit, unit)} đã cho ý kiến "
                + (f"({left} đơn vị chưa trả lời)." if left else "(đã đủ ý kiến các đơn vị)."))
        view = service.complete_task(task["task_id"], _step_data(action, data, story, when), actor=user)
        _tell(say, when, story, view)
    cases = [service.show_case(s.case_id) | {"title": s.title} for s in STORIES]
    service.close()
    return {"db": db_url, "timers_fired": fired_total, "cases": cases}


def _tell(say: Callable[[str], None], when: datetime, story: Story, view: dict) -> None:
    """What a command did that an operator would want to hear about."""
    for e in view["events"]:
        if e["type"] == EventType.MESSAGE_AWAITED:
            say(f"{when:%H:%M %d/%m}  {story.case_id}: yêu cầu người nộp bổ sung hồ sơ (mẫu 02); chờ thông điệp "
                f"«{e['message']}» — thời hạn tạm dừng.")
        elif e["type"] == EventType.DEADLINE_RESTARTED:
            say(f"{when:%H:%M %d/%m}  {story.case_id}: nhận hồ sơ bổ sung — thời hạn tính lại từ đầu, hẹn trả mới "
                f"{_t(e['due_at'])}.")
        elif e["type"] == EventType.APOLOGY_ISSUED:
            say(f"{when:%H:%M %d/%m}  {story.case_id}: đã gửi thư xin lỗi (mẫu 04), hẹn lại {_t(e['new_due_at'])}.")
        elif e["type"] == EventType.CASE_ENDED:
            timing = TIMING_LABELS.get(view.get("timing") or "", "")
            say(f"{when:%H:%M %d/%m}  {story.case_id}: kết thúc — {OUTCOME_LABELS.get(e['outcome'], e['outcome'])}"
                + (f", {timing}." if timing else "."))


def _t(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(TZ).strftime("%H:%M %d/%m/%Y")
