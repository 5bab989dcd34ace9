"""Human, Markdown (pull-request comment) and Mermaid views of a PreviewReport."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from rollway.engine.run import RecordedResource
from rollway.preview.analyzer import Diagnostic
from rollway.preview.capacity import capacity_lines
from rollway.preview.report import LEVEL_ORDER, PreviewReport

_TYPE_COLUMN_LIMIT = 72
_LEVEL_TITLES = {"mandatory": "Mandatory", "remediate": "Remediate (reported as mandatory)", "advisory": "Advisory"}


def _children(report: PreviewReport) -> dict[str | None, list[RecordedResource]]:
    """Resources by parent URN; resources under the root stack (or with no parent) are keyed by None."""
    known = report.by_urn()
    tree: dict[str | None, list[RecordedResource]] = {}
    for resource in report.resources:
        parent = resource.parent if resource.parent in known else None
        tree.setdefault(parent, []).append(resource)
    return tree


def _walk(
    tree: dict[str | None, list[RecordedResource]], parent: str | None, prefix: str
) -> Iterator[tuple[str, RecordedResource]]:
    children = tree.get(parent, [])
    for index, child in enumerate(children):
        last = index == len(children) - 1
        yield f"{prefix}{'└─ ' if last else '├─ '}", child
        yield from _walk(tree, child.urn, prefix + ("   " if last else "│  "))


def _resource_label(report: PreviewReport, urn: str) -> str:
    resource = report.by_urn().get(urn) if urn else None
    if resource is None:
        return urn if urn else "stack"
    return f'{resource.type} "{resource.name}"'


def render_text(report: PreviewReport) -> str:
    """A `pulumi preview`-like view: the resource tree, counts by type, then policy findings by level."""
    mode = (
        "provider-computed outputs filled with plausible values (--resolve-outputs)"
        if report.resolve_outputs
        else "provider-computed outputs unknown, as in `pulumi preview`"
    )
    lines = [f"Previewing stack {report.project}/{report.stack} offline ({mode})", ""]
    tree = _children(report)
    rows = [("", "pulumi:pulumi:Stack", f"{report.project}-{report.stack}")]
    rows += [(prefix, resource.type, resource.name) for prefix, resource in _walk(tree, None, "")]
    width = min(max(len(prefix) + len(type_) for prefix, type_, _ in rows), _TYPE_COLUMN_LIMIT) + 2
    lines.append(f"     {'Type'.ljust(width)}Name")
    for prefix, type_, name in rows:
        cell = f"{prefix}{type_}"
        lines.append(f" +   {cell.ljust(width)}{name}")
    lines += ["", "Resources:", f"    + {len(report.resources) + 1} to create", ""]

    counts = Counter(resource.type for resource in report.resources)
    lines.append("Resources by type:")
    digits = len(str(max(counts.values(), default=0)))
    for type_, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"    {str(count).rjust(digits)}  {type_}")

    capacity = capacity_lines(report.outputs)
    if capacity:
        lines += ["", "Time to capacity (worst case, load step to first scale-out):"] + [f"    {line}" for line in capacity]

    if report.packs:
        lines += [
            "",
            "Policy packs: "
            + ", ".join(f"{pack.name}@{pack.version or '?'} ({len(pack.policies)} policies)" for pack in report.packs),
        ]
        by_level = _by_level(report.diagnostics)
        if not report.diagnostics:
            lines.append("    no policy violations")
        for level in LEVEL_ORDER:
            found = by_level.get(level, [])
            if not found:
                continue
            lines += ["", f"Policy violations, {_LEVEL_TITLES[level].lower()} ({len(found)}):"]
            for diagnostic in found:
                lines.append(f"    [{diagnostic.pack}] {diagnostic.policy}  {_resource_label(report, diagnostic.urn)}")
                for text in report.scrub(diagnostic.message).splitlines():
                    lines.append(f"        {text}")

    notes = _notes(report)
    if notes:
        lines += ["", "Warnings:"] + [f"    - {note}" for note in notes]

    lines.append("")
    lines.append(_verdict(report))
    return "\n".join(lines) + "\n"


def _notes(report: PreviewReport) -> list[str]:
    notes = list(report.warnings)
    for token in sorted(set(report.unanswered_invokes)):
        notes.append(f"invoke {token} has no offline answer; the program got an empty result")
    for token in sorted(set(report.derived_invokes)):
        notes.append(f"invoke {token} has no offline answer; the program got placeholder values of its result type")
    for level, message in report.logs:
        if level in ("warning", "error"):
            notes.append(f"program logged {level}: {report.scrub(message)}")
    return notes


def _verdict(report: PreviewReport) -> str:
    if report.passed:
        advisory = sum(1 for diagnostic in report.diagnostics if diagnostic.level == "advisory")
        extra = f" ({advisory} advisory finding{'s' if advisory != 1 else ''})" if advisory else ""
        return f"Preview passed{extra}."
    reasons = []
    if report.mandatory:
        reasons.append(f"{len(report.mandatory)} mandatory policy violation{'s' if len(report.mandatory) != 1 else ''}")
    if report.program_errors:
        reasons.append(f"the program logged {len(report.program_errors)} error(s)")
    return "Preview failed: " + " and ".join(reasons) + "."


def _by_level(diagnostics: list[Diagnostic]) -> dict[str, list[Diagnostic]]:
    grouped: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        grouped.setdefault(diagnostic.level, []).append(diagnostic)
    return grouped


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def render_markdown(report: PreviewReport) -> str:
    """A pull-request comment: verdict, counts, violations as tables, resources by type folded."""
    status = "✅ passed" if report.passed else "❌ failed"
    mode = "plausible outputs (`--resolve-outputs`)" if report.resolve_outputs else "outputs unknown, as in `pulumi preview`"
    custom = sum(1 for resource in report.resources if resource.custom)
    levels = Counter(diagnostic.level for diagnostic in report.diagnostics)
    lines = [
        f"### Rollway preview of `{report.project}/{report.stack}`: {status}",
        "",
        f"Offline preview, {mode}.",
        "",
        "| | |",
        "|---|---|",
        f"| Resources to create | {len(report.resources)} ({custom} resources, {len(report.resources) - custom} components) |",
        f"| Mandatory violations | {levels.get('mandatory', 0) + levels.get('remediate', 0)} |",
        f"| Advisory findings | {levels.get('advisory', 0)} |",
    ]
    if report.packs:
        packs = ", ".join(f"`{pack.name}@{pack.version or '?'}`" for pack in report.packs)
        lines.append(f"| Policy packs | {packs} |")
    by_level = _by_level(report.diagnostics)
    for level in LEVEL_ORDER:
        found = by_level.get(level, [])
        if not found:
            continue
        lines += [
            "",
            f"#### {_LEVEL_TITLES[level]} ({len(found)})",
            "",
            "| Pack | Policy | Resource | Message |",
            "|---|---|---|---|",
        ]
        for diagnostic in found:
            lines.append(
                f"| {_cell(diagnostic.pack)} | `{_cell(diagnostic.policy)}` | {_cell(_resource_label(report, diagnostic.urn))} "
                f"| {_cell(report.scrub(diagnostic.message))} |"
            )
    notes = _notes(report)
    if notes:
        lines += ["", "#### Warnings", ""] + [f"- {_cell(note)}" for note in notes]
    counts = Counter(resource.type for resource in report.resources)
    lines += ["", f"<details><summary>Resources by type ({len(report.resources)})</summary>", "", "| Type | Count |", "|---|---|"]
    for type_, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"| `{type_}` | {count} |")
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def _mermaid_label(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def render_mermaid(report: PreviewReport) -> str:
    """A Mermaid flowchart: the stack, its components and every child, linked parent -> child."""
    ids: dict[str | None, str] = {None: "stack"}
    lines = [
        "flowchart LR",
        f'    stack["{_mermaid_label(report.project + "-" + report.stack)}<br/><small>pulumi:pulumi:Stack</small>"]:::component',
    ]
    for index, resource in enumerate(report.resources):
        ids[resource.urn] = f"r{index}"
    tree = _children(report)
    for resource in report.resources:
        style = "component" if not resource.custom else "resource"
        label = f"{_mermaid_label(resource.name)}<br/><small>{_mermaid_label(resource.type)}</small>"
        lines.append(f'    {ids[resource.urn]}["{label}"]:::{style}')
    for parent, children in tree.items():
        for child in children:
            lines.append(f"    {ids[parent]} --> {ids[child.urn]}")
    lines += [
        "    classDef component fill:#eef4ff,stroke:#3b6fd8,stroke-width:2px",
        "    classDef resource fill:#ffffff,stroke:#999999",
        "",
    ]
    return "\n".join(lines)
