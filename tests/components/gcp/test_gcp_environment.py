"""GCP Environment: custom-mode VPC, private workload subnet, Cloud NAT, load-balancer-only firewall,
the Cloud Armor guard of the idle-color test route, least-privilege runtime identity, and a logging bucket
(random id suffix) with retention."""

from __future__ import annotations

from typing import Any

from gcp_fixtures import FIREWALL, LABELS, PROJECT, RANDOM_ID, REGION, SECURITY_POLICY, SUBNETWORK, environment

from components.gcp.environment import GOOGLE_LOAD_BALANCER_RANGES, service_account_id
from rollway.testing import Match, SynthesizedStack

BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"


def test_network_is_custom_mode() -> None:
    environment().has_resource_properties(
        "gcp:compute/network:Network", {"autoCreateSubnetworks": False, "routingMode": "REGIONAL", "project": PROJECT}
    )


def test_workload_subnet_is_private_with_google_api_access() -> None:
    environment().has_resource_properties(
        SUBNETWORK,
        {"ipCidrRange": "10.40.0.0/20", "region": REGION, "privateIpGoogleAccess": True, "logConfig": Match.absent()},
    )


def test_no_proxy_only_subnet_unless_configured() -> None:
    environment().resource_count_is(SUBNETWORK, 1)


def test_proxy_only_subnet_when_configured() -> None:
    environment(proxy_only=True).has_resource_properties(
        SUBNETWORK, {"ipCidrRange": "10.40.16.0/23", "purpose": "REGIONAL_MANAGED_PROXY", "role": "ACTIVE"}
    )


def test_flow_logs_when_asked() -> None:
    environment(flow_logs=True).has_resource_properties(
        SUBNETWORK, {"ipCidrRange": "10.40.0.0/20", "logConfig": {"flowSampling": 0.5}}
    )


def test_egress_goes_through_cloud_nat_on_a_router_for_the_workload_subnet_only() -> None:
    stack = environment()
    router = stack.get("gcp:compute/router:Router", "rollway-dev-router")
    subnet = stack.get(SUBNETWORK, "rollway-dev-workloads")
    stack.has_resource_properties(
        "gcp:compute/routerNat:RouterNat",
        {
            "router": router.outputs["name"],
            "region": REGION,
            "natIpAllocateOption": "AUTO_ONLY",
            "sourceSubnetworkIpRangesToNat": "LIST_OF_SUBNETWORKS",
            "subnetworks": [{"name": subnet.id, "sourceIpRangesToNats": ["ALL_IP_RANGES"]}],
        },
    )


def test_firewall_admits_only_google_load_balancer_ranges_on_workload_ports() -> None:
    allow = environment().get(FIREWALL, "rollway-dev-allow-load-balancers").inputs
    assert allow["sourceRanges"] == ["35.191.0.0/16", "130.211.0.0/22"] == list(GOOGLE_LOAD_BALANCER_RANGES)
    assert allow["allows"] == [{"protocol": "tcp", "ports": ["8080", "9000"]}]
    assert allow["targetTags"] == ["rollway-dev-workload"]
    assert allow["direction"] == "INGRESS"


def test_every_other_ingress_is_denied_and_logged() -> None:
    stack = environment()
    deny = stack.get(FIREWALL, "rollway-dev-deny-other-ingress").inputs
    assert deny["denies"] == [{"protocol": "all"}]
    assert deny["priority"] > stack.get(FIREWALL, "rollway-dev-allow-load-balancers").inputs["priority"]
    assert "logConfig" in deny
    stack.resource_count_is(FIREWALL, 1, {"allows": Match.any_value()})


def test_runtime_identity_gets_only_log_metric_and_image_pull_roles() -> None:
    stack = environment()
    roles = sorted(r.inputs["role"] for r in stack.of_type("gcp:projects/iAMMember:IAMMember"))
    assert roles == ["roles/artifactregistry.reader", "roles/logging.logWriter", "roles/monitoring.metricWriter"]
    email = stack.get("gcp:serviceaccount/account:Account", "rollway-dev-runtime").outputs["email"]
    assert {r.inputs["member"] for r in stack.of_type("gcp:projects/iAMMember:IAMMember")} == {f"serviceAccount:{email}"}


def test_log_bucket_keeps_logs_for_the_retention_and_the_sink_routes_into_it() -> None:
    stack = environment()
    bucket_id = stack.get(BUCKET, "rollway-dev-logs").inputs["bucketId"]
    stack.has_resource_properties(BUCKET, {"retentionDays": 7, "location": REGION})
    stack.has_resource_properties(
        "gcp:logging/projectSink:ProjectSink",
        {
            "destination": f"logging.googleapis.com/projects/{PROJECT}/locations/{REGION}/buckets/{bucket_id}",
            "filter": Match.string_like_regexp(r'"cloud_run_revision".*"http_load_balancer"'),
        },
    )


def test_log_bucket_id_carries_a_random_suffix_kept_in_state() -> None:
    # A deleted bucket keeps its id for 7 days: a fixed id could not be created again after a destroy.
    stack = environment()
    suffix = stack.get(RANDOM_ID, "rollway-dev-logs-suffix")
    assert stack.get(BUCKET, "rollway-dev-logs").inputs["bucketId"] == f"rollway-dev-logs-{suffix.outputs['hex']}"
    assert suffix.inputs["byteLength"] == 3


def test_log_bucket_suffix_is_renewed_when_project_or_region_changes() -> None:
    # Keepers replace the suffix, so a bucket replaced for a new location gets an id that is free.
    environment().has_resource_properties(RANDOM_ID, {"keepers": Match.object_equals({"project": PROJECT, "location": REGION})})


# ------------------------------------------------------------------ test route guard


def rule_at(stack: SynthesizedStack, priority: int) -> dict[str, Any]:
    rules = stack.get(SECURITY_POLICY, "rollway-dev-test-route").inputs["rules"]
    return next(rule for rule in rules if rule["priority"] == priority)


def test_test_route_policy_allows_trusted_ranges_before_refusing_the_test_header() -> None:
    stack = environment()
    allow, deny = rule_at(stack, 1000), rule_at(stack, 2000)
    assert allow["action"] == "allow"
    assert allow["match"] == {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["198.51.100.0/24", "203.0.113.8/29"]}}
    assert deny["action"] == "deny(403)"
    assert deny["match"] == {"expr": {"expression": "has(request.headers['x-rollway-test'])"}}


def test_test_route_policy_allows_everything_else() -> None:
    default = rule_at(environment(), 2147483647)
    assert default["action"] == "allow"
    assert default["match"]["config"]["srcIpRanges"] == ["*"]


def test_without_trusted_ranges_nobody_may_use_the_test_route() -> None:
    rules = environment(trusted=()).get(SECURITY_POLICY, "rollway-dev-test-route").inputs["rules"]
    assert [(rule["priority"], rule["action"]) for rule in rules] == [(2000, "deny(403)"), (2147483647, "allow")]


def test_more_than_ten_trusted_ranges_spread_over_several_allow_rules() -> None:
    ranges = tuple(f"198.51.100.{16 * index}/28" for index in range(12))
    rules = environment(trusted=ranges).get(SECURITY_POLICY, "rollway-dev-test-route").inputs["rules"]
    allowed = [rule["match"]["config"]["srcIpRanges"] for rule in rules if rule["priority"] < 2000]
    assert [len(chunk) for chunk in allowed] == [10, 2]
    assert [cidr for chunk in allowed for cidr in chunk] == list(ranges)


def test_test_header_is_matched_by_its_lowercase_name() -> None:
    # Cloud Armor's request.headers map has lowercase keys; the URL map matches names case-insensitively.
    assert rule_at(environment(test_header="X-Smoke-Test"), 2000)["match"]["expr"]["expression"] == (
        "has(request.headers['x-smoke-test'])"
    )


def test_test_route_policy_is_a_labelled_cloud_armor_policy() -> None:
    environment().has_resource_properties(
        SECURITY_POLICY, {"type": "CLOUD_ARMOR", "project": PROJECT, "labels": Match.object_equals(LABELS)}
    )


def test_every_child_is_parented_to_the_environment() -> None:
    stack = environment()
    component = stack.get("rollway:gcp:Environment", "rollway-dev")
    custom = [r for r in stack.resources if r.custom and not r.is_provider]
    assert custom and all(r.parent == component.urn for r in custom)
    assert all(r.name.startswith("rollway-dev-") for r in custom)


def test_service_account_ids_fit_gcp_limits() -> None:
    assert service_account_id("rollway-dev") == "rollway-dev-run"
    long_id = service_account_id("rollway-a-very-long-stack-name-x")
    assert len(long_id) <= 30 and long_id.endswith("-run")
