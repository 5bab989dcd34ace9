"""The price table the monthly budget policy estimates with.

Source: the providers' public on-demand list prices for Linux, no discounts, free tiers, data transfer or
request charges — AWS us-east-1 (EC2, RDS single-AZ PostgreSQL, Fargate, ELB, NAT Gateway, EBS pages), Google
Cloud us-central1 (Compute Engine, Cloud Run instance-based billing, Cloud Load Balancing, Cloud NAT, Persistent
Disk pages), Azure East US (Container Apps consumption plan, Virtual Machines, Load Balancer, NAT Gateway,
Managed Disks pages). Recorded by hand from those pages, figures as of 2025-06 (PRICE_TABLE_DATE), rounded.

They are estimates for a guardrail, not a bill: update this module (and its date) when prices move, and raise
or lower budgets in the policy config rather than editing figures to make a stack pass. Kubernetes workloads
are priced per requested vCPU and GiB at an on-demand node-equivalent rate, because the cluster's own cost is
outside the stack.
"""

from __future__ import annotations

PRICE_TABLE_DATE = "2025-06"
HOURS_PER_MONTH = 730.0

# --- AWS (us-east-1) --------------------------------------------------------------------------------------

EC2_LARGE_HOURLY: dict[str, float] = {
    "t3": 0.0832,
    "t3a": 0.0752,
    "t4g": 0.0672,
    "m5": 0.096,
    "m6i": 0.096,
    "m6a": 0.0864,
    "m6g": 0.077,
    "m7i": 0.1008,
    "m7g": 0.0816,
    "c5": 0.085,
    "c6i": 0.085,
    "c6g": 0.068,
    "c7i": 0.0893,
    "c7g": 0.0725,
    "r5": 0.126,
    "r6i": 0.126,
    "r6g": 0.1008,
    "r7g": 0.1071,
    "g5": 1.006,
    "g4dn": 0.526,
}
"""On-demand $/hour of the family's `.large` size (2 vCPUs); other sizes scale linearly with vCPUs."""
EC2_VCPU_HOURLY_FALLBACK = 0.048
"""$/vCPU-hour for families not in the table (general purpose rate)."""

RDS_LARGE_HOURLY: dict[str, float] = {
    "t3": 0.145,
    "t4g": 0.129,
    "m6g": 0.159,
    "m6i": 0.178,
    "m7g": 0.168,
    "r6g": 0.225,
    "r6i": 0.25,
    "r7g": 0.239,
}
"""RDS PostgreSQL single-AZ $/hour of `db.<family>.large`; multi-AZ doubles it."""
RDS_VCPU_HOURLY_FALLBACK = 0.08
RDS_STORAGE_GB_MONTH = {"gp2": 0.115, "gp3": 0.115, "io1": 0.125, "io2": 0.125, "standard": 0.10}

FARGATE_VCPU_HOURLY = 0.04048
FARGATE_GB_HOURLY = 0.004445
FARGATE_ARM_VCPU_HOURLY = 0.03238
FARGATE_ARM_GB_HOURLY = 0.00356

ALB_HOURLY = 0.0225 + 0.008
"""Load balancer hour plus one LCU-hour (a lightly used ALB)."""
NLB_HOURLY = 0.0225 + 0.006
NAT_GATEWAY_HOURLY = 0.045
EBS_GB_MONTH = {"gp3": 0.08, "gp2": 0.10, "io1": 0.125, "io2": 0.125, "st1": 0.045, "sc1": 0.015, "standard": 0.05}
EBS_IOPS_MONTH = {"io1": 0.065, "io2": 0.065}
SECRETS_MANAGER_SECRET_MONTH = 0.40
KMS_KEY_MONTH = 1.00

# --- Google Cloud (us-central1) ---------------------------------------------------------------------------

GCE_VCPU_HOURLY: dict[str, float] = {
    "e2": 0.021811,
    "n2": 0.031611,
    "n2d": 0.027502,
    "t2d": 0.027502,
    "c3": 0.03465,
    "n4": 0.0329,
    "n1": 0.031611,
}
GCE_GB_HOURLY: dict[str, float] = {
    "e2": 0.002923,
    "n2": 0.004237,
    "n2d": 0.003686,
    "t2d": 0.003686,
    "c3": 0.003938,
    "n4": 0.00416,
    "n1": 0.004237,
}
GCE_SHARED_CORE_HOURLY = {
    "e2-micro": 0.008376,
    "e2-small": 0.016751,
    "e2-medium": 0.033503,
    "f1-micro": 0.0076,
    "g1-small": 0.0257,
}
GCE_GB_PER_VCPU = {"standard": 4.0, "highmem": 8.0, "highcpu": 1.0}
CLOUD_RUN_VCPU_HOURLY = 0.0648
"""Cloud Run instance-based billing, per vCPU-hour (what min instances cost while idle)."""
CLOUD_RUN_GB_HOURLY = 0.0072
GCP_FORWARDING_RULE_HOURLY = 0.025
GCP_NAT_HOURLY = 0.044
PD_GB_MONTH = {"pd-standard": 0.04, "pd-balanced": 0.10, "pd-ssd": 0.17, "pd-extreme": 0.125, "hyperdisk-balanced": 0.08}

# --- Azure (East US) --------------------------------------------------------------------------------------

CONTAINER_APPS_VCPU_HOURLY = 0.0864
CONTAINER_APPS_GB_HOURLY = 0.0108
AZURE_VM_VCPU_HOURLY: dict[str, float] = {"B": 0.0208, "D": 0.048, "E": 0.063, "F": 0.0425}
AZURE_VM_VCPU_HOURLY_FALLBACK = 0.05
AZURE_LB_HOURLY = 0.025
AZURE_APP_GATEWAY_HOURLY = 0.246 + 0.008
AZURE_NAT_GATEWAY_HOURLY = 0.045
AZURE_DISK_GB_MONTH = {
    "Premium_LRS": 0.15,
    "StandardSSD_LRS": 0.075,
    "Standard_LRS": 0.045,
    "PremiumV2_LRS": 0.12,
    "UltraSSD_LRS": 0.12,
}

# --- Kubernetes (node-equivalent) -------------------------------------------------------------------------

K8S_VCPU_HOURLY = 0.04
K8S_GB_HOURLY = 0.005
K8S_LOAD_BALANCER_HOURLY = 0.025
