"""Typed, validated stack config: `rollway:*` keys in, a StackConfig out (or every problem at once)."""

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
