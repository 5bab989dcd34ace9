"""How a ChangeReport is shown: terminal text, a pull-request comment, a focused Mermaid graph, and JSON.

JSON (`rollway preview --base ... --json`, `rollway diff --json`; schema version 2, fields only ever added):

    {"schemaVersion": 2, "project", "stack", "base", "head", "verdict", "passed": bool,
     "release": [{"service", "phase", "text", "traffic", "blastRadius"}],
     "changes": [{"kind": "create"|"update"|"replace"|"delete", "urn", "type", "name", "custom", "category",
                  "reason", "paths": [{"path", "label", "old", "new", "forcesReplace"}]}],
     "summary": {"create", "update", "replace", "delete", "components"},
     "findings": {"onChanges": [{"pack", "policy", "level", "urn", "message"}],
                  "elsewhere": {"mandatory", "remediate", "advisory"}},
     "warnings": [str]}
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from rollway.preview.analyzer import Diagnostic
from rollway.preview.basediff import ChangeReport
from rollway.preview.compare import Change, PathDelta
from rollway.preview.report import LEVEL_ORDER, SECRET_TEXT, plain
from rollway.testing import Secret

SCHEMA_VERSION = 2
_MARKS = {"create": "+", "delete": "-", "update": "~", "replace": "+-"}
_ICONS = {"create": "🟢 create", "delete": "🔴 delete", "update": "🟡 update", "replace": "🔴 **replace**"}
_SCREEN_ROWS = 12
_PATHS_PER_ROW = 3
_VALUE_LIMIT = 60


def show_value(value: Any, mocks: dict[str, str], limit: int = _VALUE_LIMIT) -> str:
    """A value as a reviewer reads it: mock ARNs/ids named for their resource, secrets masked, long values cut."""
    if isinstance(value, Secret):
        return SECRET_TEXT
    if isinstance(value, str) and value in mocks:
        return f"{mocks[value]} (mock)"
    if value is None:
        return "(absent)"
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return f"[{len(value)} item{'s' if len(value) != 1 else ''}]"
    shown = plain(value)
    text = repr(shown) if isinstance(shown, str) else str(shown)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _delta_text(report: ChangeReport, delta: PathDelta) -> str:
    mocks = report.comparison.mock_values
    text = f"{delta.label}: {show_value(delta.old, mocks)} → {show_value(delta.new, mocks)}"
    return report.scrub(text + (" (forces replacement)" if delta.forces_replace else ""))


def _header(report: ChangeReport) -> str:
    return f"{report.project}/{report.stack}: {report.base_label} → {report.head_label}"


def _warnings(report: ChangeReport) -> list[str]:
    notes = list(report.notes) + list(report.head.warnings)
    notes += [
        f"program logged {level}: {report.scrub(message)}" for level, message in report.head.logs if level in ("warning", "error")
    ]
    return notes


def render_change_text(report: ChangeReport) -> str:
    lines = [f"Changes in {_header(report)}", "", report.scrub(report.verdict()), ""]
    for step in report.steps:
        lines.append(f"Release: {step.phase} of {step.service}: {step.traffic}; blast radius {report.blast_radius(step.service)}")
    if report.risky:
        lines.append(
            f"WARNING: this rollout step also changes {len(report.risky)} workload/network/data resource(s): "
            + ", ".join(f"{change.name} ({change.category})" for change in report.risky)
        )
    if report.steps or report.risky:
        lines.append("")
    if not report.changes:
        lines.append("No resource changes.")
    for change in report.changes:
        component = "" if change.custom else "  (component)"
        lines.append(f"{_MARKS[change.kind]:<2} {change.kind:<7} {change.type}  {change.name}{component}")
        if change.reason:
            lines.append(f"      why: {change.reason}")
        for delta in change.paths:
            lines.append(f"      {_delta_text(report, delta)}")
    counts = report.comparison.counts()
    lines += [
        "",
        "Resources: " + ", ".join(f"{counts[kind]} to {kind}" for kind in ("create", "update", "replace", "delete")),
    ]
    if report.head.packs:
        found = report.findings_on_changes
        lines += [
            "",
            f"Policy findings on changed resources ({len(found)}):" if found else "Policy findings on changed resources: none",
        ]
        for diagnostic in found:
            lines.append(f"    [{diagnostic.level}] {diagnostic.policy}  {_resource_name(report, diagnostic)}")
            lines += [f"        {text}" for text in report.scrub(diagnostic.message).splitlines()]
        lines.append(_elsewhere_line(report))
    notes = _warnings(report)
    if notes:
        lines += ["", "Warnings:"] + [f"    - {note}" for note in notes]
    lines.append("")
    return "\n".join(lines)


def _resource_name(report: ChangeReport, diagnostic: Diagnostic) -> str:
    resource = report.head.by_urn().get(diagnostic.urn) if diagnostic.urn else None
    return f'{resource.type} "{resource.name}"' if resource else "stack"


def _elsewhere_line(report: ChangeReport) -> str:
    rest = report.findings_elsewhere
    if not rest:
        return "Unchanged resources: no findings."
    levels = Counter(diagnostic.level for diagnostic in rest)
    counted = ", ".join(f"{levels[level]} {level}" for level in LEVEL_ORDER if levels[level])
    return f"Unchanged resources: {counted} finding{'s' if len(rest) != 1 else ''} (see `rollway preview` for them)."


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _row(report: ChangeReport, change: Change) -> str:
    deltas = [f"`{_cell(_delta_text(report, delta))}`" for delta in change.paths[:_PATHS_PER_ROW]]
    if len(change.paths) > _PATHS_PER_ROW:
        deltas.append(f"+{len(change.paths) - _PATHS_PER_ROW} more")
    what = "<br>".join(deltas)
    if change.reason:
        what = f"{_cell(change.reason)}<br>{what}" if what else _cell(change.reason)
    return f"| {_ICONS[change.kind]} | `{_cell(change.name)}` | `{change.type}` | {what} |"


def render_change_markdown(report: ChangeReport) -> str:
    """A pull-request comment: the verdict first, a table that fits a screen for a rollout step, the rest folded."""
    gate = "✅ passed" if report.head.passed else "❌ failed"
    if not report.gated:
        gate = "config diff"
    lines = [
        f"### Rollway: `{report.project}/{report.stack}` {gate}",
        "",
        f"**{_cell(report.scrub(report.verdict()))}**",
        "",
        f"Offline comparison of `{_cell(report.base_label)}` → `{_cell(report.head_label)}` (plausible outputs on both sides; "
        "nothing was deployed or read from a cloud).",
    ]
    if report.risky:
        names = ", ".join(f"`{change.name}` ({change.category})" for change in report.risky[:6])
        more = f" and {len(report.risky) - 6} more" if len(report.risky) > 6 else ""
        lines += ["", f"> [!WARNING]\n> This rollout step also changes workloads, networks or data stores: {names}{more}."]
    replacements = report.comparison.of_kind("replace")
    if replacements:
        lines += [
            "",
            f"> [!CAUTION]\n> {len(replacements)} resource{'s' if len(replacements) != 1 else ''} would be **replaced** "
            "(deleted and recreated by the provider): " + ", ".join(f"`{change.name}`" for change in replacements[:6]),
        ]
    for step in report.steps:
        lines += ["", f"- **{step.phase}** `{step.service}`: {step.traffic}; blast radius {report.blast_radius(step.service)}"]
    custom = report.comparison.custom_changes
    components = [change for change in report.changes if not change.custom]
    if custom:
        lines += ["", "| Change | Resource | Type | What changes |", "|---|---|---|---|"]
        lines += [_row(report, change) for change in custom[:_SCREEN_ROWS]]
        if len(custom) > _SCREEN_ROWS:
            lines += [
                "",
                f"<details><summary>{len(custom) - _SCREEN_ROWS} more resource change(s)</summary>",
                "",
                "| Change | Resource | Type | What changes |",
                "|---|---|---|---|",
            ]
            lines += [_row(report, change) for change in custom[_SCREEN_ROWS:]]
            lines += ["", "</details>"]
    elif not report.changes:
        lines += ["", "No resource changes."]
    if report.head.packs:
        found = report.findings_on_changes
        lines += [
            "",
            f"#### Policy findings on changed resources ({len(found)})" if found else "No policy findings on changed resources.",
        ]
        if found:
            lines += ["", "| Level | Policy | Resource | Message |", "|---|---|---|---|"]
            for diagnostic in found:
                lines.append(
                    f"| {diagnostic.level} | `{_cell(diagnostic.policy)}` | {_cell(_resource_name(report, diagnostic))} "
                    f"| {_cell(report.scrub(diagnostic.message))} |"
                )
        lines += ["", _elsewhere_line(report)]
    detailed = [change for change in custom if len(change.paths) > _PATHS_PER_ROW]
    if detailed:
        lines += ["", "<details><summary>Every changed path</summary>", ""]
        for change in detailed:
            lines.append(f"- `{change.name}` ({change.type})")
            lines += [f"  - `{_cell(_delta_text(report, delta))}`" for delta in change.paths]
        lines += ["", "</details>"]
    if components:
        lines += ["", f"<details><summary>Component changes ({len(components)})</summary>", ""]
        lines += [f"- {change.kind} `{change.name}` ({change.type})" for change in components]
        lines += ["", "</details>"]
    notes = _warnings(report)
    if notes:
        lines += ["", "<details><summary>Warnings</summary>", ""] + [f"- {_cell(note)}" for note in notes] + ["", "</details>"]
    lines.append("")
    return "\n".join(lines)


def _mermaid_label(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def render_change_mermaid(report: ChangeReport) -> str:
    """Only the changed resources, their parents up to the stack, and what they depend on."""
    head = {resource.urn: resource for resource in report.head.resources}
    base = {resource.urn: resource for resource in report.base_resources}
    known = {**base, **head}
    kinds = {change.urn: change.kind for change in report.changes}
    shown: dict[str, str] = {}
    edges: set[tuple[str, str, str]] = set()

    def include(urn: str) -> None:
        if urn in shown or urn not in known:
            return
        shown[urn] = f"n{len(shown)}"
        parent = known[urn].parent
        if parent in known:
            include(parent)

    for urn in kinds:
        include(urn)
        for dependency in known[urn].dependencies if urn in known else []:
            include(dependency)
    for urn in list(shown):
        resource = known[urn]
        if resource.parent in shown:
            edges.add((resource.parent, urn, "-->"))
        if urn in kinds:
            for dependency in resource.dependencies:
                if dependency in shown and dependency != resource.parent:
                    edges.add((urn, dependency, "-.->"))
    lines = ["flowchart LR"]
    for urn, node in shown.items():
        resource = known[urn]
        style = kinds.get(urn, "context")
        label = f"{_mermaid_label(resource.name)}<br/><small>{_mermaid_label(resource.type)}</small>"
        if urn in kinds:
            label = f"{kinds[urn]}: {label}"
        lines.append(f'    {node}["{label}"]:::{style}')
    for source, target, arrow in sorted(edges):
        lines.append(f"    {shown[source]} {arrow} {shown[target]}")
    lines += [
        "    classDef context fill:#ffffff,stroke:#999999",
        "    classDef create fill:#e8f7ec,stroke:#2e9d4f",
        "    classDef update fill:#fff8e1,stroke:#c99a06",
        "    classDef replace fill:#fde8e8,stroke:#d33,stroke-width:3px",
        "    classDef delete fill:#fde8e8,stroke:#d33,stroke-dasharray: 4 2",
        "",
    ]
    return "\n".join(lines)


def change_json(report: ChangeReport) -> dict[str, Any]:
    levels = Counter(diagnostic.level for diagnostic in report.findings_elsewhere)
    counts: dict[str, int] = dict(report.comparison.counts())
    counts["components"] = sum(1 for change in report.changes if not change.custom)
    return {
        "schemaVersion": SCHEMA_VERSION,
        "project": report.project,
        "stack": report.stack,
        "base": report.base_label,
        "head": report.head_label,
        "verdict": report.scrub(report.verdict()),
        "passed": report.exit_code == 0,
        "release": [
            {
                "service": step.service,
                "phase": step.phase,
                "text": step.text,
                "traffic": step.traffic,
                "blastRadius": report.blast_radius(step.service),
            }
            for step in report.steps
        ],
        "changes": [
            {
                "kind": change.kind,
                "urn": change.urn,
                "type": change.type,
                "name": change.name,
                "custom": change.custom,
                "category": change.category,
                "reason": change.reason,
                "paths": [
                    {
                        "path": delta.path,
                        "label": delta.label,
                        "old": plain(delta.old),
                        "new": plain(delta.new),
                        "forcesReplace": delta.forces_replace,
                    }
                    for delta in change.paths
                ],
            }
            for change in report.changes
        ],
        "summary": counts,
        "findings": {
            "onChanges": [
                {
                    "pack": diagnostic.pack,
                    "policy": diagnostic.policy,
                    "level": diagnostic.level,
                    "urn": diagnostic.urn or None,
                    "message": report.scrub(diagnostic.message),
                }
                for diagnostic in report.findings_on_changes
            ],
            "elsewhere": {level: levels.get(level, 0) for level in LEVEL_ORDER},
        },
        "warnings": [report.scrub(note) for note in _warnings(report)],
    }
