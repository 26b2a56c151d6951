"""docs/audit.md lists every audit verb the code writes, and no other."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT.parent / "docs" / "audit.md"
VERB = re.compile(r"^[a-z_]+\.[a-z_]+$")

# Verbs built from a status at run time: the statuses they can take.
BUILT = {
    'f"message.{result.status}"': {"message.sent", "message.batched", "message.open"},  # SendResult.status
    'f"plan.{status}"': {"plan.completed", "plan.broken"},  # arrangements.check._plan_finish
    'f"promise.{status}"': {"promise.kept", "promise.broken"},  # arrangements.check
}
# Names a verb passes through on its way to ``record`` (the callers' literals are found where they are).
PASSED_ON = {"event.verb", "self.verb"}


def _constants(node: ast.AST) -> set[str]:
    """The verb-like string constants of an expression (a literal, either side of an if-else, a tuple)."""
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and VERB.match(n.value)}


def verbs_in_code() -> dict[str, str]:
    """Every verb written, with a place that writes it."""
    found: dict[str, str] = {}
    for path in sorted(ROOT.rglob("*.py")):
        if {"tests", "migrations"} & set(path.relative_to(ROOT).parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigned = set()  # ``verb = "a.b" if ... else "c.d"``, ``verb, what = "a.b", "..."``
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any("verb" in ast.unparse(t).split(", ")[0] for t in node.targets):
                assigned |= _constants(node.value)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            kw = {k.arg: k.value for k in node.keywords if k.arg}
            if "verb" not in kw or not {"summary", "subject"} & set(kw):
                continue
            value, where = kw["verb"], f"{path.relative_to(ROOT.parent)}:{node.lineno}"
            text = ast.unparse(value)
            if isinstance(value, ast.JoinedStr):
                assert text.replace("'", '"') in BUILT, f"{where}: {text} builds a verb; list what it can be in BUILT"
                verbs = BUILT[text.replace("'", '"')]
            elif isinstance(value, ast.Name):
                verbs = assigned  # a parameter: its callers' literals are found as calls of their own
            elif text in PASSED_ON:
                verbs = set()
            else:
                verbs = _constants(value)
                assert verbs, f"{where}: cannot tell which verb {text} is"
            found.update({verb: where for verb in verbs})
    return found


def verbs_in_doc() -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", DOC.read_text(encoding="utf-8"), flags=re.M))


def test_every_verb_written_is_in_the_table_and_every_verb_in_it_is_written():
    code, doc = verbs_in_code(), verbs_in_doc()
    missing = {verb: where for verb, where in code.items() if verb not in doc}
    assert not missing, f"add these verbs to the events table of docs/audit.md: {missing}"
    assert not doc - set(code), f"docs/audit.md lists verbs no code writes: {sorted(doc - set(code))}"
    assert len(code) > 100  # the walk found the code


def test_the_walk_finds_the_verbs_of_ifs_tuples_and_parameters():
    code = verbs_in_code()
    assert {"plan.proposed", "plan.started", "contact.added", "contact.updated", "message.deferred",
            "message.blocked", "user.logged_in", "plan.rejected", "agency.updated"} <= set(code)
