"""Finding secret-looking literals in resource inputs.

Two signals: values shaped like a known credential (AWS access key ids, private key blocks, provider tokens,
passwords inside connection strings), anywhere; and literal values of secret-named settings (`DB_PASSWORD`,
`apiKey`...) in places meant for plain configuration (environment variables, ConfigMap data, tags, labels).
Secret stores' own value fields are skipped: that is where secrets belong.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from policies.common.props import Unknown, dotted, json_document

_VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("a Stripe live key", re.compile(r"\b[rs]k_live_[0-9A-Za-z]{20,}")),
    ("a JSON web token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("a password inside a connection string", re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:(?!\$\{)[^/\s@]{3,}@", re.I)),
)

_SECRET_NAME = re.compile(
    # Keywords match in any case; the word boundaries around them are case-sensitive so camelCase works
    # (`dbPassword`, `apiKey`) without `tokens_per_minute` counting as a token.
    r"(?:^|[_.\-]|(?<=[a-z]))"
    r"(?i:password|passwd|secret|token|api[_-]?key|apikey|private[_-]?key|access[_-]?key|client[_-]?secret|credentials?)"
    r"(?:$|[_.\-]|(?=[A-Z]))"
)
_NOT_A_SECRET_NAME = re.compile(
    r"(?i)(?:ref|name|names|arn|id|path|file|url|uri|length|policy|type|rotation|version|enabled|required|key[_-]?id|header|endpoint|audience|ttl|expiry|expiration)$"
)
_REFERENCE = re.compile(
    r"^(?:arn:|\$\{|projects/[^/]+/secrets/|https://[^/]+\.vault\.azure\.net/|ssm:|secretsmanager:|vault:)", re.I
)

_PLAIN_CONFIG_MAPS = frozenset(
    {"variables", "environment", "environmentVariables", "data", "tags", "labels", "annotations", "appSettings"}
)
"""Keys of maps whose entries are plain settings (env vars, ConfigMap data, tags...), checked by name."""

_SECRET_FIELDS = frozenset(
    {
        "masterPassword",
        "password",
        "adminPassword",
        "administratorLoginPassword",
        "rootPassword",
        "secretString",
        "secretBinary",
        "secretData",
        "stringData",
    }
)
"""Provider fields meant for secrets (the providers mark them secret); not where a leaked literal hides."""

SECRET_STORE_FIELDS: dict[str, tuple[tuple[str | int, ...], ...]] = {
    "kubernetes:core/v1:Secret": (("data",), ("stringData",)),
    "aws:secretsmanager/secretVersion:SecretVersion": (("secretString",), ("secretBinary",)),
    "gcp:secretmanager/secretVersion:SecretVersion": (("secretData",),),
    "azure-native:keyvault:Secret": (("properties", "value"),),
}
"""Secret stores: the listed subtrees hold secrets by design and are not scanned."""


@dataclass(frozen=True)
class SecretFinding:
    path: str
    """Where the literal sits, e.g. `containerDefinitions[0].environment[1].value`."""
    kind: str
    """What it looks like, e.g. "an AWS access key id"."""
    preview: str
    """A redacted hint: the credential's public prefix (e.g. `AKIA…`) or, for named settings, only the length."""


def redact(value: str) -> str:
    """First four characters (a credential pattern's fixed prefix, e.g. `AKIA`), never more."""
    return (value[:4] + "…") if len(value) > 8 else "…"


def length_only(value: str) -> str:
    return f"{len(value)} characters"


def looks_like_secret(value: str) -> str | None:
    """What kind of credential a string looks like, or None."""
    for kind, pattern in _VALUE_PATTERNS:
        if pattern.search(value):
            return kind
    return None


def secret_name(name: str) -> bool:
    """Whether a setting name says it holds a secret (`DB_PASSWORD`, `apiKey`), not a reference to one."""
    return bool(_SECRET_NAME.search(name)) and not _NOT_A_SECRET_NAME.search(name)


def is_literal(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != "" and not _REFERENCE.match(value.strip())


def _skipped(resource_type: str, props: Any, path: tuple[str | int, ...]) -> bool:
    if path and isinstance(path[-1], str) and path[-1] in _SECRET_FIELDS:
        return True
    if resource_type == "aws:ssm/parameter:Parameter" and path == ("value",):
        return isinstance(props, dict) and props.get("type") == "SecureString"
    if resource_type == "azure-native:app:ContainerApp" and path[:2] == ("configuration", "secrets"):
        return True
    return any(path[: len(prefix)] == prefix for prefix in SECRET_STORE_FIELDS.get(resource_type, ()))


def find_secrets(resource_type: str, props: Any) -> list[SecretFinding]:
    """Every secret-looking literal in a resource's inputs."""
    findings: list[SecretFinding] = []
    for path, value in _nodes(props, (), 0):
        if _skipped(resource_type, props, path):
            continue
        if isinstance(value, str):
            kind = looks_like_secret(value)
            if kind:
                findings.append(SecretFinding(dotted(path), kind, redact(value)))
        elif isinstance(value, dict):
            findings.extend(_named_literals(value, path))
    return _dedupe(findings)


def _named_literals(node: dict[str, Any], path: tuple[str | int, ...]) -> Iterator[SecretFinding]:
    name, literal = node.get("name"), node.get("value")
    if isinstance(name, str) and secret_name(name) and is_literal(literal) and not looks_like_secret(str(literal)):
        yield SecretFinding(
            dotted((*path, "value")), f"a secret-named setting {name!r} with a literal value", length_only(str(literal))
        )
    if path and path[-1] in _PLAIN_CONFIG_MAPS:
        for key, value in node.items():
            if secret_name(key) and is_literal(value) and not looks_like_secret(str(value)):
                yield SecretFinding(
                    dotted((*path, key)), f"a secret-named setting {key!r} with a literal value", length_only(str(value))
                )


def _nodes(tree: Any, path: tuple[str | int, ...], depth: int) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Like `props.walk`, but descends into JSON documents held in strings (ECS container definitions)."""
    if depth > 48 or isinstance(tree, Unknown):
        return
    if isinstance(tree, str):
        document = json_document(tree) if len(tree) < 200_000 else None
        if isinstance(document, (dict, list)):
            yield from _nodes(document, path, depth + 1)
            return
        yield path, tree
        return
    yield path, tree
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _nodes(value, (*path, key), depth + 1)
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from _nodes(value, (*path, index), depth + 1)


def _dedupe(findings: list[SecretFinding]) -> list[SecretFinding]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for finding in findings:
        if (finding.path, finding.kind) not in seen:
            seen.add((finding.path, finding.kind))
            unique.append(finding)
    return unique
