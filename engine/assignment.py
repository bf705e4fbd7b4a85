"""Who may work on a user task, with Camunda 7's assignment rules.

A user task names its people with `camunda:assignee`, `camunda:candidateUsers` and `camunda:candidateGroups`. Each is
a literal, a comma-separated list, or `${...}` over the case variables (the safe grammar of
`engine.dialect.expressions`, never `eval`), e.g. `${initiator}` when the start event says
`camunda:initiator="initiator"` (the engine then sets that variable to the officer who started the case, as Camunda
sets it to the authenticated user). The expressions are evaluated once, when the task is created; the values are
carried in the `task_created` event (so a replay reproduces them) and stored on the task row.

What an expression may give:
- assignee: a text (the officer id), or nothing (null, "" or only spaces): the task then has no assignee, as in
  Camunda, and goes to its candidates. Anything else (a number, a list, true) is refused with InvalidInput naming the
  task: Camunda throws there too, and the command that would have created the task changes nothing.
- candidate users / groups: a text (itself split on commas) or a list of texts; null or "" adds nobody. Anything else
  is refused the same way.
A task whose declared assignment gives nobody at all is refused the same way (Camunda would create a task offered to
no one; here it would fall open to every officer). A variable the case does not have is refused too (Camunda: unknown
property); `deploy` refuses an expression over a variable that neither the start data, a form, a decision, nor
`camunda:initiator` provides.

The rules applied to a created task (Camunda 7's task list):
- a task with an assignee is worked on (completed, its form read) by its assignee only;
- an unassigned task with candidates is worked on by its candidate users and the members of its candidate groups,
  who may also claim it (claiming sets the assignee); claiming a task another officer holds is a conflict;
- unclaim clears the assignee; the assignee or an administrator may do it, and only when the task has candidates to
  take it up again (otherwise it would belong to no one);
- a task created with no assignee and no candidates at all is open to every officer (`tthc lint` reports it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from engine.config import GROUP_LABELS, User
from engine.dialect.expressions import is_expression, parse_expression
from engine.errors import Conflict, InvalidInput

if TYPE_CHECKING:  # annotations only
    from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec

ATTRIBUTES = (("assignee", "assignee"), ("candidate_users", "candidateUsers"), ("candidate_groups", "candidateGroups"))


def split_list(text: str | None) -> list[str]:
    """A Camunda comma-separated list whose items may be `${...}`: commas inside an expression (in a quoted text)
    do not split it."""
    items: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    source = text or ""
    i = 0
    while i < len(source):
        ch = source[i]
        if quote:
            if ch == "\\" and i + 1 < len(source):
                current.append(source[i:i + 2])
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif depth and ch in "'\"":
            quote = ch
        elif ch in "$#" and source[i + 1:i + 2] == "{":
            depth += 1
            current.append(source[i:i + 2])
            i += 2
            continue
        elif ch == "}" and depth:
            depth -= 1
        elif ch == "," and not depth:
            items.append("".join(current).strip())
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    items.append("".join(current).strip())
    return [item for item in items if item]


@dataclass(frozen=True)
class Assignment:
    assignee: str | None
    candidate_users: tuple[str, ...]
    candidate_groups: tuple[str, ...]


def expressions_of(extensions: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(attribute, `${...}` text) for every assignment expression of a parsed user task."""
    found = []
    assignee = extensions.get("assignee")
    if assignee and is_expression(assignee):
        found.append(("assignee", assignee))
    for key, attribute in ATTRIBUTES[1:]:
        found.extend((attribute, item) for item in extensions.get(key) or () if is_expression(item))
    return found


def check_expressions(task_id: str, filename: str, extensions: Mapping[str, Any]) -> set[str]:
    """Parse every assignment expression of a task at deploy; the variables they read."""
    variables: set[str] = set()
    for attribute, text in expressions_of(extensions):
        try:
            variables |= set(parse_expression(text).variables)
        except InvalidInput as exc:
            raise InvalidInput(
                f"Tệp '{filename}', phần tử '{task_id}': camunda:{attribute} {text} không hợp lệ: {exc.message}",
                file=filename, element=task_id) from exc
    return variables


def _evaluate(task_id: str, attribute: str, text: str, data: Mapping[str, Any]) -> Any:
    try:
        return parse_expression(text).evaluate(data)
    except InvalidInput as exc:
        raise InvalidInput(
            f"Bước '{task_id}': không tính được camunda:{attribute} {text}: {exc.message}",
            element=task_id, attribute=attribute) from exc


def _refuse(task_id: str, attribute: str, text: str, value: Any, wanted: str) -> InvalidInput:
    return InvalidInput(
        f"Bước '{task_id}': camunda:{attribute} {text} cho ra giá trị kiểu {type(value).__name__} "
        f"({str(value)[:60]}), trong khi cần {wanted}.", element=task_id, attribute=attribute)


def _names(task_id: str, attribute: str, items: Iterable[str], data: Mapping[str, Any]) -> tuple[str, ...]:
    names: list[str] = []
    for item in items:
        if not is_expression(item):
            names.append(item)
            continue
        value = _evaluate(task_id, attribute, item, data)
        if value is None:
            continue
        if isinstance(value, str):
            names.extend(part.strip() for part in value.split(",") if part.strip())
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            names.extend(v.strip() for v in value if v.strip())
        else:
            raise _refuse(task_id, attribute, item, value, "một chuỗi hoặc danh sách chuỗi")
    return tuple(dict.fromkeys(names))  # once each, in the order written


def resolve(task_id: str, extensions: Mapping[str, Any], data: Mapping[str, Any]) -> Assignment:
    """The task's assignee and candidates, with its expressions evaluated over the case data it was created with."""
    assignee = extensions.get("assignee")
    if assignee and is_expression(assignee):
        value = _evaluate(task_id, "assignee", assignee, data)
        if value is not None and not isinstance(value, str):
            raise _refuse(task_id, "assignee", assignee, value, "một chuỗi (mã người dùng) hoặc null")
        assignee = value
    assignee = (assignee or "").strip() or None
    resolved = Assignment(
        assignee=assignee,
        candidate_users=_names(task_id, "candidateUsers", extensions.get("candidate_users") or (), data),
        candidate_groups=_names(task_id, "candidateGroups", extensions.get("candidate_groups") or (), data),
    )
    declared = extensions.get("assignee") or extensions.get("candidate_users") or extensions.get("candidate_groups")
    if declared and not (resolved.assignee or resolved.candidate_users or resolved.candidate_groups):
        # Camunda would create a task nobody is offered; here it would fall open to every officer. Neither is what
        # the designer asked for: the command that reaches the step is refused, so the data can be given again.
        raise InvalidInput(
            f"Bước '{task_id}': phân công ({', '.join(t for _, t in expressions_of(extensions))}) không cho ra người "
            "hay nhóm nào với dữ liệu của hồ sơ; hãy nhập lại dữ liệu xác định người xử lý.", element=task_id)
    return resolved


# --- the rules, on task rows ---------------------------------------------------------------------------------------

def _listed(value: str | None) -> list[str]:
    return [part for part in (value or "").split(",") if part]


def is_candidate(user: User, row: Mapping[str, Any]) -> bool:
    return user.id in _listed(row["candidate_users"]) or bool(set(_listed(row["groups"])) & set(user.groups))


def has_candidates(row: Mapping[str, Any]) -> bool:
    return bool(_listed(row["candidate_users"]) or _listed(row["groups"]))


def is_open_to_all(row: Mapping[str, Any]) -> bool:
    return not (row["assignee"] or has_candidates(row))


def may_act(user: User, row: Mapping[str, Any]) -> bool:
    """Complete the task or read its form."""
    if row["assignee"]:
        return row["assignee"] == user.id
    return is_open_to_all(row) or is_candidate(user, row)


def is_mine(user: User, row: Mapping[str, Any]) -> bool:
    """What `tasks --mine` lists: the user's own tasks, and unassigned tasks the user is a candidate for."""
    return row["assignee"] == user.id or (not row["assignee"] and is_candidate(user, row))


def _for_whom(row: Mapping[str, Any]) -> str:
    if row["assignee"]:
        return f"người được giao: {row['assignee']}"
    parts = [GROUP_LABELS.get(g, g) for g in _listed(row["groups"])] + _listed(row["candidate_users"])
    return ", ".join(parts)


def authorize(user: User, row: Mapping[str, Any]) -> None:
    if not may_act(user, row):
        raise Conflict(
            f"Người dùng '{user.id}' không được xử lý bước '{row['name']}' ({_for_whom(row)}).",
            user=user.id, task=row["id"])


def check_claim(user: User, row: Mapping[str, Any]) -> bool:
    """Whether a claim changes anything (False: the user already holds the task); Conflict when not allowed."""
    if row["assignee"] == user.id:
        return False
    if row["assignee"]:
        raise Conflict(
            f"Bước '{row['name']}' đã được '{row['assignee']}' nhận; '{user.id}' không nhận được.",
            user=user.id, task=row["id"], assignee=row["assignee"])
    if not (is_open_to_all(row) or is_candidate(user, row)):
        raise Conflict(
            f"Người dùng '{user.id}' không thuộc người hoặc nhóm được nhận bước '{row['name']}' ({_for_whom(row)}).",
            user=user.id, task=row["id"])
    return True


def check_unclaim(user: User, row: Mapping[str, Any], *, admin: bool) -> None:
    if not row["assignee"]:
        raise Conflict(f"Bước '{row['name']}' chưa có ai nhận nên không bỏ nhận được.", task=row["id"])
    if row["assignee"] != user.id and not admin:
        raise Conflict(
            f"Chỉ '{row['assignee']}' (người đang giữ) hoặc quản trị viên mới bỏ nhận được bước '{row['name']}'; "
            f"'{user.id}' thì không.", user=user.id, task=row["id"], assignee=row["assignee"])
    if not has_candidates(row):
        raise Conflict(
            f"Bước '{row['name']}' không có người hay nhóm ứng viên nào; bỏ nhận sẽ khiến không ai xử lý được.",
            task=row["id"])


# --- the initiator -------------------------------------------------------------------------------------------------

def initiator_variable(spec: BpmnProcessSpec) -> str | None:
    """The variable `camunda:initiator` on the process's start event names, if any."""
    for task_spec in spec.task_specs.values():
        name = (getattr(task_spec, "extensions", None) or {}).get("initiator")
        if name:
            return name
    return None


def start_variables(spec: BpmnProcessSpec, actor: str | None) -> dict[str, str]:
    """What the start event sets: the initiator variable, to the officer who started the case."""
    name = initiator_variable(spec)
    return {name: actor} if name and actor else {}


# --- deploy-time checks --------------------------------------------------------------------------------------------

def _user_task_specs(spec) -> list:
    return [s for s in spec.task_specs.values() if "candidate_users" in (getattr(s, "extensions", None) or {})]


def check_definition(spec: BpmnProcessSpec, filename: str) -> None:
    """Refuse, at deploy, an assignment expression outside the grammar or an initiator name no expression can read."""
    for task_spec in _user_task_specs(spec):
        check_expressions(task_spec.bpmn_id, filename, task_spec.extensions)
    name = initiator_variable(spec)
    if name is not None:
        try:
            ok = parse_expression("${" + name + "}").variables == {name} and "." not in name
        except InvalidInput:
            ok = False
        if not ok:
            raise InvalidInput(
                f"Tệp '{filename}': camunda:initiator '{name}' không phải tên biến hợp lệ (chữ cái, chữ số, '_').",
                file=filename)


def check_variables(spec: BpmnProcessSpec, filename: str, provided: set[str]) -> set[str]:
    """Refuse an assignment expression over a variable nothing provides (the start data, forms, decisions, the
    initiator), as conditions are: at run time it would stop the case at the step before. Returns what the diagram
    itself provides (the initiator variable), for the conditions' check."""
    own = {initiator_variable(spec)} - {None}
    available = provided | own
    for task_spec in _user_task_specs(spec):
        for attribute, text in expressions_of(task_spec.extensions):
            missing = sorted(v for v in parse_expression(text).variables if v not in available)
            if missing:
                raise InvalidInput(
                    f"Tệp '{filename}', phần tử '{task_spec.bpmn_id}': camunda:{attribute} {text} dùng biến "
                    f"'{missing[0]}' mà không biểu mẫu, dữ liệu khởi tạo hay camunda:initiator nào cung cấp.",
                    file=filename, element=task_spec.bpmn_id, variable=missing[0])
    return own
