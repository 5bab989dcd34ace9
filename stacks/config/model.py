"""The typed, validated model of one environment stack's config (`rollway:*` keys)."""

from __future__ import annotations

import re
from typing import Annotated, Literal, cast, overload
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field

from components.gcp.schedule import MIN_DURATION_SECONDS
from rollway import clouds
from rollway.helpers import label_safe
from stacks.config.aws import AwsSettings
from stacks.config.azure import AzureSettings
from stacks.config.base import Between, CloudSettings, ConfigModel
from stacks.config.gcp import GcpSettings
from stacks.config.kubernetes import KubernetesSettings
from stacks.config.schedules import CronExpression, CronSchedule, TimeZoneName, parse_cron, time_zone

Cloud = Literal["aws", "gcp", "azure", "kubernetes"]
CLOUDS: tuple[Cloud, ...] = cast("tuple[Cloud, ...]", clouds.names())
"""Registered clouds (`rollway.clouds`); each has a `rollway:<cloud>` settings field below."""
ENVIRONMENT_NAME = r"^[a-z][a-z0-9-]{0,30}$"
EnvironmentName = Annotated[str, Field(pattern=ENVIRONMENT_NAME)]
"""Any environment name: the built-in dev, staging, prod and preview, or one of your own (e.g. `qa`)."""
Color = Literal["blue", "green"]

REQUIRED_TAGS = ("cost-center", "owner", "environment")
SERVICE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,30}[A-Za-z0-9]$")
ENV_VAR_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
MIN_SCHEDULED_WINDOWS = 2
"""Windows a service needs when it has any: only a later window ends a window."""

# RFC 7230 `token` (tchar); 40 characters is the ALB's header-name limit, the strictest of the clouds.
HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,40}")
HEADER_NAME_MESSAGE = (
    "must be an HTTP header name of 1-40 characters (letters, digits and !#$%&'*+-.^_`|~), e.g. x-rollway-canary"
)
MAX_HEADER_VALUE_CHARS = 128
"""The ALB's limit on a header condition value."""


def _header_name(value: str) -> str:
    if not HEADER_NAME.fullmatch(value):
        raise ValueError(HEADER_NAME_MESSAGE)
    if value.lower() == "host":
        # The ALB refuses Host in header conditions, and routing on it belongs to the host name settings.
        raise ValueError("must not be Host: route on the host name with the cloud's hostname settings instead")
    return value


def _header_value(value: str) -> str:
    if not 1 <= len(value) <= MAX_HEADER_VALUE_CHARS:
        raise ValueError(f"must be 1-{MAX_HEADER_VALUE_CHARS} characters (the ALB's limit)")
    if any(not " " <= ch <= "~" for ch in value):
        raise ValueError("must be printable ASCII (no control or non-ASCII characters)")
    if "*" in value or "?" in value:
        raise ValueError(
            "must not contain `*` or `?`: the ALB reads them as wildcards while the other clouds match them literally"
        )
    if value != value.strip(" "):
        raise ValueError("must not start or end with a space: HTTP drops it, so no request would match")
    return value


# The OCI distribution reference grammar (github.com/distribution/reference): [host[:port]/]path[:tag][@digest].
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}"
IMAGE_REFERENCE = re.compile(
    rf"(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?"
)
MAX_IMAGE_NAME_CHARS = 255
"""Longest repository name (domain and path) the reference grammar allows."""
_DIGEST_LENGTHS = {"sha256": 64, "sha512": 128}


def image_reference(value: str) -> str:
    """Check a container image reference against the OCI grammar: `[registry[:port]/]repo/path[:tag][@algo:hex]`."""
    match = IMAGE_REFERENCE.fullmatch(value)
    if match is None:
        raise ValueError(
            "must be a container image reference: [registry[:port]/]repository[:tag][@sha256:<64 hex>], "
            "repository in lowercase letters, digits and . _ - separators (e.g. ghcr.io/acme/web:1.4.0)"
        )
    domain, path = match.group("domain"), match.group("path")
    if len((f"{domain}/" if domain else "") + path) > MAX_IMAGE_NAME_CHARS:
        raise ValueError(f"must have a repository name of at most {MAX_IMAGE_NAME_CHARS} characters")
    digest = match.group("digest")
    if digest is not None:
        algorithm, _, encoded = digest.partition(":")
        expected = _DIGEST_LENGTHS.get(algorithm)
        if expected is not None and not re.fullmatch(rf"[a-f0-9]{{{expected}}}", encoded):
            raise ValueError(f"must have a {algorithm} digest of exactly {expected} lowercase hex characters")
    return value


ImageReference = Annotated[str, AfterValidator(image_reference)]
HeaderName = Annotated[str, AfterValidator(_header_name)]
HeaderValue = Annotated[str, AfterValidator(_header_value)]


class ColorImages(ConfigModel):
    blue: ImageReference | None = None
    """Container image of the blue color (registry/repository:tag or @digest)."""
    green: ImageReference | None = None
    """Container image of the green color (same grammar)."""

    def for_color(self, color: Color) -> str | None:
        return self.blue if color == "blue" else self.green


class ScheduledWindow(ConfigModel):
    """A scheduled capacity change, the same on every cloud.

    A window takes effect when `schedule` fires and its `min`/`max` apply until the next window of the
    service fires (scheduled actions work this way on every cloud); nothing ends a window but another
    window. A lone window would therefore stay in effect for good, so a service with windows needs at least
    two, e.g. `business-hours` at 07:00 on weekdays and `evening` at 20:00 that restores the usual bounds.
    The service's `autoscaling.min`/`max` apply from a deploy until the first window fires.
    """

    name: str
    """Name of the window, e.g. `business-hours`; unique within the service."""
    schedule: CronExpression
    """When the window starts: a 5-field cron expression (minute hour day-of-month month day-of-week) in
    `timezone`, e.g. `0 7 * * MON-FRI`; see stacks/config/schedules.py for the accepted syntax."""
    min: Annotated[int, Field(ge=0)]
    """Minimum capacity during the window."""
    max: Annotated[int, Field(ge=1)]
    """Maximum capacity during the window; at most `autoscaling.max`."""
    timezone: TimeZoneName = "UTC"
    """IANA time zone `schedule` is read in, e.g. `Europe/Berlin` (daylight saving time followed)."""

    @property
    def cron(self) -> CronSchedule:
        """The parsed `schedule` (already validated, so this cannot fail)."""
        return parse_cron(self.schedule)

    @property
    def zone(self) -> ZoneInfo:
        """The loaded `timezone`."""
        return time_zone(self.timezone)


MAX_PROTECTION_WINDOWS = 9
"""An Azure autoscale setting holds 20 profiles: the default plus a start and an end profile per window."""
MIN_PROTECTION_MINUTES = MIN_DURATION_SECONDS // 60
"""GCP's shortest scaling schedule (5 minutes); the same floor on every cloud."""
MAX_PROTECTION_MINUTES = 7 * 24 * 60
"""One week; a window must also end before its schedule starts it again (checked with the other relations)."""


class ScaleInProtectionWindow(ConfigModel):
    """A recurring window during which the service does not scale in, e.g. a release train or a sales event.

    Unlike a scheduled window it has its own end (`durationMinutes`) and changes no bounds outside it. Where the
    cloud can switch scale-in off on a schedule (Kubernetes HPA, Azure VM scale sets) scale-in is suspended and
    capacity stays where it is (and at least `min` when set); elsewhere (AWS, GCP instance groups, Azure Container
    Apps) the floor is raised to `min` (default `autoscaling.max`) for the window, which the cost ceiling already
    prices. Windows of a service must neither overlap nor touch. See docs/autoscaling.md.
    """

    name: Annotated[str, Field(min_length=1, max_length=40)]
    """Name of the window, e.g. `release-train`; unique within the service (1-40 characters)."""
    schedule: CronExpression
    """When the window starts: a 5-field cron expression with one minute and one hour, in `timezone`, e.g.
    `0 9 * * TUE` (see stacks/config/schedules.py for the accepted syntax)."""
    duration_minutes: Annotated[int, Between(MIN_PROTECTION_MINUTES, MAX_PROTECTION_MINUTES, " minutes")]
    """How long each window lasts (5 minutes to one week), shorter than the time between two of its starts. A
    window ending on a later day needs day-of-month and month `*` in `schedule`."""
    timezone: TimeZoneName = "UTC"
    """IANA time zone `schedule` is read in, e.g. `Europe/Berlin` (the same key as scheduled windows')."""
    min: Annotated[int, Field(ge=1)] | None = None
    """Capacity floor during the window: above `autoscaling.min`, at most `autoscaling.max`. Unset: where scale-in is
    raised-floor based (AWS, GCP, Container Apps) the floor is `autoscaling.max`; where it is switched off
    (Kubernetes, VM scale sets) capacity stays where it is."""


PredictiveMode = Literal["forecastOnly", "forecastAndScale"]
VerticalMode = Literal["recommend", "initial", "recreate"]
DEFAULT_TIME_TO_CAPACITY_TARGET_SECONDS = 120
"""How fast a service should start scaling out after a load step unless its config says otherwise."""


class Predictive(ConfigModel):
    """Predictive scaling: the cloud forecasts load from the service's daily and weekly history and adds
    capacity ahead of it. Offered by AWS (ECS), GCP (instanceGroup runtime) and Azure (VM scale sets);
    other targets reject it (see docs/<cloud>.md)."""

    mode: PredictiveMode
    """`forecastOnly` records forecasts without acting on them (AWS, Azure); `forecastAndScale` also scales."""
    lead_seconds: Annotated[int, Field(ge=0, le=3600)] | None = None
    """How long before the forecast load capacity is launched (AWS scheduling buffer; Azure look-ahead, whole
    minutes from 1 to 60); the cloud's default when unset. GCP picks its own lead and rejects this key."""
    clouds: list[Cloud] | None = None
    """Targeted clouds to apply it on; every targeted cloud when unset. Limit it (e.g. `[aws]`) when the service
    also runs where predictive scaling is not offered (Kubernetes, Cloud Run, Container Apps)."""

    def applies_to(self, cloud: str) -> bool:
        return self.clouds is None or cloud in self.clouds


class Vertical(ConfigModel):
    """Vertical scaling: right-size cpu/memory requests from observed usage.

    Kubernetes gets a VerticalPodAutoscaler per color. Fargate, Cloud Run and Container Apps have no
    vertical autoscaler; there the builder exports a right-sizing report from the same inputs instead.
    """

    mode: VerticalMode = "recommend"
    """`recommend` only publishes recommendations (VPA updateMode Off); `initial` applies them to new pods;
    `recreate` also evicts running pods to apply them. Only memory is ever applied: the HPA scales on CPU, and
    a VPA changing CPU requests would fight it."""
    max_memory: Annotated[int, Field(ge=128, le=122880)] | None = None
    """Most memory (MiB) a recommendation may reach; unbounded when unset."""


class Autoscaling(ConfigModel):
    min: Annotated[int, Field(ge=1, le=1000)] = 1
    """Fewest tasks/pods/instances per color."""
    max: Annotated[int, Field(ge=1, le=1000)] = 2
    """Most tasks/pods/instances per color."""
    cpu_target: Annotated[int, Field(ge=1, le=100)] = 60
    """Average CPU utilization (percent) target tracking aims for."""
    requests_per_target: Annotated[int, Field(ge=1)] | None = None
    """Requests per target (per task/pod/instance) target tracking aims for; off when unset."""
    scale_in_cooldown_seconds: Annotated[int, Field(ge=0, le=3600)] = 300
    """Wait after a scale-in before another (slow in: avoid flapping)."""
    scale_out_cooldown_seconds: Annotated[int, Field(ge=0, le=3600)] = 60
    """Wait after a scale-out before another (fast out: absorb spikes)."""
    schedules: list[ScheduledWindow] = Field(default_factory=list)
    """Scheduled capacity windows (e.g. scale up for business hours): none, or at least two (see
    ScheduledWindow: each window lasts until the next one fires)."""
    scale_in_protection: Annotated[list[ScaleInProtectionWindow], Field(max_length=MAX_PROTECTION_WINDOWS)] = Field(
        default_factory=list
    )
    """Windows during which the service does not scale in (at most 9); none when unset."""
    predictive: Predictive | None = None
    """Predictive scaling, where the target cloud offers it; off when unset."""
    vertical: Vertical | None = None
    """Vertical scaling (Kubernetes) or a right-sizing report (other runtimes); off when unset."""
    time_to_capacity_target_seconds: Annotated[int, Field(ge=1, le=3600)] = DEFAULT_TIME_TO_CAPACITY_TARGET_SECONDS
    """Worst-case seconds from a load step to the first scale-out action this service should meet; the builder
    and `rollway preview` warn when the configured policy is slower."""


class CanaryHeader(ConfigModel):
    """A request header that pins requests to the canary (idle) color, matched exactly on every cloud."""

    name: HeaderName = "x-rollway-canary"
    """Header name: an HTTP token (letters, digits and !#$%&'*+-.^_`|~) of at most 40 characters (the ALB's
    limit), not `Host`; matched case-insensitively."""
    value: HeaderValue = "always"
    """Header value that pins the request: 1-128 printable ASCII characters, no `*` or `?` (the ALB would read
    them as wildcards while the other clouds match them literally), no leading or trailing space."""


class Service(ConfigModel):
    image: ColorImages
    """Container image per color."""
    live_color: Color = "blue"
    """Which color production traffic goes to."""
    canary_weight: Annotated[int, Between(0, 100)] = 0
    """Percent of production traffic sent to the idle color (0..100)."""
    port: Annotated[int, Between(1, 65535)] = 8080
    """Port the container listens on."""
    health_check_path: str = "/healthz"
    """HTTP path that returns 2xx when the service is healthy."""
    cpu: Annotated[float, Between(0.25, 16, " vCPUs")] = 0.25
    """vCPUs per task/pod (0.25 = a quarter of a vCPU)."""
    memory: Annotated[int, Between(128, 122880, " MiB")] = 512
    """Memory per task/pod in MiB."""
    autoscaling: Autoscaling = Field(default_factory=Autoscaling)
    """Capacity bounds and target tracking."""
    canary_header: CanaryHeader | None = None
    """When set, requests with this header always reach the idle color."""
    stickiness_seconds: (
        Annotated[int, Between(1, 300, " seconds", " (shorter than a rollout step, so each step's weight takes effect)")] | None
    ) = None
    """Session stickiness duration; keep it shorter than a rollout step so a step's weight takes effect."""
    secrets: dict[str, str] = Field(default_factory=dict)
    """Environment variable name -> key in `rollway:secrets` whose secret value it receives."""
    environment: dict[str, str] = Field(default_factory=dict)
    """Plain (non-secret) environment variables."""

    @property
    def idle_color(self) -> Color:
        return "green" if self.live_color == "blue" else "blue"


class CostCeiling(ConfigModel):
    """A per-environment cost ceiling, checked against the cost policy's price table before anything is built."""

    monthly_usd: Annotated[float, Field(gt=0)]
    """USD per month the services may cost with both colors (where they have an image) at `autoscaling.max`."""


class StackConfig(ConfigModel):
    environment: EnvironmentName
    """Name of the environment, e.g. dev, staging, prod, preview (one per pull request) or one of your own such as
    `qa`: lowercase letters, digits and `-`, starting with a letter, at most 31 characters. `prod` turns on
    production defaults (deletion protection, one NAT gateway per zone, zone redundancy, flow logs); the policy
    packs read `policies/config/<environment>/`, where a new environment names the one it extends."""
    clouds: Annotated[list[Cloud], Field(min_length=1)]
    """Clouds this stack targets."""
    tags: dict[str, str]
    """Tags/labels applied to everything taggable; must include cost-center and owner."""
    services: Annotated[dict[str, Service], Field(min_length=1)]
    """Services by name."""
    aws: AwsSettings | None = None
    gcp: GcpSettings | None = None
    azure: AzureSettings | None = None
    kubernetes: KubernetesSettings | None = None
    cost_ceiling: CostCeiling | None = None
    """Most this environment may cost per month at every service's autoscaling max; when unset, the cost pack's
    `monthly-budget` for the environment (policies/config/<environment>/cost.json), if any, is the ceiling."""
    secrets: dict[str, str] | None = None
    """Secret values (set with `pulumi config set --secret --path rollway:secrets.<name>`); never read here in code paths that print."""

    @overload
    def settings(self, cloud: Literal["aws"]) -> AwsSettings: ...
    @overload
    def settings(self, cloud: Literal["gcp"]) -> GcpSettings: ...
    @overload
    def settings(self, cloud: Literal["azure"]) -> AzureSettings: ...
    @overload
    def settings(self, cloud: Literal["kubernetes"]) -> KubernetesSettings: ...
    @overload
    def settings(self, cloud: Cloud) -> CloudSettings: ...

    def settings(self, cloud: Cloud) -> CloudSettings:
        """Settings of a targeted cloud (defaults when the stack file has no `rollway:<cloud>` block)."""
        found = getattr(self, cloud)
        if found is not None:
            return found
        settings: CloudSettings = clouds.get(cloud).settings_class()()
        return settings

    @property
    def effective_tags(self) -> dict[str, str]:
        """Tags with the environment and Rollway's own marker filled in."""
        return {**self.tags, "environment": self.environment, "managed-by": "rollway"}

    @property
    def labels(self) -> dict[str, str]:
        """Tags as label-safe key/values (GCP labels, Kubernetes labels: lowercase, [a-z0-9_-], <= 63)."""
        return {label_safe(k): label_safe(v) for k, v in self.effective_tags.items()}
