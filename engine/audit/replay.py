"""Replay: rebuild a case from its events alone and compare the result with what the database holds.

Order of steps:
1. find the definition the case started on (by the process id and content hash in `case_started`; stored
   definitions are kept forever, so a missing one is itself a finding);
2. cut the history into the commands that produced it: a run of events with the same time and actor is one
   transaction; inside it `case_started`, `task_completed`, `task_claimed`, `task_unclaimed`, `case_withdrawn`,
   `note_added` and `message_correlated` each mark one command (a `message_correlated` right after `case_started` is
   part of a start by message),
   and a run by the engine (actor None) is a timer tick;
3. apply each command to a NEW in-memory workflow with the clock set to the event's time, through the same public
   code the live engine runs (`engine.projection` for restarts, apologies, the end of the case and the case and task
   rows; `usecases.complete.validate_form` to give recorded form data back its types; `usecases.start` for the new
   case's row and first event) and save/restore the workflow between commands exactly as the live engine does. Only
   the edges differ: definitions come from the store in the version in force at each event, rows stay in memory;
4. compare every derived event with the stored one (task ids mapped by the order in which tasks were created), then
   the replayed case row, task rows and workflow state with the stored ones.

A change that bypassed the engine (an UPDATE of `cases` or `tasks`, an edited `state`) shows up in step 4; an edited
or deleted event shows up in step 4 too, and first of all in the hash chain (`engine.audit.chain`).

Decision tables and forms are taken in the version that was the newest when the event happened (by `deployed_at`;
the oldest version when the clock of the case ran before every deployment, as in tests and demos with `--now`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from engine.assignment import start_variables
from engine.audit.compare import Difference, normalized, same, shown
from engine.audit.records import CaseRecord, definition_by_hash, definition_versions, load_record, require_started
from engine.calendar import FixedClock
from engine.definitions import as_decimal, load_dmn_cached, load_form_cached
from engine.errors import EngineError, NotFound
from engine.history import EventType, plain
from engine.projection import project, withdrawal_events
from engine.runtime import Runtime, compile_bpmn
from engine.store import Tx
from engine.usecases.base import decider, follow
from engine.usecases.complete import task_error_events, task_escalation_events, validate_form
from engine.usecases.correlate import correlated_event
from engine.usecases.signal import received_event
from engine.usecases.start import case_row, started_event, workflow_start_data
from engine.calendar import BusinessCalendar

COMMAND_TYPES = (EventType.CASE_STARTED, EventType.TASK_COMPLETED, EventType.TASK_CLAIMED, EventType.TASK_UNCLAIMED,
                 EventType.CASE_WITHDRAWN, EventType.NOTE_ADDED, EventType.MESSAGE_CORRELATED,
                 EventType.SIGNAL_RECEIVED, EventType.TASK_BPMN_ERROR, EventType.TASK_ESCALATED)
# External tasks (engine.usecases.external): each of these events marks one command.
EXTERNAL_COMMANDS = (EventType.EXTERNAL_TASK_LOCKED, EventType.EXTERNAL_TASK_LOCK_EXTENDED,
                     EventType.EXTERNAL_TASK_UNLOCKED, EventType.EXTERNAL_TASK_COMPLETED,
                     EventType.EXTERNAL_TASK_FAILED, EventType.EXTERNAL_TASK_RETRIES_SET,
                     EventType.EXTERNAL_TASK_BPMN_ERROR)
COMMAND_TYPES = COMMAND_TYPES + EXTERNAL_COMMANDS + (EventType.CALL_ACTIVITY_COMPLETED,)  # a child case ended
# Events that create a task id replay maps to the stored one (a call activity's task id names its child case).
CREATING = (EventType.TASK_CREATED, EventType.EXTERNAL_TASK_CREATED, EventType.CALL_ACTIVITY_STARTED)
PARENT_LINK = ("parent_case_id", "parent_task_id", "parent_element_id")
# Columns compared are those both the stored row and the replayed one have, minus bookkeeping that differs by
# construction (versions, wall-clock `updated_at`, the serialized state compared separately, the chain pointer).
CASE_SKIP = frozenset({"id", "state", "version", "created_at", "updated_at", "event_seq", "event_hash", "policy"})
TASK_SKIP = frozenset({"id", "case_id"})
SNAPSHOT_CASE = (
    "status", "stage", "outcome", "received_at", "transferred_at", "due_at", "first_due_at", "apology_due_at",
    "resolved_at", "result_at", "ended_at", "timing", "restarts", "supplement_rounds", "rework_rounds", "apologies",
    "next_timer_at",
)
SNAPSHOT_TASK = ("id", "element_id", "name", "lane", "step", "status", "assignee", "created_at", "due_at",
                 "completed_at", "completed_by", "overdue", "timing")
# Parts of the recorded calendar policy that change when calendar data is updated without changing this case's
# deadlines; a different fingerprint is reported as a warning, the recomputed due times decide.
VOLATILE_POLICY = ("fingerprint", "known_years", "provisional_years", "calendar_data_version")
MAX_TICKS_PER_RUN = 5


@dataclass
class ReplayResult:
    case_id: str
    commands: int = 0
    differences: list[Difference] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    state: dict | None = None  # the case at `until` (or at the end)
    until: datetime | None = None
    stopped_at: int | None = None  # seq of the event replay could not get past

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict:
        return {
            "case_id": self.case_id, "ok": self.ok, "commands": self.commands,
            "differences": [d.to_dict() for d in self.differences], "warnings": self.warnings,
            "stopped_at": self.stopped_at, "until": plain(self.until), "state": plain(self.state),
        }


class _Stop(Exception):
    """Replay cannot go on (a command the rebuilt workflow refuses); the difference is already recorded."""


class _Definitions:
    """Forms and decision tables in the version that was the newest at the replay clock (the oldest when the clock
    runs before every deployment), read once per kind and key."""

    def __init__(self, tx: Tx, clock: FixedClock) -> None:
        self._tx = tx
        self._clock = clock
        self._versions: dict[tuple[str, str], list[dict]] = {}

    def latest(self, kind: str, key: str) -> tuple[dict | None, Any]:
        versions = self._versions.get((kind, key))
        if versions is None:
            versions = self._versions[(kind, key)] = definition_versions(self._tx, kind, key)
        if not versions:
            return None, None
        now = self._clock.now()
        deployed = [v for v in versions if v["deployed_at"] <= now]
        row = deployed[-1] if deployed else versions[0]
        return row, (load_form_cached if kind == "form" else load_dmn_cached)(row["content"], row["filename"])


def replay_case(tx: Tx, case_id: str, calendar: BusinessCalendar, *, until: datetime | None = None) -> ReplayResult:
    return replay_record(tx, load_record(tx, case_id), calendar, until=until)


def replay_record(tx: Tx, record: CaseRecord, calendar: BusinessCalendar, *, until: datetime | None = None) -> ReplayResult:
    return _Replay(tx, record, calendar, until).run()


def _starting_message(run: list[dict], event: dict) -> bool:
    """The `message_correlated` that follows `case_started` in a case started by a message: part of the start."""
    return (event["type"] == EventType.MESSAGE_CORRELATED and run[0]["type"] == EventType.CASE_STARTED
            and event["seq"] == run[0]["seq"] + 1)


def command_runs(events: list[dict]) -> list[list[dict]]:
    """Consecutive events with the same time and actor: what one transaction appended."""
    runs: list[list[dict]] = []
    for event in events:
        if runs and event["type"] != EventType.CASE_STARTED and event["at"] == runs[-1][-1]["at"] \
                and event["actor"] == runs[-1][-1]["actor"]:
            runs[-1].append(event)
        else:
            runs.append([event])
    return runs


class _Replay:
    def __init__(self, tx: Tx, record: CaseRecord, calendar, until: datetime | None) -> None:
        self.record = record
        self.calendar = calendar
        self.until = until
        started = require_started(record)
        self.clock = FixedClock(started["at"])
        self.definitions = _Definitions(tx, self.clock)
        self.runtime = Runtime(self.clock, calendar, decider(self.definitions.latest))
        self.tasks: dict[str, dict] = {}  # the task rows, by replayed task id
        self.external: dict[str, dict] = {}  # the external task rows, by replayed task id
        self.result = ReplayResult(record.case_id, until=until)
        self.to_stored: dict[str, str] = {}  # replayed task id -> stored task id
        self.to_replayed: dict[str, str] = {}
        self.case: dict = {}
        self.workflow = None
        self.compiled = self._definition(tx, started)

    # --- setting up ------------------------------------------------------------------------------------------
    def _definition(self, tx: Tx, started: Mapping[str, Any]):
        payload = started["payload"]
        process_id, digest = payload.get("process_id"), payload.get("definition_hash")
        row = definition_by_hash(tx, "bpmn", process_id, digest) if process_id and digest else None
        if row is None:
            raise NotFound(
                f"Không phát lại được hồ sơ '{self.record.case_id}': phiên bản {payload.get('definition_version')} "
                f"của quy trình '{process_id}' (băm {str(digest)[:12]}) không còn trong cơ sở dữ liệu.",
                case=self.record.case_id, process=process_id, version=payload.get("definition_version"))
        self.definition = row
        return compile_bpmn(row["content"], row["filename"])

    # --- the walk --------------------------------------------------------------------------------------------
    def run(self) -> ReplayResult:
        try:
            for run in command_runs(self.record.events):
                self._replay_run(run)
                if self.until is None or run[0]["at"] <= self.until:
                    self.result.state = self._snapshot(run[0]["at"])
        except _Stop:
            return self.result
        self._compare_rows()
        self._compare_external()
        self._compare_workflow()
        return self.result

    def _replay_run(self, run: list[dict]) -> None:
        at = run[0]["at"]
        self.clock.set(at)
        self._current_seq = run[0]["seq"]
        actor = run[0]["actor"]
        position = 0
        if actor is None and run[0]["type"] != EventType.CASE_STARTED:  # the system's start is a timer start's
            for _ in range(MAX_TICKS_PER_RUN):
                produced = self._command(lambda: self._tick())
                position = self._match(run, position, produced)
                if position >= len(run) or not produced:
                    break
        else:
            for command in (e for e in run if e["type"] in COMMAND_TYPES and not _starting_message(run, e)):
                produced = self._command(lambda c=command: self._apply(c, actor))
                position = self._match(run, position, produced)
        for extra in run[position:]:
            self._differ("event", "type", extra["type"], None,
                         f"Sự kiện số {extra['seq']} ({extra['type']}) có trong lịch sử nhưng phát lại không sinh ra.",
                         extra["seq"])

    def _command(self, action) -> list[dict]:
        try:
            events = action()
        except EngineError as err:
            seq = self._current_seq
            self.result.stopped_at = seq
            self._differ("command", "command", None, err.code,
                         f"Không phát lại được lệnh ở sự kiện số {seq}: {err.message}", seq)
            raise _Stop from err
        self.result.commands += 1
        # Saved and restored between commands as the live engine does, so replay runs on the same restored state.
        self.workflow = self.runtime.restore(self.compiled, self.runtime.dump(self.workflow))
        return events

    def _apply(self, event: dict, actor: str) -> list[dict]:
        self._current_seq = event["seq"]
        kind = event["type"]
        if kind == EventType.CASE_STARTED:
            return self._start(event)
        if kind == EventType.TASK_COMPLETED:
            return self._complete(event, actor)
        if kind == EventType.CASE_WITHDRAWN:
            return self._withdraw(event, actor)
        if kind in (EventType.TASK_CLAIMED, EventType.TASK_UNCLAIMED):
            return self._assign(event, actor)
        if kind == EventType.MESSAGE_CORRELATED:
            return self._correlate(event, actor)
        if kind == EventType.SIGNAL_RECEIVED:
            return self._signal(event, actor)
        if kind in (EventType.TASK_BPMN_ERROR, EventType.TASK_ESCALATED):
            return self._task_error(event, actor)
        if kind in EXTERNAL_COMMANDS:
            return self._external(event, actor)
        if kind == EventType.CALL_ACTIVITY_COMPLETED:
            return self._call_completed(event, actor)
        return self._note(event)

    def _call_completed(self, event: dict, actor: str) -> list[dict]:
        """A child case ended: its recorded out variables (or error) applied to the call activity, as live."""
        from engine.usecases.call import apply_completion, completed_event

        p = event["payload"]
        task_id = self.to_replayed.get(p.get("task_id"))
        if task_id is None or self.runtime.ready_call(self.workflow, task_id) is None:
            self._differ("event", "task_id", p.get("task_id"), None,
                         f"Sự kiện số {event['seq']} kết thúc bước gọi quy trình '{p.get('task_id')}' mà phát lại "
                         "không có bước đó đang chờ.", event["seq"])
            self.result.stopped_at = event["seq"]
            raise _Stop
        error = (p["error_code"], p.get("error_message")) if p.get("error_code") is not None else None
        made = completed_event(event["element_id"], task_id, p.get("child_case_id"), p.get("data") or {}, error)
        derived = apply_completion(self.runtime, self.workflow, made)
        return self._commit([made] + self._follow(derived, self.clock.now()), actor, self.clock.now())

    # --- the commands, as the service runs them --------------------------------------------------------------
    def _start(self, event: dict) -> list[dict]:
        p = event["payload"]
        now = self.clock.now()
        extra = dict(p.get("data") or {})
        policy = self.calendar.policy()
        self.case = case_row(self.record.case_id, p["procedure_code"], self.compiled, self.definition,
                             applicant=p["applicant_name"], received=datetime.fromisoformat(p["received_at"]),
                             total=as_decimal(p.get("total_working_days")), extra=extra, calendar=self.calendar,
                             calendar_policy=policy)
        initiator = start_variables(self.compiled.spec, event["actor"])  # camunda:initiator, as the live start sets it
        self.workflow, derived = self.runtime.start(self.compiled,
                                                    workflow_start_data(self.case, {**extra, **initiator}, self.calendar))
        message = self._start_message(event)
        if message is not None:  # started by a message: delivered as the live start delivers it
            subscription = self.runtime.message_subscriptions(self.workflow, message["payload"].get("message"))
            if not subscription:
                self._differ("event", "message", message["payload"].get("message"), None,
                             f"Sự kiện số {message['seq']}: quy trình không bắt đầu bằng thông điệp "
                             f"'{message['payload'].get('message')}'.", message["seq"])
                self.result.stopped_at = message["seq"]
                raise _Stop
            derived += self.runtime.correlate(self.workflow, subscription[0], message["payload"].get("message"),
                                              message["payload"].get("data") or {})
        recorded = p.get("calendar_policy") or {}
        if recorded.get("fingerprint") != policy.get("fingerprint"):
            self.result.warnings.append(
                f"Lịch làm việc hiện tại (dấu {policy.get('fingerprint')}) khác lịch đã áp dụng khi tiếp nhận hồ sơ "
                f"(dấu {recorded.get('fingerprint')}); phát lại dùng lịch hiện tại và so sánh các thời hạn tính ra.")
        events = [started_event(self.case, self.definition, policy, extra)]
        # A child case (engine/usecases/call.py) names its calling case: recorded, checked against the stored row.
        events[0].update({k: p[k] for k in PARENT_LINK if k in p})
        self.case.update({k: p[k] for k in PARENT_LINK[:2] if k in p})
        if message is not None:
            p2 = message["payload"]
            events.append(correlated_event(p2.get("message"), message["element_id"], p2.get("data") or {},
                                           p2.get("business_key")))
        events += self._follow(derived, now)
        return self._commit(events, event["actor"], now)

    def _start_message(self, started: dict) -> dict | None:
        """The `message_correlated` right after `case_started`, when the case was started by a message."""
        following = next((e for e in self.record.events if e["seq"] == started["seq"] + 1), None)
        if following is not None and following["type"] == EventType.MESSAGE_CORRELATED \
                and following["at"] == started["at"] and following["actor"] == started["actor"]:
            return following
        return None

    def _signal(self, event: dict, actor: str) -> list[dict]:
        """A signal delivered to every element of the case waiting for it, with the variables it recorded."""
        p = event["payload"]
        now = self.clock.now()
        elements = [t.task_spec.bpmn_id for t in self.runtime.signal_subscriptions(self.workflow, p.get("signal"))]
        data = p.get("data") or {}
        derived = self.runtime.signal(self.workflow, p.get("signal"), data)
        received = received_event(p.get("signal"), elements, data, p.get("thrown_by"))  # as the broadcast recorded it
        return self._commit([received] + self._follow(derived, now), actor, now)

    def _correlate(self, event: dict, actor: str) -> list[dict]:
        """A message delivered to the element the history names, with the variables it recorded."""
        p = event["payload"]
        waiting = [t for t in self.runtime.message_subscriptions(self.workflow, p.get("message"))
                   if t.task_spec.bpmn_id == event["element_id"]]
        if not waiting:
            self._differ("event", "element_id", event["element_id"], None,
                         f"Sự kiện số {event['seq']}: phát lại không có '{event['element_id']}' đang chờ thông điệp "
                         f"'{p.get('message')}'.", event["seq"])
            self.result.stopped_at = event["seq"]
            raise _Stop
        now = self.clock.now()
        data = p.get("data") or {}
        derived = self.runtime.correlate(self.workflow, waiting[0], p.get("message"), data)
        events = [correlated_event(p.get("message"), event["element_id"], data, p.get("business_key"))]
        return self._commit(self._follow(events + derived, now), actor, now)  # as correlate_message runs it

    def _complete(self, event: dict, actor: str) -> list[dict]:
        p = event["payload"]
        task_id = self.to_replayed.get(p.get("task_id"))
        if task_id is None:
            self._differ("event", "task_id", p.get("task_id"), None,
                         f"Sự kiện số {event['seq']} hoàn thành bước '{p.get('task_id')}' mà phát lại chưa hề tạo ra.",
                         event["seq"])
            self.result.stopped_at = event["seq"]
            raise _Stop
        now = self.clock.now()
        values = validate_form(self.compiled, self.tasks[task_id], dict(p.get("data") or {}), today=now.date(),
                               latest=self.definitions.latest, recorded=True)
        derived = self.runtime.complete(self.workflow, task_id, values)
        return self._commit(self._follow(derived, now), actor, now)

    def _task_error(self, event: dict, actor: str) -> list[dict]:
        """An officer's business error or escalation on a step, with what the history recorded."""
        p = event["payload"]
        task_id = self.to_replayed.get(p.get("task_id"))
        if task_id is None:
            self._differ("event", "task_id", p.get("task_id"), None,
                         f"Sự kiện số {event['seq']} báo lỗi ở bước '{p.get('task_id')}' mà phát lại chưa hề tạo ra.",
                         event["seq"])
            self.result.stopped_at = event["seq"]
            raise _Stop
        data = dict(p.get("data") or {})
        if event["type"] == EventType.TASK_ESCALATED:
            derived = task_escalation_events(self.runtime, self.workflow, self.tasks[task_id], p.get("code"), data)
        else:
            derived = task_error_events(self.runtime, self.workflow, self.tasks[task_id], p.get("code"),
                                        p.get("message"), data)
        return self._commit(self._follow(derived, self.clock.now()), actor, self.clock.now())

    def _tick(self) -> list[dict]:
        now = self.clock.now()
        events = self._follow(self.runtime.fire_timers(self.workflow), now)
        return self._commit(events, None, now) if events else []

    def _withdraw(self, event: dict, actor: str) -> list[dict]:
        events = withdrawal_events(event["payload"].get("reason"), self.runtime.cancel(self.workflow))
        return self._commit(events, actor, self.clock.now())

    def _assign(self, event: dict, actor: str) -> list[dict]:
        """A claim or unclaim: the task row's assignee changes, the workflow does not. Who may claim is the rule of
        the day it happened (engine.assignment); the replay checks that the claimed step existed and was open."""
        p = event["payload"]
        task_id = self.to_replayed.get(p.get("task_id"))
        row = self.tasks.get(task_id) if task_id else None
        if row is None or row["status"] != "open":
            self._differ("event", "task_id", p.get("task_id"), None,
                         f"Sự kiện số {event['seq']} ({event['type']}) nói về bước '{p.get('task_id')}' mà phát lại "
                         "không có bước đó đang chờ xử lý.", event["seq"])
            self.result.stopped_at = event["seq"]
            raise _Stop
        base = {"element_id": row["element_id"], "task_id": task_id, "name": row["name"]}
        if event["type"] == EventType.TASK_CLAIMED:
            made = {"type": EventType.TASK_CLAIMED, **base, "assignee": actor}
        else:
            made = {"type": EventType.TASK_UNCLAIMED, **base, "previous_assignee": row["assignee"]}
        return self._commit([made], actor, self.clock.now())

    def _external(self, event: dict, actor: str) -> list[dict]:
        """An external task command, rebuilt through the same functions the live use case runs
        (engine.usecases.external) from the replayed row and the recorded worker's answer."""
        from datetime import timedelta

        from engine.usecases import external

        p, kind = event["payload"], event["type"]
        task_id = self.to_replayed.get(p.get("task_id"))
        row = self.external.get(task_id) if task_id else None
        now = self.clock.now()
        if row is None or row["status"] != "open" or (kind == EventType.EXTERNAL_TASK_LOCKED
                                                       and not external.fetchable(row, now)):
            self._differ("event", "task_id", p.get("task_id"), None,
                         f"Sự kiện số {event['seq']} ({kind}) nói về tác vụ ngoài '{p.get('task_id')}' mà phát lại "
                         "không có tác vụ đó ở trạng thái cho phép.", event["seq"])
            self.result.stopped_at = event["seq"]
            raise _Stop
        if kind == EventType.EXTERNAL_TASK_COMPLETED:
            derived = external.completion_events(self.runtime, self.workflow, task_id, dict(p.get("data") or {}),
                                                 p.get("worker_id"))
            return self._commit(self._follow(derived, now), actor, now)
        if kind == EventType.EXTERNAL_TASK_BPMN_ERROR:
            derived = external.bpmn_error_events(self.runtime, self.workflow, row, p.get("code"), p.get("message"),
                                                 dict(p.get("data") or {}), p.get("worker_id"))
            return self._commit(self._follow(derived, now), actor, now)
        if kind == EventType.EXTERNAL_TASK_LOCKED:
            events = [external.locked_event(row, p.get("worker_id"), timedelta(milliseconds=p["lock_duration_ms"]), now)]
        elif kind == EventType.EXTERNAL_TASK_LOCK_EXTENDED:
            made = external.locked_event(row, p.get("worker_id"), timedelta(milliseconds=p["lock_duration_ms"]), now)
            made.pop("topic")
            events = [{**made, "type": kind}]
        elif kind == EventType.EXTERNAL_TASK_UNLOCKED:
            events = [{"type": kind, "element_id": row["element_id"], "task_id": task_id,
                       "previous_worker_id": row["worker_id"]}]
        elif kind == EventType.EXTERNAL_TASK_FAILED:
            events = external.failure_events(self.compiled, row, now, message=p.get("error_message"),
                                             details=p.get("error_details"), retries=p.get("retries"),
                                             timeout=timedelta(milliseconds=p.get("retry_timeout_ms") or 0),
                                             worker_id=p.get("worker_id"))
        else:
            events = external.retries_events(row, p.get("retries"))
        return self._commit(events, actor, now)

    def _note(self, event: dict) -> list[dict]:
        return [{"type": EventType.NOTE_ADDED, "text": event["payload"].get("text")}]

    def _follow(self, derived: list[dict], now: datetime) -> list[dict]:
        return follow(self.runtime, self.workflow, self.case, derived, now=now, calendar=self.calendar,
                      definition=self.compiled)

    def _commit(self, events: list[dict], actor: str | None, now: datetime) -> list[dict]:
        """What the live commit does to the rows, in memory."""
        projected = project(self.case, events, actor=actor, now=now, calendar=self.calendar,
                            policy=self.compiled.policy, tasks=self.tasks)
        for task_id, values in projected.task_updates:
            self.tasks[task_id].update(values)
        for row in projected.new_tasks:
            self.tasks[row["id"]] = row
        for row in projected.new_external:
            self.external[row["id"]] = row
        for task_id, values in projected.external_updates:
            self.external[task_id].update(values)
        self.case["next_timer_at"] = self.runtime.next_timer_at(self.workflow) if self.case["status"] == "active" else None
        self.case["waiting_messages"] = (self.runtime.waiting_messages(self.workflow)
                                         if self.case["status"] == "active" else None)
        self.case["waiting_signals"] = (self.runtime.waiting_signals(self.workflow)
                                        if self.case["status"] == "active" else None)
        return events

    # --- comparing -------------------------------------------------------------------------------------------
    @property
    def _current_seq(self) -> int:
        return getattr(self, "_seq", 0)

    @_current_seq.setter
    def _current_seq(self, value: int) -> None:
        self._seq = value

    def _match(self, run: list[dict], position: int, produced: list[dict]) -> int:
        for made in produced:
            if position >= len(run):
                self._differ("history", "type", None, made["type"],
                             f"Phát lại sinh thêm sự kiện {made['type']} ({made.get('element_id') or '—'}) lúc "
                             f"{plain(self.clock.now())} mà lịch sử không có.")
                continue
            self._compare_event(run[position], made)
            position += 1
        return position

    def _compare_event(self, stored: dict, made: dict) -> None:
        where = "event"
        self._current_seq = stored["seq"]
        if stored["type"] != made["type"] or stored["element_id"] != made.get("element_id"):
            self._differ(where, "type", [stored["type"], stored["element_id"]], [made["type"], made.get("element_id")],
                         f"Sự kiện số {stored['seq']} là {stored['type']} ({stored['element_id'] or '—'}) nhưng phát "
                         f"lại sinh ra {made['type']} ({made.get('element_id') or '—'}).", stored["seq"])
            return
        payload = plain({k: v for k, v in made.items() if k not in ("type", "element_id", "at")})
        if made["type"] in CREATING and payload.get("task_id") not in self.to_stored:
            stored_id = stored["payload"].get("task_id")
            self.to_stored[payload["task_id"]] = stored_id
            self.to_replayed[stored_id] = payload["task_id"]
        if "task_id" in payload and payload["task_id"] is not None:
            payload["task_id"] = self.to_stored.get(payload["task_id"], payload["task_id"])
        recorded = dict(stored["payload"])
        if made["type"] == EventType.CASE_STARTED:
            for part in (recorded, payload):
                part["calendar_policy"] = {k: v for k, v in (part.get("calendar_policy") or {}).items()
                                           if k not in VOLATILE_POLICY}
        for key in sorted(set(recorded) | set(payload)):
            if not same(recorded.get(key), payload.get(key)) or ((key in recorded) != (key in payload)):
                self._differ(where, key, recorded.get(key), payload.get(key),
                             f"Sự kiện số {stored['seq']} ({stored['type']}): '{key}' đã lưu là "
                             f"{shown(recorded.get(key))}, phát lại ra {shown(payload.get(key))}.", stored["seq"])

    def _compare_rows(self) -> None:
        stored_case = self.record.case
        for name in sorted((set(stored_case) & set(self.case)) - CASE_SKIP):
            if not same(stored_case.get(name), self.case.get(name)):
                self._differ("case", name, stored_case.get(name), self.case.get(name),
                             f"Hồ sơ '{self.record.case_id}': cột '{name}' đang lưu {shown(stored_case.get(name))} "
                             f"nhưng lịch sử cho ra {shown(self.case.get(name))}.")
        stored_tasks = {t["id"]: t for t in self.record.tasks}
        replayed = {self.to_stored.get(tid, tid): row for tid, row in self.tasks.items()}
        for task_id in sorted(set(stored_tasks) | set(replayed)):
            mine, theirs = replayed.get(task_id), stored_tasks.get(task_id)
            if theirs is None or mine is None:
                self._differ("task", "id", task_id if theirs else None, task_id if mine else None,
                             f"Bước '{task_id}' {'không có trong bảng bước' if theirs is None else 'không do lịch sử tạo ra'}.",
                             task_id=task_id)
                continue
            for name in sorted((set(theirs) & set(mine)) - TASK_SKIP):
                if not same(theirs.get(name), mine.get(name)):
                    self._differ("task", name, theirs.get(name), mine.get(name),
                                 f"Bước '{theirs['element_id']}' ({task_id[:8]}): cột '{name}' đang lưu "
                                 f"{shown(theirs.get(name))} nhưng lịch sử cho ra {shown(mine.get(name))}.", task_id=task_id)

    def _compare_external(self) -> None:
        stored = {t["id"]: t for t in self.record.external_tasks}
        replayed = {self.to_stored.get(tid, tid): row for tid, row in self.external.items()}
        for task_id in sorted(set(stored) | set(replayed)):
            mine, theirs = replayed.get(task_id), stored.get(task_id)
            if theirs is None or mine is None:
                self._differ("external_task", "id", task_id if theirs else None, task_id if mine else None,
                             f"Tác vụ ngoài '{task_id}' {'không có trong bảng' if theirs is None else 'không do lịch sử tạo ra'}.",
                             task_id=task_id)
                continue
            for name in sorted((set(theirs) & set(mine)) - TASK_SKIP):
                if not same(theirs.get(name), mine.get(name)):
                    self._differ("external_task", name, theirs.get(name), mine.get(name),
                                 f"Tác vụ ngoài '{theirs['element_id']}' ({task_id[:8]}): cột '{name}' đang lưu "
                                 f"{shown(theirs.get(name))} nhưng lịch sử cho ra {shown(mine.get(name))}.",
                                 task_id=task_id)

    def _compare_workflow(self) -> None:
        try:
            stored = self.runtime.restore(self.compiled, self.record.case["state"])
        except (ValueError, KeyError, TypeError) as exc:
            self._differ("state", "state", None, None,
                         f"Hồ sơ '{self.record.case_id}': trạng thái quy trình đã lưu không đọc được ({exc}).")
            return
        mine = self._workflow_view(self.workflow, translate=True)
        theirs = self._workflow_view(stored, translate=False)
        for name in ("open_tasks", "next_timer_at", "data"):
            if not same(theirs[name], mine[name]):
                self._differ("state", name, theirs[name], mine[name],
                             f"Hồ sơ '{self.record.case_id}': trạng thái quy trình đã lưu khác kết quả phát lại "
                             f"ở '{name}' ({shown(theirs[name])} so với {shown(mine[name])}).")

    def _workflow_view(self, workflow, *, translate: bool) -> dict:
        def tid(value: str) -> str:
            return self.to_stored.get(value, value) if translate else value

        return {
            "open_tasks": sorted(([tid(t.task_id), t.element_id, t.due_at] for t in self.runtime.open_tasks(workflow)),
                                 key=lambda x: (x[1], x[0])),
            "next_timer_at": self.runtime.next_timer_at(workflow),
            "data": normalized(plain(self.runtime.final_data(workflow))),
        }

    def _snapshot(self, at: datetime) -> dict:
        tasks = [dict(row, id=self.to_stored.get(tid, tid)) for tid, row in self.tasks.items()]
        return {
            "at": at,
            "case": {name: self.case.get(name) for name in SNAPSHOT_CASE},
            "open_tasks": [{k: t.get(k) for k in ("id", "element_id", "name", "lane", "due_at", "created_at")}
                           for t in tasks if t["status"] == "open"],
            "tasks": [{k: t.get(k) for k in SNAPSHOT_TASK} for t in tasks],
        }

    def _differ(self, where: str, name: str, stored: Any, replayed: Any, message: str, seq: int | None = None, *,
                task_id: str | None = None) -> None:
        self.result.differences.append(Difference(where, name, stored, replayed, message, seq, task_id))
