"""GCP BlueGreenTargets: two slots (blue, green), each its own backend service behind the global external
Application Load Balancer (EXTERNAL_MANAGED).

A slot runs on one of two runtimes (see docs/gcp.md for the choice):
- `cloudRun`: one Cloud Run v2 service per color (a Cloud Run service's template describes one revision,
  so two colors cannot live in one service), reached only through a serverless NEG;
- `instanceGroup`: an instance template and a regional managed instance group per color, with a health
  check used by the backend service and by autohealing.

The production route, the idle-slot test route and the canary split are rules of one URL map, which
CanaryRoute owns; so switching the live color changes that URL map only, never a slot built here. Both
backend services carry the same Cloud Armor policy (the Environment's, which keeps the test route to trusted
ranges by looking at the request, not the color), for the same reason.
Secrets go to Secret Manager (one secret per variable); the workloads read them with their own identity.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.autoscaling import AutoscalingArgs
from components.blue_green import COLORS, BlueGreenArgs, Color
from components.gcp.autoscaling import backend_max_rate_per_instance, cloud_run_scaling
from components.gcp.environment import Placement
from components.gcp.sizing import cloud_run_resources, label_name, machine_type_for
from components.gcp.startup import container_user_data

COS_IMAGE = "projects/cos-cloud/global/images/family/cos-stable"
NAMED_PORT = "http"
SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"


@dataclass(frozen=True)
class GcpBlueGreenArgs:
    """BlueGreenArgs plus where and how the slots run on GCP."""

    blue_green: BlueGreenArgs
    """Images per color, live color, workload and labels (`tags` in GCP label syntax)."""
    placement: Placement
    """Project, region, network, subnet, network tag and runtime identity (from the Environment)."""
    autoscaling: AutoscalingArgs
    """Capacity bounds: Cloud Run's revision scaling, and the backends' per-instance rate on instance groups."""
    resource_prefix: str
    """Prefix of names that must be unique in the project (Secret Manager secret ids)."""
    runtime: str = "instanceGroup"
    """`cloudRun` or `instanceGroup`."""
    concurrency: int = 80
    """Cloud Run: most concurrent requests per instance."""
    machine_type: str | None = None
    """Instance groups: machine type; default: the smallest E2 type fitting cpu/memory."""
    warmup_seconds: int = 90
    """Instance groups: autohealing's initial delay (boot plus container start)."""
    deletion_protection: bool = False
    """Cloud Run: refuse deletion of the services (prod)."""
    log_sample_rate: float = 1.0
    """Share of requests the backend services log (0..1)."""
    security_policy: pulumi.Input[str] | None = None
    """Cloud Armor policy of both colors' backend services (the Environment's test-route policy). The same for
    both colors, so a live flip never changes a backend service."""


class BlueGreenTargets(pulumi.ComponentResource):
    """Both colors of one service on GCP: workloads, backends (target pools) and their health checks."""

    backend_services: dict[Color, gcp.compute.BackendService]
    health_checks: dict[Color, gcp.compute.HealthCheck]
    cloud_run_services: dict[Color, gcp.cloudrunv2.Service]
    network_endpoint_groups: dict[Color, gcp.compute.RegionNetworkEndpointGroup]
    instance_templates: dict[Color, gcp.compute.InstanceTemplate]
    instance_group_managers: dict[Color, gcp.compute.RegionInstanceGroupManager]
    secrets: dict[str, gcp.secretmanager.Secret]

    def __init__(self, name: str, args: GcpBlueGreenArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rollway:gcp:BlueGreenTargets", name, None, opts)
        if args.runtime not in ("cloudRun", "instanceGroup"):
            raise ValueError(f"unknown GCP runtime {args.runtime!r}; expected cloudRun or instanceGroup")
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        self.live_color: Color = args.blue_green.live_color
        self.idle_color: Color = args.blue_green.idle_color
        self.backend_services = {}
        self.health_checks = {}
        self.cloud_run_services = {}
        self.network_endpoint_groups = {}
        self.instance_templates = {}
        self.instance_group_managers = {}
        self._member = pulumi.Output.from_input(args.placement.service_account_email).apply(
            lambda email: f"serviceAccount:{email}"
        )
        self._secret_dependencies: list[pulumi.Resource] = []
        self.secrets = self._secrets()

        for color in COLORS:
            image = args.blue_green.images.get(color)
            if args.runtime == "cloudRun":
                self.backend_services[color] = self._cloud_run_slot(color, image)
            else:
                self.backend_services[color] = self._instance_group_slot(color, image)

        self.register_outputs(
            {
                "backendServiceIds": {color: backend.id for color, backend in self.backend_services.items()},
                "instanceGroupManagerIds": {color: group.id for color, group in self.instance_group_managers.items()},
                "cloudRunServices": {color: service.name for color, service in self.cloud_run_services.items()},
                "secretIds": {var: secret.id for var, secret in self.secrets.items()},
            }
        )

    # ------------------------------------------------------------------ shared
    def _labels(self, color: Color | None = None) -> dict[str, str]:
        labels = {**self._args.blue_green.tags, "rollway-service": label_name(self._name)}
        if color is not None:
            labels["rollway-color"] = color
        return labels

    def _secrets(self) -> dict[str, gcp.secretmanager.Secret]:
        placement = self._args.placement
        secrets: dict[str, gcp.secretmanager.Secret] = {}
        for var, value in sorted(self._args.blue_green.workload.secrets.items()):
            slug = label_name(var)
            secret = gcp.secretmanager.Secret(
                f"{self._name}-{slug}",
                project=placement.project,
                secret_id=f"{self._args.resource_prefix}-{self._name}-{slug}",
                replication=gcp.secretmanager.SecretReplicationArgs(auto=gcp.secretmanager.SecretReplicationAutoArgs()),
                labels=self._labels(),
                opts=self._child,
            )
            version = gcp.secretmanager.SecretVersion(
                f"{self._name}-{slug}",
                secret=secret.id,
                secret_data=_as_secret(value),
                opts=self._child,
            )
            access = gcp.secretmanager.SecretIamMember(
                f"{self._name}-{slug}-runtime",
                project=placement.project,
                secret_id=secret.secret_id,
                role=SECRET_ACCESSOR,
                member=self._member,
                opts=self._child,
            )
            self._secret_dependencies += [version, access]
            secrets[var] = secret
        return secrets

    def _secret_name(self, var: str) -> str:
        return f"projects/{self._args.placement.project}/secrets/{self._args.resource_prefix}-{self._name}-{label_name(var)}"

    def _workload_options(self) -> pulumi.ResourceOptions:
        # A workload starts only once its identity can write logs, pull images and read its secrets.
        depends = [*self._args.placement.depends_on, *self._secret_dependencies]
        return pulumi.ResourceOptions(parent=self, depends_on=depends)

    # ------------------------------------------------------------------ Cloud Run
    def _cloud_run_slot(self, color: Color, image: str | None) -> gcp.compute.BackendService:
        args, placement = self._args, self._args.placement
        backends: list[gcp.compute.BackendServiceBackendArgs] = []
        if image:
            service = self._cloud_run_service(color, image)
            neg = gcp.compute.RegionNetworkEndpointGroup(
                f"{self._name}-{color}",
                project=placement.project,
                region=placement.region,
                network_endpoint_type="SERVERLESS",
                cloud_run=gcp.compute.RegionNetworkEndpointGroupCloudRunArgs(service=service.name),
                opts=self._child,
            )
            self.cloud_run_services[color] = service
            self.network_endpoint_groups[color] = neg
            backends.append(gcp.compute.BackendServiceBackendArgs(group=neg.id))
        # Serverless NEG backends take no health check, port name or timeout: Cloud Run probes its own
        # instances (startup and liveness probes) and owns the request timeout.
        return gcp.compute.BackendService(
            f"{self._name}-{color}",
            project=placement.project,
            load_balancing_scheme="EXTERNAL_MANAGED",
            # The load balancer reaches Cloud Run over HTTPS whatever is set; say so.
            protocol="HTTPS",
            backends=backends,
            log_config=gcp.compute.BackendServiceLogConfigArgs(enable=True, sample_rate=args.log_sample_rate),
            security_policy=args.security_policy,
            description=f"{self._name} {color} slot (Cloud Run)",
            opts=self._child,
        )

    def _cloud_run_service(self, color: Color, image: str) -> gcp.cloudrunv2.Service:
        args, placement, workload = self._args, self._args.placement, self._args.blue_green.workload
        resources = cloud_run_resources(workload.cpu, workload.memory)
        if resources is None:
            raise ValueError(f"{self._name}: Cloud Run has no shape with {workload.cpu} vCPU and {workload.memory} MiB")
        cpu, memory = resources
        envs = [gcp.cloudrunv2.ServiceTemplateContainerEnvArgs(name=k, value=v) for k, v in sorted(workload.environment.items())]
        envs += [
            gcp.cloudrunv2.ServiceTemplateContainerEnvArgs(
                name=var,
                value_source=gcp.cloudrunv2.ServiceTemplateContainerEnvValueSourceArgs(
                    secret_key_ref=gcp.cloudrunv2.ServiceTemplateContainerEnvValueSourceSecretKeyRefArgs(
                        secret=secret.secret_id, version="latest"
                    )
                ),
            )
            for var, secret in sorted(self.secrets.items())
        ]
        return gcp.cloudrunv2.Service(
            f"{self._name}-{color}",
            project=placement.project,
            location=placement.region,
            # Only Google's load balancers may call the service; its run.app URL is switched off, so the
            # load balancer (and its routing) is the only way in and invoker IAM would add nothing.
            ingress="INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
            default_uri_disabled=True,
            invoker_iam_disabled=True,
            deletion_protection=args.deletion_protection,
            labels=self._labels(color),
            template=gcp.cloudrunv2.ServiceTemplateArgs(
                labels=self._labels(color),
                service_account=placement.service_account_email,
                max_instance_request_concurrency=args.concurrency,
                scaling=cloud_run_scaling(args.autoscaling),
                # Direct VPC egress through the environment's subnet, so egress leaves via Cloud NAT.
                vpc_access=gcp.cloudrunv2.ServiceTemplateVpcAccessArgs(
                    egress="ALL_TRAFFIC",
                    network_interfaces=[
                        gcp.cloudrunv2.ServiceTemplateVpcAccessNetworkInterfaceArgs(
                            network=placement.network, subnetwork=placement.subnetwork, tags=[placement.workload_tag]
                        )
                    ],
                ),
                containers=[
                    gcp.cloudrunv2.ServiceTemplateContainerArgs(
                        image=image,
                        ports=gcp.cloudrunv2.ServiceTemplateContainerPortsArgs(container_port=workload.port),
                        resources=gcp.cloudrunv2.ServiceTemplateContainerResourcesArgs(
                            limits={"cpu": cpu, "memory": memory}, cpu_idle=True, startup_cpu_boost=True
                        ),
                        envs=envs,
                        startup_probe=gcp.cloudrunv2.ServiceTemplateContainerStartupProbeArgs(
                            http_get=gcp.cloudrunv2.ServiceTemplateContainerStartupProbeHttpGetArgs(
                                path=workload.health_check_path, port=workload.port
                            ),
                            period_seconds=5,
                            failure_threshold=24,
                        ),
                        liveness_probe=gcp.cloudrunv2.ServiceTemplateContainerLivenessProbeArgs(
                            http_get=gcp.cloudrunv2.ServiceTemplateContainerLivenessProbeHttpGetArgs(
                                path=workload.health_check_path, port=workload.port
                            ),
                            period_seconds=15,
                            failure_threshold=3,
                        ),
                    )
                ],
            ),
            opts=self._workload_options(),
        )

    # ------------------------------------------------------------------ instance groups
    def _instance_group_slot(self, color: Color, image: str | None) -> gcp.compute.BackendService:
        args, placement, workload = self._args, self._args.placement, self._args.blue_green.workload
        health_check = gcp.compute.HealthCheck(
            f"{self._name}-{color}",
            project=placement.project,
            http_health_check=gcp.compute.HealthCheckHttpHealthCheckArgs(
                port=workload.port, request_path=workload.health_check_path
            ),
            check_interval_sec=10,
            timeout_sec=5,
            healthy_threshold=2,
            unhealthy_threshold=3,
            description=f"{self._name} {color}: GET {workload.health_check_path} on port {workload.port}",
            opts=self._child,
        )
        self.health_checks[color] = health_check
        backends: list[gcp.compute.BackendServiceBackendArgs] = []
        if image:
            group = self._instance_group(color, image, health_check)
            rate = args.autoscaling.requests_per_target
            backends.append(
                gcp.compute.BackendServiceBackendArgs(
                    group=group.instance_group,
                    # RATE capacity is what the autoscaler's load-balancing utilization measures against.
                    balancing_mode="RATE" if rate is not None else "UTILIZATION",
                    max_rate_per_instance=backend_max_rate_per_instance(rate) if rate is not None else None,
                    max_utilization=None if rate is not None else 0.8,
                    capacity_scaler=1.0,
                )
            )
        return gcp.compute.BackendService(
            f"{self._name}-{color}",
            project=placement.project,
            load_balancing_scheme="EXTERNAL_MANAGED",
            protocol="HTTP",
            port_name=NAMED_PORT,
            timeout_sec=30,
            # In-flight requests finish before an instance leaves (scale-in, template rollout).
            connection_draining_timeout_sec=30,
            health_checks=health_check.id,
            backends=backends,
            log_config=gcp.compute.BackendServiceLogConfigArgs(enable=True, sample_rate=args.log_sample_rate),
            security_policy=args.security_policy,
            description=f"{self._name} {color} slot (managed instance group)",
            opts=self._child,
        )

    def _instance_group(
        self, color: Color, image: str, health_check: gcp.compute.HealthCheck
    ) -> gcp.compute.RegionInstanceGroupManager:
        args, placement, workload = self._args, self._args.placement, self._args.blue_green.workload
        machine_type = args.machine_type or machine_type_for(workload.cpu, workload.memory)
        if machine_type is None:
            raise ValueError(f"{self._name}: no E2 machine type has {workload.cpu} vCPU and {workload.memory} MiB")
        labels = self._labels(color)
        user_data = container_user_data(
            description=f"Rollway {self._name} ({color})",
            image=image,
            port=workload.port,
            environment=workload.environment,
            secret_names={var: self._secret_name(var) for var in self.secrets},
        )
        template = gcp.compute.InstanceTemplate(
            f"{self._name}-{color}",
            project=placement.project,
            region=placement.region,
            machine_type=machine_type,
            disks=[
                gcp.compute.InstanceTemplateDiskArgs(
                    source_image=COS_IMAGE, boot=True, auto_delete=True, disk_size_gb=20, disk_type="pd-balanced", labels=labels
                )
            ],
            # No access_configs: the VMs get no external address; egress goes through Cloud NAT.
            network_interfaces=[
                gcp.compute.InstanceTemplateNetworkInterfaceArgs(network=placement.network, subnetwork=placement.subnetwork)
            ],
            service_account=gcp.compute.InstanceTemplateServiceAccountArgs(
                email=placement.service_account_email, scopes=["cloud-platform"]
            ),
            shielded_instance_config=gcp.compute.InstanceTemplateShieldedInstanceConfigArgs(
                enable_secure_boot=True, enable_vtpm=True, enable_integrity_monitoring=True
            ),
            metadata={
                "user-data": user_data,
                "google-logging-enabled": "true",
                "google-monitoring-enabled": "true",
                "enable-oslogin": "TRUE",
                "block-project-ssh-keys": "TRUE",
            },
            tags=[placement.workload_tag],
            labels=labels,
            description=f"{self._name} {color}: {image}",
            opts=self._workload_options(),
        )
        self.instance_templates[color] = template
        group = gcp.compute.RegionInstanceGroupManager(
            f"{self._name}-{color}",
            project=placement.project,
            region=placement.region,
            base_instance_name=label_name(f"{self._name}-{color}", limit=50),
            versions=[gcp.compute.RegionInstanceGroupManagerVersionArgs(instance_template=template.self_link, name=color)],
            named_ports=[gcp.compute.RegionInstanceGroupManagerNamedPortArgs(name=NAMED_PORT, port=workload.port)],
            auto_healing_policies=gcp.compute.RegionInstanceGroupManagerAutoHealingPoliciesArgs(
                health_check=health_check.id, initial_delay_sec=max(args.warmup_seconds, 60)
            ),
            # Replace VMs surge-first (one extra per zone) so a template change never drops capacity.
            update_policy=gcp.compute.RegionInstanceGroupManagerUpdatePolicyArgs(
                type="PROACTIVE",
                minimal_action="REPLACE",
                max_surge_fixed=3,
                max_unavailable_fixed=0,
                replacement_method="SUBSTITUTE",
            ),
            all_instances_config=gcp.compute.RegionInstanceGroupManagerAllInstancesConfigArgs(labels=labels),
            wait_for_instances=False,
            description=f"{self._name} {color} slot",
            # target_size is left out: the RegionAutoscaler owns the group's size.
            opts=self._child,
        )
        self.instance_group_managers[color] = group
        return group


def _as_secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """The value as a secret Output, whether or not the caller already marked it secret."""
    return pulumi.Output.secret(value)
