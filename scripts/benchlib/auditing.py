"""Replay and verify per case, with the engine's audit package (`engine.audit`): the hash chain check alone, the
replay alone, and `verify_case` (chain, then replay, compared with the stored rows), on completed QT01 cases."""

from __future__ import annotations

from engine.calendar import BusinessCalendar

from benchlib.case_paths import Engine
from benchlib.measure import heap_peak, peak_rss, summary, timed


def measure_audit(cases: int, directory: str | None = None) -> dict:
    try:
        from engine.audit.chain import check_chain
        from engine.audit.records import load_record
        from engine.audit.replay import replay_record
        from engine.audit.verify import verify_case
    except ImportError as exc:  # the audit package is built alongside; say so instead of guessing its API
        return {"missing": f"engine.audit chưa dùng được: {exc}"}
    engine = Engine.sqlite(directory)
    ids = []
    for _ in range(cases):
        engine.run()
        ids.append(engine.last_case)
    store, calendar = engine.service.store, BusinessCalendar.default()

    def chain(case_id: str) -> None:
        with store.transaction() as tx:
            record = load_record(tx, case_id)
            assert check_chain(record.case, record.events) is None

    def replay(case_id: str) -> None:
        with store.transaction() as tx:
            assert replay_record(tx, load_record(tx, case_id), calendar).ok

    def verify(case_id: str) -> None:
        assert verify_case(store, case_id, calendar).ok

    for case_id in ids[:2]:  # warm caches (parsed definitions) as a long-running verifier has them
        verify(case_id)
    result = {
        "cases": len(ids),
        "chain": summary([timed(lambda: chain(c)) for c in ids]),
        "replay": summary([timed(lambda: replay(c)) for c in ids]),
        "verify": summary([timed(lambda: verify(c)) for c in ids]),
        "verify_heap": heap_peak(lambda: verify(ids[0])),
    }
    engine.close()
    result["peak_rss"] = peak_rss()
    return result
