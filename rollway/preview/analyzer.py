"""A client for the Pulumi engine's Analyzer protocol: runs CrossGuard policy packs the way `pulumi preview` does.

    packs = [PackSpec(Path("policies/security"), Path("policies/config/dev/security.json"))]
    with PolicyGate(packs, StackInfo(project="rollway", stack="dev", config={...})) as gate:
        report = gate.analyze(resources)     # list[AnalyzedResource] -> PolicyReport

Each pack directory is started as a subprocess with Python (the engine's `policy-python` analyzer plugin
does the same) through `preflight/pack_boot.py`, which makes pulumi-policy's servicer cheaper without
changing its answers, and forks the pack from this process instead of exec'ing a new interpreter when both
run the same interpreter and virtualenv (saving the pack most of its start-up imports); the gRPC port it
prints on its first stdout line is dialled. Then, as the engine:
Handshake and ConfigureStack (when the pack's SDK implements them), GetAnalyzerInfo, Configure with the
pack's paired policy-pack-config merged over the pack's initial config, Analyze for every custom
resource, and AnalyzeStack once with parents and dependencies. Packs start at once and are analyzed
concurrently; every subprocess is ended when the gate closes, whatever happened. A pack that exits,
stays silent or does not answer within `timeout` seconds raises PolicyPackError with its stderr.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from rollway.preview import pack_boot
from rollway.preview.errors import PolicyPackError, UsageError

DEFAULT_TIMEOUT = 60.0
"""Seconds a pack may take to start, and to answer one call, before it counts as hung."""
ANALYZE_WINDOW = 64
"""Analyze calls in flight per pack: enough to keep the pack busy, few enough that none waits out its deadline."""

LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
LEVEL_CODES = {name: code for code, name in LEVELS.items()}
SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
_STDERR_TAIL = 4000


@dataclass(frozen=True)
class PackSpec:
    """A policy pack to run and the policy-pack-config file paired with it."""

    directory: Path
    """Directory holding the pack's PulumiPolicy.yaml and __main__.py."""
    config_file: Path | None = None
    """JSON policy-pack-config (`{"all": level, "<policy>": level | {"enforcementLevel": .., ...}}`)."""


@dataclass(frozen=True)
class StackInfo:
    """What the engine tells a pack about the stack under analysis."""

    project: str
    """Project name."""
    stack: str
    """Stack name."""
    config: Mapping[str, str] = field(default_factory=dict)
    """Stack config as the engine passes it (strings; structured values as JSON)."""
    secret_keys: Sequence[str] = ()
    """Config keys holding secrets."""
    organization: str = "organization"
    """Organization name (file-state backends have none; the policy SDK uses this default)."""
    dry_run: bool = True
    """True for a preview."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Stack tags."""


@dataclass(frozen=True)
class AnalyzedResource:
    """One resource as the engine shows it to a policy pack; properties in wire form.

    Wire form is what the engine marshals: unknown values are the string
    `04da6b54-80e4-46f7-96ec-b56ff0331ba9`, secrets `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": ...}`.
    """

    urn: str
    """Resource URN."""
    type: str
    """Type token, e.g. `aws:ec2/vpc:Vpc`."""
    name: str
    """Logical name."""
    custom: bool
    """True for provider-managed resources (Analyze is only called for these)."""
    properties: Mapping[str, Any]
    """Inputs, as Analyze sees them."""
    outputs: Mapping[str, Any] | None = None
    """The preview's outputs, as AnalyzeStack sees them; None to show the inputs."""
    parent: str = ""
    """Parent URN or empty."""
    dependencies: Sequence[str] = ()
    """URNs the resource depends on."""
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Per input property, the URNs it depends on."""
    protect: bool = False
    """`protect` option."""
    ignore_changes: Sequence[str] = ()
    """`ignoreChanges` option."""
    delete_before_replace: bool | None = None
    """`deleteBeforeReplace` option, None when unset."""
    additional_secret_outputs: Sequence[str] = ()
    """`additionalSecretOutputs` option."""
    aliases: Sequence[str] = ()
    """Alias URNs."""
    provider: AnalyzedProvider | None = None
    """The provider that manages the resource (default provider when not explicit)."""


@dataclass(frozen=True)
class AnalyzedProvider:
    """The provider resource shown with each analyzed resource."""

    urn: str
    """Provider URN."""
    type: str
    """`pulumi:providers:<package>`."""
    name: str
    """Provider name (`default` for default providers)."""
    properties: Mapping[str, Any] = field(default_factory=dict)
    """Provider config (e.g. region) in wire form."""


@dataclass(frozen=True)
class Diagnostic:
    """One policy violation (or advisory note) reported by a pack."""

    pack: str
    """Pack name."""
    pack_version: str
    """Pack version."""
    policy: str
    """Policy name."""
    level: str
    """Enforcement level: advisory, mandatory, remediate or disabled."""
    severity: str
    """low, medium, high, critical or empty when the policy sets none."""
    urn: str
    """Offending resource, or empty for stack-wide findings."""
    message: str
    """What the policy reported (its description, then its message)."""


@dataclass(frozen=True)
class PolicyInfo:
    """A policy as the pack describes it, with the level it runs at after configuration."""

    name: str
    """Policy name."""
    description: str
    """Policy description."""
    level: str
    """Effective enforcement level."""
    kind: str
    """`resource` or `stack`."""


@dataclass
class PackReport:
    """What one pack said."""

    name: str
    """Pack name."""
    version: str
    """Pack version."""
    directory: Path
    """Pack directory."""
    policies: list[PolicyInfo] = field(default_factory=list)
    """Policies after configuration."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """Violations, in the order the pack reported them."""


@dataclass
class PolicyReport:
    """What all packs said."""

    packs: list[PackReport] = field(default_factory=list)
    """One report per pack, in command-line order."""

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [diagnostic for pack in self.packs for diagnostic in pack.diagnostics]

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [diagnostic for diagnostic in self.diagnostics if diagnostic.level in ("mandatory", "remediate")]


class PolicyPack:
    """One running policy-pack subprocess and the gRPC stub to it."""

    def __init__(
        self, spec: PackSpec, stack: StackInfo, timeout: float = DEFAULT_TIMEOUT, start_timeout: float | None = None
    ) -> None:
        self.spec = spec
        self.stack = stack
        self.timeout = timeout
        self.start_timeout = timeout if start_timeout is None else start_timeout
        self.directory = spec.directory.resolve()
        self.name = self.directory.name
        self.version = ""
        self._declared_version = ""
        self._process: subprocess.Popen[bytes] | pack_boot.ForkedProcess | None = None
        self._stderr: IO[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._port: str | None = None
        self._port_ready = threading.Event()
        self._reader: threading.Thread | None = None
        self._started_at = 0.0
        self.policies: list[PolicyInfo] = []

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Spawn the pack process and read its port in the background; returns at once."""
        self.spawn()
        self.watch()

    def spawn(self) -> None:
        """Start the pack process (forked when it runs with this interpreter, see rollway.preview.pack_boot)."""
        policy_file = self._policy_file()
        node = self._node_command(policy_file)
        if node is None and not (self.directory / "__main__.py").exists():
            raise UsageError(
                f"--policy-pack {self.spec.directory}: no __main__.py and no Node.js runtime in PulumiPolicy.yaml "
                "(not a Python or Node.js policy pack directory)"
            )
        # Python packs always answer 0.0.1; the engine takes the version from PulumiPolicy.yaml.
        self._declared_version = str(policy_file.get("version") or "")
        env = dict(os.environ)
        env.update(
            {
                "PULUMI_CONFIG": json.dumps(dict(self.stack.config)),
                "PULUMI_CONFIG_SECRET_KEYS": json.dumps(list(self.stack.secret_keys)),
                "PULUMI_PROJECT": self.stack.project,
                "PULUMI_STACK": self.stack.stack,
                "PULUMI_ORGANIZATION": self.stack.organization,
                "PULUMI_DRY_RUN": "true" if self.stack.dry_run else "false",
                "PYTHONUNBUFFERED": "1",
            }
        )
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close(), which every exit path reaches
        self._started_at = time.monotonic()
        python = self._python(policy_file)
        if node is not None:
            # As the engine does without a Node.js language host: @pulumi/pulumi's run-policy-pack, in the pack's
            # directory, with an engine address (which it skips) and the program to run.
            self._process = subprocess.Popen(
                node, cwd=self.directory, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr
            )
        elif pack_boot.can_fork(python):
            # Same interpreter and virtualenv: fork, sharing the imports this process already paid for.
            self._process = pack_boot.fork_pack(str(self.directory), env, self._stderr.fileno())
        else:
            self._process = subprocess.Popen(
                [python, "-u", pack_boot.SCRIPT, str(self.directory)],
                cwd=self.directory,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
            )

    def watch(self) -> None:
        """Read the pack's port in the background (started after every pack is spawned: forking wants one thread)."""
        if self._reader is None and self._process is not None:
            self._reader = threading.Thread(target=self._read_stdout, name=f"policy-pack-{self.name}", daemon=True)
            self._reader.start()

    def _policy_file(self) -> dict[str, Any]:
        policy_file = self.directory / "PulumiPolicy.yaml"
        if not policy_file.exists():
            return {}
        try:
            data = yaml.safe_load(policy_file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise UsageError(f"{policy_file}: cannot read: {error}") from None
        return data if isinstance(data, dict) else {}

    def _node_command(self, policy_file: Mapping[str, Any]) -> list[str] | None:
        """The command that starts a Node.js pack, or None for a Python pack."""
        runtime = policy_file.get("runtime")
        name = runtime.get("name") if isinstance(runtime, dict) else runtime
        if name != "nodejs":
            return None
        runner = self.directory / "node_modules" / "@pulumi" / "pulumi" / "cmd" / "run-policy-pack"
        if not runner.is_dir():
            raise UsageError(
                f"--policy-pack {self.spec.directory}: a Node.js pack without its dependencies "
                f"({runner} is missing); run `npm install` in {self.directory}"
            )
        node = shutil.which("node")
        if node is None:
            raise UsageError(f"--policy-pack {self.spec.directory}: a Node.js pack needs `node` on PATH")
        return [node, str(runner), "127.0.0.1:0", "."]

    def _python(self, policy_file: Mapping[str, Any]) -> str:
        # The engine honours the pack's own virtualenv from PulumiPolicy.yaml; otherwise use ours.
        runtime = policy_file.get("runtime")
        options = runtime.get("options") if isinstance(runtime, dict) else None
        venv = options.get("virtualenv") if isinstance(options, dict) else None
        if isinstance(venv, str):
            candidate = self.directory / venv / "bin" / "python"
            if candidate.exists():
                return str(candidate)
        return sys.executable

    def _read_stdout(self) -> None:
        process = self._process
        assert process is not None and process.stdout is not None
        try:
            line = process.stdout.readline()
            self._port = line.decode(errors="replace").strip()
            self._port_ready.set()
            # Keep draining so a pack that prints cannot block on a full pipe.
            while process.stdout.read(65536):
                pass
        except (OSError, ValueError):  # the pipe was closed under us: the pack is being ended
            pass
        finally:
            self._port_ready.set()

    def connect(self) -> None:
        """Wait for the pack's port, dial it, and run the engine's opening calls."""
        remaining = self.start_timeout - (time.monotonic() - self._started_at)
        if not self._port_ready.wait(max(remaining, 0.0)):
            raise self._failure(f"printed no port within {self.start_timeout:g}s (hung while starting?)")
        if not self._port or not self._port.isdigit():
            raise self._failure("exited before serving" if not self._port else f"printed {self._port!r} instead of a port")
        pack_boot.note_grpc_used()
        self._channel = grpc.insecure_channel(
            f"127.0.0.1:{self._port}",
            options=[("grpc.max_receive_message_length", 400 * 1024 * 1024), ("grpc.max_send_message_length", 400 * 1024 * 1024)],
        )
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        self._optional_call(
            "Handshake",
            analyzer_pb2.AnalyzerHandshakeRequest(
                engine_address="", root_directory=str(self.directory), program_directory=str(self.directory)
            ),
        )
        self._optional_call(
            "ConfigureStack",
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=self.stack.stack,
                project=self.stack.project,
                organization=self.stack.organization,
                dry_run=self.stack.dry_run,
                config=dict(self.stack.config),
                config_secret_keys=list(self.stack.secret_keys),
                tags=dict(self.stack.tags),
            ),
        )
        info = self._call("GetAnalyzerInfo", empty_pb2.Empty())
        self.name = info.name or self.name
        self.version = self._declared_version or info.version
        self._configure(info)

    def close(self) -> None:
        """End the subprocess (terminate, then kill) and release the channel; safe to call twice."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._reader is not None:
            self._reader.join(timeout=2)
        if process is not None and process.stdout is not None:
            process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    # -- protocol ----------------------------------------------------------------------------------

    def _call(self, method: str, request: Any, timeout: float | None = None) -> Any:
        assert self._stub is not None
        try:
            return getattr(self._stub, method)(request, timeout=timeout or self.timeout)
        except grpc.RpcError as error:
            raise self._rpc_failure(method, error) from None

    def _optional_call(self, method: str, request: Any) -> Any:
        assert self._stub is not None
        try:
            return getattr(self._stub, method)(request, timeout=self.timeout)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.UNIMPLEMENTED:  # older policy SDKs lack Handshake/ConfigureStack
                return None
            raise self._rpc_failure(method, error) from None

    def _configure(self, info: analyzer_pb2.AnalyzerInfo) -> None:
        # As the engine reconciles it: each policy's own level and its schema's defaults, then the pack's
        # initial config (its "all" entry first, then per policy; a level sent there always applies, ADVISORY
        # included), then the --policy-pack-config file the same way.
        base: dict[str, dict[str, Any]] = {}
        for policy in info.policies:
            entry: dict[str, Any] = {"enforcementLevel": LEVELS.get(policy.enforcementLevel, "advisory")}
            for key, schema in _struct_to_dict(policy.configSchema.properties).items():
                if isinstance(schema, dict) and "default" in schema:
                    entry[key] = schema["default"]
            base[policy.name] = entry
        initial = {name: info.initialConfig[name] for name in info.initialConfig}
        if "all" in initial:
            level = LEVELS.get(initial.pop("all").enforcementLevel, "advisory")
            for entry in base.values():
                entry["enforcementLevel"] = level
        for name, config in initial.items():
            if name in base:
                base[name]["enforcementLevel"] = LEVELS.get(config.enforcementLevel, "advisory")
                base[name].update(_struct_to_dict(config.properties))
        schemas = {policy.name: policy.configSchema for policy in info.policies}
        if self.spec.config_file is not None:
            _merge_config_file(self.spec.config_file, base, schemas, self.name)
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, entry in base.items():
            level = entry.get("enforcementLevel", "advisory")
            config = request.policyConfig[name]
            config.enforcementLevel = LEVEL_CODES[level]
            # The engine always sends a properties block, empty or not (some policy SDKs read it unguarded).
            config.properties.SetInParent()
            config.properties.update({key: value for key, value in entry.items() if key != "enforcementLevel"})
        self._call("Configure", request)
        kinds = {analyzer_pb2.POLICY_TYPE_RESOURCE: "resource", analyzer_pb2.POLICY_TYPE_STACK: "stack"}
        self.policies = [
            PolicyInfo(policy.name, policy.description, base[policy.name]["enforcementLevel"], kinds.get(policy.policy_type, ""))
            for policy in info.policies
        ]

    def analyze(
        self, requests: Sequence[analyzer_pb2.AnalyzeRequest], stack_request: analyzer_pb2.AnalyzeStackRequest
    ) -> PackReport:
        """Analyze every resource (pipelined), then the whole stack; diagnostics in resource order."""
        assert self._stub is not None
        report = PackReport(self.name, self.version, self.directory, list(self.policies))
        if any(policy.level != "disabled" and policy.kind != "stack" for policy in self.policies):
            # A bounded window of calls in flight: each call's deadline starts when it is sent, so thousands of
            # resources never queue behind one another past their deadline (which failed as CANCELLED at ~4,000).
            window: deque[tuple[analyzer_pb2.AnalyzeRequest, Any]] = deque()
            sent = 0
            try:
                while sent < len(requests) or window:
                    while sent < len(requests) and len(window) < ANALYZE_WINDOW:
                        window.append((requests[sent], self._stub.Analyze.future(requests[sent], timeout=self.timeout)))
                        sent += 1
                    request, future = window.popleft()
                    try:
                        response = future.result()
                    except grpc.RpcError as error:
                        raise self._rpc_failure("Analyze", error) from None
                    report.diagnostics.extend(self._diagnostics(response, request.urn))
            finally:
                for _, other in window:
                    other.cancel()
        if any(policy.level != "disabled" and policy.kind != "resource" for policy in self.policies):
            report.diagnostics.extend(self._diagnostics(self._call("AnalyzeStack", stack_request)))
        return report

    def _diagnostics(self, response: analyzer_pb2.AnalyzeResponse, urn: str = "") -> list[Diagnostic]:
        # The engine attributes a resource policy's finding to the analyzed resource when the policy names none.
        return [
            Diagnostic(
                pack=item.policyPackName or self.name,
                pack_version=self.version or item.policyPackVersion,
                policy=item.policyName,
                level=LEVELS.get(item.enforcementLevel, "advisory"),
                severity=SEVERITIES.get(item.severity, ""),
                urn=item.urn or urn,
                message=item.message,
            )
            for item in response.diagnostics
        ]

    # -- failures ----------------------------------------------------------------------------------

    def stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace").strip()
        return text[-_STDERR_TAIL:]

    def _failure(self, what: str) -> PolicyPackError:
        process = self._process
        if process is not None and self._port_ready.is_set():
            # A pack that went away may still be flushing stderr; give it a moment to exit.
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=1)
        status = process.poll() if process is not None else None
        exited = f" (exit code {status})" if status is not None else ""
        stderr = self.stderr_tail()
        detail = f"\n--- stderr of {self.directory} ---\n{stderr}" if stderr else " (its stderr was empty)"
        return PolicyPackError(f"policy pack {self.name} {what}{exited}{detail}")

    def _rpc_failure(self, method: str, error: grpc.RpcError) -> PolicyPackError:
        code = error.code()
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return self._failure(f"did not answer {method} within {self.timeout:g}s (hung?)")
        if code == grpc.StatusCode.UNAVAILABLE:
            return self._failure(f"went away during {method}")
        return self._failure(f"failed in {method}: {error.details()}")


def _struct_to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(struct)


def _merge_config_file(
    file: Path, base: dict[str, dict[str, Any]], schemas: Mapping[str, analyzer_pb2.PolicyConfigSchema], pack: str
) -> None:
    """Apply a policy-pack-config file over the pack's defaults, checking it against the pack's policies."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"--policy-pack-config {file}: cannot read: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"--policy-pack-config {file}: invalid JSON at line {error.lineno}: {error.msg}") from None
    if not isinstance(data, dict):
        raise UsageError(f"--policy-pack-config {file}: expected a JSON object of policy names")
    entries = dict(data)
    if "all" in entries:
        level = _level(file, "all", entries.pop("all"))
        for entry in base.values():
            entry["enforcementLevel"] = level
    for name, value in entries.items():
        if name not in base:
            known = ", ".join(sorted(base))
            raise UsageError(f"--policy-pack-config {file}: policy `{name}` is not in pack `{pack}` (its policies: {known})")
        if isinstance(value, str):
            base[name]["enforcementLevel"] = _level(file, name, value)
            continue
        if not isinstance(value, dict):
            raise UsageError(f"--policy-pack-config {file}: `{name}` must be a level string or an object")
        for key, item in value.items():
            base[name][key] = _level(file, name, item) if key == "enforcementLevel" else item
        _check_schema(file, name, base[name], schemas[name])


def _level(file: Path, name: str, value: Any) -> str:
    if value not in LEVEL_CODES:
        raise UsageError(
            f"--policy-pack-config {file}: `{name}`: enforcement level {value!r} is not one of {sorted(LEVEL_CODES)}"
        )
    return str(value)


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _check_schema(file: Path, name: str, entry: Mapping[str, Any], schema: analyzer_pb2.PolicyConfigSchema) -> None:
    properties = _struct_to_dict(schema.properties)
    for required in schema.required:
        if required not in entry:
            raise UsageError(f"--policy-pack-config {file}: `{name}` requires property `{required}`")
    for key, value in entry.items():
        if key == "enforcementLevel":
            continue
        if properties and key not in properties:
            raise UsageError(
                f"--policy-pack-config {file}: `{name}` has no property `{key}` (known: {', '.join(sorted(properties))})"
            )
        spec = properties.get(key, {})
        expected = spec.get("type") if isinstance(spec, dict) else None
        allowed = _JSON_TYPES.get(expected) if isinstance(expected, str) else None
        wrong_bool = isinstance(value, bool) and expected in ("number", "integer")
        if allowed is not None and (not isinstance(value, allowed) or wrong_bool):
            raise UsageError(f"--policy-pack-config {file}: `{name}.{key}` = {value!r} is not of type {expected}")
        if isinstance(spec, dict) and "enum" in spec and value not in spec["enum"]:
            raise UsageError(f"--policy-pack-config {file}: `{name}.{key}` = {value!r} is not one of {spec['enum']}")


def _options(resource: AnalyzedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=list(resource.ignore_changes),
        deleteBeforeReplace=bool(resource.delete_before_replace),
        deleteBeforeReplaceDefined=resource.delete_before_replace is not None,
        additionalSecretOutputs=list(resource.additional_secret_outputs),
        aliases=list(resource.aliases),
        parent=resource.parent,
    )


def _struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(properties)
    return struct


def _provider(resource: AnalyzedResource) -> analyzer_pb2.AnalyzerProviderResource | None:
    if resource.provider is None:
        return None
    provider = resource.provider
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider.type, urn=provider.urn, name=provider.name, properties=_struct(provider.properties)
    )


def build_requests(
    resources: Iterable[AnalyzedResource],
) -> tuple[list[analyzer_pb2.AnalyzeRequest], analyzer_pb2.AnalyzeStackRequest]:
    """The Analyze requests (custom resources only) and the single AnalyzeStack request, built once for all packs."""
    analyze: list[analyzer_pb2.AnalyzeRequest] = []
    stack = analyzer_pb2.AnalyzeStackRequest()
    for resource in resources:
        properties = _struct(resource.properties)
        options = _options(resource)
        provider = _provider(resource)
        if resource.custom:
            analyze.append(
                analyzer_pb2.AnalyzeRequest(
                    type=resource.type,
                    properties=properties,
                    urn=resource.urn,
                    name=resource.name,
                    options=options,
                    provider=provider,
                )
            )
        item = stack.resources.add(
            type=resource.type,
            properties=properties if resource.outputs is None else _struct(resource.outputs),
            urn=resource.urn,
            name=resource.name,
            options=options,
            provider=provider,
            parent=resource.parent,
            dependencies=list(resource.dependencies),
        )
        for key, urns in resource.property_dependencies.items():
            item.propertyDependencies[key].urns.extend(urns)
    return analyze, stack


class PolicyGate:
    """Runs several packs over one stack; a context manager so every subprocess always ends.

    Entering starts every pack at once (so they boot while the program evaluates); `analyze` waits
    for them, configures them and analyzes them concurrently.
    """

    def __init__(
        self, specs: Sequence[PackSpec], stack: StackInfo, timeout: float = DEFAULT_TIMEOUT, start_timeout: float | None = None
    ) -> None:
        """Args:
        specs: Packs to run, with their paired config files.
        stack: What the packs are told about the stack.
        timeout: Seconds one protocol call may take.
        start_timeout: Seconds a pack may take to print its port (default: `timeout`).
        """
        self.packs = [PolicyPack(spec, stack, timeout, start_timeout) for spec in specs]
        self._connected = False

    def __enter__(self) -> PolicyGate:
        try:
            for pack in self.packs:
                pack.spawn()
            for pack in self.packs:
                pack.watch()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for pack in self.packs:
            pack.close()

    def _each(self, work: Any) -> list[Any]:
        if len(self.packs) <= 1:
            return [work(pack) for pack in self.packs]
        with ThreadPoolExecutor(max_workers=len(self.packs)) as pool:
            futures = [pool.submit(work, pack) for pack in self.packs]
            return [future.result() for future in futures]

    def connect(self) -> None:
        if not self._connected:
            self._each(lambda pack: pack.connect())
            self._connected = True

    def analyze(self, resources: Sequence[AnalyzedResource]) -> PolicyReport:
        self.connect()
        requests, stack_request = build_requests(resources)
        return PolicyReport(self._each(lambda pack: pack.analyze(requests, stack_request)))
