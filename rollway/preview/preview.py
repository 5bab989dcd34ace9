"""`rollway preview` and `rollway diff` as functions: flags in, a report out (the CLI only parses and prints)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rollway.engine.run import RecordedResource
from rollway.engine.values import Secret
from rollway.preview.analyzer import DEFAULT_TIMEOUT, Diagnostic, PackSpec, PolicyGate, PolicyReport, StackInfo
from rollway.preview.config import StackSettings, load_stack_settings
from rollway.preview.errors import ProgramError, UsageError
from rollway.preview.evaluate import Evaluation, mask
from rollway.preview.gate import analyzed_resources
from rollway.preview.project import Project, load_project
from rollway.preview.report import PreviewReport, secret_plaintexts
from rollway.preview.runner import DEFAULT_PROGRAM_TIMEOUT, PendingEvaluation, Ticket, start_evaluation


@dataclass
class StackSelection:
    """Which project, stack and config to evaluate (the flags shared by preview and diff)."""

    cwd: Path = Path(".")
    """Project directory (holds Pulumi.yaml)."""
    stack: str | None = None
    """Stack name; optional when the project has exactly one stack file."""
    config: list[str] = field(default_factory=list)
    """`-c KEY=VALUE` items."""
    path_keys: bool = False
    """`--path`: `-c` keys are paths into structured values."""
    config_file: Path | None = None
    """`--config-file`: use this file instead of Pulumi.<stack>.yaml."""
    resolve_outputs: bool = False
    """Fill provider-computed outputs with plausible values."""
    program_timeout: float = DEFAULT_PROGRAM_TIMEOUT
    """`--program-timeout`: seconds the program may take to evaluate."""


@dataclass
class PreviewOptions(StackSelection):
    """Flags of `rollway preview`."""

    policy_packs: list[Path] = field(default_factory=list)
    """`--policy-pack` directories, in order."""
    policy_pack_configs: list[Path] = field(default_factory=list)
    """`--policy-pack-config` files, paired with the packs by position."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds a pack may take to start or to answer one call."""


def select_stack(project: Project, stack: str | None) -> str:
    if stack:
        return stack
    known = project.known_stacks()
    if len(known) == 1:
        return known[0]
    listed = ", ".join(known) or "none"
    raise UsageError(f"--stack is required: {project.directory} has stack files for: {listed}")


def load_selection(selection: StackSelection) -> tuple[Project, StackSettings]:
    project = load_project(selection.cwd)
    stack = select_stack(project, selection.stack)
    settings = load_stack_settings(project, stack, selection.config_file, selection.config, selection.path_keys)
    return project, settings


def pack_specs(packs: list[Path], configs: list[Path]) -> list[PackSpec]:
    """Pair packs with their configs by position; checked before anything starts."""
    if configs and len(configs) != len(packs):
        raise UsageError(
            f"--policy-pack-config is paired with --policy-pack by position: got {len(configs)} config file(s) for {len(packs)} pack(s)"
        )
    for pack in packs:
        if not pack.is_dir():
            raise UsageError(f"--policy-pack {pack}: not a directory")
    for config in configs:
        if not config.is_file():
            raise UsageError(f"--policy-pack-config {config}: no such file")
    return [PackSpec(pack, configs[index] if configs else None) for index, pack in enumerate(packs)]


@dataclass(frozen=True)
class Base:
    """The other side of a comparison, evaluated beside a preview (see `preview_beside`)."""

    project: Project
    settings: StackSettings
    label: str
    """How errors name it: `main (1a2b3c4)`, `stack dev`."""


def _collect_base(pending: PendingEvaluation, ticket: Ticket, label: str) -> Evaluation:
    try:
        return scrubbed(ticket.settings, functools.partial(pending.collect, ticket))
    except ProgramError as error:
        raise ProgramError(f"the program at {label} failed (the base, not the change):\n{error}") from None


def run_preview(options: PreviewOptions) -> PreviewReport:
    """Evaluate the program and run the policy packs over it; raises PreflightError subclasses on failure."""
    return preview_beside(options, [])[0]


def preview_beside(options: PreviewOptions, bases: Sequence[Base]) -> tuple[PreviewReport, list[Evaluation]]:
    """`run_preview`, plus each of `bases` evaluated with filled-in values by the same evaluation process, whose
    provider SDKs are imported by then, while this process runs the policy analysis (`rollway diff`,
    `preview --base`). A base's program error is a ProgramError that names the base."""
    project, settings = load_selection(options)
    specs = pack_specs(options.policy_packs, options.policy_pack_configs)
    stack_info = StackInfo(
        project=project.name, stack=settings.stack, config=settings.engine_config(), secret_keys=sorted(settings.secret_keys)
    )
    # Packs boot (each a Python process, forked from this one while it has a single thread), then the program
    # evaluates in a forked child meanwhile. (Forking the evaluation first made the packs' Handshake fail with
    # UNAVAILABLE; the cause was not found, so the order is kept as tested.)
    with (
        PolicyGate(specs, stack_info, options.timeout) as gate,
        start_evaluation(project, settings, options.resolve_outputs, options.program_timeout) as pending,
    ):
        evaluation = scrubbed(settings, pending.result)
        tickets = [pending.submit(base.project, base.settings, True) for base in bases]
        recording = evaluation.recording
        resources = tree_order(recording.resources)
        policy = PolicyReport()
        rerun_note: str | None = None
        rerun_secrets: set[str] = set()
        if specs:
            policy = gate.analyze(analyzed_resources(resources, project.name, settings.stack, settings.values))
            if not options.resolve_outputs and any(can_not_run(d) for d in policy.diagnostics):
                # No blind spots: what a policy could not decide on preview values is decided on values with
                # provider-computed fields filled in, the same program evaluated as `--resolve-outputs` does
                # (in the evaluation's warm child, whose SDK imports are done).
                rerun = scrubbed(settings, lambda: pending.again(settings, True))
                resolved, rerun_secrets = rerun.recording, set(rerun.secrets)
                again = gate.analyze(
                    analyzed_resources(tree_order(resolved.resources), project.name, settings.stack, settings.values)
                )
                rerun_note = decide_on_filled_in_values(policy, again)
        side_evaluations = [_collect_base(pending, ticket, base.label) for ticket, base in zip(tickets, bases, strict=True)]
    warnings = list(evaluation.notes)
    if rerun_note:
        warnings.append(rerun_note)
    if settings.environments:
        warnings.append(
            f"{Path(settings.source).name} imports ESC environment(s) {', '.join(settings.environments)}; "
            "their values are not available offline"
        )
    secrets = secret_plaintexts([resource.inputs for resource in recording.resources])
    secrets |= {str(settings.values[key]) for key in settings.secret_keys if key in settings.values}
    secrets |= evaluation.secrets | rerun_secrets
    report = PreviewReport(
        project=project.name,
        stack=settings.stack,
        resolve_outputs=options.resolve_outputs,
        resources=resources,
        stack_urn=recording.stack_urn,
        outputs=dict(recording.exports),
        packs=policy.packs,
        unanswered_invokes=list(recording.unanswered_invokes),
        derived_invokes=list(recording.derived_invokes),
        logs=evaluation.logs,
        warnings=warnings,
        secret_texts={text for text in secrets if len(text) >= 4},
    )
    return report, side_evaluations


FILLED_IN = "[decided on values with provider-computed fields filled in] "
"""Prefix of a finding that a policy made on the re-run, because preview values could not decide it."""


def can_not_run(diagnostic: Diagnostic) -> bool:
    """The SDK's advisory note for a policy that needed a value unknown during preview."""
    return diagnostic.message.startswith("can't run policy ") and " during preview: " in diagnostic.message


def decide_on_filled_in_values(preview: PolicyReport, resolved: PolicyReport) -> str:
    """Replace, in `preview`, every "can't run during preview" note by what the same policy said about the same
    resource on the re-run (marked FILLED_IN); a note the re-run cannot decide either stays. Returns the line
    the report shows about it."""
    decided = 0
    for pack, again in zip(preview.packs, resolved.packs, strict=True):
        blind = {(d.policy, d.urn) for d in pack.diagnostics if can_not_run(d)}
        answers = [d for d in again.diagnostics if (d.policy, d.urn) in blind]
        undecided = {(d.policy, d.urn) for d in answers if can_not_run(d)}
        kept = [d for d in pack.diagnostics if not can_not_run(d) or (d.policy, d.urn) in undecided]
        added = [replace(d, message=FILLED_IN + d.message) for d in answers if not can_not_run(d)]
        decided += len(blind - undecided)
        pack.diagnostics = kept + added
    return (
        f"{decided} policy check(s) could not run on preview values and were re-run on values with "
        "provider-computed fields filled in (their findings say so)"
    )


def scrubbed(settings: StackSettings, run: Callable[[], Evaluation]) -> Evaluation:
    """`run()`, with secret config values masked in the program's error (the evaluation masks what it saw;
    this also covers errors raised before the program ran)."""
    try:
        return run()
    except ProgramError as error:
        text = str(error)
        secrets = secret_plaintexts([Secret(settings.values[key]) for key in settings.secret_keys if key in settings.values])
        raise ProgramError(mask(text, secrets)) from None


def tree_order(resources: list[RecordedResource]) -> list[RecordedResource]:
    """Parents before children, siblings by (components first, type, name): stable across runs, unlike
    registration order, which follows the program's asynchronous resolution."""
    known = {resource.urn for resource in resources}
    children: dict[str | None, list[RecordedResource]] = {}
    for resource in resources:
        children.setdefault(resource.parent if resource.parent in known else None, []).append(resource)
    ordered: list[RecordedResource] = []

    def visit(parent: str | None) -> None:
        for child in sorted(children.get(parent, []), key=lambda item: (item.custom, item.type, item.name)):
            ordered.append(child)
            visit(child.urn)

    visit(None)
    return ordered
