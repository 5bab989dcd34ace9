"""The AWS environment: a VPC over two or more availability zones (public subnets for load balancers only,
private subnets for tasks, NAT egress), an ECS Fargate cluster and a CloudWatch log group with retention."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.environment import EnvironmentArgs

# Each subnet gets 1/16 of the VPC; public subnets take slots 0..5, private ones 8..13 (room to grow).
_SUBNET_BITS = 4
_PRIVATE_OFFSET = 8
_MAX_AZS = 6
_SMALLEST_SUBNET_PREFIX = 28


@dataclass(frozen=True)
class AwsEnvironmentArgs:
    """The cloud-agnostic EnvironmentArgs plus the AWS network shape."""

    environment: EnvironmentArgs
    """Environment kind, tags/labels for every taggable child, and the log destination's retention."""
    vpc_cidr: str = "10.0.0.0/16"
    """The VPC's IPv4 range; public and private subnets are carved from it (1/16 each)."""
    availability_zones: int = 2
    """How many availability zones the VPC spans (2..6; an ALB needs at least two)."""
    nat_gateway_count: int = 1
    """NAT gateways (each with an Elastic IP): 1 is cheap, one per AZ survives an AZ outage."""
    region: str | None = None
    """Region for the awslogs driver; when None it is read from the log group's ARN (the provider's region)."""
    zone_names: tuple[str, ...] | None = None
    """The availability zones to use, one per `availability_zones`, when the caller has looked them up already;
    None: the provider region's first available zones that need no opt-in."""


@dataclass(frozen=True)
class Placement:
    """Where a service's resources go: what the Environment hands to BlueGreenTargets."""

    vpc_id: pulumi.Input[str]
    """The VPC of the target groups and security groups."""
    public_subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets for internet-facing load balancers only."""
    private_subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets for tasks (no public IPs; egress through NAT)."""
    cluster_arn: pulumi.Input[str]
    """ECS cluster the services run in."""
    cluster_name: pulumi.Input[str]
    """ECS cluster name (Application Auto Scaling resource ids use it)."""
    log_group_name: pulumi.Input[str]
    """CloudWatch log group the containers log to."""
    log_group_arn: pulumi.Input[str]
    """ARN of that log group (the execution role may write only there)."""
    region: pulumi.Input[str]
    """Region of the log group, for the awslogs driver."""
    internal_source_cidrs: Sequence[pulumi.Input[str]] = ()
    """Source ranges of callers inside the VPC as an internet-facing load balancer sees them: the VPC's range and
    each NAT gateway's address (/32), since the load balancer's DNS name resolves to public addresses and
    in-VPC callers reach those through NAT."""
    egress_ready: Sequence[pulumi.Resource] = ()
    """What must exist before tasks start: the private route tables (routes to NAT) and their subnet
    associations, so a first deployment's tasks can pull images and fetch secrets."""


@dataclass(frozen=True)
class SubnetPlan:
    """CIDRs of the public and private subnet in each availability zone, in AZ order."""

    public: tuple[str, ...]
    """Public subnet CIDR per zone (load balancers, NAT gateways)."""
    private: tuple[str, ...]
    """Private subnet CIDR per zone (tasks)."""


def plan_subnets(vpc_cidr: str, availability_zones: int) -> SubnetPlan:
    """Carve one public and one private subnet per AZ out of `vpc_cidr`; ValueError names what does not fit."""
    if not 2 <= availability_zones <= _MAX_AZS:
        raise ValueError(f"availability_zones must be between 2 and {_MAX_AZS}, got {availability_zones}")
    try:
        network = ipaddress.ip_network(vpc_cidr, strict=True)
    except ValueError as exc:
        raise ValueError(f"vpc_cidr {vpc_cidr!r} is not an IPv4 network in CIDR notation: {exc}") from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise ValueError(f"vpc_cidr {vpc_cidr!r} must be an IPv4 network")
    new_prefix = network.prefixlen + _SUBNET_BITS
    if new_prefix > _SMALLEST_SUBNET_PREFIX:
        raise ValueError(
            f"vpc_cidr {vpc_cidr} is too small: subnets would be /{new_prefix}, AWS allows /{_SMALLEST_SUBNET_PREFIX} at most"
        )
    blocks = [str(block) for block in network.subnets(new_prefix=new_prefix)]
    return SubnetPlan(
        public=tuple(blocks[:availability_zones]),
        private=tuple(blocks[_PRIVATE_OFFSET : _PRIVATE_OFFSET + availability_zones]),
    )


def available_zone_names(opts: pulumi.InvokeOptions | None = None) -> list[str]:
    """The provider region's available availability zones that need no opt-in, sorted by name."""
    found = aws.get_availability_zones(
        state="available",
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=opts,
    )
    return sorted(found.names or [])


def _named(tags: Mapping[str, str], name: str) -> dict[str, str]:
    return {**tags, "Name": name}


class Environment(pulumi.ComponentResource):
    """VPC, subnets, internet and NAT gateways, route tables, ECS Fargate cluster and log group."""

    vpc: aws.ec2.Vpc
    default_security_group: aws.ec2.DefaultSecurityGroup
    internet_gateway: aws.ec2.InternetGateway
    public_subnets: list[aws.ec2.Subnet]
    private_subnets: list[aws.ec2.Subnet]
    nat_ips: list[aws.ec2.Eip]
    nat_gateways: list[aws.ec2.NatGateway]
    public_route_table: aws.ec2.RouteTable
    private_route_tables: list[aws.ec2.RouteTable]
    private_route_table_associations: list[aws.ec2.RouteTableAssociation]
    cluster: aws.ecs.Cluster
    log_group: aws.cloudwatch.LogGroup
    placement: Placement

    def __init__(self, name: str, args: AwsEnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Validate before anything is registered, so bad input leaves nothing half-built.
        plan = plan_subnets(args.vpc_cidr, args.availability_zones)
        if args.zone_names is not None and len(args.zone_names) != args.availability_zones:
            raise ValueError(
                f"zone_names must name availability_zones ({args.availability_zones}) zones, got {list(args.zone_names)}"
            )
        if not 1 <= args.nat_gateway_count <= args.availability_zones:
            raise ValueError(
                f"nat_gateway_count must be between 1 and availability_zones ({args.availability_zones}), "
                f"got {args.nat_gateway_count}"
            )
        super().__init__("rollway:aws:Environment", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.environment.tags)

        zones = list(args.zone_names) if args.zone_names is not None else self._zone_names(args.availability_zones)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=_named(tags, f"{name}-vpc"),
            opts=child,
        )
        # Adopting the VPC's default security group with no rules empties it, so nothing that lands in it by
        # accident can talk to anything.
        self.default_security_group = aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags=_named(tags, f"{name}-default-sg"),
            opts=child,
        )
        self.internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags=_named(tags, f"{name}-igw"), opts=child
        )

        self.public_subnets = []
        self.private_subnets = []
        for index, zone in enumerate(zones):
            self.public_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-public-{index}",
                    vpc_id=self.vpc.id,
                    cidr_block=plan.public[index],
                    availability_zone=zone,
                    # Only load balancers live here; nothing should get a public IP implicitly.
                    map_public_ip_on_launch=False,
                    tags=_named({**tags, "tier": "public"}, f"{name}-public-{index}"),
                    opts=child,
                )
            )
            self.private_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-private-{index}",
                    vpc_id=self.vpc.id,
                    cidr_block=plan.private[index],
                    availability_zone=zone,
                    map_public_ip_on_launch=False,
                    tags=_named({**tags, "tier": "private"}, f"{name}-private-{index}"),
                    opts=child,
                )
            )

        self.public_route_table = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=self.vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=self.internet_gateway.id)],
            tags=_named(tags, f"{name}-public"),
            opts=child,
        )
        for index, subnet in enumerate(self.public_subnets):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index}", subnet_id=subnet.id, route_table_id=self.public_route_table.id, opts=child
            )

        self.nat_ips = []
        self.nat_gateways = []
        for index in range(args.nat_gateway_count):
            eip = aws.ec2.Eip(f"{name}-nat-{index}", domain="vpc", tags=_named(tags, f"{name}-nat-{index}"), opts=child)
            self.nat_ips.append(eip)
            self.nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index}",
                    allocation_id=eip.allocation_id,
                    subnet_id=self.public_subnets[index].id,
                    tags=_named(tags, f"{name}-nat-{index}"),
                    # A NAT gateway only works once the VPC has its internet gateway.
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[self.internet_gateway]),
                )
            )

        # One route table per AZ, so "one NAT per AZ" keeps each AZ's egress in that AZ; with fewer NATs the
        # AZs share them round-robin.
        self.private_route_tables = []
        self.private_route_table_associations = []
        for index, subnet in enumerate(self.private_subnets):
            nat = self.nat_gateways[index % len(self.nat_gateways)]
            table = aws.ec2.RouteTable(
                f"{name}-private-{index}",
                vpc_id=self.vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                tags=_named(tags, f"{name}-private-{index}"),
                opts=child,
            )
            self.private_route_tables.append(table)
            self.private_route_table_associations.append(
                aws.ec2.RouteTableAssociation(f"{name}-private-{index}", subnet_id=subnet.id, route_table_id=table.id, opts=child)
            )

        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            tags=_named(tags, f"{name}-cluster"),
            opts=child,
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name_prefix=f"/rollway/{args.environment.environment}/{name}-",
            retention_in_days=args.environment.log_retention_days,
            tags=_named(tags, f"{name}-logs"),
            opts=child,
        )

        region: pulumi.Output[str] = (
            pulumi.Output.from_input(args.region) if args.region else self.log_group.arn.apply(lambda arn: arn.split(":")[3])
        )
        self.placement = Placement(
            vpc_id=self.vpc.id,
            public_subnet_ids=[subnet.id for subnet in self.public_subnets],
            private_subnet_ids=[subnet.id for subnet in self.private_subnets],
            cluster_arn=self.cluster.arn,
            cluster_name=self.cluster.name,
            log_group_name=self.log_group.name,
            log_group_arn=self.log_group.arn,
            region=region,
            internal_source_cidrs=[
                self.vpc.cidr_block,
                *(pulumi.Output.concat(eip.public_ip, "/32") for eip in self.nat_ips),
            ],
            egress_ready=[*self.private_route_tables, *self.private_route_table_associations],
        )
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "publicSubnetIds": self.placement.public_subnet_ids,
                "privateSubnetIds": self.placement.private_subnet_ids,
                "natGatewayIds": [nat.id for nat in self.nat_gateways],
                "clusterArn": self.cluster.arn,
                "clusterName": self.cluster.name,
                "logGroupName": self.log_group.name,
            }
        )

    def _zone_names(self, count: int) -> list[str]:
        """The first `count` available, non-opt-in zones of the provider's region."""
        names = available_zone_names(pulumi.InvokeOptions(parent=self))
        if len(names) < count:
            raise ValueError(
                f"the region has {len(names)} available availability zone(s) ({', '.join(names) or 'none'}), "
                f"but {count} were asked for; lower availability_zones"
            )
        return names[:count]
