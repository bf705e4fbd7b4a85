"""tthc: a rule-based BPMN workflow engine for Vietnamese administrative procedures."""

__version__ = "0.1.0"
