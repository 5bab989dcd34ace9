"""GCP Environment: custom-mode VPC, private workload subnet, Cloud NAT, load-balancer-only firewall,
least-privilege runtime identity, and a logging bucket with retention."""

from __future__ import annotations

from gcp_fixtures import FIREWALL, PROJECT, REGION, SUBNETWORK, environment

from components.gcp.environment import GOOGLE_LOAD_BALANCER_RANGES, service_account_id
from components.testing import Match


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
    stack.has_resource_properties(
        "gcp:logging/projectBucketConfig:ProjectBucketConfig",
        {"bucketId": "rollway-dev-logs", "retentionDays": 7, "location": REGION},
    )
    stack.has_resource_properties(
        "gcp:logging/projectSink:ProjectSink",
        {
            "destination": f"logging.googleapis.com/projects/{PROJECT}/locations/{REGION}/buckets/rollway-dev-logs",
            "filter": Match.string_like_regexp(r'"cloud_run_revision".*"http_load_balancer"'),
        },
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
