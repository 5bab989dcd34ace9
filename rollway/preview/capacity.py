"""The time-to-capacity lines of `rollway preview`: what each cloud's builder exported as a service's
`timeToCapacity` (see components/time_to_capacity.py), one line per cloud and service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def capacity_lines(outputs: Mapping[str, Any]) -> list[str]:
    """`aws/web: first scale-out within 240s (target 120s) — ABOVE TARGET; ...`; empty when nothing reports one."""
    lines: list[str] = []
    for cloud, cloud_outputs in sorted(outputs.items()):
        services = cloud_outputs.get("services") if isinstance(cloud_outputs, Mapping) else None
        if not isinstance(services, Mapping):
            continue
        for service, values in sorted(services.items()):
            figure = values.get("timeToCapacity") if isinstance(values, Mapping) else None
            if not isinstance(figure, Mapping) or not isinstance(figure.get("firstScaleOutSeconds"), int | float):
                continue
            first, target = int(figure["firstScaleOutSeconds"]), figure.get("targetSeconds")
            verdict = "ABOVE TARGET" if figure.get("exceedsTarget") else "within target"
            ready = figure.get("readySeconds")
            serving = f", serving by {int(ready)}s" if isinstance(ready, int | float) else ""
            lines.append(
                f"{cloud}/{service}: first scale-out within {first}s{serving} (target {target}s), {verdict}; "
                f"{figure.get('mechanism')}: {figure.get('breakdown')}"
            )
    return lines
