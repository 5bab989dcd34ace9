"""Blue/green slots on Kubernetes: a Deployment and a Service per color, a production Service whose selector
follows the live color, and a test Service that always selects the idle color.

Only the production and test Services' selectors depend on the live color, so a switch updates those two
routing resources (plus CanaryRoute's weighted route and public test route) and never a Deployment or a color
Service. The test Service is in-cluster; the public test route (`test-<app>.<hostname>`) is CanaryRoute's,
because it belongs to the router the weights use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.blue_green import COLORS, BlueGreenArgs, Color
from components.kubernetes.common import (
    IMAGE_PULL_POLICY,
    SKIP_AWAIT,
    app_selector,
    color_selector,
    container_security_context,
    cpu_quantity,
    memory_quantity,
    pod_security_context,
    with_labels,
)

PORT_NAME = "http"
TMP_VOLUME = "tmp"


@dataclass(frozen=True)
class KubernetesBlueGreenArgs:
    """Inputs of a service's blue/green slots on Kubernetes."""

    blue_green: BlueGreenArgs
    """Images, live color, workload and labels (`tags` are the Kubernetes labels, already label-safe)."""
    namespace: pulumi.Input[str]
    """Namespace the slots live in (pass the Environment's namespace output so it is created first)."""
    app: str
    """Kubernetes name of the service (DNS label); the production Service is called this, colors `<app>-<color>`."""
    replicas: int | None = None
    """Fixed pod count per color; None when a HorizontalPodAutoscaler owns the count."""
    run_as_user: int | None = None
    """UID (and GID) to run the container as; None runs it as DEFAULT_UID (10001), whatever the image's USER."""


class BlueGreenTargets(pulumi.ComponentResource):
    """Two slots (blue, green) of one service, a production Service to the live slot, a test Service to the idle one."""

    deployments: dict[Color, k8s.apps.v1.Deployment]
    """Deployment per color that has an image."""
    services: dict[Color, k8s.core.v1.Service]
    """Service per color (whether or not the color has a workload yet), the canary route's backends."""
    production_service: k8s.core.v1.Service
    """Selects the live color; what in-cluster clients call."""
    test_service: k8s.core.v1.Service
    """Selects the idle color, so it can be smoke-tested before a switch."""
    secret: k8s.core.v1.Secret | None
    """Holds the service's secret environment variables; None when it has none."""

    def __init__(self, name: str, args: KubernetesBlueGreenArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rollway:kubernetes:BlueGreenTargets", name, None, opts)
        slots, app = args.blue_green, args.app
        self.port = slots.workload.port
        self._workload = slots.workload
        self.secret = self._secret(name, args) if slots.workload.secrets else None

        self.deployments = {}
        self.services = {}
        for color in COLORS:
            image = slots.images.get(color)
            if image:
                self.deployments[color] = self._deployment(name, args, color, image)
            self.services[color] = self._service(
                f"{name}-{color}",
                args,
                f"{app}-{color}",
                color_selector(app, color),
                # A color without pods (no image yet, or scaled away) is normal here, and the provider would
                # otherwise wait ten minutes for endpoints; readiness is gated by the Deployment's own await.
                skip_await=True,
            )
        self.production_service = self._service(
            f"{name}-production",
            args,
            app,
            color_selector(app, slots.live_color),
            # Waiting for endpoints here is a useful guard: the live color must have ready pods.
            skip_await=False,
        )
        self.test_service = self._service(
            f"{name}-test", args, f"{app}-test", color_selector(app, slots.idle_color), skip_await=True
        )

        self.register_outputs(
            {
                "productionServiceName": self.production_service.metadata.name,
                "testServiceName": self.test_service.metadata.name,
                "serviceNames": {color: service.metadata.name for color, service in self.services.items()},
                "deploymentNames": {color: deployment.metadata.name for color, deployment in self.deployments.items()},
            }
        )

    def service_names(self) -> dict[Color, pulumi.Output[str]]:
        """Name of each color's Service (the canary route's backends)."""
        return {color: service.metadata.name for color, service in self.services.items()}

    def deployment_names(self) -> dict[Color, pulumi.Output[str]]:
        """Name of each color's Deployment (what autoscaling targets)."""
        return {color: deployment.metadata.name for color, deployment in self.deployments.items()}

    def _secret(self, name: str, args: KubernetesBlueGreenArgs) -> k8s.core.v1.Secret:
        # Auto-named on purpose: the provider replaces a Secret whose data changes, and a new name changes the
        # Deployments' secretKeyRefs, so new values roll out instead of waiting for the next pod restart.
        return k8s.core.v1.Secret(
            f"{name}-env",
            metadata={"namespace": args.namespace, "labels": with_labels(args.blue_green.tags, app_selector(args.app))},
            type="Opaque",
            string_data={var: _secret(value) for var, value in sorted(args.blue_green.workload.secrets.items())},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _env(self) -> list[k8s.core.v1.EnvVarArgsDict]:
        workload = self._workload
        env: list[k8s.core.v1.EnvVarArgsDict] = [
            {"name": var, "value": value} for var, value in sorted(workload.environment.items())
        ]
        if self.secret is not None:
            secret_name = self.secret.metadata.name
            env += [
                {"name": var, "value_from": {"secret_key_ref": {"name": secret_name, "key": var}}}
                for var in sorted(workload.secrets)
            ]
        return env

    def _deployment(self, name: str, args: KubernetesBlueGreenArgs, color: Color, image: str) -> k8s.apps.v1.Deployment:
        workload = args.blue_green.workload
        selector = color_selector(args.app, color)
        labels = with_labels(args.blue_green.tags, selector)
        size = {"cpu": cpu_quantity(workload.cpu), "memory": memory_quantity(workload.memory)}
        probe: k8s.core.v1.ProbeArgsDict = {"http_get": {"path": workload.health_check_path, "port": PORT_NAME}}
        spec: k8s.apps.v1.DeploymentSpecArgsDict = {
            "selector": {"match_labels": selector},
            # Never take a ready pod away before its replacement is ready: the color may be live.
            "strategy": {"type": "RollingUpdate", "rolling_update": {"max_surge": "25%", "max_unavailable": 0}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    # The app never talks to the Kubernetes API; no token means nothing to steal.
                    "automount_service_account_token": False,
                    "security_context": pod_security_context(args.run_as_user),
                    "containers": [
                        {
                            "name": args.app,
                            "image": image,
                            "image_pull_policy": IMAGE_PULL_POLICY,
                            "ports": [{"name": PORT_NAME, "container_port": workload.port, "protocol": "TCP"}],
                            "env": self._env(),
                            # Requests equal limits: Guaranteed QoS, and quota math that matches what pods reserve.
                            "resources": {"requests": size, "limits": size},
                            "startup_probe": {**probe, "period_seconds": 5, "failure_threshold": 30},
                            "readiness_probe": {**probe, "period_seconds": 5, "failure_threshold": 3},
                            "liveness_probe": {**probe, "period_seconds": 10, "failure_threshold": 3},
                            "security_context": container_security_context(),
                            # The root filesystem is read-only; apps still need somewhere for temp files.
                            "volume_mounts": [{"name": TMP_VOLUME, "mount_path": "/tmp"}],
                        }
                    ],
                    "volumes": [{"name": TMP_VOLUME, "empty_dir": {}}],
                },
            },
        }
        if args.replicas is not None:
            # Only without an HPA. With one, `replicas` must stay out of the manifest: under server-side apply
            # Pulumi then never owns the field, so the HPA's scaling survives every `pulumi up` instead of
            # being reset to this number (and fighting the HPA's field manager).
            spec["replicas"] = args.replicas
        return k8s.apps.v1.Deployment(
            f"{name}-{color}",
            metadata={"name": f"{args.app}-{color}", "namespace": args.namespace, "labels": labels},
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _service(
        self,
        resource_name: str,
        args: KubernetesBlueGreenArgs,
        service_name: str,
        selector: Mapping[str, str],
        skip_await: bool,
    ) -> k8s.core.v1.Service:
        metadata: k8s.meta.v1.ObjectMetaArgsDict = {
            "name": service_name,
            "namespace": args.namespace,
            "labels": with_labels(args.blue_green.tags, app_selector(args.app)),
        }
        if skip_await:
            metadata["annotations"] = {SKIP_AWAIT: "true"}
        return k8s.core.v1.Service(
            resource_name,
            metadata=metadata,
            spec={
                "type": "ClusterIP",
                "selector": dict(selector),
                "ports": [{"name": PORT_NAME, "port": self.port, "target_port": PORT_NAME, "protocol": "TCP"}],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )


def _secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """The value marked secret again, in case a caller passed a plain Output: it must never be stored in clear."""
    return pulumi.Output.secret(value)


BlueGreenTargetsArgs = KubernetesBlueGreenArgs
"""Deprecated name of `KubernetesBlueGreenArgs` (Args are `<Cloud><Family>Args` on every cloud), kept for one release."""
