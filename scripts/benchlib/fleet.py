"""Many stored cases, fast: clone one case built through the service, with new ids, in bulk INSERTs.

Building 100,000 cases through `Service.start_case` would take longer than the measurement it serves. A clone is the
same case under a new case id: its row, its task rows and its events, with every SpiffWorkflow task id in the stored
state replaced by a fresh one (task ids are primary keys of `tasks` and the history names them), the case id replaced
inside the state and the payloads, and the hash chain recomputed (the hash covers the case id). A clone therefore
behaves exactly like its source when a timer fires or a step is completed, and `chain_is_intact` accepts its history.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Callable, Iterable, Mapping

from sqlalchemy import insert, select

from engine.history import GENESIS, event_hash
from engine.schema import cases, events, tasks
from engine.store import Store


def clone_id(source_id: str, index: int) -> str:
    return f"{source_id}-C{index:06d}"


class _Template:
    """A text cut at every task id and case id it contains, so each clone is one join instead of one regex pass."""

    def __init__(self, text: str, source_id: str, task_ids: list[str]) -> None:
        names = {tid: i for i, tid in enumerate(task_ids)}
        pattern = re.compile("|".join([re.escape(f'"{source_id}"')] + [re.escape(t) for t in task_ids]))
        self.parts: list[str] = []
        self.slots: list[int] = []  # -1: the case id (quoted), i: task id number i
        last = 0
        for match in pattern.finditer(text):
            self.parts.append(text[last:match.start()])
            self.slots.append(names.get(match.group(0), -1))
            last = match.end()
        self.parts.append(text[last:])

    def fill(self, case_id: str, new_task_ids: list[str]) -> str:
        quoted = f'"{case_id}"'
        out = [self.parts[0]]
        for slot, part in zip(self.slots, self.parts[1:]):
            out.append(quoted if slot < 0 else new_task_ids[slot])
            out.append(part)
        return "".join(out)


def _canonical_template(payload: Mapping, source_id: str, task_ids: list[str]) -> _Template:
    return _Template(json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False), source_id, task_ids)


def _digest(case_id: str, row: Mapping, payload_text: str, prev: str) -> str:
    # engine.history.event_hash written out for a payload that is already canonical JSON text: its `plain()` walk and
    # re-encoding are most of the cost of cloning 100,000 cases. `chain_is_intact` re-checks clones with event_hash.
    record = {"actor": row["actor"], "at": row["at"].isoformat(timespec="microseconds"), "case_id": case_id,
              "element_id": row["element_id"]}
    if row.get("origin") is not None:
        record["origin"] = row["origin"]  # sorts between element_id and payload, as in event_hash
    head = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)[:-1]
    tail = json.dumps({"prev_hash": prev, "seq": row["seq"], "type": row["type"]}, separators=(",", ":"),
                      ensure_ascii=False)[1:]
    return hashlib.sha256(f'{head},"payload":{payload_text},{tail}'.encode("utf-8")).hexdigest()


def clone_case(store: Store, source_id: str, count: int, *, start: int = 1, chunk: int = 1000,
               progress: Callable[[int], None] | None = None) -> list[str]:
    """Insert `count` copies of case `source_id` named `<source_id>-C000001` …; returns the new ids."""
    with store.transaction() as tx:
        case = tx.case(source_id)
        task_rows = tx.case_tasks(source_id)
        event_rows = tx.case_events(source_id)
    task_ids = sorted(json.loads(case["state"])["tasks"])
    slot_of = {tid: i for i, tid in enumerate(task_ids)}
    # Task ids of clones are UUID-shaped (the runtime parses them) and unique per (source, clone number, task).
    salt = hashlib.sha256(source_id.encode("utf-8")).hexdigest()[:12]
    state = _Template(case["state"], source_id, task_ids)
    payloads = [_canonical_template(e["payload"], source_id, task_ids) for e in event_rows]
    made: list[str] = []
    for first in range(start, start + count, chunk):
        case_rows, new_tasks, new_events = [], [], []
        for index in range(first, min(first + chunk, start + count)):
            new_id = clone_id(source_id, index)
            new_task_ids = [f"{index:08x}-{slot:04x}-4000-8000-{salt}" for slot in range(len(task_ids))]
            prev = GENESIS
            for row, template in zip(event_rows, payloads):
                text = template.fill(new_id, new_task_ids)
                payload = json.loads(text)
                digest = _digest(new_id, row, text, prev)
                new_events.append({k: v for k, v in row.items() if k != "id"} | {
                    "case_id": new_id, "payload": payload, "prev_hash": prev, "hash": digest})
                prev = digest
            new_tasks.extend({**t, "id": new_task_ids[slot_of[t["id"]]] if t["id"] in slot_of else t["id"],
                              "case_id": new_id} for t in task_rows)
            case_rows.append({**case, "id": new_id, "state": state.fill(new_id, new_task_ids),
                              "event_hash": prev if event_rows else case["event_hash"]})
            made.append(new_id)
        with store.transaction() as tx:
            tx.conn.execute(insert(cases), case_rows)
            if new_tasks:
                tx.conn.execute(insert(tasks), new_tasks)
            if new_events:
                tx.conn.execute(insert(events), new_events)
        if progress is not None:
            progress(len(made))
    return made


def chain_is_intact(case: Mapping, rows: Iterable[Mapping]) -> bool:
    """True when every event recomputes (engine.history.event_hash) to its stored hash, links to its predecessor, and
    the last one is the hash the case row remembers."""
    prev = GENESIS
    for expected_seq, row in enumerate(rows, start=1):
        if row["seq"] != expected_seq or row["prev_hash"] != prev:
            return False
        digest = event_hash(case["id"], row["seq"], row["type"], row["at"], row["actor"], row["element_id"],
                            row["payload"], prev, row.get("origin"))
        if digest != row["hash"]:
            return False
        prev = digest
    return prev == (case["event_hash"] or GENESIS)


def count_cases(store: Store) -> int:
    from sqlalchemy import func

    with store.transaction() as tx:
        return int(tx.conn.execute(select(func.count()).select_from(cases)).scalar())
