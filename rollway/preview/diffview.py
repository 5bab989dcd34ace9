"""How `rollway diff` shows a DiffReport: a reviewer's list of what a config change touches."""

from __future__ import annotations

from typing import Any

from rollway.preview.preview import DiffReport
from rollway.preview.report import plain

_MARKS = {"added": "+", "removed": "-", "changed": "~"}


def _value(value: Any) -> str:
    shown = plain(value)
    return "(absent)" if shown is None else repr(shown) if isinstance(shown, str) else str(shown)


def render_diff(report: DiffReport) -> str:
    lines = [f"Comparing {report.project}: stack {report.base} -> {report.other}", ""]
    if not report.changes:
        lines.append("No resource changes.")
    for change in report.changes:
        lines.append(f"{_MARKS[change.kind]} {change.type}  {change.name}")
        for path in change.changes:
            lines.append(f"      {path.path}: {_value(path.old)} -> {_value(path.new)}")
    counts = report.counts()
    lines += ["", f"Resources: {counts['added']} to add, {counts['removed']} to remove, {counts['changed']} to change", ""]
    return "\n".join(lines)


def diff_json(report: DiffReport) -> dict[str, Any]:
    return {
        "schemaVersion": 1,
        "project": report.project,
        "base": report.base,
        "against": report.other,
        "changes": [
            {
                "kind": change.kind,
                "urn": change.urn,
                "type": change.type,
                "name": change.name,
                "paths": [{"path": path.path, "old": plain(path.old), "new": plain(path.new)} for path in change.changes],
            }
            for change in report.changes
        ],
        "summary": report.counts(),
    }
