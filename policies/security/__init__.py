"""The `rollway-security` pack: every security policy, in a stable order (each registered cloud in `rollway.clouds` order, then cross-cutting)."""

from __future__ import annotations

import importlib

from pulumi_policy import Policy

from policies.security import cross_cutting
from rollway import clouds

PACK_NAME = "rollway-security"

POLICIES: list[Policy] = [
    *(policy for cloud in clouds.all_clouds() for policy in importlib.import_module(cloud.security_policies).POLICIES),
    *cross_cutting.POLICIES,
]
