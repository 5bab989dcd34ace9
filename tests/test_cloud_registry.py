"""Every registered cloud is a complete plug-in: four families, settings, builder, routing, mocks, policies."""

from __future__ import annotations

import dataclasses
import importlib
import inspect

import pulumi
import pytest

from components.autoscaling import AutoscalingArgs
from components.blue_green import BlueGreenArgs
from components.canary import CanaryArgs
from components.environment import EnvironmentArgs
from rollway import clouds
from rollway.engine.mocks import CloudContext
from rollway.rollout.routing import COHORT_MATCHES, ROUTING_TYPES
from stacks.config import CLOUDS, StackConfig
from stacks.config.base import CloudSettings

REGISTERED = clouds.names()


def test_the_four_clouds_are_registered() -> None:
    assert set(REGISTERED) == {"aws", "gcp", "azure", "kubernetes"}


@pytest.mark.parametrize("name", REGISTERED)
@pytest.mark.parametrize("family", clouds.FAMILIES)
def test_cloud_implements_every_family(name: str, family: str) -> None:
    component = clouds.get(name).family_class(family)
    assert issubclass(component, pulumi.ComponentResource)
    # The type token names the cloud and the family's class: `rollway:<cloud>:<Class>`.
    assert f'"rollway:{name}:{clouds.FAMILY_CLASSES[family]}"' in inspect.getsource(inspect.getmodule(component))


CLOUD_PREFIX = {"aws": "Aws", "gcp": "Gcp", "azure": "Azure", "kubernetes": "Kubernetes"}
AGNOSTIC_ARGS: dict[str, type] = {
    "environment": EnvironmentArgs,
    "blue_green": BlueGreenArgs,
    "canary": CanaryArgs,
    "autoscaling": AutoscalingArgs,
}


@pytest.mark.parametrize("name", REGISTERED)
@pytest.mark.parametrize("family", clouds.FAMILIES)
def test_cloud_args_follow_the_one_convention(name: str, family: str) -> None:
    """`<Cloud><Family>Args` in the family's module, embedding the cloud-agnostic Args as the field named after
    the family (`environment`, `blue_green`, `canary`, `autoscaling`): never a subclass, never another name."""
    module = importlib.import_module(clouds.get(name).families[family])
    family_title = "".join(part.title() for part in family.split("_"))
    args = getattr(module, f"{CLOUD_PREFIX[name]}{family_title}Args")
    agnostic = AGNOSTIC_ARGS[family]
    assert not issubclass(args, agnostic)
    first = dataclasses.fields(args)[0]
    assert first.name == family
    # Annotations are strings (postponed evaluation); the name must resolve to the agnostic Args in the module.
    assert vars(module).get(str(first.type)) is agnostic, f"{args.__name__}.{family}: {first.type}"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("AutoscalingTargetsArgs", "KubernetesAutoscalingArgs"),
        ("BlueGreenTargetsArgs", "KubernetesBlueGreenArgs"),
        ("CanaryRouteArgs", "KubernetesCanaryArgs"),
        ("EnvironmentTargetsArgs", "KubernetesEnvironmentArgs"),
    ],
)
def test_kubernetes_names_of_before_still_import(old: str, new: str) -> None:
    import components.kubernetes as kubernetes

    assert getattr(kubernetes, old) is getattr(kubernetes, new)


@pytest.mark.parametrize("name", REGISTERED)
def test_cloud_settings_are_a_stack_config_field(name: str) -> None:
    settings = clouds.get(name).settings_class()
    assert issubclass(settings, CloudSettings)
    assert name in CLOUDS
    assert StackConfig.model_fields[name].annotation == settings | None


@pytest.mark.parametrize("name", REGISTERED)
def test_cloud_builder_builds(name: str) -> None:
    assert callable(clouds.get(name).builder_module().build)


@pytest.mark.parametrize("name", REGISTERED)
def test_cloud_routing_types_are_its_own_and_reach_the_rollout(name: str) -> None:
    cloud = clouds.get(name)
    assert cloud.routing_types
    assert all(token.startswith(f"{cloud.package}:") for token in cloud.routing_types)
    assert ROUTING_TYPES[name] == cloud.routing_types


@pytest.mark.parametrize("name", REGISTERED)
def test_cloud_mock_outputs_answer_for_its_routing_resources(name: str) -> None:
    cloud = clouds.get(name)
    args = pulumi.runtime.MockResourceArgs(
        typ=cloud.routing_types[0], name="web-route", inputs={}, provider=None, resource_id=None, custom=True
    )
    resource_id, outputs = cloud.mock_outputs_function()(args, CloudContext())
    assert resource_id
    assert isinstance(outputs, dict)


@pytest.mark.parametrize("name", REGISTERED)
def test_cloud_cohort_matches_are_known_kinds_and_reach_the_rollout(name: str) -> None:
    matches = clouds.get(name).cohort_matches
    assert set(matches) <= {"header", "cookie"}
    assert COHORT_MATCHES[name] == matches


@pytest.mark.parametrize("name", REGISTERED)
def test_cloud_has_security_policies(name: str) -> None:
    from policies.security import POLICIES

    for module_name in clouds.get(name).security_policies:
        module = __import__(module_name, fromlist=["POLICIES"])
        assert module.POLICIES
        assert all(policy in POLICIES for policy in module.POLICIES)


def test_provider_defaults_fill_the_mock_context() -> None:
    assert CloudContext.from_config({}).aws_region == clouds.get("aws").provider_defaults["aws:region"]
    assert CloudContext.from_config({"aws:region": "eu-west-1"}).aws_region == "eu-west-1"


def test_a_cloud_missing_a_family_is_refused() -> None:
    incomplete = clouds.Cloud(
        name="partial",
        package="partial",
        settings="x:Y",
        builder="x",
        families={"environment": "x", "blue_green": "x", "canary": "x"},
        routing_types=("partial:x:Y",),
        mock_outputs="x:y",
        security_policies=("x",),
    )
    with pytest.raises(ValueError, match="autoscaling"):
        clouds.register(incomplete)
    assert "partial" not in clouds.names()


def test_unknown_cloud_names_the_registered_ones() -> None:
    with pytest.raises(KeyError, match="registered: aws, gcp, azure, kubernetes"):
        clouds.get("oracle")
