"""The process each internal procedure becomes, before any drawing: nodes in lanes and the flows between them.

This module holds the model and the number formats; `process_builder.py` builds one process per procedure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

SHORT_NAME_LIMIT = 60


@dataclass(frozen=True)
class ProcedureCode:
    code: str
    local: bool
    name: str


@dataclass(frozen=True)
class Timer:
    kind: str  # "timeDuration" or "timeDate"
    expression: str
    definition_id: str


@dataclass
class Node:
    id: str
    kind: str  # the BPMN element's local name: userTask, exclusiveGateway, boundaryEvent …
    lane: str
    name: str | None = None
    documentation: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()  # ("camunda:formRef", "reception") …, in writing order
    properties: tuple[tuple[str, str], ...] = ()
    timer: Timer | None = None
    message: tuple[str, str] | None = None  # (message name, bpmn:message id) a catch event waits for
    attached_to: str | None = None
    terminate: bool = False
    default: str | None = None
    # Where the layout puts it: ("column",) on the main grid, or relative to another node:
    # ("above"|"below", anchor) beside a gateway, ("boundary", task) on a task's border, ("under", boundary).
    placement: tuple[str, ...] = ("column",)


@dataclass(frozen=True)
class Flow:
    id: str
    source: str
    target: str
    name: str | None = None
    condition: str | None = None
    loop: bool = False  # goes back to an earlier node (rework, supplement): drawn around the others


@dataclass
class ProcessGraph:
    process_id: str
    name: str
    documentation: str
    properties: tuple[tuple[str, str], ...]
    lanes: tuple[str, ...]  # lane groups in band order
    nodes: list[Node] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def incoming(self, node_id: str) -> list[Flow]:
        return [flow for flow in self.flows if flow.target == node_id]

    def outgoing(self, node_id: str) -> list[Flow]:
        return [flow for flow in self.flows if flow.source == node_id]


def short_step_name(content: str) -> str:
    """The first clause of a step's content, cut at a clause boundary so that it fits on a task shape."""
    text = re.sub(r"^[-–•\s]+", "", " ".join(content.split()))
    text = re.split(r";|\s[-–]\s|\(", text, maxsplit=1)[0].strip(" ,.")
    if len(text) <= SHORT_NAME_LIMIT:
        return text
    head = text[:SHORT_NAME_LIMIT]
    cut = max(head.rfind(", "), head.rfind(" và "))
    if cut > 0:
        return head[:cut]
    return head[: head.rfind(" ")] + "…"


def format_days(days: Decimal) -> str:
    """Minimal decimal with a point: 0.25, 1.25, 4, 10.25 (ISO 8601 durations and machine properties)."""
    return format(days.normalize(), "f")


def format_days_vi(days: Decimal) -> str:
    """The same number as Vietnamese writes it: 0,25."""
    return format_days(days).replace(".", ",")
