"""Workflows kept in memory between commands of a long-running process (the worker, a server, the benchmark).

Restoring a workflow from its stored JSON costs more than running a step. A process that just committed a case
usually touches it again soon (the next step, the next tick), so it keeps the workflow object it committed, keyed by
the case and the version and history head (`event_hash`) it saved. A command uses the kept object only when the case
row it has just read (and, on PostgreSQL, locked) still carries both; any other writer (another process, a CLI command)
moves them and the kept object is simply never used again. The history head makes the key unrepeatable: a database
restored from a backup can bring a case back to an old version number and then move past it again, but not with the
same history (task ids are random). Entries are taken out while a command works on them and put back only
after its transaction committed, so a failed command can never leave a half-changed workflow behind.

The cache is bounded (least recently used out), so memory does not grow with the number of cases.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

DEFAULT_CAPACITY = 128
_shared: dict[str, "WorkflowCache"] = {}


class WorkflowCache:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = max(0, capacity)
        self._entries: OrderedDict[str, tuple[tuple, Any]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @classmethod
    def shared(cls, url: str) -> "WorkflowCache":
        """One cache per database per process, whatever number of Service objects the process opens on it."""
        cache = _shared.get(url)
        if cache is None:
            cache = _shared[url] = cls()
        return cache

    @staticmethod
    def clear_shared() -> None:
        for cache in _shared.values():
            cache.clear()
        _shared.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def take(self, case_id: str, token: tuple) -> Any | None:
        """The workflow committed with `token` (version, history head) of the case, removed from the cache; None if
        not kept."""
        entry = self._entries.pop(case_id, None)
        if entry is None or entry[0] != token:
            self.misses += 1
            return None
        self.hits += 1
        return entry[1]

    def put(self, case_id: str, token: tuple, workflow: Any) -> None:
        if self.capacity == 0:
            return
        workflow.script_engine = None  # it belonged to the finished transaction; the next command sets its own
        self._entries[case_id] = (token, workflow)
        self._entries.move_to_end(case_id)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def discard(self, case_id: str) -> None:
        self._entries.pop(case_id, None)

    def clear(self) -> None:
        self._entries.clear()


class DefinitionsCache:
    """Everything parsed from stored definitions, once per process, with these keys:

        compiled[content hash]               compiled BPMN (`runtime.Compiled`: spec, info, policy)
        forms[content hash]                  a parsed Camunda form (`engine.forms`)
        decisions[content hash]              a parsed DMN model (`engine.rules`)
        bpmn_hash[(database url, id)]        the content hash of a stored BPMN definition row

    A stored definition never changes (a new version is a new row with a new id and hash), so no entry is ever stale
    while its database lives (a database dropped and recreated under a running process — the test suite does that —
    must clear `bpmn_hash`), and none is evicted: a process sees tens of definitions. Content hashes make entries shared across databases.
    """

    def __init__(self) -> None:
        self.compiled: dict[str, Any] = {}
        self.forms: dict[str, Any] = {}
        self.decisions: dict[str, Any] = {}
        self.bpmn_hash: dict[tuple[str, int], str] = {}

    def clear(self) -> None:
        for table in (self.compiled, self.forms, self.decisions, self.bpmn_hash):
            table.clear()


DEFINITIONS = DefinitionsCache()
