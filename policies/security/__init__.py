"""The `rollway-security` pack: every security policy, in a stable order (AWS, GCP, Azure, Kubernetes, cross-cutting)."""

from __future__ import annotations

from pulumi_policy import Policy

from policies.security import aws, aws_services, azure, cross_cutting, gcp, kubernetes

PACK_NAME = "rollway-security"

POLICIES: list[Policy] = [
    *aws.POLICIES,
    *aws_services.POLICIES,
    *gcp.POLICIES,
    *azure.POLICIES,
    *kubernetes.POLICIES,
    *cross_cutting.POLICIES,
]
