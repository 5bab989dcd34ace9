"""Typed, validated stack config: `rollway:*` keys in, a StackConfig out (or every problem at once).

Names are imported on first use (`lazy_exports`), so importing the package loads no SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollway.helpers import lazy_exports

if TYPE_CHECKING:
    from stacks.config.loader import load_stack_config, semantic_problems
    from stacks.config.model import (
        CLOUDS,
        REQUIRED_TAGS,
        Autoscaling,
        CanaryHeader,
        Cloud,
        Color,
        ColorImages,
        ScheduledWindow,
        Service,
        StackConfig,
        label_safe,
    )
    from stacks.config.problems import ConfigError, ConfigProblem
    from stacks.config.schedules import CronError, CronSchedule, parse_cron, time_zone

_MODULE_OF = {
    "Autoscaling": "model",
    "CLOUDS": "model",
    "CanaryHeader": "model",
    "Cloud": "model",
    "Color": "model",
    "ColorImages": "model",
    "ConfigError": "problems",
    "ConfigProblem": "problems",
    "CronError": "schedules",
    "CronSchedule": "schedules",
    "REQUIRED_TAGS": "model",
    "ScheduledWindow": "model",
    "Service": "model",
    "StackConfig": "model",
    "label_safe": "model",
    "load_stack_config": "loader",
    "parse_cron": "schedules",
    "semantic_problems": "loader",
    "time_zone": "schedules",
}

__all__ = [
    "CLOUDS",
    "REQUIRED_TAGS",
    "Autoscaling",
    "CanaryHeader",
    "Cloud",
    "Color",
    "ColorImages",
    "ConfigError",
    "ConfigProblem",
    "CronError",
    "CronSchedule",
    "ScheduledWindow",
    "Service",
    "StackConfig",
    "label_safe",
    "load_stack_config",
    "parse_cron",
    "semantic_problems",
    "time_zone",
]

__getattr__ = lazy_exports(__name__, _MODULE_OF)
