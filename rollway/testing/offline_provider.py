"""An OFFLINE TEST PROVIDER for the real Pulumi engine: never a cloud, never a stand-in for one.

`make engine` installs this one program as the resource plugins `aws`, `gcp`, `azure-native`, `kubernetes` and
`random` (each at the version the installed Python SDK asks for) into the git-ignored `.engine/home`, so the
real `pulumi preview`/`pulumi up` can run Rollway's stacks end to end on a machine with no cloud access. It
implements the ResourceProvider protocol the engine drives:

- Check echoes the inputs; Diff reports a change exactly where the new inputs differ from the old ones (every
  change is an in-place update: which properties a real provider would replace is not modelled);
- Create returns a deterministic id and plausible computed outputs, from the same knowledge as the test kit's
  mocks (`rollway.engine.mocks`); during a preview it computes nothing, as a real provider does;
- Update recomputes outputs from the new inputs under the same id; Read returns the state it is given, so a
  refresh finds no drift; Delete forgets nothing because it keeps nothing: the engine's own state file is the
  only state;
- Invoke answers the lookups the stacks use (`DEFAULT_INVOKES`), and an empty result for others.

Every plugin says what it is in its version banner and on stderr when it starts.

    python -m rollway.testing.offline_provider serve --package aws --version 7.51.1 ENGINE_ADDRESS
    python -m rollway.testing.offline_provider install --pulumi .engine/bin/pulumi --home .engine/home
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from rollway.engine.mocks import DEFAULT_INVOKES, CloudContext, PlausibleMocks

BANNER = "rollway offline test provider"
PACKAGES = ("aws", "azure-native", "gcp", "kubernetes", "random")
"""The plugins the offline provider stands in for; others a program needs are not installed."""

_MAX_MESSAGE = 400 * 1024 * 1024
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _to_dict(message: struct_pb2.Struct | None) -> dict[str, Any]:
    if message is None:
        return {}
    return json_format.MessageToDict(message)


def _to_struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value)
    return out


def _has_unknown(value: Any) -> bool:
    if isinstance(value, str):
        return value == _UNKNOWN
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return False


def changed_keys(
    old: dict[str, Any], new: dict[str, Any], ignore: list[str]
) -> dict[str, provider_pb2.PropertyDiff.Kind.ValueType]:
    """Top-level input keys whose value differs, with the PropertyDiff kind for each (ADD, DELETE, UPDATE)."""
    kinds: dict[str, provider_pb2.PropertyDiff.Kind.ValueType] = {}
    for key in sorted(set(old) | set(new)):
        if key in ignore or key.startswith("__"):
            continue
        if key not in old:
            kinds[key] = provider_pb2.PropertyDiff.ADD
        elif key not in new:
            kinds[key] = provider_pb2.PropertyDiff.DELETE
        elif old[key] != new[key] or _has_unknown(new[key]):
            kinds[key] = provider_pb2.PropertyDiff.UPDATE
    return kinds


class OfflineProvider(provider_pb2_grpc.ResourceProviderServicer):
    """One package's offline provider (see the module docstring)."""

    def __init__(self, package: str, version: str) -> None:
        self.package = package
        self.version = version
        self.context = CloudContext()

    # -- provider configuration ----------------------------------------------------------------------------
    def GetPluginInfo(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=self.version)

    def GetSchema(self, request: Any, context: grpc.ServicerContext) -> Any:
        schema = {"name": self.package, "version": self.version, "description": f"{BANNER}: no resources schema"}
        return provider_pb2.GetSchemaResponse(schema=json.dumps(schema))

    def CheckConfig(self, request: Any, context: grpc.ServicerContext) -> Any:
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: Any, context: grpc.ServicerContext) -> Any:
        kinds = changed_keys(_to_dict(request.old_inputs) or _to_dict(request.olds), _to_dict(request.news), [])
        return self._diff_response(kinds)

    def Configure(self, request: Any, context: grpc.ServicerContext) -> Any:
        variables = dict(request.variables)
        self.context = CloudContext.from_config(variables)
        # Secrets are stripped by the engine and restored on outputs whose inputs were secret.
        return provider_pb2.ConfigureResponse(acceptSecrets=False, supportsPreview=True, acceptResources=False)

    # -- resources -----------------------------------------------------------------------------------------
    def Check(self, request: Any, context: grpc.ServicerContext) -> Any:
        return provider_pb2.CheckResponse(inputs=request.news)

    def Diff(self, request: Any, context: grpc.ServicerContext) -> Any:
        old = _to_dict(request.old_inputs) if request.HasField("old_inputs") else _to_dict(request.olds)
        kinds = changed_keys(old, _to_dict(request.news), list(request.ignoreChanges))
        return self._diff_response(kinds)

    @staticmethod
    def _diff_response(kinds: dict[str, provider_pb2.PropertyDiff.Kind.ValueType]) -> Any:
        if not kinds:
            return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE, hasDetailedDiff=True)
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME,
            diffs=list(kinds),
            detailedDiff={key: provider_pb2.PropertyDiff(kind=kind, inputDiff=True) for key, kind in kinds.items()},
            hasDetailedDiff=True,
        )

    def _computed(self, type_: str, name: str, inputs: dict[str, Any], resource_id: str | None) -> tuple[str, dict[str, Any]]:
        import pulumi.runtime

        mocks = PlausibleMocks(context=self.context)
        args = pulumi.runtime.MockResourceArgs(type_, name, inputs, resource_id=resource_id, custom=True)
        new_id, state = mocks.new_resource(args)
        return resource_id or new_id or f"{name}-offline", state

    def Create(self, request: Any, context: grpc.ServicerContext) -> Any:
        inputs = _to_dict(request.properties)
        if request.preview:
            return provider_pb2.CreateResponse(id="", properties=request.properties)
        resource_id, state = self._computed(
            request.type or _type_of(request.urn), request.name or _name_of(request.urn), inputs, None
        )
        return provider_pb2.CreateResponse(id=resource_id, properties=_to_struct(state))

    def Update(self, request: Any, context: grpc.ServicerContext) -> Any:
        news = _to_dict(request.news)
        if request.preview:
            return provider_pb2.UpdateResponse(properties=_to_struct({**_to_dict(request.olds), **news}))
        _, state = self._computed(request.type or _type_of(request.urn), request.name or _name_of(request.urn), news, request.id)
        return provider_pb2.UpdateResponse(properties=_to_struct(state))

    def Read(self, request: Any, context: grpc.ServicerContext) -> Any:
        return provider_pb2.ReadResponse(id=request.id, properties=request.properties, inputs=request.inputs)

    def Delete(self, request: Any, context: grpc.ServicerContext) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    def Invoke(self, request: Any, context: grpc.ServicerContext) -> Any:
        handler = DEFAULT_INVOKES.get(request.tok)
        result = handler(_to_dict(request.args), self.context) if handler is not None else {}
        return provider_pb2.InvokeResponse(**{"return": _to_struct(result)})

    def Cancel(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> empty_pb2.Empty:
        return empty_pb2.Empty()


def _type_of(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


def _name_of(urn: str) -> str:
    return urn.split("::")[-1]


def _exit_with_parent() -> None:
    """The engine kills its plugins when it is done; if it dies first, do not outlive it."""
    parent = os.getppid()
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


def serve(package: str, version: str) -> None:
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[("grpc.max_receive_message_length", _MAX_MESSAGE), ("grpc.max_send_message_length", _MAX_MESSAGE)],
    )
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(OfflineProvider(package, version), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    print(f"{BANNER}: {package} {version} (no cloud API is ever called)", file=sys.stderr, flush=True)
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    server.wait_for_termination()


def sdk_plugins() -> dict[str, str]:
    """The resource plugins the installed Python SDKs ask for, by name: {package: version}."""
    import importlib.metadata

    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        for file in dist.files or ():
            if file.name != "pulumi-plugin.json":
                continue
            try:
                data = json.loads(file.read_text() or "{}")
            except (OSError, ValueError):
                continue
            if data.get("resource") and data.get("name") in PACKAGES:
                found[data["name"]] = str(data.get("version") or dist.version)
    return found


def install(pulumi: Path, home: Path, scripts: Path) -> list[str]:
    """Install the offline provider as every plugin in PACKAGES, at the versions the SDKs ask for."""
    scripts.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PULUMI_HOME": str(home), "PULUMI_SKIP_UPDATE_CHECK": "true"}
    installed = []
    for package, version in sorted(sdk_plugins().items()):
        script = scripts / f"pulumi-resource-{package}"
        script.write_text(
            "#!/bin/sh\n"
            f"# {BANNER} installed as the `{package}` {version} plugin for tests: it never calls a cloud.\n"
            f'exec "{sys.executable}" -m rollway.testing.offline_provider serve --package {package} --version {version} "$@"\n',
            encoding="utf-8",
        )
        script.chmod(0o755)
        subprocess.run(
            [str(pulumi), "plugin", "install", "resource", package, version, "--file", str(script), "--reinstall"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        installed.append(f"{package} {version}")
    return installed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rollway.testing.offline_provider", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve one plugin (the engine starts this)")
    run.add_argument("--package", required=True, choices=PACKAGES)
    run.add_argument("--version", required=True)
    run.add_argument("engine", nargs="*", help="the engine's address and flags (accepted, not needed)")
    setup = commands.add_parser("install", help="install the offline plugins into a PULUMI_HOME")
    setup.add_argument("--pulumi", required=True, type=Path)
    setup.add_argument("--home", required=True, type=Path)
    args, _unknown = parser.parse_known_args(argv)
    if args.command == "serve":
        serve(args.package, args.version)
        return 0
    home = args.home.resolve()
    for line in install(args.pulumi.resolve(), home, home / "offline-provider"):
        print(f"engine: installed the offline test provider as plugin {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
