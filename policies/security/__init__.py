"""The `rollway-security` pack: every security policy, in a stable order (each registered cloud in `rollway.clouds` order, then cross-cutting)."""

from __future__ import annotations

import importlib

from pulumi_policy import Policy

from policies.security import cross_cutting
from rollway import clouds

PACK_NAME = "rollway-security"

POLICIES: list[Policy] = [
    *(
        policy
        for cloud in clouds.all_clouds()
        for module in cloud.security_policies
        for policy in importlib.import_module(module).POLICIES
    ),
    *cross_cutting.POLICIES,
]
