"""Blue/green on AWS: per service an internet-facing ALB, one target group per color, an ECS Fargate service
per color that has an image, and the test listener that always reaches the idle color.

The production listener (the weighted route) belongs to `CanaryRoute`. Nothing here except the test listener
depends on the live color, so switching colors touches routing resources only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws.environment import Placement
from components.aws.fargate import fargate_task_size
from components.blue_green import COLORS, BlueGreenArgs, Color

CONTAINER_NAME = "app"
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
PRODUCTION_PORTS = (80, 443)

# ELB names are at most 32 characters; Pulumi's auto-naming appends "-" and 7 random characters.
_ELB_NAME_MAX = 32
_AUTONAME_SUFFIX = 8
_ELB_NAME_PREFIX_MAX = 6

_ASSUME_ECS_TASKS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
_ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?P<cn>\.cn)?/(?P<repo>[^:@]+)")


@dataclass(frozen=True)
class AwsBlueGreenArgs:
    """The cloud-agnostic BlueGreenArgs plus where and how to expose the service on AWS."""

    blue_green: BlueGreenArgs
    """Images per color, live color, workload (port, health check, size, environment, secrets) and tags."""
    placement: Placement
    """VPC, subnets, cluster and log group from the Environment."""
    test_listener_port: int = 9443
    """Port of the listener that always forwards to the idle color (smoke tests before a switch)."""
    allowed_ingress_cidrs: Sequence[str] = ("0.0.0.0/0",)
    """IPv4 ranges that may reach the production listener ports (80, and 443 with a certificate)."""
    test_access_cidrs: Sequence[str] = ()
    """IPv4 ranges that may reach the test listener (the idle, unreleased color) besides callers inside the VPC
    (`placement.internal_source_cidrs`), e.g. a VPN range. Never the whole internet."""
    certificate_arn: str | None = None
    """ACM certificate; when set the test listener speaks HTTPS and port 443 is opened."""
    ssl_policy: str = DEFAULT_SSL_POLICY
    """TLS policy of HTTPS listeners."""
    desired_count: int = 1
    """Tasks each color's service starts with; afterwards Application Auto Scaling owns the count."""
    deletion_protection: bool = False
    """Protect the load balancer from deletion (prod)."""


def elb_name_prefix(logical_name: str, prefix_source: str) -> str | None:
    """None (auto-naming) when `logical_name` plus Pulumi's random suffix fits an ELB name, else a short prefix.

    Either way the cloud name is unique per replacement, so a replaced load balancer or target group never
    collides with the one it replaces.
    """
    if len(logical_name) + _AUTONAME_SUFFIX <= _ELB_NAME_MAX:
        return None
    return re.sub(r"[^A-Za-z0-9-]", "", prefix_source)[:_ELB_NAME_PREFIX_MAX]


def ecr_repository_arn(image: str) -> str | None:
    """ARN of the ECR repository an image comes from, or None for other registries."""
    found = _ECR_IMAGE.match(image)
    if not found:
        return None
    region = found["region"]
    partition = "aws-cn" if found["cn"] else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return f"arn:{partition}:ecr:{region}:{found['account']}:repository/{found['repo']}"


def _family(name: str, color: Color) -> str:
    # Task definition families are account-wide; project and stack keep dev and prod revisions apart.
    raw = f"{pulumi.get_project()}-{pulumi.get_stack()}-{name}-{color}"
    return re.sub(r"[^A-Za-z0-9_-]", "-", raw)[:255]


class BlueGreenTargets(pulumi.ComponentResource):
    """ALB, security groups, two target groups, task definitions and ECS services per color, test listener."""

    load_balancer: aws.lb.LoadBalancer
    alb_security_group: aws.ec2.SecurityGroup
    task_security_group: aws.ec2.SecurityGroup
    target_groups: dict[Color, aws.lb.TargetGroup]
    execution_role: aws.iam.Role
    execution_policy: aws.iam.RolePolicy
    task_role: aws.iam.Role
    secret: aws.secretsmanager.Secret | None
    task_definitions: dict[Color, aws.ecs.TaskDefinition]
    services: dict[Color, aws.ecs.Service]
    test_listener: aws.lb.Listener

    def __init__(self, name: str, args: AwsBlueGreenArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if args.test_listener_port in PRODUCTION_PORTS:
            raise ValueError(
                f"test_listener_port {args.test_listener_port} clashes with the production listener ports "
                f"{PRODUCTION_PORTS}; choose another port (e.g. 9443)"
            )
        if not args.allowed_ingress_cidrs:
            raise ValueError("allowed_ingress_cidrs is empty: nobody could reach the load balancer")
        if "0.0.0.0/0" in args.test_access_cidrs:
            raise ValueError("test_access_cidrs must not contain 0.0.0.0/0: the test listener serves the unreleased color")
        if not args.test_access_cidrs and not args.placement.internal_source_cidrs:
            raise ValueError("nobody could reach the test listener: give test_access_cidrs or placement.internal_source_cidrs")
        # Raises for a CPU/memory pair Fargate does not offer, before anything is registered.
        task_size = fargate_task_size(args.blue_green.workload.cpu, args.blue_green.workload.memory)
        super().__init__("rollway:aws:BlueGreenTargets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        spec = args.blue_green
        workload = spec.workload
        place = args.placement
        tags = dict(spec.tags)

        self._security_groups(name, args, tags)

        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            internal=False,
            load_balancer_type="application",
            subnets=list(place.public_subnet_ids),
            security_groups=[self.alb_security_group.id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.deletion_protection,
            tags={**tags, "Name": f"{name}-alb"},
            opts=child,
            name_prefix=elb_name_prefix(f"{name}-alb", name),
        )

        self.target_groups = {}
        for color in COLORS:
            self.target_groups[color] = aws.lb.TargetGroup(
                f"{name}-{color}",
                vpc_id=place.vpc_id,
                port=workload.port,
                protocol="HTTP",
                target_type="ip",
                deregistration_delay=30,
                health_check=aws.lb.TargetGroupHealthCheckArgs(
                    enabled=True,
                    path=workload.health_check_path,
                    protocol="HTTP",
                    port="traffic-port",
                    matcher="200-399",
                    interval=15,
                    timeout=5,
                    healthy_threshold=2,
                    unhealthy_threshold=3,
                ),
                tags={**tags, "Name": f"{name}-{color}", "color": color},
                opts=child,
                name_prefix=elb_name_prefix(f"{name}-{color}", f"{name[:5]}{color[0]}"),
            )

        self.test_listener = aws.lb.Listener(
            f"{name}-test",
            load_balancer_arn=self.load_balancer.arn,
            port=args.test_listener_port,
            protocol="HTTPS" if args.certificate_arn else "HTTP",
            certificate_arn=args.certificate_arn,
            ssl_policy=args.ssl_policy if args.certificate_arn else None,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="forward",
                    forward=aws.lb.ListenerDefaultActionForwardArgs(
                        # All traffic to the idle color. The live color is listed with weight 0 so both target
                        # groups are always attached to the ALB: ECS refuses to create a service whose target
                        # group has no load balancer yet.
                        target_groups=[
                            aws.lb.ListenerDefaultActionForwardTargetGroupArgs(
                                arn=self.target_groups[color].arn,
                                weight=100 if color == spec.idle_color else 0,
                            )
                            for color in COLORS
                        ],
                    ),
                )
            ],
            tags={**tags, "Name": f"{name}-test"},
            opts=child,
        )

        self.secret = self._secret(name, spec, tags)
        self._roles(name, spec, place, tags)

        self.task_definitions = {}
        self.services = {}
        for color in COLORS:
            image = spec.images.get(color)
            if not image:
                continue
            self.task_definitions[color] = self._task_definition(name, color, image, spec, place, task_size, tags)
            self.services[color] = aws.ecs.Service(
                f"{name}-{color}",
                cluster=place.cluster_arn,
                task_definition=self.task_definitions[color].arn,
                launch_type="FARGATE",
                desired_count=args.desired_count,
                network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                    subnets=list(place.private_subnet_ids),
                    security_groups=[self.task_security_group.id],
                    assign_public_ip=False,
                ),
                load_balancers=[
                    aws.ecs.ServiceLoadBalancerArgs(
                        target_group_arn=self.target_groups[color].arn,
                        container_name=CONTAINER_NAME,
                        container_port=workload.port,
                    )
                ],
                health_check_grace_period_seconds=60,
                deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
                propagate_tags="SERVICE",
                enable_ecs_managed_tags=True,
                tags={**tags, "Name": f"{name}-{color}", "color": color},
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # Application Auto Scaling owns the task count after creation; without this every
                    # `pulumi up` would reset a scaled-out service to its initial count.
                    ignore_changes=["desiredCount"],
                    # Tasks need the execution policy to start, ECS needs the target group attached to the ALB, and
                    # tasks in private subnets need their route to NAT to pull images and fetch secrets (else the
                    # first deployment fails and the circuit breaker has nothing to roll back to).
                    depends_on=[self.test_listener, self.execution_policy, *place.egress_ready],
                ),
            )

        self.register_outputs(
            {
                "loadBalancerArn": self.load_balancer.arn,
                "dnsName": self.load_balancer.dns_name,
                "targetGroupArns": {color: group.arn for color, group in self.target_groups.items()},
                "serviceNames": {color: service.name for color, service in self.services.items()},
                "testListenerArn": self.test_listener.arn,
            }
        )

    def _security_groups(self, name: str, args: AwsBlueGreenArgs, tags: Mapping[str, str]) -> None:
        child = pulumi.ResourceOptions(parent=self)
        port = args.blue_green.workload.port
        self.alb_security_group = aws.ec2.SecurityGroup(
            f"{name}-alb",
            vpc_id=args.placement.vpc_id,
            description=f"{name} load balancer: listeners from allowed ranges, out to tasks only",
            tags={**tags, "Name": f"{name}-alb"},
            opts=child,
        )
        self.task_security_group = aws.ec2.SecurityGroup(
            f"{name}-tasks",
            vpc_id=args.placement.vpc_id,
            description=f"{name} tasks: service port from the load balancer only",
            tags={**tags, "Name": f"{name}-tasks"},
            opts=child,
        )
        # 443 is opened only when there is an HTTPS listener behind it.
        for listener_port in [80, *([443] if args.certificate_arn else [])]:
            for index, cidr in enumerate(args.allowed_ingress_cidrs):
                self._listener_ingress(
                    f"{name}-alb-in-{listener_port}-{index}", listener_port, cidr, f"listener port {listener_port}", tags
                )
        # The test listener serves the idle color, which is not released yet: only callers inside the VPC and
        # the explicitly listed test ranges reach it, whatever the production listeners admit.
        test_port = args.test_listener_port
        for index, source in enumerate(args.placement.internal_source_cidrs):
            self._listener_ingress(
                f"{name}-alb-test-from-vpc-{index}", test_port, source, "test listener from inside the VPC", tags
            )
        for index, cidr in enumerate(args.test_access_cidrs):
            self._listener_ingress(f"{name}-alb-test-in-{index}", test_port, cidr, "test listener from a test range", tags)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-alb-to-tasks",
            security_group_id=self.alb_security_group.id,
            description="to tasks on the service port",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=self.task_security_group.id,
            tags=dict(tags),
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-tasks-from-alb",
            security_group_id=self.task_security_group.id,
            description="service port from the load balancer",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=self.alb_security_group.id,
            tags=dict(tags),
            opts=child,
        )
        # Tasks pull images, fetch secrets, ship logs and call their own dependencies through NAT.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-tasks-egress",
            security_group_id=self.task_security_group.id,
            description="outbound through NAT",
            ip_protocol="-1",
            cidr_ipv4="0.0.0.0/0",
            tags=dict(tags),
            opts=child,
        )

    def _listener_ingress(
        self, logical_name: str, port: int, cidr: pulumi.Input[str], description: str, tags: Mapping[str, str]
    ) -> aws.vpc.SecurityGroupIngressRule:
        return aws.vpc.SecurityGroupIngressRule(
            logical_name,
            security_group_id=self.alb_security_group.id,
            description=description,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            cidr_ipv4=cidr,
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _secret(self, name: str, spec: BlueGreenArgs, tags: Mapping[str, str]) -> aws.secretsmanager.Secret | None:
        """One Secrets Manager secret per service holding its secret env vars as JSON keys."""
        if not spec.workload.secrets:
            return None
        child = pulumi.ResourceOptions(parent=self)
        secret = aws.secretsmanager.Secret(
            f"{name}-secrets",
            description=f"{name}: secret environment variables",
            tags={**tags, "Name": f"{name}-secrets"},
            opts=child,
        )
        values = {var: value for var, value in sorted(spec.workload.secrets.items())}
        aws.secretsmanager.SecretVersion(
            f"{name}-secrets",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(values).apply(json.dumps),
            opts=child,
        )
        return secret

    def _roles(self, name: str, spec: BlueGreenArgs, place: Placement, tags: Mapping[str, str]) -> None:
        child = pulumi.ResourceOptions(parent=self)
        self.execution_role = aws.iam.Role(
            f"{name}-execution",
            description=f"{name}: ECS pulls the image, writes logs and reads this service's secrets",
            assume_role_policy=_ASSUME_ECS_TASKS,
            tags={**tags, "Name": f"{name}-execution"},
            opts=child,
        )
        # The application's own role starts with no permissions; grant what the app needs explicitly.
        self.task_role = aws.iam.Role(
            f"{name}-task",
            description=f"{name}: the application's role (no permissions by default)",
            assume_role_policy=_ASSUME_ECS_TASKS,
            tags={**tags, "Name": f"{name}-task"},
            opts=child,
        )
        statements: list[Any] = [
            {
                "Sid": "WriteLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": pulumi.Output.concat(place.log_group_arn, ":log-stream:*"),
            }
        ]
        if self.secret is not None:
            statements.append(
                {
                    "Sid": "ReadServiceSecrets",
                    "Effect": "Allow",
                    "Action": ["secretsmanager:GetSecretValue"],
                    "Resource": self.secret.arn,
                }
            )
        repositories = sorted({arn for image in spec.images.values() if image and (arn := ecr_repository_arn(image))})
        if repositories:
            statements += [
                # ECR hands out registry tokens only for "*"; the pulls themselves are scoped to the repositories.
                {"Sid": "EcrToken", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"},
                {
                    "Sid": "EcrPull",
                    "Effect": "Allow",
                    "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                    "Resource": repositories,
                },
            ]
        self.execution_policy = aws.iam.RolePolicy(
            f"{name}-execution",
            role=self.execution_role.id,
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements}),
            opts=child,
        )

    def _task_definition(
        self,
        name: str,
        color: Color,
        image: str,
        spec: BlueGreenArgs,
        place: Placement,
        task_size: tuple[str, str],
        tags: Mapping[str, str],
    ) -> aws.ecs.TaskDefinition:
        workload = spec.workload
        secret = self.secret
        container: dict[str, Any] = {
            "name": CONTAINER_NAME,
            "image": image,
            "essential": True,
            "portMappings": [{"containerPort": workload.port, "protocol": "tcp"}],
            "readonlyRootFilesystem": True,
            "privileged": False,
            "linuxParameters": {"initProcessEnabled": True},
            # A read-only root file system still needs somewhere to write temporary files.
            "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],
            "environment": [{"name": key, "value": value} for key, value in sorted(workload.environment.items())],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": place.log_group_name,
                    "awslogs-region": place.region,
                    "awslogs-stream-prefix": f"{name}-{color}",
                },
            },
        }
        if secret is not None:
            # Only references go into the task definition; ECS resolves the values when a task starts.
            container["secrets"] = [
                {"name": var, "valueFrom": pulumi.Output.concat(secret.arn, f":{var}::")} for var in sorted(workload.secrets)
            ]
        return aws.ecs.TaskDefinition(
            f"{name}-{color}",
            family=_family(name, color),
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=task_size[0],
            memory=task_size[1],
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            volumes=[aws.ecs.TaskDefinitionVolumeArgs(name="tmp")],
            container_definitions=pulumi.Output.json_dumps([container]),
            tags={**tags, "Name": f"{name}-{color}", "color": color},
            opts=pulumi.ResourceOptions(parent=self),
        )
