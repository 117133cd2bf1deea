"""Lint results as a SARIF 2.1.0 log, so code hosts annotate pull requests.

Paths are relative to a base folder (the current directory) and carried with the
``%SRCROOT%`` base id; columns count Unicode code points, as PyYAML's marks do.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePath
from typing import Any, Final
from urllib.parse import quote

from accord.contract.lint import INVALID_FILE_SUMMARY, LintResult, LintRule
from accord.contract.loading import INVALID

SCHEMA_URI: Final = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT: Final = "%SRCROOT%"
_DOCS: Final = "docs/contracts.md"


def _accord_version() -> str:
    try:
        return version("accord")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"


def _uri(path: str, base: Path) -> str:
    """``path`` relative to ``base`` as a URI reference with forward slashes."""
    relative = os.path.relpath(Path(path).resolve(), base.resolve())
    return quote(PurePath(relative).as_posix())


def _descriptor(rule_id: str, summary: str, level: str) -> dict[str, Any]:
    return {
        "id": rule_id,
        "shortDescription": {"text": summary},
        "defaultConfiguration": {"level": level},
        "help": {"text": f"See the lint rules table in {_DOCS} for what {rule_id} means and how to fix it."},
    }


def sarif_log(result: LintResult, rules: Sequence[LintRule], base: Path) -> dict[str, Any]:
    """A SARIF 2.1.0 log of ``result``; ``rules`` become ``tool.driver.rules``.

    Every rule is listed (plus ``invalid-file``) so a viewer can show the rule's
    summary; each result points at its file relative to ``base``.
    """
    descriptors = [_descriptor(r.id, r.summary, r.severity) for r in rules]
    descriptors.append(_descriptor(INVALID, INVALID_FILE_SUMMARY, "error"))
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results = []
    for finding in result.findings:
        entry: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": "warning" if finding.severity == "warning" else "error",
            "message": {"text": finding.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(finding.path, base), "uriBaseId": SRCROOT},
                "region": {"startLine": finding.line, "startColumn": finding.column},
            }}],
        }
        if finding.workflow is not None:
            entry["properties"] = {"workflow": finding.workflow}
        results.append(entry)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "accord",
                "version": _accord_version(),
                "rules": descriptors,
            }},
            "originalUriBaseIds": {SRCROOT: {"uri": base.resolve().as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
