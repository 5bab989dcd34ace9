"""Container images of workloads on every cloud: where each resource type keeps its image references."""

from __future__ import annotations

import re
from typing import Any

from policies.common.ecs import container_definitions
from policies.common.kubernetes import WORKLOAD_TYPES, container_name, containers, pod_spec
from policies.common.props import Unknown, get, items, mapping

ECS_TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
CLOUD_RUN_SERVICE = "gcp:cloudrunv2/service:Service"
CLOUD_RUN_JOB = "gcp:cloudrunv2/job:Job"
CLOUD_RUN_V1_SERVICE = "gcp:cloudrun/service:Service"
GCE_TEMPLATES = ("gcp:compute/instanceTemplate:InstanceTemplate", "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate")
CONTAINER_APP = "azure-native:app:ContainerApp"
CONTAINER_APP_JOB = "azure-native:app:Job"
CONTAINER_GROUP = "azure-native:containerinstance:ContainerGroup"

_CONTAINER_LISTS: dict[str, tuple[str, ...]] = {
    CLOUD_RUN_SERVICE: ("template", "containers"),
    CLOUD_RUN_JOB: ("template", "template", "containers"),
    CLOUD_RUN_V1_SERVICE: ("template", "spec", "containers"),
    CONTAINER_APP: ("template", "containers"),
    CONTAINER_APP_JOB: ("template", "containers"),
    CONTAINER_GROUP: ("containers",),
}

IMAGE_TYPES: frozenset[str] = frozenset({*WORKLOAD_TYPES, ECS_TASK_DEFINITION, *_CONTAINER_LISTS, *GCE_TEMPLATES})
"""Every resource type whose inputs name container images."""

_DECLARED_IMAGE = re.compile(r"""^\s*-?\s*image:\s*["']?([^\s"']+)""", re.M)
"""`image: ...` in a Container-Optimized OS container declaration."""
_DOCKER_RUN = re.compile(r"docker\s+(?:container\s+)?run\s+([^\n]+)")
_BOOLEAN_FLAGS = frozenset({"--rm", "-d", "--detach", "-i", "-t", "-it", "-ti", "--init", "--privileged", "--read-only"})


def _docker_run_image(arguments: str) -> str | None:
    """The image of a `docker run` command line: the first argument that is neither a flag nor a flag's value."""
    tokens = arguments.split()
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if not token.startswith("-"):
            return token.strip("\"'")
        index += 1 if ("=" in token or token in _BOOLEAN_FLAGS) else 2
    return None


def declared_images(text: str) -> list[str]:
    """Images a VM's container declaration or cloud-init (`docker run ...`) starts."""
    found = _DECLARED_IMAGE.findall(text)
    for arguments in _DOCKER_RUN.findall(text):
        image = _docker_run_image(arguments)
        if image:
            found.append(image)
    return found


def workload_images(resource_type: str, props: Any) -> list[tuple[str, str | Unknown]]:
    """(where, image reference) for every container a resource runs; unknown references kept as `Unknown`."""
    found: list[tuple[str, str | Unknown]] = []
    if resource_type in WORKLOAD_TYPES:
        spec = pod_spec(resource_type, props)
        if isinstance(spec, Unknown):
            return [("pod spec", spec)]
        for path, container in containers(spec):
            found.append(_image(container_name(path, container), container.get("image")))
    elif resource_type == ECS_TASK_DEFINITION:
        definitions = container_definitions(props)
        if isinstance(definitions, Unknown):
            return [("containerDefinitions", definitions)]
        for index, definition in enumerate(definitions):
            found.append(_image(container_name(f"containerDefinitions[{index}]", definition), definition.get("image")))
    elif resource_type in _CONTAINER_LISTS:
        keys = _CONTAINER_LISTS[resource_type]
        listed = get(props, *keys)
        if isinstance(listed, Unknown):
            return [(".".join(keys), listed)]
        for index, container in enumerate(items(listed)):
            found.append(_image(container_name(f"{'.'.join(keys)}[{index}]", mapping(container)), get(container, "image")))
    elif resource_type in GCE_TEMPLATES:
        metadata = get(props, "metadata")
        for key in ("gce-container-declaration", "user-data"):
            value = get(metadata, key)
            if isinstance(value, Unknown):
                found.append((f"metadata.{key}", value))
            elif isinstance(value, str):
                found.extend((f"metadata.{key}", image) for image in declared_images(value))
    return [(where, image) for where, image in found if image is not None]


def _image(where: str, image: Any) -> tuple[str, Any]:
    return (where, image if isinstance(image, (str, Unknown)) else None)
