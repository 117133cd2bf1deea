"""Render the Python API reference (docs/python.md) from the front door itself.

    python -m accord._api_docs > docs/python.md

tests/test_docs.py fails when docs/python.md differs from what this prints, so
the reference cannot drift from the code.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable
from typing import Any

import accord
import accord.testing
from accord import errors

HEADER = """# accord Python API

Generated from the code by `python -m accord._api_docs > docs/python.md`; a test
fails when this page and the code disagree. Everything here is importable from
`accord` (or `accord.testing`).

```python
import accord

ledger = accord.open("sqlite:///accord.db")      # or postgresql://…
ledger.apply_roster("roster.yaml")
ledger.apply_contract("contracts/refund-replies.yaml")
case = ledger.case("refund-replies", "R-1042", attributes={"amount": 40, "tier": "standard", "risk": 0.1})
route = case.output(draft, model="m-2026-10", prompt_version="refund-v7", confidence=0.91)
print(ledger.case_view("R-1042").as_json())       # what `accord case show R-1042 --json` prints
```

Every method that takes `now` uses the ledger's clock when it is omitted. Every
result is a frozen object; `as_json()` gives the JSON the command line prints.
Errors are `accord.AccordError` subclasses whose message is written for a person.
"""

_RESULTS = ("AppliedContract", "AppliedRoster", "Recorded", "Route", "CaseView", "CaseSummary",
            "StoredEvent", "QueueItem", "Escalation", "Finding", "IncidentOpened", "IncidentReview",
            "IncidentSummary", "LearningAction", "DrillReport", "WorkflowReadiness", "VerifyReport",
            "InclusionProof", "ConsistencyProof")
_ERRORS = ("AccordError", "InvalidFile", "ContractRefused", "EventRefused", "ActionRefused", "NotFound",
           "UsageError", "IntegrityError", "CheckpointError", "StorageError")


def _signature(name: str, func: Callable[..., Any]) -> str:
    text = str(inspect.signature(func))
    text = re.sub(r"\(self,? ?", "(", text)
    text = re.sub(r"(: |-> )'([^']*)'", r"\1\2", text)  # postponed annotations print quoted
    text = text.replace("datetime.timedelta(days=14)", "timedelta(days=14)")
    return f"{name}{text}"


def _doc(obj: Any) -> str:
    return inspect.cleandoc(obj.__doc__ or "").strip()


def _methods(cls: type) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property) or inspect.isfunction(member):
            found.append((name, member))
    return found


def _class_section(cls: type, level: str = "###") -> list[str]:
    parts = [f"\n{level} `{cls.__name__}`\n", _doc(cls) + "\n"]
    if dataclasses.is_dataclass(cls):
        fields = [f for f in dataclasses.fields(cls) if not f.name.startswith("_")]
        parts.append("Fields: " + ", ".join(f"`{f.name}`" for f in fields) + ".\n")
    for name, member in _methods(cls):
        if isinstance(member, property):
            summary = _doc(member).splitlines()[0] if _doc(member) else ""
            parts.append(f"- `{name}` (property)" + (f": {summary}" if summary else ""))
        else:
            first = _doc(member).split("\n\n")[0].replace("\n", " ")
            parts.append(f"- `{_signature(name, member)}`" + (f"\n  {first}" if first else ""))
    parts.append("")
    return parts


def render() -> str:
    """The whole reference as Markdown."""
    parts = [HEADER, "\n## Opening a ledger\n", f"### `accord.{_signature('open', accord.open)}`\n",
             _doc(accord.open) + "\n"]
    parts += ["\n## The front door\n", *_class_section(accord.Ledger)]
    parts += ["\n## Recording a case\n", *_class_section(accord.Case)]
    parts.append("\n## Results\n")
    for name in _RESULTS:
        parts += _class_section(getattr(accord, name))
    parts.append("\n## Errors\n")
    for name in _ERRORS:
        cls = getattr(errors, name)
        base = cls.__mro__[1].__name__
        parts.append(f"- `{name}` ({base}, exit status {cls.exit_code}): {_doc(cls).splitlines()[0]}")
    parts.append("\n## For your own tests: `accord.testing`\n")
    for name in accord.testing.__all__:
        parts += _class_section(getattr(accord.testing, name))
    return "\n".join(parts).rstrip("\n") + "\n"


if __name__ == "__main__":
    print(render(), end="")
