"""The rollout spec: what to release and how to judge it, from a YAML file and/or command-line flags.

A spec file (camelCase keys, unknown keys rejected) looks like:

    service: web
    strategy: canary                # or blueGreen
    image: ghcr.io/rollway/web:1.6.0
    steps: [5, 10, 25, 50, 100]     # or a preset: canary-10%-then-all, linear-10%-every-2m
    stepDuration: 2m
    drain: 5m
    deadline: 1h
    analysis:
      interval: 15s
      failureLimit: 1
      checks:
        - name: error-rate
          prometheus: {url: "http://prometheus:9090", query: "..."}
          max: 0.01

Validation happens here, once; everything downstream trusts a RolloutSpec.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from rollway.rollout.durations import parse_duration
from rollway.rollout.errors import UsageError

Strategy = Literal["canary", "blueGreen", "abTest"]
PhaseKind = Literal["canary", "smoke", "cohort", "drain"]
NoData = Literal["fail", "pass", "skip", "wait"]
ALL_PHASES: tuple[PhaseKind, ...] = ("canary", "smoke", "cohort", "drain")

Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]
"""Seconds, written as `500ms`, `30s`, `2m`, `1h` or a bare number of seconds."""

_CANARY_PRESET = re.compile(r"^canary-(\d{1,3})%?-then-all$")
_LINEAR_PRESET = re.compile(r"^linear-(\d{1,3})%?-every-(\d+(?:\.\d+)?)(?:-?(ms|s|m|h|seconds?|minutes?|hours?))?$")
_UNIT_ALIASES = {"second": "s", "seconds": "s", "minute": "m", "minutes": "m", "hour": "h", "hours": "h"}
PRESET_HELP = "canary-<N>%-then-all or linear-<N>%-every-<duration> (e.g. linear-10%-every-2m)"


class SpecModel(BaseModel):
    """Base of every spec object: camelCase keys, unknown keys rejected (typos fail loudly)."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


class HttpProbe(SpecModel):
    url: str
    """URL probed each interval (for blue/green, the test route that reaches the idle color)."""
    method: Literal["GET", "HEAD", "POST"] = "GET"
    """HTTP method."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra request headers, e.g. the canary-pinning header."""
    expect_status: list[int] = Field(default_factory=lambda: [200])
    """Acceptable status codes."""
    body_matches: str | None = None
    """Regular expression the response body must match (searched, not anchored)."""
    requests: Annotated[int, Field(ge=1, le=100)] = 5
    """Requests per measurement; the p95 latency is over these."""
    retries: Annotated[int, Field(ge=0, le=10)] = 1
    """Retries of a failing request before it counts as failed (absorbs a single dropped connection)."""
    timeout: Duration = 2.0
    """Per-request timeout."""
    max_p95_latency: Duration | None = None
    """Fail when the p95 latency over `requests` exceeds this."""

    @model_validator(mode="after")
    def _valid(self) -> HttpProbe:
        if not re.match(r"^https?://", self.url):
            raise ValueError(f"url must start with http:// or https://, got {self.url!r}")
        if self.body_matches is not None:
            try:
                re.compile(self.body_matches)
            except re.error as exc:
                raise ValueError(f"bodyMatches is not a valid regular expression: {exc}") from None
        return self


class PrometheusQuery(SpecModel):
    url: str
    """Base URL of the Prometheus server (its HTTP API is under /api/v1)."""
    query: str
    """PromQL returning one number. `$canary`, `$stable` and `$service` are replaced by the new color,
    the old color and the service name, so one query serves every rollout."""
    timeout: Duration = 2.0
    """Request timeout."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra request headers."""
    bearer_token_env: str | None = None
    """Environment variable holding a bearer token (managed Prometheus APIs: Google Cloud Monitoring, Azure Monitor)."""
    bearer_token_command: list[str] | None = None
    """Command printing a bearer token, e.g. [gcloud, auth, print-access-token]; re-run every 5 minutes."""

    @model_validator(mode="after")
    def _valid(self) -> PrometheusQuery:
        if not re.match(r"^https?://", self.url):
            raise ValueError(f"url must start with http:// or https://, got {self.url!r}")
        if not self.query.strip():
            raise ValueError("query must not be empty")
        if self.bearer_token_env is not None and self.bearer_token_command is not None:
            raise ValueError("give bearerTokenEnv or bearerTokenCommand, not both")
        if self.bearer_token_command is not None and not self.bearer_token_command:
            raise ValueError("bearerTokenCommand must name a command")
        return self


class CloudWatchMetric(SpecModel):
    namespace: str
    """Metric namespace, e.g. `AWS/ApplicationELB`."""
    metric_name: str
    """Metric name, e.g. `HTTPCode_Target_5XX_Count`."""
    dimensions: dict[str, str] = Field(default_factory=dict)
    """Dimension name -> value (values may use `$canary`, `$stable`, `$service`)."""
    stat: str = "Sum"
    """Statistic: Sum, Average, Maximum, p99, ..."""


class CloudWatchQuery(SpecModel):
    region: str | None = None
    """AWS region; default: the SDK's usual resolution (AWS_REGION, profile)."""
    metric: CloudWatchMetric | None = None
    """A single metric statistic; give this or `expression`."""
    expression: str | None = None
    """Metric math or a Metrics Insights query; give this or `metric`."""
    period: Annotated[int, Field(ge=1)] = 60
    """Period in seconds of each data point."""
    window: Duration = 300.0
    """How far back to look; the newest data point in the window is the measurement."""

    @model_validator(mode="after")
    def _one_source(self) -> CloudWatchQuery:
        if (self.metric is None) == (self.expression is None):
            raise ValueError("give exactly one of `metric` or `expression`")
        return self


class CheckSpec(SpecModel):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    """Name shown in progress and events, e.g. `error-rate`."""
    http: HttpProbe | None = None
    """HTTP smoke probe."""
    prometheus: PrometheusQuery | None = None
    """PromQL over the Prometheus HTTP API."""
    cloudwatch: CloudWatchQuery | None = None
    """CloudWatch GetMetricData."""
    min: float | None = None
    """Fail when the measured value is below this."""
    max: float | None = None
    """Fail when the measured value is above this."""
    during: list[PhaseKind] = Field(default_factory=lambda: list(ALL_PHASES))
    """Phases the check runs in: canary steps, the blue/green smoke test, an A/B test's cohort phase, the drain
    window after the switch."""
    no_data: NoData = "fail"
    """What an empty result means: fail (safe default, like Flagger), pass, skip (neither), or wait (skip, but a
    step, smoke test or drain window that ends without a single value from this check is one failed measurement:
    fits traffic metrics of a canary that may not have been scraped yet)."""

    @model_validator(mode="after")
    def _one_provider(self) -> CheckSpec:
        providers = [name for name in ("http", "prometheus", "cloudwatch") if getattr(self, name) is not None]
        if len(providers) != 1:
            raise ValueError(
                f"check `{self.name}` needs exactly one provider (http, prometheus or cloudwatch), got {len(providers)}"
            )
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"check `{self.name}`: min ({self.min}) is greater than max ({self.max})")
        if providers[0] != "http" and self.min is None and self.max is None:
            raise ValueError(f"check `{self.name}` needs a threshold: `min`, `max` or both")
        return self

    @property
    def provider(self) -> Literal["http", "prometheus", "cloudwatch"]:
        if self.http is not None:
            return "http"
        if self.prometheus is not None:
            return "prometheus"
        return "cloudwatch"


class AlbTarget(SpecModel):
    load_balancer: str
    """The ALB's CloudWatch dimension, e.g. `app/web/50dc6c495c0c9188`."""
    target_group: str
    """The canary's target group dimension; `$canary` picks the color, e.g. `targetgroup/web-$canary/73e2d6bc24d8a067`."""
    region: str | None = None
    """AWS region; default: the SDK's usual resolution."""


class DefaultAnalysis(SpecModel):
    """Where the built-in analysis reads the canary's traffic; used when `analysis.checks` is empty."""

    prometheus: str | None = None
    """Prometheus-compatible query API (a cluster's Prometheus, Google Cloud Monitoring's or Azure Monitor's
    PromQL endpoint): request success rate and p99 latency of the canary color."""
    flavor: Literal["generic", "ingress-nginx"] = "generic"
    """Metric names: `generic` (http_requests_total / http_request_duration_seconds labelled service, color,
    code) or `ingress-nginx` (the controller's metrics for the Service `<service>-<color>`)."""
    selector: str | None = None
    """PromQL label matchers picking the canary's series, replacing the flavor's, e.g. `app="$service",track="$canary"`."""
    window: str | None = None
    """PromQL range of the rates, e.g. `1m` (default) or `30s`."""
    bearer_token_env: str | None = None
    """Environment variable holding a bearer token for the query API."""
    bearer_token_command: list[str] | None = None
    """Command printing a bearer token, e.g. [gcloud, auth, print-access-token]."""
    alb: AlbTarget | None = None
    """AWS: the canary target group's 5XX count and p99 TargetResponseTime from CloudWatch."""
    test_url: str | None = None
    """HTTP probe of the idle color's test route (2xx expected)."""
    min_success_rate: Annotated[float, Field(ge=0, le=1)] = 0.99
    """Lowest acceptable share of non-5xx responses of the canary."""
    max_p99_latency: Duration = 0.5
    """Highest acceptable p99 latency of the canary."""

    @model_validator(mode="after")
    def _valid(self) -> DefaultAnalysis:
        for key, url in (("prometheus", self.prometheus), ("testUrl", self.test_url)):
            if url is not None and not re.match(r"^https?://", url):
                raise ValueError(f"{key} must start with http:// or https://, got {url!r}")
        if self.window is not None and not re.fullmatch(r"\d+(ms|s|m|h)", self.window):
            raise ValueError(f"window must be a PromQL duration such as 30s or 1m, got {self.window!r}")
        return self


class AnalysisSpec(SpecModel):
    interval: Annotated[Duration, Field(gt=0)] = 10.0
    """Time between measurements."""
    failure_limit: Annotated[int, Field(ge=0, le=100)] = 1
    """Failed measurements tolerated over the whole rollout; one more rolls back (Flagger's `threshold` minus one)."""
    checks: list[CheckSpec] = Field(default_factory=list)
    """The checks (each written out, or `template:` + `args:`); none means the built-in default analysis."""
    defaults: DefaultAnalysis | None = None
    """Where the built-in default analysis reads metrics (used when `checks` is empty)."""

    @model_validator(mode="after")
    def _unique_names(self) -> AnalysisSpec:
        seen: set[str] = set()
        for check in self.checks:
            if check.name in seen:
                raise ValueError(f"check name `{check.name}` is used twice")
            seen.add(check.name)
        return self


class GateSpec(SpecModel):
    approval_file: str | None = None
    """File whose appearance approves the switch (content `reject` rejects); default `<state dir>/<stack>/<service>.approval`."""
    timeout: Duration = 3600.0
    """How long to wait for approval before rolling back."""


_HTTP_TOKEN = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"
"""An HTTP token (RFC 9110): what a header or cookie name may be made of."""


class CohortSpec(SpecModel):
    """An A/B test's cohort: the requests that carry this header (or cookie) reach the new color."""

    header: Annotated[str, Field(min_length=1, max_length=40, pattern=_HTTP_TOKEN)] | None = None
    """Request header that selects the cohort (matched case-insensitively, like every HTTP header name)."""
    cookie: Annotated[str, Field(min_length=1, max_length=64, pattern=_HTTP_TOKEN)] | None = None
    """Cookie that selects the cohort (no shipped routing component matches cookies yet: refused per cloud)."""
    value: Annotated[str, Field(min_length=1, max_length=128)]
    """Exact value of the header or cookie."""

    @model_validator(mode="after")
    def _one_match(self) -> CohortSpec:
        if (self.header is None) == (self.cookie is None):
            raise ValueError("give exactly one of `header` or `cookie`")
        return self

    @property
    def kind(self) -> Literal["header", "cookie"]:
        return "header" if self.header is not None else "cookie"

    @property
    def name(self) -> str:
        return self.header or self.cookie or ""

    def describe(self) -> str:
        return f"{self.kind} {self.name}={self.value}"


class RoutingMatcher(SpecModel):
    type: str
    """Resource type token, e.g. `aws:lb/listener:Listener`."""
    name_suffix: str = ""
    """The resource name must end with this (after the service name)."""


class RolloutSpec(SpecModel):
    service: str
    """Service (key of `rollway:services`) to release."""
    strategy: Strategy = "canary"
    """canary: weighted steps; blueGreen: smoke-test the idle color, then switch all at once; abTest: only the
    `cohort` reaches the new color for `cohortDuration` (analysed on its own), then the steps if any, then the switch."""
    image: str | None = None
    """New image, deployed to the idle color first; default: the idle color's current image."""
    steps: list[int] | None = None
    """Canary weights in percent, ascending, e.g. [5, 10, 25, 50, 100]."""
    preset: str | None = None
    """Instead of `steps`: canary-<N>%-then-all or linear-<N>%-every-<duration>."""
    step_duration: Duration = 60.0
    """Bake time per canary step (analysis runs meanwhile)."""
    smoke_duration: Duration = 30.0
    """Blue/green: how long the idle color is smoke-tested before the switch."""
    drain: Duration = 300.0
    """After the switch, how long the old color keeps running (and analysis keeps watching) before scale-down."""
    deadline: Duration = 3600.0
    """The whole rollout must promote within this, or it rolls back."""
    scale_down: bool = True
    """Remove the old color's image after the drain window (its workload then scales away)."""
    cohort: CohortSpec | None = None
    """abTest: the requests (by header or cookie) routed to the new color while everyone else stays on the old one."""
    cohort_duration: Duration = 300.0
    """abTest: how long the cohort alone is on the new color (analysis runs meanwhile) before the steps or the switch."""
    gate: GateSpec | None = None
    """Manual approval before the switch."""
    analysis: AnalysisSpec = Field(default_factory=AnalysisSpec)
    """Checks and failure budget."""
    routing: list[RoutingMatcher] | None = None
    """Override how the routing resources are found in the stack's state (default: by type, see rollway.rollout.routing)."""

    @model_validator(mode="after")
    def _valid(self) -> RolloutSpec:
        if self.steps is not None and self.preset is not None:
            raise ValueError("give `steps` or `preset`, not both")
        if self.steps is not None:
            check_weights(self.steps)
        if self.preset is not None:
            parse_preset(self.preset, self.step_duration)
        if self.strategy == "blueGreen" and (self.steps is not None or self.preset is not None):
            raise ValueError("steps/preset apply to the canary strategy; blueGreen switches all traffic at once")
        if self.strategy == "abTest" and self.cohort is None:
            raise ValueError("strategy abTest needs a `cohort` (header or cookie and value, or --cohort-header NAME=VALUE)")
        if self.strategy != "abTest" and self.cohort is not None:
            raise ValueError(f"`cohort` applies to strategy abTest, not {self.strategy}")
        if self.image is not None and (not self.image.strip() or any(ch.isspace() for ch in self.image)):
            raise ValueError(f"image must be a container image reference without spaces, got {self.image!r}")
        return self

    def canary_steps(self) -> list[tuple[int, float]]:
        """(weight, bake seconds) per canary step (an A/B test has steps only when given)."""
        if self.strategy == "abTest" and self.steps is None and self.preset is None:
            return []
        if self.preset is not None:
            return parse_preset(self.preset, self.step_duration)
        weights = self.steps if self.steps is not None else [10, 25, 50, 100]
        return [(weight, self.step_duration) for weight in weights]


def check_weights(weights: list[int]) -> None:
    if not weights:
        raise ValueError("steps must list at least one weight")
    for weight in weights:
        if not 1 <= weight <= 100:
            raise ValueError(f"step weight {weight} is out of range; weights are 1..100 percent")
    if any(later <= earlier for earlier, later in itertools.pairwise(weights)):
        raise ValueError(f"step weights must strictly increase, got {weights}")


def parse_preset(preset: str, step_duration: float) -> list[tuple[int, float]]:
    """Weights and bake times of a named preset; ValueError naming the accepted forms.

    Args:
        preset: e.g. `canary-10%-then-all` (bakes `step_duration` per step) or `linear-10%-every-2m`.
        step_duration: Bake time of presets that don't name one.
    """
    text = preset.strip().lower()
    canary = _CANARY_PRESET.match(text)
    if canary:
        first = int(canary.group(1))
        if not 1 <= first <= 99:
            raise ValueError(f"preset {preset!r}: the canary percent must be 1..99")
        return [(first, step_duration), (100, step_duration)]
    linear = _LINEAR_PRESET.match(text)
    if linear:
        increment = int(linear.group(1))
        if not 1 <= increment <= 100:
            raise ValueError(f"preset {preset!r}: the increment must be 1..100 percent")
        unit = linear.group(3) or "m"
        unit = _UNIT_ALIASES.get(unit, unit)
        bake = parse_duration(f"{linear.group(2)}{unit}")
        weights = [*range(increment, 100, increment), 100]
        return [(weight, bake) for weight in weights]
    raise ValueError(f"unknown preset {preset!r}; use {PRESET_HELP}")


def _location(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def spec_problems(error: ValidationError, source: str) -> list[str]:
    """One line per problem: `<source>: <key path>: <what is wrong>`."""
    lines = []
    for item in error.errors():
        where = _location(tuple(item["loc"]))
        message = str(item.get("msg", "is invalid"))
        message = message.removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required"
        elif item["type"] == "extra_forbidden":
            message = "is not a known key"
        lines.append(f"{source}: {where}: {message}" if where else f"{source}: {message}")
    return lines


def load_spec_file(path: Path) -> dict[str, Any]:
    """The raw mapping in a spec file; UsageError when it can't be read or isn't a YAML mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the rollout spec: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{path}: not a text file (byte {exc.start} is not UTF-8); the rollout spec must be a YAML text file"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: the rollout spec must be a mapping of keys to values, got {type(data).__name__}")
    return data


def build_spec(raw: dict[str, Any], source: str) -> RolloutSpec:
    """Validate a raw mapping (spec file merged with flags) into a RolloutSpec, or raise UsageError listing every problem."""
    try:
        return RolloutSpec.model_validate(raw)
    except ValidationError as exc:
        raise UsageError("\n".join(spec_problems(exc, source))) from None
