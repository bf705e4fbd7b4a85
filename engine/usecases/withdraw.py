"""withdraw: the applicant withdraws the dossier before a result exists (Article 21, Decree 118/2025).

Order of steps: a reason is required and the officer must belong to reception; in one transaction: the case, locked;
it must be active and without a result (`result_at`, set when the step with `role=result` completes); `now` read
once; the workflow cancelled; the withdrawal events (request, cancelled steps, end); the commit; the case view.
"""

from __future__ import annotations

from engine.errors import Conflict, InvalidInput
from engine.history import plain
from engine.projection import withdrawal_events
from engine.usecases import base
from engine.usecases.read import case_view


def withdraw(ctx: base.Context, case_id: str, reason: str, *, actor: str | None) -> dict:
    user = ctx.user(actor)
    reason = base.nfc_text(reason)
    if not reason:
        raise InvalidInput("Cần ghi lý do rút hồ sơ (--reason).")
    if "reception" not in user.groups:
        raise Conflict(f"Người dùng '{user.id}' không thuộc Bộ phận Một cửa nên không nhận yêu cầu rút hồ sơ.",
                       user=user.id)
    with ctx.store.transaction() as tx:
        case = tx.case(case_id, lock=True)
        if case["status"] != "active":
            raise Conflict(f"Hồ sơ '{case_id}' đã kết thúc ({case['status']}); không rút được.", case=case_id)
        if case.get("parent_case_id"):  # a child case (engine/usecases/call.py) ends with its caller's call activity
            raise Conflict(f"Hồ sơ '{case_id}' là hồ sơ con của hồ sơ '{case['parent_case_id']}' (bước gọi quy trình); "
                           "hãy rút hồ sơ cha.", case=case_id, parent_case_id=case["parent_case_id"])
        if case["result_at"] is not None:
            raise Conflict(
                f"Hồ sơ '{case_id}' đã có kết quả giải quyết nên không thể rút (theo Điều 21 Nghị định 118/2025).",
                case=case_id)
        now = ctx.clock.now()
        definition = base.compiled(ctx, tx, case["definition_id"])
        runtime = base.runtime_at(ctx, tx, now)
        workflow = base.workflow_of(ctx, tx, runtime, definition, case)
        events = withdrawal_events(reason, runtime.cancel(workflow))
        base.commit(ctx, tx, runtime, workflow, case, events, definition=definition, actor=user.id, now=now)
        base.keep(ctx, tx, case, workflow)
        view = case_view(tx, case, now)
        view["events"] = plain(events)
        return view
