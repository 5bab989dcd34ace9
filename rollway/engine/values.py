"""Engine-side property values as plain Python, with secrets and unknowns kept visible.

The SDK's own deserializer pushes secretness up to the nearest container and turns unknowns into None;
for recording what a program sends to the engine we keep both exactly where they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2

UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
_SIG = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
_ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
_ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"


class UnknownValue:
    """A value only the provider knows, after apply (shown as `known after apply`)."""

    _instance: UnknownValue | None = None

    def __new__(cls) -> UnknownValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<known after apply>"


UNKNOWN = UnknownValue()


@dataclass(frozen=True)
class Secret:
    """A secret value as the engine receives it; `value` is the plaintext (never print it)."""

    value: Any

    def __repr__(self) -> str:
        return "Secret([secret])"


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Convert a protobuf Struct (resource inputs or outputs) to Python, keeping secrets and unknowns."""
    raw = json_format.MessageToDict(struct)
    converted = from_wire(raw)
    return converted if isinstance(converted, dict) else {}


def from_wire(value: Any) -> Any:
    if isinstance(value, str):
        return UNKNOWN if value == UNKNOWN_SENTINEL else value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, list):
        return [from_wire(item) for item in value]
    if isinstance(value, dict):
        sig = value.get(_SIG)
        if sig == _SECRET_SIG:
            return Secret(from_wire(value.get("value")))
        if sig == _RESOURCE_SIG:
            return value.get("urn", "")
        if sig == _OUTPUT_SIG:
            if "value" not in value:
                inner: Any = UNKNOWN
            else:
                inner = from_wire(value["value"])
            return Secret(inner) if value.get("secret") else inner
        if sig == _ASSET_SIG:
            return {"asset": value.get("path") or value.get("uri") or "<text>"}
        if sig == _ARCHIVE_SIG:
            return {"archive": value.get("path") or value.get("uri") or "<assets>"}
        return {key: from_wire(item) for key, item in value.items()}
    return value


def to_plain(value: Any, secret_text: str = "[secret]", unknown_text: str = "<known after apply>") -> Any:
    """JSON-ready form: secrets masked, unknowns shown as text."""
    if isinstance(value, Secret):
        return secret_text
    if value is UNKNOWN:
        return unknown_text
    if isinstance(value, list):
        return [to_plain(item, secret_text, unknown_text) for item in value]
    if isinstance(value, dict):
        return {key: to_plain(item, secret_text, unknown_text) for key, item in value.items()}
    return value


def unwrap(value: Any) -> Any:
    """Python form with secrets revealed and unknowns as None (what a program would compute with)."""
    if isinstance(value, Secret):
        return unwrap(value.value)
    if value is UNKNOWN:
        return None
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    return value
