"""Regressions found by previewing real-world public Pulumi programs offline (docs/preflight.md, "Real-world
programs"). Each test runs one of our own small fixtures (tests/fixtures/corpus_*) shaped like the programs
that failed, never third-party code.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from preflight_support import FIXTURES

from rollway.preview import venv
from rollway.preview.config import load_stack_settings
from rollway.preview.errors import ProgramError
from rollway.preview.evaluate import MissingModule, evaluate
from rollway.preview.project import load_project

KNOWN_AFTER_APPLY = "<known after apply>"


def preview_json(rollway: Any, fixture: str, *args: str) -> tuple[int, dict[str, Any]]:
    run = rollway("preview", "--cwd", FIXTURES / fixture, "--stack", "dev", "--json", "-", *args)
    return run.code, json.loads(run.out) if run.out.strip() else {}


def by_type(report: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [resource for resource in report["resources"] if resource["type"] == type_]


# ---------------------------------------------------------------- a project as cloned: no stack file
def test_project_without_stack_files_evaluates_as_a_new_stack_with_c_values(rollway: Any) -> None:
    code, report = preview_json(rollway, "corpus_new_stack", "-c", "bucketPrefix=assets-")

    assert code == 0
    assert by_type(report, "aws:s3/bucket:Bucket")[0]["inputs"]["bucketPrefix"] == "assets-"
    assert report["outputs"] == {"versioned": True}


def test_new_stack_is_reported_as_evaluated_without_a_stack_file(rollway: Any) -> None:
    run = rollway("preview", "--cwd", FIXTURES / "corpus_new_stack", "--stack", "dev", "-c", "bucketPrefix=assets-")

    assert "no Pulumi.dev.yaml" in run.out and "evaluated as a new stack" in run.out


def test_a_missing_stack_file_is_still_an_error_when_other_stacks_have_files(tmp_path: Path) -> None:
    project_dir = tmp_path / "project"
    shutil.copytree(FIXTURES / "corpus_new_stack", project_dir)
    (project_dir / "Pulumi.prod.yaml").write_text("config: {}\n")

    with pytest.raises(Exception, match=r"unknown stack `dev`.*stacks with a file here: prod"):
        load_stack_settings(load_project(project_dir), "dev")


# ---------------------------------------------------------------- lookups and stack references
def test_hosted_zone_lookup_feeds_a_record_without_unanswered_invokes(rollway: Any) -> None:
    code, report = preview_json(rollway, "corpus_zone_lookup")

    assert code == 0
    record = by_type(report, "aws:route53/record:Record")[0]
    assert record["inputs"]["name"] == "www.example.org."
    assert report["summary"]["unansweredInvokes"] == []


def test_stack_reference_outputs_are_known_after_apply_offline(rollway: Any) -> None:
    code, report = preview_json(rollway, "corpus_stack_reference")

    assert code == 0
    assert by_type(report, "aws:ec2/securityGroup:SecurityGroup")[0]["inputs"]["vpcId"] == KNOWN_AFTER_APPLY


# ---------------------------------------------------------------- which imports are the program's
def test_function_code_the_program_only_ships_needs_no_install(rollway: Any) -> None:
    code, report = preview_json(rollway, "corpus_function_folder")

    assert code == 0
    assert len(by_type(report, "aws:lambda/function:Function")) == 1


def test_program_files_follow_local_imports_and_skip_shipped_folders() -> None:
    directory = FIXTURES / "corpus_function_folder"

    files = {path.relative_to(directory).as_posix() for path in venv.program_files(directory)}

    assert files == {"__main__.py", "naming.py"}


def test_missing_imports_follow_relative_imports_inside_a_local_package(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "__main__.py").write_text("import infra\n")
    (tmp_path / "infra" / "__init__.py").write_text("from .network import build\n")
    (tmp_path / "infra" / "network.py").write_text("import rollway_absent_network_sdk\n\ndef build(): ...\n")

    assert venv.missing_imports(tmp_path) == ["rollway_absent_network_sdk"]


def test_missing_imports_rescan_a_file_rewritten_within_the_same_clock_tick(tmp_path: Path) -> None:
    # The scan's results are cached per file; an edit of the same size with the same mtime (two writes within
    # one tick of the file system clock, restored by os.utime here) must still be seen.
    main = tmp_path / "__main__.py"
    main.write_text("import rollway_absent_sdk_aa\n")
    stamp = main.stat()
    assert venv.missing_imports(tmp_path) == ["rollway_absent_sdk_aa"]

    main.write_text("import rollway_absent_sdk_bb\n")
    os.utime(main, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))

    assert venv.missing_imports(tmp_path) == ["rollway_absent_sdk_bb"]


def test_missing_imports_follow_a_local_module_added_between_scans(tmp_path: Path) -> None:
    (tmp_path / "__main__.py").write_text("import helpers\n")
    assert venv.missing_imports(tmp_path) == ["helpers"]

    (tmp_path / "helpers.py").write_text("import rollway_absent_helper_sdk\n")

    assert venv.missing_imports(tmp_path) == ["rollway_absent_helper_sdk"]


# ---------------------------------------------------------------- pinned SDK versions
def _evaluate(directory: Path) -> None:
    project = load_project(directory)
    evaluate(project, load_stack_settings(project, "dev"))


def test_api_drift_under_unsatisfied_pins_asks_for_the_program_virtualenv() -> None:
    with pytest.raises(MissingModule) as raised:
        _evaluate(FIXTURES / "corpus_pinned_sdk")

    assert raised.value.module.startswith("pulumi-aws==5.42.0 (here: ")
    assert "RollwayOnlyInPinnedVersionArgs" in str(raised.value)


def test_api_drift_with_satisfied_requirements_is_the_program_error(tmp_path: Path) -> None:
    project_dir = tmp_path / "project"
    shutil.copytree(FIXTURES / "corpus_pinned_sdk", project_dir)
    (project_dir / "requirements.txt").write_text("pulumi>=3.0.0\npulumi-aws>=6.0.0\n")

    with pytest.raises(ProgramError) as raised:
        _evaluate(project_dir)

    assert not isinstance(raised.value, MissingModule)


def test_program_pinned_to_pulumi_sdk_2_is_not_retried_and_says_why() -> None:
    with pytest.raises(ProgramError) as raised:
        _evaluate(FIXTURES / "corpus_old_pulumi")

    assert not isinstance(raised.value, MissingModule)
    assert "requirements.txt asks for pulumi>=2.0.0,<3.0.0" in str(raised.value)


def test_program_pinned_to_another_sdk_3_release_still_gets_its_virtualenv(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: pinned-three\nruntime: python\n")
    (tmp_path / "requirements.txt").write_text("pulumi==3.100.0\nrollway-absent-widget==1.0\n")
    (tmp_path / "__main__.py").write_text("import rollway_absent_widget\n")

    with pytest.raises(MissingModule) as raised:
        _evaluate(tmp_path)

    assert raised.value.module == "rollway_absent_widget"


def test_declared_requirements_skip_options_urls_and_markers(tmp_path: Path) -> None:
    file = tmp_path / "requirements.txt"
    file.write_text(
        "# pinned\n-r base.txt\n--index-url https://example.org/simple\npulumi>=3.0.0,<4.0.0\n"
        "pulumi-aws[extra] == 6.1.0 ; python_version >= '3.8'  # note\n"
        "git+https://example.org/lib.git\nlocal @ file:///tmp/lib\nboto3\n"
    )

    assert venv.declared_requirements(file) == [("pulumi", ">=3.0.0,<4.0.0"), ("pulumi-aws", "==6.1.0"), ("boto3", "")]


def test_declared_requirements_read_pep_621_dependencies(tmp_path: Path) -> None:
    file = tmp_path / "pyproject.toml"
    file.write_text('[project]\nname = "infra"\ndependencies = ["pulumi>=3", "pulumi-gcp==7.11.2"]\n')

    assert venv.declared_requirements(file) == [("pulumi", ">=3"), ("pulumi-gcp", "==7.11.2")]


# ---------------------------------------------------------------- installing
class FakeInstaller:
    """Records install commands instead of running them (no network in tests); creates the venv folder."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        if "venv" in command:
            python = Path(command[-1]) / "bin" / "python"
            python.parent.mkdir(parents=True)
            python.touch()
        return subprocess.CompletedProcess(command, 0, "", "")


@pytest.fixture
def installer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeInstaller:
    fake = FakeInstaller()
    monkeypatch.setattr(venv.subprocess, "run", fake)
    monkeypatch.setenv("ROLLWAY_CACHE_DIR", str(tmp_path / "cache"))
    return fake


def test_new_virtualenv_gets_setuptools_with_pkg_resources_before_the_requirements(installer: FakeInstaller) -> None:
    venv.ensure_virtualenv(load_project(FIXTURES / "corpus_pinned_sdk"))

    installs = [command for command in installer.commands if "install" in command]
    assert installs[0][-1] == "setuptools<81"
    assert installs[1][-2:] == ["-r", str(FIXTURES / "corpus_pinned_sdk" / "requirements.txt")]


def test_unlisted_pulumi_import_installs_its_package_with_the_running_pulumi_sdk(installer: FakeInstaller) -> None:
    venv.ensure_virtualenv(load_project(FIXTURES / "corpus_unlisted_provider"))

    requirements = Path(installer.commands[-1][-1]).read_text().split()
    assert requirements == [f"pulumi=={importlib.metadata.version('pulumi')}", "pulumi-rollwayabsentcloud"]


def test_unlisted_non_pulumi_import_is_named_in_the_error(tmp_path: Path, installer: FakeInstaller) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: unlisted\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("import rollway_absent_helper_lib\n")

    with pytest.raises(ProgramError, match=r"imports rollway_absent_helper_lib, which is not installed here"):
        venv.ensure_virtualenv(load_project(tmp_path))
    assert installer.commands == []


# ---------------------------------------------------------------- requirements no set of versions satisfies
CONFLICT = (
    "  x No solution found when resolving dependencies:\n"
    "  cause: Because pulumi-awsx>=2.0.2,<3.0.0 depends on pulumi-aws>=6.0.4,<7.0.0 and you require pulumi-aws>=7.0.0,"
    " we can conclude that your requirements are unsatisfiable.\n"
)


class ConflictingInstaller(FakeInstaller):
    """Fails the install of the requirements file with `failure` (uv's words); every other install succeeds."""

    def __init__(self, failure: str, relaxed_failure: str | None = None) -> None:
        super().__init__()
        self.failure, self.relaxed_failure = failure, relaxed_failure

    def __call__(self, command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        super().__call__(command, **options)
        if "-r" in command:
            return subprocess.CompletedProcess(command, 1, "", self.failure)
        if self.relaxed_failure is not None and "pulumi-awsx" in command:
            return subprocess.CompletedProcess(command, 1, "", self.relaxed_failure)
        return subprocess.CompletedProcess(command, 0, "", "")


def conflicting_installer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake: FakeInstaller) -> FakeInstaller:
    monkeypatch.setattr(venv.subprocess, "run", fake)
    monkeypatch.setenv("ROLLWAY_CACHE_DIR", str(tmp_path / "cache"))
    return fake


CONFLICTING = FIXTURES / "corpus_conflicting_pins"
HERE_PULUMI = importlib.metadata.version("pulumi")
HERE_AWS = importlib.metadata.version("pulumi-aws")


def test_unresolvable_requirements_install_the_versions_installed_here(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = conflicting_installer(monkeypatch, tmp_path, ConflictingInstaller(CONFLICT))

    venv.ensure_virtualenv(load_project(CONFLICTING))

    assert fake.commands[-1][-3:] == [f"pulumi=={HERE_PULUMI}", f"pulumi-aws=={HERE_AWS}", "pulumi-awsx"]


def test_the_fallback_is_noted_with_the_resolver_cause(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    conflicting_installer(monkeypatch, tmp_path, ConflictingInstaller(CONFLICT))
    project = load_project(CONFLICTING)

    venv.ensure_virtualenv(project)

    note = venv.fallback_note(project)
    assert note is not None
    assert note.startswith("requirements.txt cannot be resolved (Because pulumi-awsx>=2.0.2,<3.0.0 depends on")
    assert f"installed pulumi=={HERE_PULUMI}, pulumi-aws=={HERE_AWS}, pulumi-awsx instead" in note


def test_the_note_names_what_the_program_requires_when_uv_concludes_on_a_later_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    failure = (
        "error: No solution found when resolving dependencies:\n"
        "  cause: Because pulumi-awsx>=2.0.2,<3.0.0 depends on pulumi-aws>=6.0.4,<7.0.0, we can conclude that X.\n"
        "         And because you require pulumi-aws>=7.0.0 and pulumi-awsx>=2.0.0,<3.0.0, we can conclude that your"
        " requirements are unsatisfiable.\n"
    )
    conflicting_installer(monkeypatch, tmp_path, ConflictingInstaller(failure))
    project = load_project(CONFLICTING)

    venv.ensure_virtualenv(project)

    assert str(venv.fallback_note(project)).startswith(
        "requirements.txt cannot be resolved (And because you require pulumi-aws>=7.0.0 and pulumi-awsx>=2.0.0,<3.0.0"
    )


def test_pip_conflicts_are_noted_with_pips_cannot_install_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    failure = (
        "ERROR: Cannot install pulumi-aws>=7.0.0 and pulumi-awsx==2.0.2 because these package versions have conflicting"
        " dependencies.\nERROR: ResolutionImpossible: for help visit https://pip.pypa.io\n"
    )
    conflicting_installer(monkeypatch, tmp_path, ConflictingInstaller(failure))
    project = load_project(CONFLICTING)

    venv.ensure_virtualenv(project)

    assert str(venv.fallback_note(project)).startswith(
        "requirements.txt cannot be resolved (ERROR: Cannot install pulumi-aws>=7.0.0 and pulumi-awsx==2.0.2"
    )


def test_requirements_that_resolve_leave_no_fallback_note(installer: FakeInstaller) -> None:
    project = load_project(CONFLICTING)

    venv.ensure_virtualenv(project)

    assert venv.fallback_note(project) is None
    assert [command[-2:] for command in installer.commands if "install" in command][-1][0] == "-r"


def test_a_distribution_that_does_not_exist_is_not_a_conflict_to_fall_back_from(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    absent = "  x No solution found when resolving dependencies:\n  Because pulumi-awsx was not found in the package registry\n"
    fake = conflicting_installer(monkeypatch, tmp_path, ConflictingInstaller(absent))

    with pytest.raises(ProgramError, match="not found in the package registry"):
        venv.ensure_virtualenv(load_project(CONFLICTING))
    assert not any("pulumi-awsx" in command for command in fake.commands)


def test_an_install_error_that_is_no_conflict_is_not_retried(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = conflicting_installer(monkeypatch, tmp_path, ConflictingInstaller("error: Failed to fetch: connection refused\n"))

    with pytest.raises(ProgramError, match="connection refused"):
        venv.ensure_virtualenv(load_project(CONFLICTING))
    assert not any("pulumi-awsx" in command for command in fake.commands)


def test_a_fallback_that_fails_too_reports_both_failures(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    conflicting_installer(monkeypatch, tmp_path, ConflictingInstaller(CONFLICT, "error: pulumi-awsx wheel is broken\n"))

    with pytest.raises(ProgramError) as raised:
        venv.ensure_virtualenv(load_project(CONFLICTING))

    message = str(raised.value)
    assert message.index("your requirements are unsatisfiable") < message.index("instead failed too")
    assert message.index("instead failed too") < message.index("pulumi-awsx wheel is broken")


def test_relaxed_requirements_pin_what_is_installed_here_and_leave_the_rest_open(tmp_path: Path) -> None:
    file = tmp_path / "requirements.txt"
    file.write_text("pulumi>=2,<3\npulumi-aws==4.0.0\nrollway-absent-widget>=9\n")

    assert venv.relaxed_requirements(file) == [f"pulumi=={HERE_PULUMI}", f"pulumi-aws=={HERE_AWS}", "rollway-absent-widget"]


# ---------------------------------------------------------------- invoke results and output shapes
def test_lookup_without_a_handler_answers_every_field_its_result_type_declares(rollway: Any) -> None:
    code, report = preview_json(rollway, "corpus_engine_versions")

    assert code == 0
    cluster = by_type(report, "gcp:container/cluster:Cluster")[0]
    pool = by_type(report, "gcp:container/nodePool:NodePool")[0]
    assert isinstance(cluster["inputs"]["minMasterVersion"], str) and cluster["inputs"]["minMasterVersion"]
    assert isinstance(pool["inputs"]["version"], str) and pool["inputs"]["version"]
    assert report["outputs"]["release_channel"].count("-") >= 1


def test_a_derived_lookup_is_reported_as_derived_not_unanswered(rollway: Any) -> None:
    _, report = preview_json(rollway, "corpus_engine_versions")

    assert report["summary"]["derivedInvokes"] == ["gcp:container/getEngineVersions:getEngineVersions"]
    assert report["summary"]["unansweredInvokes"] == []


@pytest.mark.parametrize("mode", [[], ["--resolve-outputs"]], ids=["default", "resolve-outputs"])
def test_an_input_the_provider_reshapes_keeps_its_siblings_known(rollway: Any, mode: list[str]) -> None:
    code, report = preview_json(rollway, "corpus_identity_map", *mode)

    assert code == 0
    assert report["outputs"] == {"identity_type": "UserAssigned"}


def test_a_list_where_a_map_is_declared_is_left_out_and_the_rest_kept() -> None:
    from pulumi_azure_native.containerservice import outputs

    from rollway.engine import derived

    declared = outputs.ManagedClusterIdentityResponse
    value = {"type": "UserAssigned", "userAssignedIdentities": ["/subscriptions/x/id"]}

    assert derived.fitted(value, declared) == {"type": "UserAssigned"}
    assert derived.fitted({"type": "UserAssigned", "userAssignedIdentities": {"/subscriptions/x/id": {}}}, declared) == {
        "type": "UserAssigned",
        "userAssignedIdentities": {"/subscriptions/x/id": {}},
    }


def test_a_map_where_a_list_is_declared_is_a_misfit_as_a_whole() -> None:
    import pulumi_aws.ec2  # noqa: F401  (classes are found in the SDK modules a program imported)

    from rollway.engine import derived

    ingress = derived.resource_field_types("aws:ec2/securityGroup:SecurityGroup")["ingress"]

    assert derived.fitted({"fromPort": 443}, ingress) is derived.MISFIT
    assert derived.fitted([{"fromPort": 443}, "not-a-rule"], ingress) == [{"fromPort": 443}, "not-a-rule"]
    assert derived.fitted([{"fromPort": 443}, ["nested"]], ingress) is derived.MISFIT


# ---------------------------------------------------------------- config declared in Pulumi.yaml
def test_yaml_1_1_booleans_are_text_in_config_defaults_as_the_cli_reads_them(rollway: Any) -> None:
    code, report = preview_json(rollway, "corpus_yaml12_defaults")

    assert code == 0
    assert report["outputs"] == {"reasoning": "off", "answer": "yes", "streaming": True}


def test_a_yaml_1_2_boolean_default_under_a_string_type_is_still_refused(tmp_path: Path, rollway: Any) -> None:
    project_dir = tmp_path / "project"
    shutil.copytree(FIXTURES / "corpus_yaml12_defaults", project_dir)
    text = (project_dir / "Pulumi.yaml").read_text().replace("default: off", "default: false")
    (project_dir / "Pulumi.yaml").write_text(text)

    run = rollway("preview", "--cwd", project_dir, "--stack", "dev")

    assert run.code == 2
    assert "config `reasoning`: default False is not of declared type string" in run.err


# ---------------------------------------------------------------- the program's own modules
def test_the_program_imports_its_own_config_and_components_over_modules_already_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import types

    import components  # Rollway's own package of that name, importable from the repository root

    foreign_config = types.ModuleType("config")
    monkeypatch.setitem(sys.modules, "config", foreign_config)
    project = load_project(FIXTURES / "corpus_local_modules")

    evaluation = evaluate(project, load_stack_settings(project, "dev"))

    assert evaluation.recording.exports == {"location": "westeurope"}
    assert [resource.type for resource in evaluation.recording.resources].count("corpus:network:Network") == 1
    assert sys.modules["config"] is foreign_config
    assert sys.modules["components"] is components


# ---------------------------------------------------------------- filled-in values read the way programs read them
def test_a_registry_token_decodes_to_user_and_password(rollway: Any) -> None:
    code, report = preview_json(rollway, "corpus_resolved_shapes")

    assert code == 0
    assert report["outputs"]["registry_user"] == "AWS"


def test_resolved_values_are_read_by_key_and_by_zone_index(rollway: Any) -> None:
    code, report = preview_json(rollway, "corpus_resolved_shapes", "--resolve-outputs")

    assert code == 0
    assert report["outputs"]["endpoint"].startswith("https://")
    assert report["outputs"]["endpoint"].endswith(".appsync-api.us-east-1.amazonaws.com/graphql")
    assert isinstance(report["outputs"]["third_member"], str) and report["outputs"]["third_member"]


def test_derived_lists_of_scalars_hold_three_distinct_values_and_lists_of_objects_one() -> None:
    import pulumi_aws.ec2  # noqa: F401  (classes are found in the SDK modules a program imported)

    from rollway.engine import derived

    fields = derived.resource_field_types("aws:ec2/securityGroup:SecurityGroup")
    rules = derived.plausible(fields["ingress"], "ingress", "seed", None)
    groups = rules[0]["securityGroups"]

    assert len(rules) == 1
    assert len(groups) == derived.LIST_LENGTH == 3
    assert len(set(groups)) == 3


def test_a_template_deployment_reports_the_outputs_its_template_declares() -> None:
    from rollway.engine.mocks import CloudContext, _template_outputs

    template = json.dumps(
        {
            "resources": [],
            "outputs": {
                "storageAccountName": {"type": "string", "value": "[variables('name')]"},
                "replicas": {"type": "int", "value": 3},
                "endpoints": {"type": "array", "value": []},
            },
        }
    )

    content = json.loads(str(_template_outputs(template, "seed", CloudContext())))

    assert sorted(content) == ["endpoints", "replicas", "storageAccountName"]
    assert content["storageAccountName"]["type"] == "String"
    assert isinstance(content["storageAccountName"]["value"], str) and content["storageAccountName"]["value"]
    assert content["replicas"] == {"type": "Int", "value": 1}
    assert content["endpoints"] == {"type": "Array", "value": []}


@pytest.mark.parametrize("template", [None, "", "not json", '{"resources": []}', '{"outputs": ["a"]}'])
def test_a_template_without_declared_outputs_gets_no_output_content(template: str | None) -> None:
    from rollway.engine.mocks import CloudContext, _template_outputs

    assert _template_outputs(template, "seed", CloudContext()) is None


# ---------------------------------------------------------------- awsx networks
def awsx_vpc_outputs(inputs: dict[str, Any]) -> dict[str, Any]:
    import pulumi

    from rollway.engine.mocks import PlausibleMocks

    _, state = PlausibleMocks(resolve_outputs=True).new_resource(pulumi.runtime.MockResourceArgs("awsx:ec2:Vpc", "spoke", inputs))
    return state


def test_an_awsx_vpc_has_one_subnet_per_zone_for_each_spec_in_spec_order() -> None:
    specs = [{"name": "private", "type": "Isolated"}, {"name": "tgw", "type": "Isolated"}]

    state = awsx_vpc_outputs({"subnetSpecs": specs})

    assert len(state["isolatedSubnetIds"]) == 6
    assert len(set(state["isolatedSubnetIds"])) == 6
    assert state["publicSubnetIds"] == [] and state["privateSubnetIds"] == []
    assert state["vpcId"].startswith("vpc-")


def test_an_awsx_vpc_without_specs_has_public_and_private_subnets_in_three_zones() -> None:
    state = awsx_vpc_outputs({})

    assert (len(state["publicSubnetIds"]), len(state["privateSubnetIds"]), len(state["isolatedSubnetIds"])) == (3, 3, 0)


@pytest.mark.parametrize(
    ("zones", "expected"), [({"numberOfAvailabilityZones": 2}, 2), ({"availabilityZoneNames": ["a", "b", "c", "d"]}, 4)]
)
def test_an_awsx_vpc_follows_the_zones_it_is_given(zones: dict[str, Any], expected: int) -> None:
    state = awsx_vpc_outputs({**zones, "subnetSpecs": [{"type": "Public"}]})

    assert len(state["publicSubnetIds"]) == expected
