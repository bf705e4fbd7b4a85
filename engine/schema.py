"""The database tables. Every time is stored in UTC and comes back timezone-aware."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, MetaData, Numeric, SmallInteger,
    String, Table, Text, UniqueConstraint,
)
from sqlalchemy.sql.expression import false
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # same zone as engine.calendar.TZ; kept here so the schema imports nothing else


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware datetimes out (local time zone), stored as naive UTC everywhere."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | str | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc).astimezone(TZ)


metadata = MetaData()

definitions = Table(
    "definitions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),  # bpmn | form | dmn
    Column("key", String(200), nullable=False),  # process id, form id, decision id
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("filename", String(400), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("name", Text),
    Column("meta", JSON, nullable=False, default=dict),
    Column("deployed_at", UtcDateTime, nullable=False),
    UniqueConstraint("kind", "key", "version", name="uq_definitions_version"),
    UniqueConstraint("kind", "key", "content_hash", name="uq_definitions_hash"),
)

procedures = Table(
    "procedures", metadata,
    Column("code", String(40), primary_key=True),
    Column("name", Text, nullable=False),
    Column("field", String(40), nullable=False),
    Column("field_name", Text),
    Column("process_id", String(200), nullable=False),
    Column("internal_procedure", String(40)),
    Column("total_working_days", Numeric(10, 4), nullable=False),
    Column("code_source", String(16), nullable=False, default="national"),
    Column("reception_decision", String(200)),
    Column("legal_basis", Text),
)

cases = Table(
    "cases", metadata,
    Column("id", String(40), primary_key=True),
    Column("procedure_code", String(40), nullable=False, index=True),
    Column("process_id", String(200), nullable=False),
    Column("definition_id", Integer, ForeignKey("definitions.id"), nullable=False),
    Column("status", String(24), nullable=False, index=True),  # active | completed | withdrawn
    Column("stage", String(40)),  # what the case waits for: processing | supplement_requested | ...
    Column("outcome", String(40)),  # granted | refused | refused_at_reception | supplement_at_reception
    Column("applicant_name", Text, nullable=False),
    Column("channel", String(16)),
    Column("received_at", UtcDateTime, nullable=False, index=True),
    Column("transferred_at", UtcDateTime),
    Column("due_at", UtcDateTime),
    Column("first_due_at", UtcDateTime),
    Column("apology_due_at", UtcDateTime),
    Column("resolved_at", UtcDateTime),
    Column("result_at", UtcDateTime),
    Column("ended_at", UtcDateTime, index=True),
    Column("timing", String(16)),  # early | on_time | late, judged when resolved
    Column("total_working_days", Numeric(10, 4)),
    Column("restarts", Integer, nullable=False, default=0),
    Column("supplement_rounds", Integer, nullable=False, default=0),
    Column("rework_rounds", Integer, nullable=False, default=0),
    Column("apologies", Integer, nullable=False, default=0),
    Column("policy", JSON, nullable=False),
    Column("state", Text, nullable=False),  # JSON text of the workflow instance (engine.state_codec)
    Column("version", Integer, nullable=False, default=1),
    Column("next_timer_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("event_seq", Integer, nullable=False, default=0),
    Column("event_hash", String(64), nullable=False, default=""),
    # Working minutes used and allotted, stored when the case is resolved (engine.reports.measures; revision 0002).
    Column("used_working_minutes", Integer),
    Column("allotted_working_minutes", Integer),
    # Message correlation (engine/usecases/correlate.py; revision 0005): the business key an outside system names
    # the case by, and the message names the case waits for (engine.dialect.messages.encode; NULL for none).
    Column("business_key", String(200)),
    Column("waiting_messages", Text),
    Column("waiting_signals", Text),  # the signal names it waits for (engine/usecases/signal.py)
    # A child case started by a call activity (engine/usecases/call.py; revision 0007): its calling case and the
    # call activity's task there (NULL for a dossier received at the desk).
    Column("parent_case_id", String(40)),
    Column("parent_task_id", String(36)),
    Index("ix_cases_parent", "parent_case_id", "parent_task_id"),
    Index("ix_cases_business_key", "business_key"),
    Index("ix_cases_next_timer", "next_timer_at"),
    # Covering indexes of the reports (engine.reports.queries; revision 0002): a procedure's cases of a period by
    # index range only.
    Index("ix_cases_report_received", "procedure_code", "received_at", "channel", "outcome"),
    Index("ix_cases_report_resolved", "procedure_code", "resolved_at", "timing", "outcome", "supplement_rounds",
          "used_working_minutes", "allotted_working_minutes", "received_at", "due_at"),
)

tasks = Table(
    "tasks", metadata,
    Column("id", String(36), primary_key=True),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    Column("element_id", String(200), nullable=False),
    Column("name", Text, nullable=False),
    Column("lane", Text),
    Column("lane_id", String(200)),
    Column("groups", Text, nullable=False, default=""),  # candidate groups, comma-separated
    Column("candidate_users", Text, nullable=False, default=""),
    Column("assignee", String(100)),
    Column("step", Integer),
    Column("allotted_working_days", Numeric(10, 4)),
    Column("status", String(16), nullable=False),  # open | completed | cancelled
    Column("created_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime),
    Column("completed_at", UtcDateTime),
    Column("completed_by", String(100)),
    Column("overdue", Boolean, nullable=False, default=False),
    Column("timing", String(16)),
    # Stored when the step is completed (engine.reports.measures; revision 0002).
    Column("used_working_minutes", Integer),
    Column("allotted_working_minutes", Integer),
    Column("restart_deadline", Boolean, nullable=False, default=False, server_default=false()),  # a supplement request
    Column("follow_up_at", UtcDateTime),  # camunda:followUpDate (revision 0006)
    Index("ix_tasks_status_lane", "status", "lane_id"),
    # Reports (revision 0002): steps closed after an instant, supplement requests.
    Index("ix_tasks_completed_at", "completed_at"),
    Index("ix_tasks_restart_created", "restart_deadline", "created_at"),
)

# Daily sums the reports read instead of millions of rows (engine.reports.scores; revision 0002), written when the
# figures become final: a step's when it is completed, a case's TT 01/2018 indicator 2 when it is resolved. `day` is
# the local date; a report period is made of whole local days. Each sum is spread over `shard` rows (revision 0009,
# engine.reports.daily.SHARDS, chosen by the case): one row per day, lane, officer and procedure made every completion
# by the same officer (an integration's token, say) wait for the one before it to commit; readers add the shards up.
step_days = Table(
    "step_days", metadata,
    Column("day", Date, primary_key=True),
    Column("lane_id", String(200), primary_key=True),  # '' for a step outside any lane
    Column("officer", String(100), primary_key=True),  # the user who completed the steps
    Column("procedure_code", String(40), primary_key=True),
    Column("shard", SmallInteger, primary_key=True, server_default="0"),
    Column("lane", Text),  # the lane's name
    Column("steps", Integer, nullable=False),  # steps with a time limit (judged)
    Column("early", Integer, nullable=False),
    Column("on_time", Integer, nullable=False),
    Column("late", Integer, nullable=False),
    Column("measured", Integer, nullable=False),  # steps with stored working minutes
    Column("used_minutes", Integer, nullable=False),
    Column("allotted_minutes", Integer, nullable=False),
    Column("late_minutes", Integer, nullable=False),  # working minutes beyond the allotment
)

unit_score_days = Table(
    "unit_score_days", metadata,
    Column("day", Date, primary_key=True),
    Column("kind", String(8), primary_key=True),  # lane | officer
    Column("key", String(200), primary_key=True),  # lane id or user id
    Column("procedure_code", String(40), primary_key=True),
    Column("shard", SmallInteger, primary_key=True, server_default="0"),
    Column("label", Text),  # the lane's name
    Column("pairs", Integer, nullable=False),  # (case, unit) pairs scored
    Column("scored_2", Integer, nullable=False),
    Column("scored_0", Integer, nullable=False),
)

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(40), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(100)),
    Column("element_id", String(200)),
    Column("payload", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # Where the command came from (engine.origin; revision 0003): {"channel", "account", "host"}; in the hash.
    Column("origin", JSON),
    UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),
    Index("ix_events_type_at", "type", "at"),
)

counters = Table(
    "counters", metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Integer, nullable=False),
)

# HTTP authentication (engine.auth; revision 0004): officers' password hashes (argon2id, never the password) and the
# API tokens of integrations (only a SHA-256 of the secret: a token is 256 random bits, so a slow hash adds nothing).
user_passwords = Table(
    "user_passwords", metadata,
    Column("user_id", String(100), primary_key=True),
    Column("hash", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", String(16), primary_key=True),
    Column("user_id", String(100), nullable=False, index=True),
    Column("secret_hash", String(64), nullable=False),
    Column("label", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)

# External tasks (Camunda 7's `camunda:type="external"`; revision 0006): the work items outside workers fetch and
# lock by topic, one row per ready external task, kept after completion. `retries` is None until a first failure (as
# in Camunda 7); at 0 the task carries an incident and is not fetched until an operator sets retries again.
timer_starts = Table(
    "timer_starts", metadata,  # one schedule per process with a timer start event: the latest version's
    Column("process_id", String(200), primary_key=True),
    Column("definition_id", Integer, ForeignKey("definitions.id"), nullable=False),
    Column("element_id", String(200), nullable=False),
    Column("next_fire_at", UtcDateTime, nullable=False, index=True),
    Column("remaining", Integer, nullable=False),  # cases still to start after the next one; -1 without end
    Column("started", Integer, nullable=False, default=0),
)

external_tasks = Table(
    "external_tasks", metadata,
    Column("id", String(36), primary_key=True),  # the workflow task id
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    Column("element_id", String(200), nullable=False),
    Column("name", Text, nullable=False),
    Column("topic", String(200), nullable=False),
    Column("status", String(16), nullable=False),  # open | completed | cancelled
    Column("worker_id", String(200)),
    Column("lock_expires_at", UtcDateTime),
    Column("retries", Integer),
    Column("error_message", Text),
    Column("error_details", Text),
    Column("incident", Boolean, nullable=False, default=False),
    Column("incident_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime),
    Index("ix_external_tasks_fetch", "status", "topic", "lock_expires_at"),
    Index("ix_external_tasks_incident", "incident", "status"),
)
