"""Audit: is the history intact, does it explain the stored state, and the official papers drawn from it.

    records.py        read-only loading: a case with its events, tasks and definition; paged lists of cases
    chain.py          the hash chain of one case (every hash, seq 1..n, links, the case's pointer to its last event)
    replay.py         rebuild a case from its events on its own definition version and compare with the database
    compare.py        comparing stored and replayed values by meaning; differences with Vietnamese messages
    verify.py         chain + replay per case, streamed over all cases (`tthc verify`)
    steps.py          steps, handovers and the path taken, read from events
    slip.py           the control slip (form 06)
    book.py           the tracking book (form 07), numbered per year
    notices.py        receipt (01), supplement request (02), refusal (03), apology (04), stop notice (05)
    forms_data.py     form numbers, titles, legal basis and agency as data (engine/data/official_forms.toml)
    diagram_model.py  a definition's BPMN + BPMNDI read with the safe parser
    diagram_svg.py    the diagram as inline SVG with the path taken coloured by timing
    html.py           self-contained HTML pages: the auditor's case view, the book, the notices
    xes.py            IEEE 1849 XES export for process mining
    history_view.py   the timeline with lanes and per-step working time, for `tthc history`
    labels.py         Vietnamese labels and the forms' time formats
"""

# Exit code of `tthc verify` and `tthc replay` when a history or a stored state does not hold up.
INTEGRITY_EXIT = 7
