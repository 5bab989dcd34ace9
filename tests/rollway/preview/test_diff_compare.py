"""The comparison itself (no program runs): kinds, labels, replacements, categories and release steps."""

from __future__ import annotations

from typing import Any

import pytest

from rollway.preview.compare import category_of, compare
from rollway.preview.release import release_steps
from rollway.testing import RecordedResource, Secret

STACK = "urn:pulumi:dev::demo::"


def resource(type_: str, name: str, inputs: dict[str, Any], parent: str | None = None, **extra: Any) -> RecordedResource:
    urn = f"{STACK}{parent + '$' if parent else ''}{type_}::{name}"
    return RecordedResource(type=type_, name=name, urn=urn, parent=None, custom=True, inputs=inputs, **extra)


def group(color: str) -> RecordedResource:
    return resource(
        "aws:lb/targetGroup:TargetGroup",
        f"web-{color}",
        {"port": 80},
        outputs={"arn": f"arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-{color}/abc"},
    )


def listener(blue: int, green: int, order: tuple[str, str] = ("blue", "green")) -> RecordedResource:
    weights = {"blue": blue, "green": green}
    groups = [{"arn": f"arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-{c}/abc", "weight": weights[c]} for c in order]
    return resource("aws:lb/listener:Listener", "web-production", {"defaultActions": [{"forward": {"targetGroups": groups}}]})


def test_list_items_are_labelled_by_the_resource_they_reference() -> None:
    (change,) = compare(
        [group("blue"), group("green"), listener(100, 0)], [group("blue"), group("green"), listener(90, 10)]
    ).changes
    assert change.kind == "update"
    assert [delta.label for delta in change.paths] == [
        "defaultActions[0].forward.targetGroups[web-blue].weight",
        "defaultActions[0].forward.targetGroups[web-green].weight",
    ]


def test_reordered_labelled_items_are_not_a_change() -> None:
    base = [group("blue"), group("green"), listener(100, 0)]
    assert compare(base, [group("blue"), group("green"), listener(100, 0, order=("green", "blue"))]).changes == []


def test_mock_values_are_named_for_their_resource() -> None:
    comparison = compare([group("blue")], [group("blue")])
    assert comparison.mock_values["arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-blue/abc"] == "web-blue.arn"


def test_items_labelled_by_name_then_by_color() -> None:
    old = resource(
        "k", "r", {"refs": [{"name": "a", "w": 1}], "rules": [{"to": "svc-blue", "w": 1}, {"to": "svc-green", "w": 0}]}
    )
    new = resource(
        "k", "r", {"refs": [{"name": "a", "w": 2}], "rules": [{"to": "svc-blue", "w": 0}, {"to": "svc-green", "w": 1}]}
    )
    labels = [delta.label for delta in compare([old], [new]).changes[0].paths]
    assert labels == ["refs[a].w", "rules[blue].w", "rules[green].w"]


def test_unlabelled_lists_of_other_length_change_as_a_whole() -> None:
    old = resource("k", "r", {"rules": [{"p": 1}]})
    new = resource("k", "r", {"rules": [{"p": 1}, {"p": 2}]})
    (delta,) = compare([old], [new]).changes[0].paths
    assert (delta.label, delta.old, delta.new) == ("rules", [{"p": 1}], [{"p": 1}, {"p": 2}])


@pytest.mark.parametrize(
    ("type_", "key", "replaced"),
    [
        ("aws:lb/targetGroup:TargetGroup", "port", True),
        ("aws:lb/targetGroup:TargetGroup", "healthCheck", False),
        ("gcp:compute/instanceTemplate:InstanceTemplate", "labels", True),
        ("gcp:compute/backendService:BackendService", "name", True),
        ("azure-native:cdn:AFDOrigin", "weight", False),
        ("azure-native:cdn:AFDOrigin", "resourceGroupName", True),
        ("kubernetes:apps/v1:Deployment", "spec", False),
    ],
)
def test_force_new_properties_make_a_replace(type_: str, key: str, replaced: bool) -> None:
    (change,) = compare([resource(type_, "r", {key: 1})], [resource(type_, "r", {key: 2})]).changes
    assert change.kind == ("replace" if replaced else "update")


def test_nested_force_new_path_makes_a_replace() -> None:
    type_ = "kubernetes:apps/v1:Deployment"
    old = resource(type_, "web", {"spec": {"selector": {"app": "web"}, "replicas": 2}})
    new = resource(type_, "web", {"spec": {"selector": {"app": "web2"}, "replicas": 2}})
    (change,) = compare([old], [new]).changes
    assert (change.kind, change.reason) == ("replace", "spec.selector.app cannot change in place")


def test_an_item_inside_a_force_new_list_makes_a_replace() -> None:
    type_ = "aws:ecs/taskDefinition:TaskDefinition"
    old = resource(type_, "web", {"containerDefinitions": [{"image": "a", "x": 1}, {"image": "b", "x": 1}]})
    new = resource(type_, "web", {"containerDefinitions": [{"image": "a", "x": 2}, {"image": "b", "x": 1}]})
    (change,) = compare([old], [new]).changes
    assert (change.kind, change.paths[0].label) == ("replace", "containerDefinitions[0].x")


def test_a_longer_name_sharing_a_force_new_prefix_is_not_forced() -> None:
    type_ = "aws:lb/targetGroup:TargetGroup"
    (change,) = compare([resource(type_, "t", {"portMapping": 1})], [resource(type_, "t", {"portMapping": 2})]).changes
    assert change.kind == "update"


def test_new_parent_is_a_replace_not_a_create_and_delete() -> None:
    old = resource("aws:s3/bucket:Bucket", "logs", {})
    new = resource("aws:s3/bucket:Bucket", "logs", {}, parent="demo:index:Store")
    new.parent = f"{STACK}demo:index:Store::store"
    (change,) = compare([old], [new]).changes
    assert (change.kind, change.reason) == ("replace", "moved from parent stack to store")


def test_secrets_compare_by_value_and_stay_secret() -> None:
    type_ = "aws:ssm/parameter:Parameter"
    same = compare([resource(type_, "p", {"value": Secret("a")})], [resource(type_, "p", {"value": Secret("a")})])
    rotated = compare([resource(type_, "p", {"value": Secret("a")})], [resource(type_, "p", {"value": Secret("b")})])
    assert same.changes == []
    assert isinstance(rotated.changes[0].paths[0].new, Secret)


def test_a_value_turning_from_int_to_bool_is_a_change() -> None:
    assert compare([resource("k", "r", {"flag": 1})], [resource("k", "r", {"flag": True})]).changes


def test_providers_are_not_changes() -> None:
    provider = resource("pulumi:providers:aws", "default", {"region": "us-east-1"})
    moved = resource("pulumi:providers:aws", "default", {"region": "eu-west-1"})
    assert compare([provider], [moved]).changes == []


def test_changes_are_ordered_dangerous_first() -> None:
    base = [resource("aws:lb/targetGroup:TargetGroup", "t", {"port": 1}), resource("k", "gone", {}), resource("k", "u", {"a": 1})]
    head = [resource("aws:lb/targetGroup:TargetGroup", "t", {"port": 2}), resource("k", "new", {}), resource("k", "u", {"a": 2})]
    assert [change.kind for change in compare(base, head).changes] == ["replace", "delete", "create", "update"]


@pytest.mark.parametrize(
    ("type_", "category"),
    [
        ("aws:lb/listener:Listener", "routing"),
        ("gcp:compute/uRLMap:URLMap", "routing"),
        ("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "routing"),
        ("aws:ecs/service:Service", "workload"),
        ("kubernetes:apps/v1:Deployment", "workload"),
        ("kubernetes:core/v1:Service", "routing"),
        ("aws:ec2/securityGroup:SecurityGroup", "network"),
        ("azure-native:network:VirtualNetwork", "network"),
        ("aws:rds/instance:Instance", "data"),
        ("aws:s3/bucket:Bucket", "data"),
        ("aws:appautoscaling/policy:Policy", "scaling"),
        ("random:index/randomId:RandomId", "other"),
    ],
)
def test_categories(type_: str, category: str) -> None:
    assert category_of(type_) == category


def services(**web: Any) -> dict[str, Any]:
    spec = {"image": {"blue": "r/web:1", "green": "r/web:2"}, "liveColor": "blue", "canaryWeight": 0}
    return {"demo:services": {"web": {**spec, **web}}}


@pytest.mark.parametrize(
    ("before", "after", "phase", "text"),
    [
        (0, 1, "canary start", "canary web 0% → 1%"),
        (10, 25, "canary step", "canary web 10% → 25%"),
        (25, 10, "canary rollback", "canary web 25% → 10%"),
        (25, 0, "canary abort", "canary web 25% → 0%"),
        (99, 100, "canary step", "canary web 99% → 100%"),
    ],
)
def test_canary_phases(before: int, after: int, phase: str, text: str) -> None:
    (step,) = release_steps(services(canaryWeight=before), services(canaryWeight=after), "demo")
    assert (step.phase, step.text) == (phase, text)
    assert step.traffic == f"{after}% of web's production traffic on green"


def test_flip_wins_over_the_weight_change_it_comes_with() -> None:
    (step,) = release_steps(services(canaryWeight=100), services(liveColor="green", canaryWeight=0), "demo")
    assert (step.phase, step.text) == ("live flip", "live flip web blue → green")
    assert step.traffic == "100% of web's production traffic on green"


def test_flip_that_keeps_a_canary_says_so() -> None:
    (step,) = release_steps(services(), services(liveColor="green", canaryWeight=5), "demo")
    assert step.traffic == "95% of web's production traffic on green, 5% on blue as canary"


def test_idle_image_with_a_canary_running_is_live() -> None:
    (step,) = release_steps(
        services(canaryWeight=10), services(canaryWeight=10, image={"blue": "r/web:1", "green": "r/web:3"}), "demo"
    )
    assert (step.phase, step.traffic) == ("live image", "10% of web's production traffic runs the new image")


def test_idle_image_without_a_canary_is_staged() -> None:
    (step,) = release_steps(services(), services(image={"blue": "r/web:1", "green": "r/web:3"}), "demo")
    assert (step.phase, step.text) == ("stage image", "web green image web:2 → web:3")


def test_no_steps_when_services_are_unchanged_or_absent() -> None:
    assert release_steps(services(), services(), "demo") == []
    assert release_steps({}, services(canaryWeight=5), "demo") == []
    assert release_steps({"demo:services": "oops"}, services(), "demo") == []


def test_boolean_weight_is_not_a_number() -> None:
    assert release_steps(services(canaryWeight=True), services(canaryWeight=0), "demo") == []


def test_workload_change_during_a_weight_step_is_risky_but_not_during_an_image_step() -> None:
    from rollway.preview.release import risky_changes

    type_ = "aws:ecs/taskDefinition:TaskDefinition"
    comparison = compare([resource(type_, "web-green", {"cpu": "256"})], [resource(type_, "web-green", {"cpu": "512"})])
    weight = release_steps(services(canaryWeight=10), services(canaryWeight=20), "demo")
    image = release_steps(services(), services(image={"blue": "r/web:1", "green": "r/web:3"}), "demo")
    assert [change.name for change in risky_changes(weight, comparison)] == ["web-green"]
    assert risky_changes(image, comparison) == []
    assert risky_changes([], comparison) == []
