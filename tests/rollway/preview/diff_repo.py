"""A real git repository with a small release-shaped Pulumi program: commits on `main`, then a `feature` branch.

The program reads `<project>:services` the way Rollway's stacks do (image per color, liveColor, canaryWeight) and
builds, per service, a component with a target group and a task definition per color and a weighted listener;
plus a VPC, a security group and a bucket, so a change can touch networks and data stores too.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

PROGRAM = """\
import json

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
services = config.require_object("services")
vpc = aws.ec2.Vpc("main", cidr_block=config.get("vpcCidr") or "10.0.0.0/16")
aws.ec2.SecurityGroup(
    "edge",
    vpc_id=vpc.id,
    ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": [config.get("edgeCidr") or "10.0.0.0/8"]}],
)
aws.s3.Bucket("logs", acl=config.get("logsAcl") or "private", tags={"owner": "platform"})


class Service(pulumi.ComponentResource):
    def __init__(self, name, spec, opts=None):
        super().__init__("demo:index:Service", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        groups = {}
        for color in ("blue", "green"):
            groups[color] = aws.lb.TargetGroup(
                f"{name}-{color}", port=spec.get("port", 8080), protocol="HTTP", vpc_id=vpc.id, opts=child
            )
            aws.ecs.TaskDefinition(
                f"{name}-{color}",
                family=f"{name}-{color}",
                container_definitions=json.dumps([{"name": name, "image": spec["image"][color]}]),
                opts=child,
            )
        live = spec["liveColor"]
        weight = spec.get("canaryWeight", 0)
        weights = {live: 100 - weight, ("green" if live == "blue" else "blue"): weight}
        aws.lb.Listener(
            f"{name}-production",
            load_balancer_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demo/1",
            port=443,
            default_actions=[
                {
                    "type": "forward",
                    "forward": {"target_groups": [{"arn": groups[c].arn, "weight": weights[c]} for c in ("blue", "green")]},
                }
            ],
            opts=child,
        )
        self.register_outputs({})


for service_name, service_spec in services.items():
    Service(service_name, service_spec)
"""

BASE_CONFIG: dict[str, Any] = {
    "aws:region": "us-east-1",
    "demo:services": {
        "web": {
            "image": {"blue": "ghcr.io/demo/web:1.0", "green": "ghcr.io/demo/web:1.1"},
            "liveColor": "blue",
            "canaryWeight": 10,
        },
        "api": {"image": {"blue": "ghcr.io/demo/api:2.0", "green": "ghcr.io/demo/api:2.0"}, "liveColor": "green"},
    },
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def write_stack(repo: Path, config: dict[str, Any], stack: str = "dev") -> None:
    (repo / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def make_repo(root: Path) -> Path:
    """A repository whose `main` holds the program and Pulumi.dev.yaml; `feature` is checked out, same commit."""
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "config", "user.name", "Test")
    (repo / "Pulumi.yaml").write_text("name: demo\nruntime: python\n", encoding="utf-8")
    (repo / "__main__.py").write_text(PROGRAM, encoding="utf-8")
    write_stack(repo, BASE_CONFIG)
    commit(repo, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    return repo


def with_service(config: dict[str, Any], service: str, **changes: Any) -> dict[str, Any]:
    """A copy of config with `demo:services.<service>` fields replaced."""
    services = {name: dict(spec) for name, spec in config["demo:services"].items()}
    services[service].update(changes)
    return {**config, "demo:services": services}
