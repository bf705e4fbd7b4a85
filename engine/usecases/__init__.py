"""Use cases: one module per command, each reading like its order of steps (see the README, "Thứ tự các bước").

    start.py      start_case       receive a dossier: number it, compute its limits, start the workflow
    complete.py   complete_task    a ready step's form data in, the workflow advanced
    timers.py     fire_due_timers  every timer due at the engine clock, one savepoint per case
    withdraw.py   withdraw         the applicant withdraws before a result exists
    note.py       add_note         an officer's note in the history
    correlate.py  correlate_message  a message to the one element waiting for it (message_start.py: or a new case)
    signal.py     broadcast_signal   a signal to every case waiting for it, in one transaction
    deploy.py     deploy           BPMN, DMN, forms and the catalog into the store
    read.py       show_case, list_tasks, history, procedures, task_form — the read models
    base.py       what they share: the context, loading a case's workflow, committing a command

Data flows down once: use case → runtime (SpiffWorkflow) → projection (SQL-free) → store (one transaction) →
history (hash chain). Each command reads `now` once from the injected clock and passes it down.
"""
