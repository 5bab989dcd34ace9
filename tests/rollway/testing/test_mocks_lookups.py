"""Offline answers to the lookups real-world programs make most, and stack references without a backend.

Each program calls the provider SDK's own lookup function, so a property name the SDK does not read (or
a missing one it requires) fails here the way it would fail a user's program.
"""

from __future__ import annotations

import base64

import pulumi
import pulumi_aws as aws
import pulumi_azure_native as azure_native
import pulumi_gcp as gcp
import yaml

from rollway.testing import UNKNOWN, synth


def test_hosted_zone_lookup_returns_the_zone_with_its_trailing_dot() -> None:
    def program() -> None:
        zone = aws.route53.get_zone(name="example.org")
        pulumi.export("zone", {"id": zone.zone_id, "name": zone.name, "private": zone.private_zone})

    zone = synth(program).outputs["zone"]

    assert zone["name"] == "example.org."
    assert zone["id"].startswith("Z") and zone["private"] is False


def test_hosted_zone_lookup_keeps_the_same_id_across_runs() -> None:
    def program() -> None:
        pulumi.export("id", aws.route53.get_zone(name="example.org").zone_id)

    assert synth(program).outputs["id"] == synth(program).outputs["id"]


def test_certificate_lookup_returns_an_acm_arn_in_the_configured_region() -> None:
    def program() -> None:
        pulumi.export("arn", aws.acm.get_certificate(domain="example.org").arn)

    arn = synth(program, config={"aws:region": "eu-west-1"}).outputs["arn"]

    assert arn.startswith("arn:aws:acm:eu-west-1:123456789012:certificate/")


def test_subnet_and_security_group_lookups_answer_with_the_requested_ids() -> None:
    def program() -> None:
        subnet = aws.ec2.get_subnet(id="subnet-0abc")
        group = aws.ec2.get_security_group(id="sg-0abc")
        pulumi.export("found", {"subnet": subnet.id, "vpc": subnet.vpc_id, "group": group.id})

    assert synth(program).outputs["found"] == {"subnet": "subnet-0abc", "vpc": "vpc-0default000000000", "group": "sg-0abc"}


def test_iam_role_and_policy_lookups_return_arns_for_the_names_asked() -> None:
    def program() -> None:
        role = aws.iam.get_role(name="deployer")
        policy = aws.iam.get_policy(arn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        pulumi.export("arns", [role.arn, policy.arn, policy.name])

    assert synth(program).outputs["arns"] == [
        "arn:aws:iam::123456789012:role/deployer",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "ReadOnlyAccess",
    ]


def test_gcp_network_and_subnetwork_lookups_return_self_links_in_the_configured_project() -> None:
    def program() -> None:
        network = gcp.compute.get_network(name="shared")
        subnet = gcp.compute.get_subnetwork(name="apps", region="europe-west1")
        pulumi.export("links", [network.self_link, subnet.self_link])

    links = synth(program, config={"gcp:project": "acme-prod"}).outputs["links"]

    assert links == [
        "https://www.googleapis.com/compute/v1/projects/acme-prod/global/networks/shared",
        "https://www.googleapis.com/compute/v1/projects/acme-prod/regions/europe-west1/subnetworks/apps",
    ]


def test_azure_resource_group_lookup_returns_its_resource_id() -> None:
    def program() -> None:
        group = azure_native.resources.get_resource_group(resource_group_name="shared-rg")
        pulumi.export("group", [group.id, group.location])

    group = synth(program, config={"azure-native:location": "northeurope"}).outputs["group"]

    assert group == ["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/shared-rg", "northeurope"]


def test_certificate_chain_lookup_gives_each_certificate_a_stable_sha1_fingerprint() -> None:
    def program() -> None:
        result = pulumi.runtime.invoke("tls:index/getCertificate:getCertificate", {"url": "https://issuer.example"})
        pulumi.export("chain", result.value["certificates"])

    first = synth(program).outputs["chain"]
    second = synth(program).outputs["chain"]

    assert [len(cert["sha1Fingerprint"]) for cert in first] == [40, 40, 40]
    assert [cert["sha1Fingerprint"] for cert in first] == [cert["sha1Fingerprint"] for cert in second]
    assert [cert["isCa"] for cert in first] == [True, True, False]


def test_stack_reference_outputs_are_unknown_in_a_preview() -> None:
    def program() -> None:
        network = pulumi.StackReference("acme/network/prod")
        aws.ec2.SecurityGroup("web", vpc_id=network.require_output("vpcId"))

    stack = synth(program, preview=True)

    assert stack.get("aws:ec2/securityGroup:SecurityGroup", "web").inputs["vpcId"] is UNKNOWN


def test_stack_reference_outputs_stay_empty_outside_a_preview() -> None:
    def program() -> None:
        pulumi.export("vpc", pulumi.StackReference("acme/network/prod").get_output("vpcId"))

    assert synth(program).outputs.get("vpc") is None


def test_aks_user_credentials_decode_to_a_kubeconfig_for_the_cluster() -> None:
    def program() -> None:
        creds = azure_native.containerservice.list_managed_cluster_user_credentials(
            resource_group_name="rg", resource_name="apps"
        )
        pulumi.export("kubeconfig", base64.b64decode(creds.kubeconfigs[0].value).decode())

    kubeconfig = yaml.safe_load(synth(program).outputs["kubeconfig"])

    assert kubeconfig["current-context"] == "apps"
    assert kubeconfig["clusters"][0]["cluster"]["server"].startswith("https://apps-")
