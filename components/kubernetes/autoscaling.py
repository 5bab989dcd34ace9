"""Autoscaling on Kubernetes: a HorizontalPodAutoscaler (autoscaling/v2) per color Deployment, scheduled
capacity windows as CronJobs that patch those HPAs' bounds, scale-in protection windows as CronJob pairs that
switch the HPAs' scale-down off and on (`behavior.scaleDown.selectPolicy: Disabled`, then back to `Max`), and,
when asked for, a VerticalPodAutoscaler per color (components/kubernetes/vertical.py). Kubernetes has no predictive scaling of its own; scheduled windows
are the way to scale ahead of known load.

Requests per target is a `Pods` metric: the HPA reads it from the custom metrics API
(custom.metrics.k8s.io), which a metrics adapter such as prometheus-adapter must serve; without one the
HPA reports the metric as unavailable and keeps scaling on CPU alone. The adapter serves what Prometheus
scraped from the pods, and the namespace's default-deny NetworkPolicy refuses that scrape unless the
Environment admits the monitoring namespace (`monitoringNamespace` in the stack config): without it the
metric never exists.

Why CronJobs for schedules: Kubernetes has no scheduled scaling of its own. The alternatives are an extra
controller (KEDA's cron scaler, which takes over the HPA) or CronJobs. A CronJob running `kubectl patch`
needs nothing installed in the cluster, is visible with plain kubectl, and its ServiceAccount may only get
and patch this service's HPAs (a Role limited by resourceNames). Like scheduled actions on the clouds, each
window sets the bounds when it starts and they hold until the next window starts. A protection window
touches only `behavior.scaleDown.selectPolicy` (a JSON merge patch leaves the rest of `behavior` as it is),
so it composes with scheduled windows: capacity stays where it is, and scale-out still works.

The schedule pods may connect only to the API server (`api_server_cidrs`, on 443 and 6443). A Service's
ClusterIP is not enough to name it: most network plugins (Calico, Cilium, kube-proxy based ones) check
NetworkPolicy after the `kubernetes` Service's address was translated to the API server's own endpoint
addresses, so those endpoints must be listed (`kubectl get endpointslices -n default -l
kubernetes.io/service-name=kubernetes`). The builder adds the ClusterIP too, for plugins that check before.
On Cilium, an API server running on the cluster's own nodes is identified as `kube-apiserver`, not by its
address, so an ipBlock may not match it there; such clusters need a CiliumNetworkPolicy (`toEntities:
[kube-apiserver]`) for these pods, which this component does not create.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.autoscaling import AutoscalingArgs, ScaleInProtection, ScheduledCapacity
from components.blue_green import COLORS, Color
from components.kubernetes.common import (
    APP_LABEL,
    COMPONENT_LABEL,
    IMAGE_PULL_POLICY,
    SERVICE_ACCOUNT_TOKEN_PATH,
    app_selector,
    container_security_context,
    dns_label,
    pod_security_context,
    service_account_token_volume,
    with_labels,
)
from components.kubernetes.vertical import VPA_API_VERSION, VPA_KIND, vpa_spec
from components.time_to_capacity import ScalingLoop

SCHEDULE_COMPONENT = "scaling-schedule"
KUBECTL_IMAGE = "registry.k8s.io/kubectl:v1.34.0"
NONROOT_UID = 65532
"""The kubectl image has no non-root user of its own; run it as the conventional `nonroot` UID."""
CRONJOB_NAME_LIMIT = 52
"""CronJob names longer than this cannot get the suffix of the Jobs they create."""
HPA_RESOURCE_METRICS = ("cpu",)
"""Resource metrics the HPA scales on; a VPA must not change these requests (components/kubernetes/vertical.py)."""
METRICS_RESOLUTION_SECONDS = 15
"""metrics-server's default resolution: how fresh the CPU figure the HPA reads is."""
HPA_SYNC_SECONDS = 15
"""kube-controller-manager's default --horizontal-pod-autoscaler-sync-period."""
SCALE_DOWN_POLICY = "Max"
"""The HPA's usual scale-down select policy, which a protection window's end restores."""


def scaling_loop(scaling: AutoscalingArgs) -> ScalingLoop:
    """How the HPA notices a load step: one metrics-server sample, one sync, then the scale-up stabilization
    window (Rollway's scale-out cooldown), through which the load must stay high."""
    return ScalingLoop(
        mechanism="HorizontalPodAutoscaler",
        metric_period_seconds=METRICS_RESOLUTION_SECONDS,
        evaluation_periods=1,
        evaluation_interval_seconds=HPA_SYNC_SECONDS,
        stabilization_seconds=scaling.scale_out_cooldown_seconds,
    )


@dataclass(frozen=True)
class KubernetesAutoscalingArgs:
    """Inputs of a service's autoscaling on Kubernetes."""

    autoscaling: AutoscalingArgs
    """Bounds, targets, cooldowns and scheduled windows (the same for each color)."""
    namespace: pulumi.Input[str]
    """Namespace of the Deployments."""
    app: str
    """Kubernetes name of the service; HPAs are named `<app>-<color>` like the Deployments."""
    deployments: Mapping[Color, pulumi.Input[str]]
    """Deployment name per color that has a workload (BlueGreenTargets.deployment_names())."""
    requests_metric: str = "http_requests_per_minute"
    """Per-pod metric the custom metrics API serves for requests per target (per minute, like ALB's
    RequestCountPerTarget), e.g. a prometheus-adapter rule over `rate(http_requests_total[2m]) * 60`."""
    kubectl_image: str = KUBECTL_IMAGE
    """Image with kubectl at /bin/kubectl that the schedule jobs run."""
    api_server_cidrs: tuple[str, ...] = ()
    """Where the schedule jobs may connect on 443/6443: the API server's endpoint addresses (and its ClusterIP).
    Required with scheduled windows; only the schedule pods get this egress."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels for every child."""
    run_as_user: int | None = None
    """UID the schedule jobs run as; None runs them as NONROOT_UID. Set it to the UID the service runs as
    where the cluster admits only certain UIDs per namespace (e.g. OpenShift's assigned range)."""


class Autoscaling(pulumi.ComponentResource):
    """HPAs for one service's color Deployments, plus its scheduled capacity windows."""

    hpas: dict[Color, k8s.autoscaling.v2.HorizontalPodAutoscaler]
    """HPA per color that has a Deployment."""
    vpas: dict[Color, k8s.apiextensions.CustomResource]
    """VerticalPodAutoscaler per color that has a Deployment, when vertical scaling is on."""
    schedules: list[k8s.batch.v1.CronJob]
    """One CronJob per (window, color)."""
    protection_jobs: list[k8s.batch.v1.CronJob]
    """Two CronJobs (start, end) per (protection window, color)."""
    service_account: k8s.core.v1.ServiceAccount | None
    """Identity of the schedule jobs; None without windows."""
    role: k8s.rbac.v1.Role | None
    """May get and patch exactly this service's HPAs; None without windows."""
    role_binding: k8s.rbac.v1.RoleBinding | None
    egress_policy: k8s.networking.v1.NetworkPolicy | None
    """Lets only the schedule pods reach the API server through the namespace's default deny."""

    def __init__(self, name: str, args: KubernetesAutoscalingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if args.autoscaling.predictive is not None:
            raise ValueError(
                f"Autoscaling {name}: Kubernetes has no predictive autoscaling; scale ahead of known load with scheduled windows"
            )
        super().__init__("rollway:kubernetes:Autoscaling", name, None, opts)
        self._labels = with_labels(args.labels, app_selector(args.app))
        has_windows = bool(args.autoscaling.schedules or args.autoscaling.scale_in_protection)
        self._check_windows(name, args)
        colors = [color for color in COLORS if color in args.deployments]
        self.hpas = {color: self._hpa(name, args, color, patched_by_schedule=has_windows) for color in colors}
        self.vpas = {color: self._vpa(name, args, color) for color in colors} if args.autoscaling.vertical else {}

        self.service_account = self.role = self.role_binding = self.egress_policy = None
        self.schedules = []
        self.protection_jobs = []
        if has_windows and colors:
            self._schedule_identity(name, args, colors)
            for window in args.autoscaling.schedules:
                for color in colors:
                    self.schedules.append(self._schedule(name, args, window, color))
            for protection in args.autoscaling.scale_in_protection:
                for color in colors:
                    self.protection_jobs += self._protection(name, args, protection, color)

        self.register_outputs(
            {
                "hpaNames": {color: hpa.metadata.name for color, hpa in self.hpas.items()},
                "vpaNames": {color: f"{args.app}-{color}" for color in self.vpas},
                "scheduleNames": [job.metadata.name for job in self.schedules],
                "protectionJobNames": [job.metadata.name for job in self.protection_jobs],
            }
        )

    @staticmethod
    def _check_windows(name: str, args: KubernetesAutoscalingArgs) -> None:
        """Every window must give distinct Kubernetes names (CronJob per color, and logical name)."""
        owners: dict[tuple[str, str], list[str]] = {}
        for window in args.autoscaling.schedules:
            for color in COLORS:
                owners.setdefault(("cronjob", cronjob_name(args.app, color, window.name)), []).append(window.name)
                owners.setdefault(("resource", f"{color}-{dns_label(window.name)}"), []).append(window.name)
        for protection in args.autoscaling.scale_in_protection:
            for color in COLORS:
                for phase in ("start", "end"):
                    job = cronjob_name(args.app, color, f"{protection.slug}-{phase}")
                    owners.setdefault(("cronjob", job), []).append(protection.name)
                    owners.setdefault(("resource", f"{color}-{protection.slug}-{phase}"), []).append(protection.name)
        clashes = sorted({" and ".join(sorted(set(names))) for names in owners.values() if len(names) > 1})
        if clashes:
            raise ValueError(
                f"Autoscaling {name}: scheduled windows need names that stay distinct as Kubernetes names "
                f"(lowercase letters, digits and '-'); these collide: {'; '.join(clashes)}"
            )
        floors = [window.name for window in args.autoscaling.scale_in_protection if window.min_capacity is not None]
        if floors and args.autoscaling.schedules:
            raise ValueError(
                f"Autoscaling {name}: scale-in protection windows with a min ({', '.join(floors)}) cannot be combined with "
                "scheduled windows: their end restores minReplicas and would undo the scheduled window in effect"
            )
        if (args.autoscaling.schedules or args.autoscaling.scale_in_protection) and not args.api_server_cidrs:
            raise ValueError(
                f"Autoscaling {name}: scheduled and scale-in protection windows need api_server_cidrs (where the API server is)"
            )

    def _hpa(
        self, name: str, args: KubernetesAutoscalingArgs, color: Color, patched_by_schedule: bool
    ) -> k8s.autoscaling.v2.HorizontalPodAutoscaler:
        scaling = args.autoscaling
        metrics: list[k8s.autoscaling.v2.MetricSpecArgsDict] = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "average_utilization": scaling.cpu_target}},
            }
        ]
        if scaling.requests_per_target is not None:
            metrics.append(
                {
                    "type": "Pods",
                    "pods": {
                        "metric": {"name": args.requests_metric},
                        "target": {"type": "AverageValue", "average_value": str(scaling.requests_per_target)},
                    },
                }
            )
        metadata: k8s.meta.v1.ObjectMetaArgsDict = {
            "name": f"{args.app}-{color}",
            "namespace": args.namespace,
            "labels": self._labels,
        }
        if patched_by_schedule:
            # The schedule jobs take ownership of min/maxReplicas when they patch them; when a later
            # `pulumi up` changes the bounds, Pulumi's server-side apply must win instead of failing on the
            # field-manager conflict.
            metadata["annotations"] = {"pulumi.com/patchForce": "true"}
        return k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-{color}",
            metadata=metadata,
            spec={
                "scale_target_ref": {"api_version": "apps/v1", "kind": "Deployment", "name": args.deployments[color]},
                "min_replicas": scaling.min_capacity,
                "max_replicas": scaling.max_capacity,
                "metrics": metrics,
                "behavior": {
                    # Cooldowns become stabilization windows: the HPA acts on the most conservative
                    # recommendation of the window, which is what a cooldown is for.
                    "scale_up": {
                        "stabilization_window_seconds": scaling.scale_out_cooldown_seconds,
                        "select_policy": "Max",
                        # Double, or add four pods, per minute, whichever is more: fast out to absorb spikes.
                        "policies": [
                            {"type": "Percent", "value": 100, "period_seconds": 60},
                            {"type": "Pods", "value": 4, "period_seconds": 60},
                        ],
                    },
                    "scale_down": {
                        "stabilization_window_seconds": scaling.scale_in_cooldown_seconds,
                        "select_policy": SCALE_DOWN_POLICY,
                        # Shed a quarter, or at least one pod, per minute: slow in to avoid flapping.
                        "policies": [
                            {"type": "Percent", "value": 25, "period_seconds": 60},
                            {"type": "Pods", "value": 1, "period_seconds": 60},
                        ],
                    },
                },
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _vpa(self, name: str, args: KubernetesAutoscalingArgs, color: Color) -> k8s.apiextensions.CustomResource:
        vertical = args.autoscaling.vertical
        assert vertical is not None  # only called with vertical scaling on
        return k8s.apiextensions.CustomResource(
            f"{name}-{color}-vpa",
            api_version=VPA_API_VERSION,
            kind=VPA_KIND,
            metadata={"name": f"{args.app}-{color}", "namespace": args.namespace, "labels": self._labels},
            spec=vpa_spec(args.deployments[color], vertical, HPA_RESOURCE_METRICS),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _schedule_identity(self, name: str, args: KubernetesAutoscalingArgs, colors: list[Color]) -> None:
        account_name = dns_label(args.app, "scaling-schedule")
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-schedule",
            metadata={"name": account_name, "namespace": args.namespace, "labels": self._labels},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.role = k8s.rbac.v1.Role(
            f"{name}-schedule",
            metadata={"name": account_name, "namespace": args.namespace, "labels": self._labels},
            rules=[
                {
                    "api_groups": ["autoscaling"],
                    "resources": ["horizontalpodautoscalers"],
                    "resource_names": [f"{args.app}-{color}" for color in colors],
                    "verbs": ["get", "patch"],
                }
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.role_binding = k8s.rbac.v1.RoleBinding(
            f"{name}-schedule",
            metadata={"name": account_name, "namespace": args.namespace, "labels": self._labels},
            role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "Role", "name": account_name},
            subjects=[{"kind": "ServiceAccount", "name": account_name, "namespace": args.namespace}],
            opts=pulumi.ResourceOptions(parent=self),
        )
        api_ports: list[k8s.networking.v1.NetworkPolicyPortArgsDict] = [
            {"protocol": "TCP", "port": 443},
            {"protocol": "TCP", "port": 6443},
        ]
        self.egress_policy = k8s.networking.v1.NetworkPolicy(
            f"{name}-schedule-egress",
            metadata={
                "name": dns_label(args.app, "scaling-schedule-egress"),
                "namespace": args.namespace,
                "labels": self._labels,
            },
            spec={
                "pod_selector": {"match_labels": self._schedule_selector(args)},
                "policy_types": ["Egress"],
                "egress": [{"to": [{"ip_block": {"cidr": cidr}} for cidr in args.api_server_cidrs], "ports": api_ports}],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    @staticmethod
    def _schedule_selector(args: KubernetesAutoscalingArgs) -> dict[str, str]:
        return {APP_LABEL: args.app, COMPONENT_LABEL: SCHEDULE_COMPONENT}

    def _schedule(
        self, name: str, args: KubernetesAutoscalingArgs, window: ScheduledCapacity, color: Color
    ) -> k8s.batch.v1.CronJob:
        # An HPA's minReplicas must be at least 1 (scale to zero is an alpha feature gate).
        bounds = {"minReplicas": max(1, window.min_capacity), "maxReplicas": window.max_capacity}
        return self._cronjob(
            f"{name}-{color}-{dns_label(window.name)}",
            cronjob_name(args.app, color, window.name),
            window.schedule,
            window.timezone,
            args,
            color,
            {"spec": bounds},
        )

    def _protection(
        self, name: str, args: KubernetesAutoscalingArgs, window: ScaleInProtection, color: Color
    ) -> list[k8s.batch.v1.CronJob]:
        """The window's start job switches the HPA's scale-down off (and raises minReplicas to the window's min when
        set), its end job switches it back on (and restores minReplicas)."""
        start: dict[str, object] = {"behavior": {"scaleDown": {"selectPolicy": "Disabled"}}}
        end: dict[str, object] = {"behavior": {"scaleDown": {"selectPolicy": SCALE_DOWN_POLICY}}}
        if window.min_capacity is not None:
            start["minReplicas"] = window.min_capacity
            end["minReplicas"] = args.autoscaling.min_capacity  # what the HPA is built with
        return [
            self._cronjob(
                f"{name}-{color}-{window.slug}-{phase}",
                cronjob_name(args.app, color, f"{window.slug}-{phase}"),
                schedule,
                window.timezone,
                args,
                color,
                {"spec": spec},
            )
            for phase, schedule, spec in (("start", window.schedule, start), ("end", window.end_schedule, end))
        ]

    def _cronjob(
        self,
        logical_name: str,
        job_name: str,
        schedule: str,
        timezone: str,
        args: KubernetesAutoscalingArgs,
        color: Color,
        hpa_patch: dict[str, object],
    ) -> k8s.batch.v1.CronJob:
        """A CronJob that merge-patches this color's HPA with `hpa_patch` each time `schedule` fires."""
        assert self.service_account is not None  # created by _schedule_identity first
        patch = json.dumps(hpa_patch, separators=(",", ":"))
        pod_labels = with_labels(args.labels, self._schedule_selector(args))
        container: k8s.core.v1.ContainerArgsDict = {
            "name": "patch-hpa",
            "image": args.kubectl_image,
            "image_pull_policy": IMAGE_PULL_POLICY,
            "command": ["/bin/kubectl"],
            # In-cluster kubectl defaults to the ServiceAccount's namespace, which is the HPA's.
            "args": ["patch", "horizontalpodautoscaler", f"{args.app}-{color}", "--type=merge", f"--patch={patch}"],
            # kubectl writes its discovery cache under $HOME; the root filesystem is read-only.
            "env": [{"name": "HOME", "value": "/tmp"}],
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "50m", "memory": "64Mi"}},
            "security_context": container_security_context(),
            "volume_mounts": [
                {"name": "tmp", "mount_path": "/tmp"},
                {"name": "api-token", "mount_path": SERVICE_ACCOUNT_TOKEN_PATH, "read_only": True},
            ],
        }
        job_spec: k8s.batch.v1.JobSpecArgsDict = {
            "backoff_limit": 3,
            "active_deadline_seconds": 300,
            "ttl_seconds_after_finished": 86400,
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "service_account_name": self.service_account.metadata.name,
                    # kubectl needs API credentials, but only this container: mount a short-lived token itself
                    # instead of the automatic mount into every container.
                    "automount_service_account_token": False,
                    "restart_policy": "OnFailure",
                    "security_context": pod_security_context(NONROOT_UID if args.run_as_user is None else args.run_as_user),
                    "containers": [container],
                    "volumes": [{"name": "tmp", "empty_dir": {}}, service_account_token_volume("api-token")],
                },
            },
        }
        return k8s.batch.v1.CronJob(
            logical_name,
            metadata={"name": job_name, "namespace": args.namespace, "labels": self._labels},
            spec={
                "schedule": schedule,
                "time_zone": timezone,
                # A late or overlapping run would only repeat the same patch.
                "concurrency_policy": "Forbid",
                "starting_deadline_seconds": 600,
                "successful_jobs_history_limit": 1,
                "failed_jobs_history_limit": 3,
                "job_template": {"metadata": {"labels": pod_labels}, "spec": job_spec},
            },
            opts=pulumi.ResourceOptions(parent=self),
        )


def cronjob_name(app: str, color: Color, window: str) -> str:
    """Kubernetes name of a window's CronJob for one color; distinct for distinct (cleaned) window names."""
    return dns_label(app, color, window, limit=CRONJOB_NAME_LIMIT)


AutoscalingTargetsArgs = KubernetesAutoscalingArgs
"""Deprecated name of `KubernetesAutoscalingArgs` (Args are `<Cloud><Family>Args` on every cloud), kept for one release."""
