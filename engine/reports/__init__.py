"""Reports: on-time statistics, TT 01/2018 indicator scores, overdue analysis - by SQL aggregation, never case by case.

    periods.py       report periods (from/to, week/month/quarter/year, cut-off day) and their month buckets
    measures.py      working minutes used/allotted, stored on a case when resolved and on a step when completed
    reading.py       one consistent read-only snapshot per report, without the writers' lock
    queries.py       the aggregate statements: flow cells per procedure and bucket, steps per lane and officer
    flow.py          the flow of a period added up from the cells; the balance
    daily.py         daily sums of steps and unit scores, written by the engine when they become final
    scores.py        TT 01/2018 indicator scores
    build.py         build_report(): the report document
    overdue.py       overdue_cases(): late cases with the late step, lane, officer and recorded causes
    render_*.py      terminal table, CSV (UTF-8 with BOM), self-contained HTML with inline SVG charts (svg.py)
    labels.py        Vietnamese column labels and number formats
    README.md        the user-facing description (draft of the README section)

Definitions. A period is [start, end) in local time (Asia/Ho_Chi_Minh); "as of" is its end, or now while it runs.
- Received cases: every case except those the desk refused (`refused_at_reception`) or sent back to be completed
  on the spot (`supplement_at_reception`): those were never received, and are counted apart, by date of submission.
  A case still at the reception step counts as received; if the desk later refuses it, it leaves the figures.
- finished_at = resolved_at if set, else ended_at: the instant a case leaves the pending pile.
- received: received_at in the period, split by `cases.channel`: online / direct or postal / not recorded.
  (The channel is the start data's `channel`, overwritten by the reception form's `channel` when that step completes.)
- carried over: received before the start and not finished before it.
- resolved: resolved_at in the period (the result reached the desk), split by `timing` early / on time / late;
  refused = those with outcome `refused`.
- withdrawn: status withdrawn, ended in the period. ended otherwise: ended in the period without a result and not
  withdrawn (none in the shipped library; counted so that the balance can never silently break).
- pending: received before the end and not finished before it; overdue when its current legal due time is before the
  as-of instant, unless it is now waiting for the applicant's supplement (the limit is stopped then: counted within
  deadline, and shown as "awaiting supplement"). Historical periods use each case's current due time and stage.
- Balance, per period and group: carried over + received = resolved + withdrawn + ended otherwise + pending.
- on-time rate = (early + on time) / resolved. Average working time used vs allotted, and the share resolved at
  least 15% faster than the limit (used <= 85% of the allotment), over the resolved cases with a stored measure
  (measures.py says how they are counted).
- supplement requests: steps that restart the limit (`restart_deadline`) created in the period, and the library's
  waits for the applicant's supplement (`message_awaited`) begun in it; apologies: apology
  letters issued in the period (history events).
- Steps per lane and officer: steps with a time limit completed in the period: early / on time / late, working time
  used vs allotted, working time beyond the allotment; per lane also the steps open and past due at the as-of instant.
- Scores: see scores.py.
"""
