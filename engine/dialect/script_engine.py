"""The only "script engine" a workflow gets: safe `${...}` expressions, no Python.

SpiffWorkflow routes every gateway condition and timer value through `workflow.script_engine.evaluate()`; its default
engine runs them with Python `eval`. This replacement parses them with `engine.dialect.expressions` (a whitelist
grammar, never `eval`) and refuses to execute scripts at all. It also carries the injected clock, the business
calendar and the decision tables, because it is the one object every task spec can reach from `my_task.workflow`
and it is never serialized.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, Callable, Mapping

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from engine.calendar import TZ
from engine.dialect.expressions import Expression, is_expression, parse_expression
from engine.errors import EngineError, InvalidInput


@lru_cache(maxsize=4096)
def compiled(text: str) -> Expression:
    return parse_expression(text)


class ScriptRefused(InvalidInput):
    code = "script_refused"


class SafeScriptEngine(PythonScriptEngine):
    def __init__(self, clock, calendar, decide: Callable[[str, Mapping[str, Any]], Any] | None = None) -> None:
        super().__init__()
        self.clock = clock
        self.calendar = calendar
        self._decide = decide

    # --- conditions -------------------------------------------------------------------------------------------
    def validate(self, expression: str) -> None:
        compiled(expression)

    def evaluate(self, task: Any, expression: str, external_context: Mapping[str, Any] | None = None) -> Any:
        data = dict(task.data)
        if external_context:
            data.update(external_context)
        result = compiled(expression).evaluate(data)
        return result

    def execute(self, task: Any, script: str, external_context: Mapping[str, Any] | None = None) -> None:
        raise ScriptRefused("Hệ thống không chạy mã lệnh (script) từ sơ đồ.", element=task.task_spec.bpmn_id)

    def call_service(self, task: Any, **kwargs: Any) -> None:
        raise ScriptRefused("Hệ thống không gọi dịch vụ (service task) từ sơ đồ.", element=task.task_spec.bpmn_id)

    # --- timers -----------------------------------------------------------------------------------------------
    def timer_start(self, task: Any) -> datetime:
        """Where a step's working time starts counting: now, or the case's transfer time if that is later."""
        now = self.clock.now()
        transferred = task.data.get("transferred_at")
        if isinstance(transferred, str):
            transferred = datetime.fromisoformat(transferred)
        return max(now, transferred) if isinstance(transferred, datetime) else now

    def timer_value(self, task: Any, text: str) -> str:
        text = text.strip()
        if is_expression(text):
            value = compiled(text).evaluate(dict(task.data))
            if not isinstance(value, str):
                raise InvalidInput(
                    f"Biểu thức hẹn giờ {text} phải cho ra chuỗi thời lượng ISO 8601.", element=task.task_spec.bpmn_id
                )
            return value
        return text

    def instant_value(self, task: Any, text: str) -> datetime:
        text = text.strip()
        value: Any = compiled(text).evaluate(dict(task.data)) if is_expression(text) else text
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise InvalidInput(
                    f"Giá trị hẹn giờ '{value}' của '{task.task_spec.bpmn_id}' không phải thời điểm ISO 8601.",
                    element=task.task_spec.bpmn_id,
                ) from None
        if not isinstance(value, datetime):
            raise InvalidInput(
                f"Giá trị hẹn giờ của '{task.task_spec.bpmn_id}' không phải thời điểm.", element=task.task_spec.bpmn_id
            )
        return value if value.tzinfo else value.replace(tzinfo=TZ)

    # --- decisions --------------------------------------------------------------------------------------------
    def decide(self, decision_ref: str, data: Mapping[str, Any], mode: str) -> Any:
        if self._decide is None:
            raise EngineError(f"Chưa nạp bảng quyết định '{decision_ref}'.", decision=decision_ref)
        return self._decide(decision_ref, data, mode)
