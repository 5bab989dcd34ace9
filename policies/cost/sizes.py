"""What an instance type / machine type / VM size name says: family, vCPUs, and whether it carries GPUs.

Parsing follows each provider's naming scheme (documented on their instance-type pages); a name that does not
fit the scheme yields `vcpus=None`, which the policies report as "not recognised" rather than guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    """A parsed compute size."""

    name: str
    """The name as written, e.g. `m6i.2xlarge`, `e2-standard-4`, `Standard_D4s_v5`."""
    family: str
    """Family the allow-lists name: `m6i` (EC2/RDS), `e2` (GCP), `D` (Azure series letters)."""
    vcpus: float | None
    """vCPUs, None when the name does not follow the scheme."""
    gpu: bool
    """Whether the family is GPU/accelerator-backed."""


_AWS_SIZE = re.compile(r"^(?:db\.|cache\.)?([a-z][a-z0-9-]*)\.([a-z0-9-]+)$")
_AWS_GPU_FAMILY = re.compile(r"^(p\d|g\d|inf\d|trn\d|dl\d|vt\d|f\d)")
_SMALL_SIZES = {"nano": 1.0, "micro": 1.0, "small": 1.0, "medium": 1.0}


def aws_size(name: str) -> Size:
    """EC2 `m6i.2xlarge` or RDS `db.t4g.micro` (sizes: nano..medium, large=2, xlarge=4, Nxlarge=4N vCPUs)."""
    match = _AWS_SIZE.match(name.strip().lower())
    if not match:
        return Size(name, name, None, False)
    family, size = match.groups()
    vcpus: float | None
    if size in _SMALL_SIZES:
        # Burstable families get two vCPUs from nano up (t2 one below medium); other families have one.
        if family.startswith("t") and family != "t2":
            vcpus = 2.0
        elif family == "t2":
            vcpus = 2.0 if size == "medium" else 1.0
        else:
            vcpus = 1.0
    elif size == "large":
        vcpus = 2.0
    elif size == "xlarge":
        vcpus = 4.0
    elif size.endswith("xlarge") and size[: -len("xlarge")].isdigit():
        vcpus = 4.0 * int(size[: -len("xlarge")])
    else:
        vcpus = None  # metal, metal-48xl, ...: depends on the host; not in the scheme.
    return Size(name, family, vcpus, bool(_AWS_GPU_FAMILY.match(family)))


_GCP_SHARED = {"e2-micro": 2.0, "e2-small": 2.0, "e2-medium": 2.0, "f1-micro": 1.0, "g1-small": 1.0}
_GCP_GPU_FAMILIES = ("a2", "a3", "a4", "g2", "g4")


def gcp_size(name: str) -> Size:
    """`e2-standard-4`, `n2-highmem-8`, `custom-4-8192`, `n2-custom-2-4096`, or a `.../machineTypes/<name>` URL."""
    short = name.strip().rsplit("/", 1)[-1].lower()
    parts = short.split("-")
    family = "n1" if parts[0] == "custom" else parts[0]
    gpu = family in _GCP_GPU_FAMILIES
    if short in _GCP_SHARED:
        return Size(name, family, _GCP_SHARED[short], False)
    if "custom" in parts:
        index = parts.index("custom")
        count = parts[index + 1] if index + 1 < len(parts) else ""
        return Size(name, family, float(count) if count.isdigit() else None, gpu)
    last = parts[-1]
    if len(parts) >= 3 and last.isdigit():
        return Size(name, family, float(last), gpu)
    if len(parts) >= 3 and last.endswith("g") and last[:-1].isdigit():
        # Accelerator shapes like a2-highgpu-1g: vCPUs are not in the name; 12 per GPU on A2/A3/G2.
        return Size(name, family, 12.0 * int(last[:-1]), True)
    return Size(name, family, None, gpu)


_AZURE_SIZE = re.compile(r"^(?:standard_|basic_)?([a-z]+)(\d+)", re.I)
_AZURE_GPU_SERIES = ("NC", "ND", "NV", "NG", "NP")


def azure_size(name: str) -> Size:
    """`Standard_D4s_v5` -> family `D`, 4 vCPUs; `Standard_NC6s_v3` -> GPU series `NC`."""
    match = _AZURE_SIZE.match(name.strip())
    if not match:
        return Size(name, name, None, False)
    family = match.group(1).upper()
    return Size(name, family, float(match.group(2)), family.startswith(_AZURE_GPU_SERIES))
