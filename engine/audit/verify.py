"""`tthc verify`: for each case, the hash chain first, then a replay; a verdict per case, streamed for `--all`.

A broken chain is reported without replaying (replaying edited events would only add noise to the first fact an
auditor needs: which event is bad). A case whose definition version is gone cannot be replayed and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

from engine.audit.chain import check_chain
from engine.audit.compare import Difference
from engine.audit.records import iter_case_ids, load_record
from engine.audit.replay import replay_record
from engine.errors import NotFound
from engine.store import Store
from engine.calendar import BusinessCalendar


@dataclass
class Verdict:
    case_id: str
    ok: bool
    check: str | None = None  # chain | definition | replay: what failed first
    seq: int | None = None  # the first bad event, when one is known
    reason: str | None = None  # stable token
    message: str | None = None  # one Vietnamese sentence
    differences: list[Difference] = field(default_factory=list)

    def to_dict(self) -> dict:
        doc = {"case_id": self.case_id, "ok": self.ok}
        if not self.ok:
            doc.update(check=self.check, seq=self.seq, reason=self.reason, message=self.message,
                       differences=[d.to_dict() for d in self.differences])
        return doc


def verify_case(store: Store, case_id: str, calendar: BusinessCalendar) -> Verdict:
    with store.transaction() as tx:
        record = load_record(tx, case_id)
        broken = check_chain(record.case, record.events)
        if broken is not None:
            return Verdict(case_id, False, "chain", broken.seq, broken.reason, broken.message)
        try:
            result = replay_record(tx, record, calendar)
        except NotFound as err:
            return Verdict(case_id, False, "definition", 1, "definition_missing", err.message)
    if result.ok:
        return Verdict(case_id, True)
    first = result.differences[0]
    seq = result.stopped_at or next((d.seq for d in result.differences if d.seq is not None), None)
    return Verdict(case_id, False, "replay", seq, "replay_differs",
                   f"Hồ sơ '{case_id}': phát lại từ lịch sử khác dữ liệu đang lưu ({len(result.differences)} khác biệt); "
                   f"đầu tiên: {first.message}", result.differences)


def verify_all(store: Store, calendar: BusinessCalendar, on_case: Callable[[str], None] | None = None) -> Iterator[Verdict]:
    """A verdict for every case, in id order, one short read transaction per case."""
    for case_id in iter_case_ids(store):
        if on_case is not None:
            on_case(case_id)
        yield verify_case(store, case_id, calendar)
