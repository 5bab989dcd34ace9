"""The test kit itself: recording, matching, failure messages, preview unknowns, secrets, diffs."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from rollway.testing import UNKNOWN, Match, Secret, StackAssertionError, project_name, set_path, stack_config, synth


class Pair(pulumi.ComponentResource):
    def __init__(self, name: str, weights: tuple[int, int], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:index:Pair", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block="10.0.0.0/16", tags={"owner": "kit"}, opts=child)
        self.group = aws.ec2.SecurityGroup(f"{name}-sg", vpc_id=self.vpc.id, opts=child)
        self.blue = aws.lb.TargetGroup(f"{name}-blue", port=80, protocol="HTTP", vpc_id=self.vpc.id, opts=child)
        self.green = aws.lb.TargetGroup(f"{name}-green", port=80, protocol="HTTP", vpc_id=self.vpc.id, opts=child)
        self.listener = aws.lb.Listener(
            f"{name}-listener",
            load_balancer_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1",
            port=443,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="forward",
                    forward=aws.lb.ListenerDefaultActionForwardArgs(
                        target_groups=[
                            aws.lb.ListenerDefaultActionForwardTargetGroupArgs(arn=self.blue.arn, weight=weights[0]),
                            aws.lb.ListenerDefaultActionForwardTargetGroupArgs(arn=self.green.arn, weight=weights[1]),
                        ]
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["tags"]),
        )
        self.register_outputs({"vpcId": self.vpc.id, "suffix": self.blue.arn_suffix})


def test_records_types_names_and_parents() -> None:
    stack = synth(lambda: Pair("web", (90, 10)))
    component = stack.get("test:index:Pair", "web")
    stack.resource_count_is("aws:lb/targetGroup:TargetGroup", 2)
    assert {r.name for r in stack.children_of(component)} == {"web-vpc", "web-sg", "web-blue", "web-green", "web-listener"}
    stack.has_resource("aws:ec2/vpc:Vpc", name="web-vpc", parent=component, props={"cidrBlock": "10.0.0.0/16"})


def test_inputs_are_camel_case_with_integral_numbers() -> None:
    stack = synth(lambda: Pair("web", (90, 10)))
    listener = stack.get("aws:lb/listener:Listener", "web-listener")
    weights = [tg["weight"] for tg in listener.inputs["defaultActions"][0]["forward"]["targetGroups"]]
    assert weights == [90, 10]
    assert all(isinstance(w, int) for w in weights)


def test_deep_partial_match_accepts_matching_weights() -> None:
    stack = synth(lambda: Pair("web", (90, 10)))
    stack.has_resource_properties(
        "aws:lb/listener:Listener",
        {"defaultActions": [{"forward": {"targetGroups": [{"weight": 90}, {"weight": 10}]}}]},
    )


def test_failure_names_closest_candidate_and_differing_path() -> None:
    stack = synth(lambda: Pair("web", (100, 0)))
    with pytest.raises(StackAssertionError) as failure:
        stack.has_resource_properties(
            "aws:lb/listener:Listener",
            {"defaultActions": [{"forward": {"targetGroups": [{"weight": 90}, {"weight": 10}]}}]},
        )
    message = str(failure.value)
    assert "Closest: 'web-listener'" in message
    assert "defaultActions[0].forward.targetGroups[0].weight: expected 90, got 100" in message


def test_missing_type_lists_types_present() -> None:
    stack = synth(lambda: Pair("web", (90, 10)))
    with pytest.raises(StackAssertionError, match=r"types present: .*aws:ec2/vpc:Vpc"):
        stack.has_resource_properties("aws:ecs/service:Service", {})


def test_count_failure_lists_what_was_found() -> None:
    stack = synth(lambda: Pair("web", (90, 10)))
    with pytest.raises(StackAssertionError, match=r"expected 3 .* found 2: web-blue, web-green"):
        stack.resource_count_is("aws:lb/targetGroup:TargetGroup", 3)


def test_options_and_dependencies_are_recorded() -> None:
    stack = synth(lambda: Pair("web", (90, 10)))
    listener = stack.get("aws:lb/listener:Listener", "web-listener")
    assert listener.options["ignoreChanges"] == ["tags"]
    blue = stack.get("aws:lb/targetGroup:TargetGroup", "web-blue")
    assert blue.urn in listener.dependencies


def test_plausible_outputs_flow_into_dependents() -> None:
    stack = synth(lambda: Pair("web", (90, 10)), config={"aws:region": "eu-west-1"})
    group = stack.get("aws:ec2/securityGroup:SecurityGroup", "web-sg")
    vpc = stack.get("aws:ec2/vpc:Vpc", "web-vpc")
    assert group.inputs["vpcId"] == vpc.id
    assert vpc.id.startswith("vpc-")
    listener = stack.get("aws:lb/listener:Listener", "web-listener")
    arn = listener.inputs["defaultActions"][0]["forward"]["targetGroups"][0]["arn"]
    assert arn.startswith("arn:aws:elasticloadbalancing:eu-west-1:")
    component = stack.get("test:index:Pair", "web")
    assert component.outputs["suffix"].startswith("targetgroup/")


def test_outputs_are_deterministic_across_runs() -> None:
    first = synth(lambda: Pair("web", (90, 10)))
    second = synth(lambda: Pair("web", (90, 10)))
    assert first.changes_from(second) == []


def test_preview_leaves_computed_outputs_unknown() -> None:
    stack = synth(lambda: Pair("web", (90, 10)), preview=True)
    stack.has_resource_properties("aws:ec2/securityGroup:SecurityGroup", {"vpcId": Match.unknown()})
    assert stack.get("aws:ec2/vpc:Vpc", "web-vpc").inputs["cidrBlock"] == "10.0.0.0/16"


def test_matchers() -> None:
    stack = synth(lambda: Pair("web", (90, 10)))
    stack.has_resource_properties(
        "aws:ec2/vpc:Vpc", {"tags": Match.object_equals({"owner": "kit"}), "enableDnsSupport": Match.absent()}
    )
    stack.has_resource_properties(
        "aws:lb/listener:Listener",
        {"defaultActions": Match.array_with([{"type": "forward"}]), "port": Match.not_(80)},
    )
    stack.has_resource_properties(
        "aws:lb/targetGroup:TargetGroup", {"vpcId": Match.string_like_regexp(r"^vpc-"), "port": Match.any_value()}
    )
    with pytest.raises(StackAssertionError, match="unexpected key"):
        stack.has_resource_properties("aws:ec2/vpc:Vpc", {"tags": Match.object_equals({})})


def test_secrets_stay_secret_and_leaks_are_found() -> None:
    def program() -> None:
        password = pulumi.Config("app").require_secret("password")
        aws.secretsmanager.SecretVersion("db", secret_id="db", secret_string=password)
        aws.ssm.Parameter("leak", type="String", value=password.apply(lambda p: p))
        pulumi.export("plain", pulumi.Output.unsecret(password))

    stack = synth(program, secrets={"app:password": "hunter2"})
    stack.has_resource_properties("aws:secretsmanager/secretVersion:SecretVersion", {"secretString": Match.secret("hunter2")})
    assert isinstance(stack.get("aws:ssm/parameter:Parameter", "leak").inputs["value"], Secret)
    assert stack.plaintext_paths("hunter2") == ["stack outputs.plain"]


def test_program_errors_propagate() -> None:
    def program() -> None:
        raise pulumi.RunError("invalid stack config")

    with pytest.raises(pulumi.RunError, match="invalid stack config"):
        synth(program)


def test_invokes_are_answered_and_unanswered_ones_reported() -> None:
    def program() -> None:
        zones = aws.get_availability_zones(state="available")
        pulumi.export("zones", zones.names[:2])
        service = aws.ec2.get_vpc_endpoint_service(service="s3")
        pulumi.export("service", service.service_name)
        pulumi.export("raw", pulumi.runtime.invoke("acme:index:getThing", {}).value)

    stack = synth(program, config={"aws:region": "ap-south-1"})
    assert stack.outputs["zones"] == ["ap-south-1a", "ap-south-1b"]
    # No handler, but the SDK's result type: every field gets a value of its declared type.
    assert isinstance(stack.outputs["service"], str) and stack.outputs["service"]
    assert stack.recording.derived_invokes == ["aws:ec2/getVpcEndpointService:getVpcEndpointService"]
    # No handler and no result type: an empty result, reported.
    assert stack.unanswered_invokes == ["acme:index:getThing"]
    assert stack.outputs["raw"] == {}


def test_changes_from_reports_changed_paths() -> None:
    before = synth(lambda: Pair("web", (90, 10)))
    after = synth(lambda: Pair("web", (80, 20)))
    changes = after.changes_from(before)
    assert [(c.kind, c.name) for c in changes] == [("changed", "web-listener")]
    assert {(p.path, p.old, p.new) for p in changes[0].changes} == {
        ("defaultActions[0].forward.targetGroups[0].weight", 90, 80),
        ("defaultActions[0].forward.targetGroups[1].weight", 10, 20),
    }


def test_set_path_writes_nested_keys_without_touching_the_original() -> None:
    config = {"rollway:services": {"web": {"canaryWeight": 10}}}
    changed = set_path(config, "rollway:services.web.canaryWeight", 20)
    assert changed["rollway:services"]["web"]["canaryWeight"] == 20
    assert config["rollway:services"]["web"]["canaryWeight"] == 10
    assert set_path({}, "rollway:clouds[0]", "aws") == {"rollway:clouds": ["aws"]}


def test_stack_config_reads_shipped_stack_files() -> None:
    config = stack_config("dev")
    assert config["rollway:environment"] == "dev"
    assert UNKNOWN is not None


def test_stack_config_and_project_name_follow_the_files_and_hand_out_copies(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: first\nruntime: python\n", encoding="utf-8")
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text("config:\n  rollway:services:\n    web: {canaryWeight: 10}\n", encoding="utf-8")
    first = stack_config("dev", root=tmp_path)
    first["rollway:services"]["web"]["canaryWeight"] = 99  # a caller's change stays its own
    assert stack_config("dev", root=tmp_path) == {"rollway:services": {"web": {"canaryWeight": 10}}}
    assert project_name(tmp_path) == "first"

    # Rewritten with the same size (and possibly the same mtime): the new content is what counts.
    stack_file.write_text("config:\n  rollway:services:\n    web: {canaryWeight: 20}\n", encoding="utf-8")
    (tmp_path / "Pulumi.yaml").write_text("name: other\nruntime: python\n", encoding="utf-8")
    assert stack_config("dev", root=tmp_path)["rollway:services"]["web"]["canaryWeight"] == 20
    assert project_name(tmp_path) == "other"


def test_all_resources_have_refuses_to_pass_over_nothing() -> None:
    stack = synth(lambda: Pair("web", (90, 10)))
    stack.all_resources_have("aws:ec2/vpc", {"tags": {"owner": "kit"}})
    with pytest.raises(StackAssertionError, match="assertion over nothing"):
        stack.all_resources_have("aws:ec2/nonexistent", {"tags": {"owner": "kit"}})
