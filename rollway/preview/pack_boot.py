"""The bootstrap a policy pack is started with: `python -u preflight/pack_boot.py PACK_DIR`.

It runs the pack's `__main__.py` exactly as `python PACK_DIR` would, after making pulumi-policy's servicer
cheaper without changing what it answers. pulumi-policy 1.21 decodes a request's property struct (protobuf
Struct -> dict -> deserialized values -> unknown-checking proxy) and its provider's struct once **per policy**,
so a resource analyzed by a 56-policy pack is decoded 56 times, and AnalyzeStack decodes every resource once
per stack policy. This module swaps in Analyze/AnalyzeStack handlers that:

- decode each request once, at the point the SDK would first decode it, and give every policy its own fresh
  proxy tree over that decoding (the SDK's proxies copy every container, so one policy still cannot see
  another's writes);
- skip policies that declare, through `rollway_applies_to(resource_type)`, that their validation does
  nothing for this type (Rollway's `RollwayResourcePolicy` returns at once for other types);
- hand one proxy tree (and options/provider objects) to every policy that declares
  `rollway_reads_args_only = True`, i.e. whose validation never writes to its arguments.

Everything else (policy order, enforcement-level handling, the "can't run policy ... during preview"
diagnostic, not-applicable entries, async validations, errors propagating to the caller) follows the SDK.
The Struct is converted by a direct walk equal to `json_format.MessageToDict` (same values, key order and
NaN/Infinity errors). The swap is made when the pack imports `pulumi_policy.policy` (so the pack's own code
runs first, as under `python PACK_DIR`), and only for the SDK versions it was checked against
(`FAST_SDK_VERSIONS`, with bench/check_pack_boot.py); any other version gets the conservative fallback,
which only memoizes the struct-to-dict conversion per request message.

The file is self-contained (standard library plus what the pack itself imports) because the pack may run in
its own virtualenv, where Rollway is not installed; it is run by path, not imported there.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.abc
import importlib.util
import io
import os
import runpy
import signal
import subprocess
import sys
import threading
import time
import traceback
from inspect import isawaitable
from pathlib import Path
from types import ModuleType
from typing import Any

SCRIPT = str(Path(__file__).resolve())
"""Path the gate runs: `[python, "-u", SCRIPT, PACK_DIR]`."""

FAST_SDK_VERSIONS = ("1.21.",)
"""pulumi-policy version prefixes whose servicer internals the fast handlers were checked against."""

_PRIVATE = "_PolicyAnalyzerServicer__"


class _MemoJsonFormat:
    """`json_format` with `MessageToDict` memoized per message object (fallback for unchecked SDK versions)."""

    def __init__(self, json_format: ModuleType) -> None:
        self._json_format = json_format
        self._lock = threading.Lock()
        self._recent: dict[int, tuple[Any, Any]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._json_format, name)

    def MessageToDict(self, message: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return self._json_format.MessageToDict(message, *args, **kwargs)
        key = id(message)
        with self._lock:
            hit = self._recent.get(key)
        if hit is not None and hit[0] is message:
            return hit[1]
        result = self._json_format.MessageToDict(message)
        with self._lock:
            if len(self._recent) >= 256:
                self._recent.clear()
            self._recent[key] = (message, result)
        return result


def _struct_to_dict(struct: Any, json_format: Any) -> dict[str, Any]:
    """`json_format.MessageToDict` for a `google.protobuf.Struct`, without its per-field descriptor lookups."""
    fields = struct.fields
    return {key: _value_to_python(fields[key], json_format) for key in fields}


def _value_to_python(value: Any, json_format: Any) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "struct_value":
        return _struct_to_dict(value.struct_value, json_format)
    if kind == "list_value":
        return [_value_to_python(item, json_format) for item in value.list_value.values]
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        number = value.number_value
        if number != number or number in (_INF, -_INF):
            return json_format.MessageToDict(value)  # raises the SDK's own error for NaN/Infinity
        return number
    return None  # null_value, or unset (which JSON conversion also reads as null)


_INF = float("inf")


class _Decoded:
    """One resource of a request, decoded once; hands out fresh or shared SDK views of it."""

    def __init__(self, sdk: ModuleType, servicer: Any, resource: Any) -> None:
        self._sdk = sdk
        self._servicer = servicer
        self.resource = resource
        self.props = sdk.deserialize_properties(_struct_to_dict(resource.properties, sdk.json_format))
        self.provider_props: Any = None
        if resource.HasField("provider"):
            self.provider_props = sdk.deserialize_properties(_struct_to_dict(resource.provider.properties, sdk.json_format))
        self._shared: tuple[Any, Any, Any] | None = None

    def fresh(self) -> tuple[Any, Any, Any]:
        """Props proxy, options and provider built anew, as the SDK builds them for each policy."""
        sdk = self._sdk
        provider = None
        if self.provider_props is not None:
            prov = self.resource.provider
            provider = sdk.PolicyProviderResource(prov.type, sdk.unknown_checking_proxy(self.provider_props), prov.urn, prov.name)
        return sdk.unknown_checking_proxy(self.props), self._servicer._get_resource_options(self.resource), provider

    def shared(self) -> tuple[Any, Any, Any]:
        """One set of views for every policy that only reads its arguments."""
        if self._shared is None:
            self._shared = self.fresh()
        return self._shared


def _reads_only(policy: Any) -> bool:
    return getattr(policy, "rollway_reads_args_only", False) is True


def _skips(policy: Any, resource_type: str) -> bool:
    applies = getattr(policy, "rollway_applies_to", None)
    return callable(applies) and not applies(resource_type)


def _install_fast_servicer(sdk: ModuleType) -> None:
    servicer_class = sdk._PolicyAnalyzerServicer
    proto = sdk.proto
    levels = sdk.EnforcementLevel

    def effective_level(servicer: Any, policy: Any, kind: type) -> Any:
        """The level a policy runs at, or None when the SDK would skip it for this call."""
        level = servicer._get_enforcement_level(policy)
        if level == levels.DISABLED or not isinstance(policy, kind):
            return None
        return level

    def run(servicer: Any, policy: Any, args: Any, report: Any, response: Any) -> None:
        pack, version = getattr(servicer, _PRIVATE + "policy_pack_name"), getattr(servicer, _PRIVATE + "policy_pack_version")
        try:
            result = policy.validate(args, report)
            if isawaitable(result):
                import asyncio

                loop = asyncio.new_event_loop()
                loop.run_until_complete(asyncio.ensure_future(result, loop=loop))
                loop.close()
        except sdk.UnknownValueError as error:
            response.diagnostics.append(
                proto.AnalyzeDiagnostic(
                    policyName=policy.name,
                    policyPackName=pack,
                    policyPackVersion=version,
                    message=f"can't run policy '{policy.name}' from policy pack '{pack}@v{version}' during preview: {error.message}",
                    urn="",
                    description=policy.description,
                    enforcementLevel=servicer._map_enforcement_level(levels.ADVISORY),
                )
            )
        except sdk._NotApplicableError as error:
            response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name, reason=error.reason or ""))

    def resource_plan(servicer: Any, resource_type: str) -> tuple[bool, list[tuple[Any, Any]]]:
        """For one type: whether the SDK would decode the request, and the policies to visit in order
        (level None: report "does not implement validate"). Cached per type until Configure changes levels."""
        configured = getattr(servicer, _PRIVATE + "policy_pack_config_enforcement_level")
        cache = servicer.__dict__.get("_rollway_plans")
        if cache is None or cache[0] is not configured:
            cache = (configured, {})
            servicer.__dict__["_rollway_plans"] = cache
        plan = cache[1].get(resource_type)
        if plan is None:
            decodes, visits = False, []
            for policy in getattr(servicer, _PRIVATE + "policies"):
                level = effective_level(servicer, policy, sdk.ResourceValidationPolicy)
                if level is None:
                    continue
                if not policy.has_validation():
                    visits.append((policy, None))
                    continue
                decodes = True
                if not _skips(policy, resource_type):
                    # Still violated after remediation: reported as mandatory, as the SDK does.
                    visits.append((policy, levels.MANDATORY if level == levels.REMEDIATE else level))
            plan = (decodes, visits)
            cache[1][resource_type] = plan
        return plan

    def analyze(self: Any, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        decodes, visits = resource_plan(self, request.type)
        # Decoded even when every policy skips the type: a request the SDK cannot decode fails the same way.
        decoded = _Decoded(sdk, self, request) if decodes else None
        for policy, level in visits:
            if level is None:
                response.not_applicable.append(
                    proto.PolicyNotApplicable(policy_name=policy.name, reason="Policy does not implement validate")
                )
                continue
            assert decoded is not None
            report = self._create_report_violation(response, policy.name, policy.description, level, policy.severity)
            props, opts, provider = decoded.shared() if _reads_only(policy) else decoded.fresh()
            config = self._get_policy_config(policy.name)
            args = sdk.ResourceValidationArgs(
                request.type, props, request.urn, request.name, opts, provider, config, getattr(self, _PRIVATE + "stack_tags")
            )
            run(self, policy, args, report, response)
        return response

    def stack_resources(resources: list[_Decoded], shared: bool) -> list[Any]:
        """The SDK's PolicyResource graph (parents, dependencies) over decoded resources."""
        built = []
        for item in resources:
            props, opts, provider = item.shared() if shared else item.fresh()
            r = item.resource
            built.append(sdk.PolicyResource(r.type, props, r.urn, r.name, opts, provider, None, [], {}))
        by_urn = {resource.urn: resource for resource in built}
        for item, resource in zip(resources, built, strict=True):
            r = item.resource
            if r.parent in by_urn:
                resource.parent = by_urn[r.parent]
            resource.dependencies.extend(by_urn[urn] for urn in r.dependencies if urn in by_urn)
            for key, deps in r.propertyDependencies.items():
                resource.property_dependencies[key] = [by_urn[urn] for urn in deps.urns if urn in by_urn]
        return built

    def analyze_stack(self: Any, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        decoded: list[_Decoded] | None = None
        shared: list[Any] | None = None
        for policy in getattr(self, _PRIVATE + "policies"):
            level = effective_level(self, policy, sdk.StackValidationPolicy)
            if level is None:
                continue
            if level == levels.REMEDIATE:
                # Stack policies cannot remediate: mandatory, as the SDK does.
                level = levels.MANDATORY
            report = self._create_report_violation(response, policy.name, policy.description, level, policy.severity)
            if decoded is None:
                decoded = [_Decoded(sdk, self, resource) for resource in request.resources]
            if _reads_only(policy):
                if shared is None:
                    shared = stack_resources(decoded, shared=True)
                resources = shared
            else:
                resources = stack_resources(decoded, shared=False)
            config = self._get_policy_config(policy.name)
            args = sdk.StackValidationArgs(resources, config, getattr(self, _PRIVATE + "stack_tags"))
            run(self, policy, args, report, response)
        return response

    servicer_class.Analyze = analyze
    servicer_class.AnalyzeStack = analyze_stack


def install() -> str:
    """Patch the already imported pulumi-policy; returns which mode was installed ("fast" or "memo")."""
    import pulumi_policy.policy as sdk
    from google.protobuf import json_format
    from pulumi_policy.version import VERSION

    needed = ("_PolicyAnalyzerServicer", "PolicyResource", "PolicyProviderResource", "_NotApplicableError")
    if VERSION.startswith(FAST_SDK_VERSIONS) and all(hasattr(sdk, name) for name in needed):
        _install_fast_servicer(sdk)
        return "fast"
    sdk.json_format = _MemoJsonFormat(json_format)
    return "memo"


class _InstallOnImport(importlib.abc.MetaPathFinder):
    """Patches pulumi-policy right after the pack imports it, so the pack's own code runs first, as it
    would under `python PACK_DIR` (a pack that fails early fails before any SDK import)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != _SDK_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            original(module)
            install()

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_SDK_MODULE = "pulumi_policy.policy"


def install_when_imported() -> None:
    """Patch pulumi-policy now if it is imported, else as soon as it is."""
    if _SDK_MODULE in sys.modules:
        install()
    elif not any(isinstance(finder, _InstallOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _InstallOnImport())


def main(argv: list[str]) -> None:
    # Run as a script, this file's folder would lead sys.path; the pack must see what `python -c` gives it.
    sys.path[0] = ""
    install_when_imported()
    pack = argv[0]
    sys.argv = [pack]
    runpy.run_path(pack, run_name="__main__")


# -- forking a pack from the calling process ---------------------------------------------------------
#
# Starting a pack costs a Python process most of a second of CPU, nearly all of it importing pulumi, grpc
# and protobuf, which `rollway` itself has already imported. When the pack runs with this very interpreter
# and virtualenv, the gate forks it from its own process instead of exec'ing a new interpreter: the child
# drops every module that is not part of the interpreter's installation (Rollway's own, the caller's),
# resets cwd, environment, argv, sys.path and stdio, and then runs exactly what `main` runs. Forking is
# only done from a process that has a single OS thread and has not used gRPC yet (gRPC's core cannot be
# carried across fork); otherwise the gate exec's this file as a script.

_grpc_used = False


def note_grpc_used() -> None:
    """Record that this process created a gRPC channel: from then on packs are exec'd, never forked."""
    global _grpc_used
    _grpc_used = True


def can_fork(python: str) -> bool:
    """Whether a pack meant to run with `python` may be forked from this process."""
    if _grpc_used or not hasattr(os, "fork") or sys.platform != "linux":
        return False
    try:
        single_threaded = len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False
    return single_threaded and _same_installation(python)


def _same_installation(python: str) -> bool:
    """`python` is this interpreter in this virtualenv (a venv's python links to its base, so compare prefixes)."""
    if os.path.abspath(python) == os.path.abspath(sys.executable):
        return True
    candidate = Path(os.path.abspath(python))
    config = candidate.parent.parent / "pyvenv.cfg"
    return config.exists() and candidate.parent.parent.resolve() == Path(sys.prefix).resolve()


class ForkedProcess:
    """A forked pack: the part of `subprocess.Popen`'s interface the gate uses."""

    def __init__(self, pid: int, stdout: Any) -> None:
        self.pid = pid
        self.stdout = stdout
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere; its status is lost
                self.returncode = -1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"policy pack (pid {self.pid})", timeout or 0.0)
            time.sleep(0.005)
        assert self.returncode is not None
        return self.returncode

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, number: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, number)


def fork_pack(pack: str, env: dict[str, str], stderr_fd: int) -> ForkedProcess:
    """Fork a child that runs `pack` as `main` would; its stdout is the returned process's pipe."""
    with contextlib.suppress(ImportError):
        import pulumi_policy.policy  # noqa: F401 - imported once here, inherited by every forked pack

    read_fd, write_fd = os.pipe()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        code = 70
        try:
            os.close(read_fd)
            code = _run_forked(pack, env, write_fd, stderr_fd)
        finally:
            os._exit(code)
    os.close(write_fd)
    return ForkedProcess(pid, os.fdopen(read_fd, "rb"))


def _run_forked(pack: str, env: dict[str, str], stdout_fd: int, stderr_fd: int) -> int:
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(stdout_fd, 1)
    os.dup2(stderr_fd, 2)
    for fd in {devnull, stdout_fd}:
        if fd > 2:
            os.close(fd)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    # Unbuffered, as `python -u`: the port line must reach the gate at once.
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
    try:
        gc.freeze()  # inherited objects stay shared with the parent instead of being copied by collections
        os.chdir(pack)
        os.environ.clear()
        os.environ.update(env)
        _forget_foreign_modules()
        if "logging" in sys.modules:
            sys.modules["logging"].root.handlers.clear()
        main([pack])
    except SystemExit as error:
        return _exit_status(error.code)
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
    return 0


def _exit_status(code: object) -> int:
    """The exit status the interpreter gives `sys.exit(code)`."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _forget_foreign_modules() -> None:
    """Drop modules from outside the interpreter's installation, so the pack imports its own fresh."""
    roots = tuple({os.path.join(os.path.realpath(prefix), "") for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
    roots += tuple({os.path.join(os.path.abspath(prefix), "") for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
    for name, module in list(sys.modules.items()):
        if name == "__main__" or module is None:
            continue
        paths = _module_paths(module)
        if paths is None or (paths and not all(os.path.abspath(path).startswith(roots) for path in paths)):
            del sys.modules[name]


def _module_paths(module: Any) -> list[str] | None:
    """Where a module was loaded from; None when that cannot be told (a namespace package whose parent was
    dropped recomputes its path and fails): such a module is not the installation's, so it is dropped too."""
    file = getattr(module, "__file__", None)
    if isinstance(file, str):
        return [file]
    try:
        return [path for path in (getattr(module, "__path__", None) or []) if isinstance(path, str)]
    except Exception:
        return None


if __name__ == "__main__":
    main(sys.argv[1:])
