"""ECS task definitions keep their containers as a JSON document in `containerDefinitions`."""

from __future__ import annotations

from typing import Any

from policies.common.props import Unknown, get, items, json_document


def container_definitions(props: Any) -> list[dict[str, Any]] | Unknown:
    """The parsed container definitions (empty when missing or unparsable, `Unknown` during preview)."""
    raw = get(props, "containerDefinitions")
    if isinstance(raw, Unknown):
        return raw
    return [item for item in items(json_document(raw)) if isinstance(item, dict)]
