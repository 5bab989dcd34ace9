"""Reads a change as a release step: which service moves, in which phase, and how far the change reaches.

A rollout step is a change to `<project>:services.<name>` config: `canaryWeight` (percent of production traffic on
the idle color), `liveColor` (the flip), or `image.<color>`. Anything else the same change touches on workloads,
networks or data stores is called out, because a rollout step should move traffic and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rollway.preview.compare import Change, Comparison

_RISKY = ("data", "network", "workload")


@dataclass(frozen=True)
class ReleaseStep:
    """One service's move between the base and the change."""

    service: str
    phase: str
    """`canary start`, `canary step`, `canary rollback`, `canary abort`, `live flip`, `stage image`, `live image`."""
    text: str
    """The step in a few words: `canary web 10% → 25%`."""
    traffic: str
    """Who is affected: `25% of web's production traffic on green`."""


def _services(values: Mapping[str, Any], project: str) -> dict[str, dict[str, Any]]:
    services = values.get(f"{project}:services")
    if not isinstance(services, dict):
        return {}
    return {str(name): spec for name, spec in services.items() if isinstance(spec, dict)}


def _weight(spec: Mapping[str, Any]) -> int | float:
    weight = spec.get("canaryWeight", 0)
    return weight if isinstance(weight, int | float) and not isinstance(weight, bool) else 0


def _live(spec: Mapping[str, Any]) -> str:
    return str(spec.get("liveColor", "blue"))


def _idle(live: str) -> str:
    return "green" if live == "blue" else "blue"


def release_steps(base: Mapping[str, Any], head: Mapping[str, Any], project: str) -> list[ReleaseStep]:
    """The rollout steps in a config change (both sides are stack config by full key)."""
    before, after = _services(base, project), _services(head, project)
    steps: list[ReleaseStep] = []
    for name in sorted(set(before) & set(after)):
        old, new = before[name], after[name]
        old_weight, new_weight = _weight(old), _weight(new)
        old_live, new_live = _live(old), _live(new)
        idle = _idle(new_live)
        if old_live != new_live:
            steps.append(
                ReleaseStep(
                    name,
                    "live flip",
                    f"live flip {name} {old_live} → {new_live}",
                    f"{100 - new_weight}% of {name}'s production traffic on {new_live}"
                    + (f", {new_weight}% on {idle} as canary" if new_weight else ""),
                )
            )
        elif old_weight != new_weight:
            if old_weight == 0:
                phase = "canary start"
            elif new_weight == 0:
                phase = "canary abort"
            elif new_weight > old_weight:
                phase = "canary step"
            else:
                phase = "canary rollback"
            steps.append(
                ReleaseStep(
                    name,
                    phase,
                    f"canary {name} {old_weight}% → {new_weight}%",
                    f"{new_weight}% of {name}'s production traffic on {idle}",
                )
            )
        old_images = _images(old)
        new_images = _images(new)
        for color in ("blue", "green"):
            was, now = old_images.get(color), new_images.get(color)
            if was == now:
                continue
            serving = color == new_live or (color == idle and new_weight > 0)
            share = 100 - new_weight if color == new_live else new_weight
            steps.append(
                ReleaseStep(
                    name,
                    "live image" if serving else "stage image",
                    f"{name} {color} image {_tag(was)} → {_tag(now)}",
                    f"{share}% of {name}'s production traffic runs the new image"
                    if serving
                    else f"{color} is idle: no production traffic until a canary step",
                )
            )
    return steps


def _images(spec: Mapping[str, Any]) -> dict[str, Any]:
    images = spec.get("image")
    return images if isinstance(images, dict) else {}


def _tag(image: Any) -> str:
    if not isinstance(image, str):
        return "(none)"
    return image.rsplit("/", 1)[-1]


def risky_changes(steps: list[ReleaseStep], comparison: Comparison) -> list[Change]:
    """Workload, network and data-store changes made during a rollout step. A new image is expected to touch
    workloads, so those count only when no step changes an image."""
    if not steps:
        return []
    images = any(step.phase in ("live image", "stage image") for step in steps)
    risky = [category for category in _RISKY if not (images and category == "workload")]
    return [change for change in comparison.custom_changes if change.category in risky]


def services_touched(change: Change, services: list[str]) -> str | None:
    """Which service a resource belongs to, by Rollway's naming (`<service>-...`)."""
    for service in sorted(services, key=len, reverse=True):
        if change.name == service or change.name.startswith(f"{service}-"):
            return service
    return None
