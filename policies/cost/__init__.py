"""The `rollway-cost` pack: per-environment compute, container, scaling, storage, logging, NAT, tagging and budget policies."""

from __future__ import annotations

from pulumi_policy import Policy

from policies.cost import budget, compute, operations, storage, workloads

PACK_NAME = "rollway-cost"

POLICIES: list[Policy] = [*compute.POLICIES, *workloads.POLICIES, *storage.POLICIES, *operations.POLICIES, *budget.POLICIES]
