"""DMN decision tables: load (engine.rules.dmn), the S-FEEL cells (engine.rules.feel), evaluate (engine.rules.evaluate).

No SpiffWorkflow here: the business-rule task in engine.dialect calls `evaluate_decision` and `map_decision_result`.
"""

from engine.rules.dmn import Decision, DmnModel, Input, Output, Rule, load_dmn
from engine.rules.evaluate import MAP_MODES, DecisionResult, evaluate_decision, map_decision_result, required_value

__all__ = [
    "MAP_MODES",
    "Decision",
    "DecisionResult",
    "DmnModel",
    "Input",
    "Output",
    "Rule",
    "evaluate_decision",
    "load_dmn",
    "map_decision_result",
    "required_value",
]
