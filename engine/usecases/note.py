"""add_note: an officer's note (the cause of a delay, a call with the applicant) in the case's history.

Order of steps: the text normalised, not empty; in one transaction: the case, locked; `now` read once; the event
chained after the history head; the case row's head and version moved; the event inserted.
"""

from __future__ import annotations

from engine.errors import InvalidInput
from engine.history import EventType
from engine.usecases import base


def add_note(ctx: base.Context, case_id: str, text: str, *, actor: str | None) -> dict:
    user = ctx.user(actor)
    text = base.nfc_text(text)
    if not text:
        raise InvalidInput("Nội dung ghi chú trống.")
    with ctx.store.transaction() as tx:
        case = tx.case(case_id, lock=True)
        now = ctx.clock.now()
        rows, seq, digest = tx.chain_events(case_id, case["event_seq"], case["event_hash"],
                                            [{"type": EventType.NOTE_ADDED, "text": text}], user.id, now,
                                            ctx.origin_record)
        tx.save_case(case_id, case["version"], {"event_seq": seq, "event_hash": digest, "updated_at": now})
        tx.insert_events(rows)
        return {"case_id": case_id, "seq": seq, "text": text}
