"""`rollway preview --base REF` and `rollway diff` as functions: two sides evaluated side by side, one ChangeReport.

The change evaluates through `preview_beside` (policy packs included); the base (a git ref, or for `diff` the
stack's own config) is evaluated by the same evaluation process right after it, with the provider SDKs already
imported, while the change's policy analysis runs: the pair costs one preview plus one program run. A saved
report as the base is read, not evaluated.
Both sides use plausible outputs: references between resources compare as values and can be named.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rollway.preview.analyzer import Diagnostic
from rollway.preview.base import BaseSide, GitBase, evaluated_side, load_json_base
from rollway.preview.compare import Change, Comparison, compare
from rollway.preview.config import load_stack_settings
from rollway.preview.errors import EXIT_OK, UsageError
from rollway.preview.preview import (
    Base,
    PreviewOptions,
    StackSelection,
    load_selection,
    preview_beside,
    run_preview,
    select_stack,
)
from rollway.preview.project import load_project
from rollway.preview.release import ReleaseStep, release_steps, risky_changes, services_touched
from rollway.preview.report import PreviewReport, plain
from rollway.testing import RecordedResource

_KIND_WORDS = {"create": "create", "update": "update", "replace": "replacement", "delete": "delete"}


@dataclass
class BasePreviewOptions(PreviewOptions):
    """Flags of `rollway preview --base REF`."""

    base: str = ""
    """A git ref (branch, tag, commit) or a saved `rollway preview --resolve-outputs --json` report."""


@dataclass
class ChangeReport:
    """What a change does to a stack, with the change's preview (policy findings, exit code) attached."""

    project: str
    stack: str
    base_label: str
    """`main (1a2b3c4)`, a report file name, or the base stack for `rollway diff`."""
    head_label: str
    """`working tree`, or the other stack/config for `rollway diff`."""
    comparison: Comparison
    head: PreviewReport
    """The change's own preview: its resources, policy findings and exit code."""
    base_resources: list[RecordedResource]
    steps: list[ReleaseStep] = field(default_factory=list)
    """Rollout steps the config change makes (empty when the base's config is unknown)."""
    notes: list[str] = field(default_factory=list)
    secret_texts: set[str] = field(default_factory=set)
    gated: bool = True
    """Whether the exit code follows the policy gate (preview) or is always 0 (diff)."""

    @property
    def changes(self) -> list[Change]:
        return self.comparison.changes

    @property
    def exit_code(self) -> int:
        return self.head.exit_code if self.gated else EXIT_OK

    @property
    def changed_urns(self) -> set[str]:
        return {change.urn for change in self.changes if change.kind != "delete"}

    @property
    def findings_on_changes(self) -> list[Diagnostic]:
        """Findings on created, updated or replaced resources, and stack-wide ones (they may be about the change)."""
        changed = self.changed_urns
        return [diagnostic for diagnostic in self.head.diagnostics if not diagnostic.urn or diagnostic.urn in changed]

    @property
    def findings_elsewhere(self) -> list[Diagnostic]:
        changed = self.changed_urns
        return [diagnostic for diagnostic in self.head.diagnostics if diagnostic.urn and diagnostic.urn not in changed]

    @property
    def risky(self) -> list[Change]:
        return risky_changes(self.steps, self.comparison)

    @property
    def services(self) -> list[str]:
        return sorted({step.service for step in self.steps})

    def scrub(self, text: str) -> str:
        for secret in sorted(self.secret_texts | self.head.secret_texts, key=len, reverse=True):
            text = text.replace(secret, "[secret]")
        return text

    def blast_radius(self, service: str) -> str:
        """`5 routing resources on 4 clouds` for the resources named for this service."""
        mine = [change for change in self.comparison.custom_changes if services_touched(change, self.services) == service]
        if not mine:
            return "no resources change"
        categories = Counter(change.category for change in mine)
        clouds = {change.cloud for change in mine}
        kinds = ", ".join(f"{count} {category}" for category, count in sorted(categories.items(), key=lambda item: -item[1]))
        return f"{kinds} resource{'s' if len(mine) != 1 else ''} on {len(clouds)} cloud{'s' if len(clouds) != 1 else ''}"

    def verdict(self) -> str:
        """One line: the step (or the change), what it does, and the findings on it."""
        custom = self.comparison.custom_changes
        if self.steps:
            head = "; ".join(step.text for step in self.steps)
        elif custom:
            head = f"{len(custom)} resource change{'s' if len(custom) != 1 else ''}"
        else:
            head = "no resource changes"
        groups = Counter((change.category, change.kind) for change in custom)
        order = {kind: index for index, kind in enumerate(("replace", "delete", "create", "update"))}
        parts = [
            f"{count} {category} {_KIND_WORDS[kind]}{'s' if count != 1 else ''}"
            for (category, kind), count in sorted(groups.items(), key=lambda item: (order[item[0][1]], -item[1], item[0][0]))
        ]
        findings = _finding_words(self.findings_on_changes)
        if self.head.program_errors:
            findings += f", program logged {len(self.head.program_errors)} error(s)"
        body = ", ".join([*parts, findings]) if parts else findings
        return f"{head}: {body}"


def _finding_words(found: list[Diagnostic]) -> str:
    if not found:
        return "no findings"
    levels = Counter("mandatory" if diagnostic.level in ("mandatory", "remediate") else "advisory" for diagnostic in found)
    words = []
    if levels["mandatory"]:
        words.append(f"{levels['mandatory']} mandatory violation{'s' if levels['mandatory'] != 1 else ''}")
    if levels["advisory"]:
        words.append(f"{levels['advisory']} advisory finding{'s' if levels['advisory'] != 1 else ''}")
    return ", ".join(words)


def run_base_preview(options: BasePreviewOptions) -> ChangeReport:
    """Evaluate the base and the working tree side by side; raises PreflightError subclasses on failure."""
    if not options.base:
        raise UsageError("--base needs a git ref (e.g. origin/main) or a saved --json report")
    project, settings = load_selection(options)  # the change's flags are checked before anything starts
    as_file = Path(options.base)
    if as_file.suffix == ".json" or as_file.is_file():
        saved = load_json_base(as_file, settings.stack)
        head = run_preview(replace(options, resolve_outputs=True))
        return _report(project.name, saved, head, settings.values, "working tree", gated=True)
    with GitBase(options.cwd, options.base, settings.stack) as base:
        targets = [Base(base.target[0], base.target[1], base.label)] if base.target is not None else []
        head, evaluations = preview_beside(replace(options, resolve_outputs=True), targets)
        side = base.side(evaluations[0] if evaluations else None)
    return _report(project.name, side, head, settings.values, "working tree", gated=True)


def _report(
    project: str, side: BaseSide, head: PreviewReport, head_values: dict[str, Any], head_label: str, gated: bool
) -> ChangeReport:
    stack = head.stack
    base_resources = _rebase(side.resources, side.stack or stack, stack)
    head_resources = head.resources
    if side.plain:
        head_resources = [
            RecordedResource(**{**resource.__dict__, "inputs": plain(resource.inputs), "options": {}})
            for resource in head_resources
        ]
    comparison = compare(base_resources, head_resources)
    steps = release_steps(side.values, head_values, project) if side.values is not None else []
    return ChangeReport(
        project=project,
        stack=stack,
        base_label=side.label,
        head_label=head_label,
        comparison=comparison,
        head=head,
        base_resources=base_resources,
        steps=steps,
        notes=list(side.notes),
        secret_texts=set(side.secret_texts),
        gated=gated,
    )


def _rebase(resources: list[RecordedResource], old: str, new: str) -> list[RecordedResource]:
    """URNs embed the stack name; compare two stacks' resources under one name."""
    if old == new:
        return resources
    before, after = f"urn:pulumi:{old}::", f"urn:pulumi:{new}::"

    def fix(urn: str) -> str:
        return after + urn[len(before) :] if urn.startswith(before) else urn

    return [
        RecordedResource(
            **{
                **resource.__dict__,
                "urn": fix(resource.urn),
                "parent": fix(resource.parent) if resource.parent else None,
                "dependencies": [fix(urn) for urn in resource.dependencies],
            }
        )
        for resource in resources
    ]


@dataclass
class ConfigDiffOptions(StackSelection):
    """Flags of `rollway diff`: the stack's own config (the base) against another stack, file or `-c` values."""

    against: str | None = None
    """Stack name or stack config file to compare with (`--config-file` is the same as `--against FILE`)."""


def run_config_diff(options: ConfigDiffOptions) -> ChangeReport:
    """Evaluate the stack's config and the other configuration side by side (plausible outputs on both)."""
    if options.config_file is not None and options.against is not None:
        raise UsageError("give the other side once: --against STACK|FILE or --config-file FILE, not both")
    project = load_project(options.cwd)
    stack = select_stack(project, options.stack)
    base_settings = load_stack_settings(project, stack)
    against = options.against or (str(options.config_file) if options.config_file is not None else stack)
    as_file = against.endswith((".yaml", ".yml")) or options.config_file is not None
    other_file = Path(against) if options.config_file is not None else Path(options.cwd, against) if as_file else None
    other_stack = stack if as_file else against
    if not options.config and not as_file and against == stack:
        raise UsageError("nothing to compare: give --against STACK|FILE (or --config-file FILE), or -c KEY=VALUE changes")
    other = PreviewOptions(
        cwd=options.cwd,
        stack=other_stack,
        config=options.config,
        path_keys=options.path_keys,
        config_file=other_file,
        resolve_outputs=True,
    )
    _, other_settings = load_selection(other)  # bad flags fail before the base starts
    head, (evaluation,) = preview_beside(other, [Base(project, base_settings, f"stack {stack}")])
    side = evaluated_side(evaluation, base_settings, stack)
    head_label = f"{against} with -c {' '.join(options.config)}" if options.config else against
    report = _report(project.name, replace(side, label=stack), head, other_settings.values, head_label, gated=False)
    report.stack = stack  # shown as the base stack; URNs are compared under the other side's name
    return report
