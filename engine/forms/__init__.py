"""Camunda Forms (`.form` files from Camunda Modeler's form editor): load, describe, validate submitted data.

Public API; the implementation lives in small modules beside this one:
    model        Field, Form (provided_keys, to_json_schema, describe)
    loader       load_form, load_form_file, load_form_library
    submission   validate_submission, parse_submission_text
    values       typing and checking one value (shared with the interactive prompt)
    structure    the .form file shape, checked with jsonschema
    json_schema  a form as JSON Schema
"""

from engine.forms.loader import load_form, load_form_file, load_form_library
from engine.forms.model import Field, Form
from engine.forms.submission import parse_submission_text, validate_submission
from engine.forms.values import check_value, to_plain

__all__ = [
    "Field",
    "Form",
    "check_value",
    "load_form",
    "load_form_file",
    "load_form_library",
    "parse_submission_text",
    "to_plain",
    "validate_submission",
]
