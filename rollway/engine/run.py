"""Run a Pulumi program in-process under mocks and record everything it registers.

`RecordingMonitor` is a MockMonitor subclass (passed to `set_mocks(monitor=...)`) that records each
registration as the engine would see it: type, name, URN, parent, custom or component, inputs
(camelCase, with secrets and unknowns kept where they are), dependencies and resource options.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi._types as sdk_types
import pulumi.runtime.config as runtime_config
import pulumi.runtime.resource as runtime_resource
import pulumi.runtime.settings as runtime_settings
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_in_stack

from rollway.engine.mocks import CloudContext, PlausibleMocks
from rollway.engine.values import from_struct

STACK_TYPE = "pulumi:pulumi:Stack"
_NO_STACK_YET = object()


@dataclass
class RecordedResource:
    """One resource as the engine saw its registration."""

    type: str
    name: str
    urn: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    """Inputs as sent to the engine: camelCase, Secret(...) for secrets, UNKNOWN for values known after apply."""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    """Resource options that differ from the defaults, camelCase (ignoreChanges, protect, provider, ...)."""
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    """For custom resources: the mock's state; for components: what `register_outputs` was given."""

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")

    def __repr__(self) -> str:
        return f"RecordedResource({self.type} {self.name!r})"


class RecordingMonitor(MockMonitor):
    """MockMonitor that keeps every registration, component outputs, stack exports and invokes."""

    def __init__(self, mocks: PlausibleMocks) -> None:
        super().__init__(mocks)
        self._lock = threading.Lock()
        self.recorded: dict[str, RecordedResource] = {}
        self.order: list[str] = []
        self.stack_urn: str | None = None
        self.exports: dict[str, Any] = {}
        self.invokes: list[tuple[str, dict[str, Any]]] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # As the engine does: the root stack is not part of its children's type chain.
        if parent and parent.split("::")[2].split("$")[-1] == STACK_TYPE:
            parent = ""
        return super().make_urn(parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        urn = response.urn
        if request.type == STACK_TYPE:
            self.stack_urn = urn
            return response
        options: dict[str, Any] = {}
        if request.protect:
            options["protect"] = True
        if list(request.ignoreChanges):
            options["ignoreChanges"] = list(request.ignoreChanges)
        if request.deleteBeforeReplace:
            options["deleteBeforeReplace"] = True
        if list(request.replaceOnChanges):
            options["replaceOnChanges"] = list(request.replaceOnChanges)
        if request.retainOnDelete:
            options["retainOnDelete"] = True
        if request.provider:
            options["provider"] = request.provider
        if list(request.additionalSecretOutputs):
            options["additionalSecretOutputs"] = list(request.additionalSecretOutputs)
        if request.deletedWith:
            options["deletedWith"] = request.deletedWith
        if request.version:
            options["version"] = request.version
        if request.importId:
            options["import"] = request.importId
        if len(request.aliases) or len(request.aliasURNs):
            options["aliases"] = len(request.aliases) + len(request.aliasURNs)
        recorded = RecordedResource(
            type=request.type,
            name=request.name,
            urn=urn,
            parent=request.parent or None,
            custom=bool(request.custom),
            inputs=from_struct(request.object),
            dependencies=list(request.dependencies),
            property_dependencies={key: list(value.urns) for key, value in request.propertyDependencies.items()},
            options=options,
            id=response.id,
            outputs=from_struct(response.object) if request.custom else {},
        )
        with self._lock:
            self.recorded[urn] = recorded
            self.order.append(urn)
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)
        recorded = RecordedResource(
            type=request.type,
            name=request.name,
            urn=response.urn,
            parent=request.parent or None,
            custom=True,
            inputs=from_struct(request.properties),
            options={"read": request.id},
            id=request.id,
            outputs=from_struct(response.properties),
        )
        with self._lock:
            self.recorded[response.urn] = recorded
            self.order.append(response.urn)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        outputs = from_struct(request.outputs)
        with self._lock:
            if request.urn == self.stack_urn:
                self.exports = outputs
            elif request.urn in self.recorded:
                self.recorded[request.urn].outputs = outputs
        return super().RegisterResourceOutputs(request)

    def Invoke(self, request: Any) -> Any:
        with self._lock:
            self.invokes.append((request.tok, from_struct(request.args)))
        return super().Invoke(request)

    def recorded_resources(self) -> list[RecordedResource]:
        with self._lock:
            return [self.recorded[urn] for urn in self.order]


@dataclass
class Recording:
    """Everything one program run registered."""

    project: str
    stack: str
    resources: list[RecordedResource]
    exports: dict[str, Any]
    invokes: list[tuple[str, dict[str, Any]]]
    unanswered_invokes: list[str]
    stack_urn: str | None
    derived_invokes: list[str] = field(default_factory=list)
    """Invokes with no offline handler answered with values derived from the SDK's result type."""


def _config_bag(config: Mapping[str, Any]) -> dict[str, str]:
    """Config as the engine passes it: structured values JSON-encoded, scalars as strings."""
    bag: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, str):
            bag[key] = value
        elif isinstance(value, bool):
            bag[key] = "true" if value else "false"
        else:
            bag[key] = json.dumps(value)
    return bag


def run_program(
    program: Callable[[], Any],
    *,
    project: str = "rollway",
    stack: str = "test",
    config: Mapping[str, Any] | None = None,
    secret_keys: Iterable[str] = (),
    preview: bool = False,
    mocks: PlausibleMocks | None = None,
    monitor: RecordingMonitor | None = None,
) -> Recording:
    """Run `program` inside a fresh stack under mocks; returns what it registered.

    Raises whatever the program raises (after the runtime has settled), e.g. pulumi.RunError; pass your
    own `monitor` to inspect what was registered before the failure.
    """
    bag = _config_bag(config or {})
    if monitor is not None:
        mocks = monitor.mocks  # type: ignore[assignment]
    mocks = mocks or PlausibleMocks(resolve_outputs=not preview, context=CloudContext.from_config(bag))
    monitor = monitor or RecordingMonitor(mocks)

    previous_loop = _current_loop()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # The runtime allocates a few dozen asyncio objects per resource; the cyclic collector's passes over the
    # growing heap made a run superlinear (3,000 resources: 17 CPU-s with it, 5.5 without, peak memory +8%).
    # Reference counting still frees acyclic garbage at once; cycles wait until the run is over.
    collecting = gc.isenabled()
    gc.disable()
    # The SDK walks and formats the Python stack of every registration (reading source lines) so the engine can
    # show where a resource was declared; nothing offline reads it, and it was ~15% of a run's CPU.
    stack_trace = runtime_resource._get_stack_trace
    runtime_resource._get_stack_trace = _no_stack_trace
    # Turning each output value back into its annotated Python type unwraps Optional/Input/Output annotations
    # again for every field of every resource (~1M calls on the dev stack); the answer depends only on the type.
    unwrapping = sdk_types.unwrap_type, sdk_types.unwrap_optional_type
    sdk_types.unwrap_type = _UNWRAP_TYPE  # type: ignore[assignment]
    sdk_types.unwrap_optional_type = _UNWRAP_OPTIONAL_TYPE  # type: ignore[assignment]
    try:
        runtime_config.set_all_config(bag, list(secret_keys))
        # set_mocks creates a placeholder root stack when none is set; its (empty) outputs would race the
        # program's own stack exports, so hold the slot while it runs and let run_in_stack create the stack.
        runtime_settings.set_root_resource(_NO_STACK_YET)  # type: ignore[arg-type]
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
        runtime_settings.set_root_resource(None)  # type: ignore[arg-type]
        runtime_settings.SETTINGS.rpc_manager.clear()
        runtime_settings.SETTINGS.outputs.clear()
        loop.run_until_complete(run_in_stack(program))
    finally:
        _close_loop(loop)
        asyncio.set_event_loop(previous_loop)
        runtime_settings.set_root_resource(None)  # type: ignore[arg-type]
        runtime_resource._get_stack_trace = stack_trace
        sdk_types.unwrap_type, sdk_types.unwrap_optional_type = unwrapping
        if collecting:
            gc.enable()
    return Recording(
        project=project,
        stack=stack,
        resources=monitor.recorded_resources(),
        exports=monitor.exports,
        invokes=list(monitor.invokes),
        unanswered_invokes=list(mocks.unanswered_invokes),
        stack_urn=monitor.stack_urn,
        derived_invokes=list(mocks.derived_invokes),
    )


def _by_type(unwrap: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`unwrap` answered from a cache per type (a type that cannot be hashed is unwrapped each time)."""
    cached = functools.lru_cache(maxsize=4096)(unwrap)

    @functools.wraps(unwrap)
    def answer(annotation: Any) -> Any:
        try:
            return cached(annotation)
        except TypeError:  # unhashable annotation
            return unwrap(annotation)

    return answer


_UNWRAP_TYPE = _by_type(sdk_types.unwrap_type)
_UNWRAP_OPTIONAL_TYPE = _by_type(sdk_types.unwrap_optional_type)


def _no_stack_trace() -> Any:
    """An empty stack trace: the registration carries no source position (see run_program)."""
    return source_pb2.StackTrace()


def _current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return None


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
