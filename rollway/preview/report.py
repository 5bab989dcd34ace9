"""The result of `rollway preview`: resources, policy diagnostics and a summary, with its stable JSON form.

JSON schema (version 1; fields are only ever added):

    {"schemaVersion": 1, "project": str, "stack": str,
     "mode": "preview" | "resolve-outputs",
     "resources": [{"urn", "type", "name", "parent": str|null, "custom": bool, "inputs": {...}, "dependencies": [urn]}],
     "diagnostics": [{"pack", "policy", "level", "severity", "urn": str|null, "message"}],
     "outputs": {name: value},
     "summary": {"resources", "custom", "components", "byType": {type: n},
                 "diagnostics": {"mandatory", "advisory", "remediate"},
                 "packs": [{"name", "version", "policies"}], "unansweredInvokes": [token], "derivedInvokes": [token],
                 "passed": bool}}

In `inputs`, values known only after apply are the string "<known after apply>" and secrets "[secret]".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rollway.engine.run import RecordedResource
from rollway.engine.values import Secret, UnknownValue, to_plain
from rollway.preview.analyzer import Diagnostic, PackReport, PolicyReport
from rollway.preview.errors import EXIT_FAILED, EXIT_OK

SCHEMA_VERSION = 1
UNKNOWN_TEXT = "<known after apply>"
SECRET_TEXT = "[secret]"
LEVEL_ORDER = ("mandatory", "remediate", "advisory")


@dataclass
class PreviewReport:
    """Everything `rollway preview` shows, in every output format."""

    project: str
    """Project name."""
    stack: str
    """Stack name."""
    resolve_outputs: bool
    """True when provider-computed outputs were filled with plausible values."""
    resources: list[RecordedResource]
    """Registered resources in registration order (providers included, root stack excluded)."""
    stack_urn: str | None = None
    """URN of the root stack (parent of top-level resources)."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """Stack exports (kit values: secrets and unknowns marked)."""
    packs: list[PackReport] = field(default_factory=list)
    """What each policy pack reported."""
    unanswered_invokes: list[str] = field(default_factory=list)
    """Invoke tokens answered with an empty result."""
    derived_invokes: list[str] = field(default_factory=list)
    """Invoke tokens with no offline handler, answered with values derived from the SDK's result type."""
    logs: list[tuple[str, str]] = field(default_factory=list)
    """(level, message) the program logged."""
    warnings: list[str] = field(default_factory=list)
    """Things the preview could not do faithfully offline."""
    secret_texts: set[str] = field(default_factory=set)
    """Plaintexts of secrets seen in the run, scrubbed from any printed text."""

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return PolicyReport(self.packs).diagnostics

    @property
    def mandatory(self) -> list[Diagnostic]:
        return PolicyReport(self.packs).mandatory

    @property
    def program_errors(self) -> list[str]:
        return [message for level, message in self.logs if level == "error"]

    @property
    def passed(self) -> bool:
        return not self.mandatory and not self.program_errors

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.passed else EXIT_FAILED

    def by_urn(self) -> dict[str, RecordedResource]:
        return {resource.urn: resource for resource in self.resources}

    def scrub(self, text: str) -> str:
        """Mask every known secret plaintext in text meant for a terminal, a file or a PR."""
        for secret in sorted(self.secret_texts, key=len, reverse=True):
            text = text.replace(secret, SECRET_TEXT)
        return text

    def summary(self) -> dict[str, Any]:
        levels = Counter(diagnostic.level for diagnostic in self.diagnostics)
        return {
            "resources": len(self.resources),
            "custom": sum(1 for resource in self.resources if resource.custom),
            "components": sum(1 for resource in self.resources if not resource.custom),
            "byType": dict(sorted(Counter(resource.type for resource in self.resources).items())),
            "diagnostics": {level: levels.get(level, 0) for level in LEVEL_ORDER},
            "packs": [{"name": pack.name, "version": pack.version, "policies": len(pack.policies)} for pack in self.packs],
            "unansweredInvokes": sorted(set(self.unanswered_invokes)),
            "derivedInvokes": sorted(set(self.derived_invokes)),
            "passed": self.passed,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "project": self.project,
            "stack": self.stack,
            "mode": "resolve-outputs" if self.resolve_outputs else "preview",
            "resources": [
                {
                    "urn": resource.urn,
                    "type": resource.type,
                    "name": resource.name,
                    "parent": resource.parent,
                    "custom": resource.custom,
                    "inputs": plain(resource.inputs),
                    "dependencies": list(resource.dependencies),
                }
                for resource in self.resources
            ],
            "diagnostics": [
                {
                    "pack": diagnostic.pack,
                    "policy": diagnostic.policy,
                    "level": diagnostic.level,
                    "severity": diagnostic.severity,
                    "urn": diagnostic.urn or None,
                    "message": self.scrub(diagnostic.message),
                }
                for diagnostic in self.diagnostics
            ],
            "outputs": plain(self.outputs),
            "summary": self.summary(),
        }


def plain(value: Any) -> Any:
    """JSON-ready value: secrets masked, unknowns as text."""
    return to_plain(value, SECRET_TEXT, UNKNOWN_TEXT)


def secret_plaintexts(values: Any) -> set[str]:
    """Every string inside a Secret, so printed text can be scrubbed of them."""
    found: set[str] = set()

    def walk(value: Any, inside: bool) -> None:
        if isinstance(value, Secret):
            walk(value.value, True)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item, inside)
        elif isinstance(value, list):
            for item in value:
                walk(item, inside)
        elif inside and isinstance(value, str | int | float) and not isinstance(value, bool | UnknownValue):
            text = str(value)
            # Very short values ("1", "a") would mangle unrelated text; they are not credible secrets.
            if len(text) >= 4:
                found.add(text)

    walk(values, False)
    return found
