"""Azure BlueGreenTargets: one Container App per color, HTTPS-only ingress, probes, secrets by reference,
the idle color's FQDN as the test route, and scale-set slots."""

from __future__ import annotations

from functools import cache

import pulumi

from components.azure.blue_green import AzureBlueGreenArgs, BlueGreenTargets, secret_name
from components.blue_green import BlueGreenArgs, Color, Workload
from rollway.testing import Match, Secret, SynthesizedStack, synth

APP = "azure-native:app:ContainerApp"
DOMAIN = "happy-hill-1234.westeurope.azurecontainerapps.io"
TAGS = {"cost-center": "platform-dev", "owner": "platform-team"}
PASSWORD = "s3cret-db-password"
FRONT_DOOR_ID = "4c1c1b8e-3f5a-4a57-9d1e-6f2b1d0c7a11"


def targets(
    live: Color = "blue",
    green: str | None = "ghcr.io/rollway/web:1.5.0",
    suffixes: dict[Color, str] | None = None,
    scale_set_hosts: dict[Color, str] | None = None,
    front_door_id: str | None = FRONT_DOOR_ID,
) -> BlueGreenTargets:
    workload = Workload(
        port=8080,
        health_check_path="/healthz",
        cpu=0.5,
        memory=1024,
        environment={"LOG_LEVEL": "info"},
        secrets={"DB_PASSWORD": pulumi.Output.secret(PASSWORD)},
    )
    return BlueGreenTargets(
        "web",
        AzureBlueGreenArgs(
            blue_green=BlueGreenArgs(
                images={"blue": "ghcr.io/rollway/web:1.4.0", "green": green}, live_color=live, workload=workload, tags=TAGS
            ),
            app_names={"blue": "web-blue", "green": "web-green"},
            resource_group_name="rollway-dev",
            location="westeurope",
            environment_id="/subscriptions/0/resourceGroups/rollway-dev/providers/Microsoft.App/managedEnvironments/apps",
            default_domain=DOMAIN,
            revision_suffixes=suffixes or {},
            scale_set_hosts=scale_set_hosts or {},
            front_door_id=front_door_id,
        ),
    )


@cache
def stack(live: Color = "blue", green: str | None = "ghcr.io/rollway/web:1.5.0") -> SynthesizedStack:
    return synth(lambda: targets(live, green), config={"azure-native:location": "westeurope"})


def test_each_color_with_an_image_gets_its_own_container_app() -> None:
    result = stack()
    result.resource_count_is(APP, 2)
    result.has_resource(APP, name="web-blue", props={"containerAppName": "web-blue"})
    result.has_resource(APP, name="web-green", props={"containerAppName": "web-green"})


def test_a_color_without_an_image_gets_no_app() -> None:
    result = stack(green=None)
    result.resource_count_is(APP, 1)
    assert result.get("rollway:azure:BlueGreenTargets", "web").outputs.get("testUrl") is None


def test_apps_are_children_of_the_component() -> None:
    result = stack()
    component = result.get("rollway:azure:BlueGreenTargets", "web")
    assert {r.name for r in result.children_of(component)} == {"web-blue", "web-green"}


def test_ingress_is_https_only_on_the_service_port_with_one_revision() -> None:
    stack().has_resource_properties(
        APP,
        {
            "configuration": {
                "activeRevisionsMode": "Single",
                "ingress": {
                    "external": True,
                    "allowInsecure": False,
                    "targetPort": 8080,
                    "traffic": [{"latestRevision": True, "weight": 100}],
                },
            }
        },
        name="web-green",
    )


def test_each_app_runs_its_own_colors_image() -> None:
    result = stack()
    result.has_resource_properties(APP, {"template": {"containers": [{"image": "ghcr.io/rollway/web:1.4.0"}]}}, name="web-blue")
    result.has_resource_properties(APP, {"template": {"containers": [{"image": "ghcr.io/rollway/web:1.5.0"}]}}, name="web-green")


def test_probes_check_the_health_path_on_the_service_port() -> None:
    probe = {"httpGet": {"path": "/healthz", "port": 8080}}
    stack().has_resource_properties(
        APP,
        {
            "template": {
                "containers": [
                    {"probes": [{"type": "Startup", **probe}, {"type": "Readiness", **probe}, {"type": "Liveness", **probe}]}
                ]
            }
        },
        name="web-blue",
    )


def test_container_size_matches_the_workload() -> None:
    stack().has_resource_properties(
        APP, {"template": {"containers": [{"resources": {"cpu": 0.5, "memory": "1Gi"}}]}}, name="web-blue"
    )


def test_secrets_are_app_secrets_referenced_from_env() -> None:
    app = stack().get(APP, "web-blue")
    secrets = app.inputs["configuration"]["secrets"]
    assert secrets == [{"name": "db-password", "value": Secret(PASSWORD)}]
    env = app.inputs["template"]["containers"][0]["env"]
    assert {"name": "DB_PASSWORD", "secretRef": secret_name("DB_PASSWORD")} in env
    assert {"name": "LOG_LEVEL", "value": "info"} in env


def test_secret_values_never_appear_in_plain_text() -> None:
    assert stack().plaintext_paths(PASSWORD) == []


def test_test_url_is_the_idle_colors_own_fqdn() -> None:
    outputs = stack().get("rollway:azure:BlueGreenTargets", "web").outputs
    assert outputs["testUrl"] == f"https://web-green.{DOMAIN}"
    assert outputs["fqdns"] == {"blue": f"web-blue.{DOMAIN}", "green": f"web-green.{DOMAIN}"}


def test_flipping_the_live_color_changes_no_app() -> None:
    assert stack(live="green").changes_from(stack(live="blue")) == []
    assert stack(live="green").get("rollway:azure:BlueGreenTargets", "web").outputs["testUrl"] == f"https://web-blue.{DOMAIN}"


def test_pinned_revision_suffix_goes_into_that_colors_template() -> None:
    result = synth(lambda: targets(suffixes={"green": "v150"}), config={"azure-native:location": "westeurope"})
    result.has_resource_properties(APP, {"template": {"revisionSuffix": "v150"}}, name="web-green")
    result.has_resource_properties(APP, {"template": {"revisionSuffix": Match.absent()}}, name="web-blue")


def test_scale_set_colors_get_no_app_and_use_the_given_host() -> None:
    result = synth(
        lambda: targets(scale_set_hosts={"blue": "web-blue.example.com", "green": "web-green.example.com"}),
        config={"azure-native:location": "westeurope"},
    )
    result.resource_count_is(APP, 0)
    assert result.get("rollway:azure:BlueGreenTargets", "web").outputs["testUrl"] == "https://web-green.example.com"


def test_apps_carry_the_tags_and_their_color() -> None:
    stack().has_resource_properties(APP, {"tags": Match.object_equals({**TAGS, "rollway-color": "green"})}, name="web-green")


def test_every_app_gets_the_front_door_id_to_check_x_azure_fdid_against() -> None:
    result = stack()
    for color in ("blue", "green"):
        env = result.get(APP, f"web-{color}").inputs["template"]["containers"][0]["env"]
        assert {"name": "ROLLWAY_FRONT_DOOR_ID", "value": FRONT_DOOR_ID} in env, color


def test_without_a_front_door_id_the_variable_is_left_out() -> None:
    result = synth(lambda: targets(front_door_id=None), config={"azure-native:location": "westeurope"})
    env = result.get(APP, "web-blue").inputs["template"]["containers"][0]["env"]
    assert [e["name"] for e in env] == ["LOG_LEVEL", "DB_PASSWORD"]
