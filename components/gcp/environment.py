"""GCP Environment: a custom-mode VPC with a private workload subnet, Cloud NAT for egress, firewall rules
that admit only Google's load balancer and health-check ranges, a Cloud Armor policy that keeps the idle-color
test route to trusted ranges, a runtime service account with least privilege, and a logging bucket (with a
sink routing the environment's logs into it) with retention.

Of these resource types only the Cloud Armor policy takes labels in pulumi-gcp; otherwise `tags` (GCP label
syntax) go on the workloads, addresses, forwarding rules and secrets that BlueGreenTargets and CanaryRoute create."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

from components.environment import EnvironmentArgs

GOOGLE_LOAD_BALANCER_RANGES: tuple[str, ...] = ("35.191.0.0/16", "130.211.0.0/22")
"""Where Google's external Application Load Balancers and health checks connect from."""

RUNTIME_ROLES: tuple[str, ...] = (
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/artifactregistry.reader",
)
"""All the runtime identity needs: write logs and metrics, pull images. Secrets are granted one by one."""

# Log entries of what Rollway runs: Cloud Run revisions, VMs of the instance groups, the load balancers
# and the NAT gateway. The project is the environment's boundary (one project per environment).
LOG_FILTER = (
    'resource.type=("cloud_run_revision" OR "gce_instance" OR "gce_instance_group_manager" '
    'OR "http_load_balancer" OR "nat_gateway")'
)


@dataclass(frozen=True)
class Placement:
    """Where a GCP workload runs: what BlueGreenTargets needs from an Environment."""

    project: str
    """Project id."""
    region: str
    """Region of the workloads."""
    network: pulumi.Input[str]
    """VPC network self link."""
    subnetwork: pulumi.Input[str]
    """Workload subnet self link."""
    workload_tag: str
    """Network tag the firewall admits load-balancer traffic to."""
    service_account_email: pulumi.Input[str]
    """Runtime identity of the workloads."""
    depends_on: tuple[pulumi.Resource, ...] = ()
    """Resources workloads must wait for (the runtime identity's role grants)."""


@dataclass(frozen=True, kw_only=True)
class GcpEnvironmentArgs:
    """The cloud-agnostic EnvironmentArgs plus GCP's network and naming settings."""

    environment: EnvironmentArgs
    """Environment kind, tags/labels for every taggable child, and the log destination's retention."""
    project: str
    """Project id the environment lives in."""
    region: str
    """Region of the subnet, router and NAT."""
    subnet_cidr: str
    """Workload subnet range."""
    workload_ports: tuple[int, ...]
    """Ports the workloads listen on; the only ports the load-balancer firewall rule opens."""
    proxy_only_cidr: str | None = None
    """Proxy-only subnet range; no proxy-only subnet when None (the global external ALB needs none)."""
    flow_logs: bool = False
    """VPC flow logs on the workload subnet."""
    resource_prefix: str = "rollway"
    """Prefix of the names that must be unique in the project (log bucket id, service account id, network tag)."""
    test_header_name: str = "x-rollway-test"
    """Request header of the idle-color test route; the Cloud Armor policy refuses it from untrusted addresses."""
    test_access_cidrs: Sequence[str] = field(default_factory=tuple)
    """Ranges that may use the test route (CI runners, VPN); nobody may when empty."""


class Environment(pulumi.ComponentResource):
    """The network, egress, firewall, runtime identity and log destination of one GCP environment."""

    network: gcp.compute.Network
    subnet: gcp.compute.Subnetwork
    proxy_only_subnet: gcp.compute.Subnetwork | None
    router: gcp.compute.Router
    nat: gcp.compute.RouterNat
    allow_load_balancers: gcp.compute.Firewall
    deny_other_ingress: gcp.compute.Firewall
    service_account: gcp.serviceaccount.Account
    role_grants: list[gcp.projects.IAMMember]
    test_route_policy: gcp.compute.SecurityPolicy
    log_bucket_suffix: random.RandomId
    log_bucket: gcp.logging.ProjectBucketConfig
    log_sink: gcp.logging.ProjectSink

    def __init__(self, name: str, args: GcpEnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rollway:gcp:Environment", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.workload_tag = f"{args.resource_prefix}-workload"
        self.project = args.project
        self.region = args.region

        self.network = gcp.compute.Network(
            f"{name}-network",
            project=args.project,
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            description=f"Rollway {args.environment.environment} network",
            opts=child,
        )
        self.subnet = gcp.compute.Subnetwork(
            f"{name}-workloads",
            project=args.project,
            region=args.region,
            network=self.network.id,
            ip_cidr_range=args.subnet_cidr,
            # Workloads have no external addresses; Google APIs (Secret Manager, Artifact Registry, Logging)
            # are reached privately.
            private_ip_google_access=True,
            log_config=(
                gcp.compute.SubnetworkLogConfigArgs(
                    aggregation_interval="INTERVAL_5_SEC", flow_sampling=0.5, metadata="INCLUDE_ALL_METADATA"
                )
                if args.flow_logs
                else None
            ),
            description="Workloads (private: no external IPs; only load balancers are public)",
            opts=child,
        )
        self.proxy_only_subnet = None
        if args.proxy_only_cidr:
            self.proxy_only_subnet = gcp.compute.Subnetwork(
                f"{name}-proxy-only",
                project=args.project,
                region=args.region,
                network=self.network.id,
                ip_cidr_range=args.proxy_only_cidr,
                purpose="REGIONAL_MANAGED_PROXY",
                role="ACTIVE",
                description="Proxy-only subnet for regional Envoy-based load balancers",
                opts=child,
            )

        self.router = gcp.compute.Router(
            f"{name}-router", project=args.project, region=args.region, network=self.network.id, opts=child
        )
        self.nat = gcp.compute.RouterNat(
            f"{name}-nat",
            project=args.project,
            region=args.region,
            router=self.router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=[gcp.compute.RouterNatSubnetworkArgs(name=self.subnet.id, source_ip_ranges_to_nats=["ALL_IP_RANGES"])],
            log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            opts=child,
        )

        ports = sorted(set(args.workload_ports))
        self.allow_load_balancers = gcp.compute.Firewall(
            f"{name}-allow-load-balancers",
            project=args.project,
            network=self.network.id,
            direction="INGRESS",
            priority=1000,
            source_ranges=list(GOOGLE_LOAD_BALANCER_RANGES),
            target_tags=[self.workload_tag],
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(port) for port in ports])],
            description="Google load balancers and health checks to the workload ports; nothing else may connect",
            opts=child,
        )
        # GCP's implied deny rule is not logged; an explicit one just above it records rejected attempts.
        self.deny_other_ingress = gcp.compute.Firewall(
            f"{name}-deny-other-ingress",
            project=args.project,
            network=self.network.id,
            direction="INGRESS",
            priority=65534,
            source_ranges=["0.0.0.0/0"],
            denies=[gcp.compute.FirewallDenyArgs(protocol="all")],
            log_config=gcp.compute.FirewallLogConfigArgs(metadata="EXCLUDE_ALL_METADATA"),
            description="Deny (and log) all other ingress",
            opts=child,
        )

        self.service_account = gcp.serviceaccount.Account(
            f"{name}-runtime",
            project=args.project,
            account_id=service_account_id(args.resource_prefix),
            display_name=f"Rollway {args.environment.environment} workloads",
            description="Runtime identity of Rollway workloads (least privilege; not the default compute account)",
            opts=child,
        )
        member = self.service_account.email.apply(lambda email: f"serviceAccount:{email}")
        self.role_grants = [
            gcp.projects.IAMMember(
                f"{name}-runtime-{role.split('/')[-1].replace('.', '-').lower()}",
                project=args.project,
                role=role,
                member=member,
                opts=child,
            )
            for role in RUNTIME_ROLES
        ]

        self.test_route_policy = gcp.compute.SecurityPolicy(
            f"{name}-test-route",
            project=args.project,
            type="CLOUD_ARMOR",
            rules=idle_route_rules(args.test_header_name, args.test_access_cidrs),
            labels=dict(args.environment.tags),
            description=f"Rollway {args.environment.environment}: the {args.test_header_name} test route only from trusted ranges",
            opts=child,
        )

        # A deleted log bucket keeps its id for 7 days (DELETE_REQUESTED), so a fixed id could not be created
        # again after a destroy, nor replaced in place when the region changes. The suffix lives in the stack's
        # state: stable across updates, new for a new stack or a new project/region (the keepers).
        self.log_bucket_suffix = random.RandomId(
            f"{name}-logs-suffix",
            byte_length=3,
            keepers={"project": args.project, "location": args.region},
            opts=child,
        )
        self.log_bucket = gcp.logging.ProjectBucketConfig(
            f"{name}-logs",
            project=args.project,
            location=args.region,
            bucket_id=self.log_bucket_suffix.hex.apply(lambda suffix: f"{args.resource_prefix}-logs-{suffix}"),
            retention_days=args.environment.log_retention_days,
            description=f"Rollway {args.environment.environment} service, load balancer and NAT logs",
            opts=child,
        )
        self.log_sink = gcp.logging.ProjectSink(
            f"{name}-logs",
            project=args.project,
            destination=pulumi.Output.concat(
                "logging.googleapis.com/projects/",
                args.project,
                "/locations/",
                args.region,
                "/buckets/",
                self.log_bucket.bucket_id,
            ),
            filter=LOG_FILTER,
            unique_writer_identity=True,
            description="Routes the environment's logs into its bucket (with the environment's retention)",
            opts=child,
        )

        self.register_outputs(
            {
                "networkId": self.network.id,
                "subnetId": self.subnet.id,
                "workloadTag": self.workload_tag,
                "serviceAccountEmail": self.service_account.email,
                "logBucket": self.log_bucket.id,
                "testRoutePolicyId": self.test_route_policy.id,
            }
        )

    def placement(self) -> Placement:
        """Where this environment's workloads run."""
        return Placement(
            project=self.project,
            region=self.region,
            network=self.network.self_link,
            subnetwork=self.subnet.self_link,
            workload_tag=self.workload_tag,
            service_account_email=self.service_account.email,
            depends_on=tuple(self.role_grants),
        )


def service_account_id(prefix: str) -> str:
    """A service account id (6-30 chars, [a-z][a-z0-9-]*[a-z0-9]) from the environment's name prefix."""
    text = f"{prefix}-run"
    if len(text) > 30:
        text = f"{prefix[:26].rstrip('-')}-run"
    return text


TEST_ROUTE_ALLOW_PRIORITY = 1000
TEST_ROUTE_DENY_PRIORITY = 2000
DEFAULT_RULE_PRIORITY = 2147483647
MAX_RANGES_PER_RULE = 10
"""Cloud Armor takes at most 10 ranges in one basic (`SRC_IPS_V1`) match."""


def idle_route_rules(header_name: str, trusted_ranges: Sequence[str]) -> list[gcp.compute.SecurityPolicyRuleArgs]:
    """Cloud Armor rules that keep the test route (which reaches the idle color) to `trusted_ranges`.

    The rules look at the request, not at the color: the same policy sits on both colors' backend services and
    stays put when the live color flips. Trusted ranges are allowed first (basic matches, 10 ranges per rule,
    so any number fits; an expression would allow only five subexpressions), then any request carrying the
    test header is refused, whatever its value (a repeated header or another value never reaches the idle
    color either), then everything else is allowed: production traffic never carries the header.
    """
    rules = [
        gcp.compute.SecurityPolicyRuleArgs(
            priority=TEST_ROUTE_ALLOW_PRIORITY + index,
            action="allow",
            match=gcp.compute.SecurityPolicyRuleMatchArgs(
                versioned_expr="SRC_IPS_V1",
                config=gcp.compute.SecurityPolicyRuleMatchConfigArgs(
                    src_ip_ranges=list(trusted_ranges[start : start + MAX_RANGES_PER_RULE])
                ),
            ),
            description="Trusted ranges (testAccessCidrs): may use the idle-color test route",
        )
        for index, start in enumerate(range(0, len(trusted_ranges), MAX_RANGES_PER_RULE))
    ]
    rules.append(
        gcp.compute.SecurityPolicyRuleArgs(
            priority=TEST_ROUTE_DENY_PRIORITY,
            action="deny(403)",
            match=gcp.compute.SecurityPolicyRuleMatchArgs(
                expr=gcp.compute.SecurityPolicyRuleMatchExprArgs(expression=header_present_expression(header_name))
            ),
            description=f"The {header_name} test route from anywhere else",
        )
    )
    rules.append(
        gcp.compute.SecurityPolicyRuleArgs(
            priority=DEFAULT_RULE_PRIORITY,
            action="allow",
            match=gcp.compute.SecurityPolicyRuleMatchArgs(
                versioned_expr="SRC_IPS_V1", config=gcp.compute.SecurityPolicyRuleMatchConfigArgs(src_ip_ranges=["*"])
            ),
            description="Default rule: production traffic",
        )
    )
    return rules


def header_present_expression(header_name: str) -> str:
    """CEL that is true when the request carries the header (Cloud Armor lowercases header names)."""
    quoted = header_name.lower().replace("\\", "\\\\").replace("'", "\\'")
    return f"has(request.headers['{quoted}'])"
