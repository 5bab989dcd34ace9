"""`rollway preview --base REF`: a feature branch compared with `main` in real git repositories made per test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from diff_repo import BASE_CONFIG, commit, git, make_repo, with_service, write_stack
from preflight_support import PACKS

GUARDRAILS = ["--policy-pack", PACKS / "guardrails", "--policy-pack-config", PACKS / "guardrails-config.json"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


def compare(rollway, repo: Path, *extra: Any, base: str = "main") -> tuple[int, dict[str, Any], str]:
    run = rollway("preview", "--cwd", repo, "--stack", "dev", "--base", base, "--json", "-", *extra)
    report = json.loads(run.out) if run.out.strip().startswith("{") else {}
    return run.code, report, run.err


def kinds(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(change["kind"], change["type"], change["name"]) for change in report["changes"] if change["custom"]]


def test_canary_step_is_one_routing_update_named_by_color(rollway, repo: Path) -> None:
    write_stack(repo, with_service(BASE_CONFIG, "web", canaryWeight=25))
    commit(repo, "web canary 25%")
    code, report, _ = compare(rollway, repo)
    assert code == 0
    assert report["verdict"] == "canary web 10% → 25%: 1 routing update, no findings"
    assert kinds(report) == [("update", "aws:lb/listener:Listener", "web-production")]
    paths = {path["label"]: (path["old"], path["new"]) for path in report["changes"][0]["paths"]}
    assert paths == {
        "defaultActions[0].forward.targetGroups[web-blue].weight": (90, 75),
        "defaultActions[0].forward.targetGroups[web-green].weight": (10, 25),
    }
    assert report["release"] == [
        {
            "service": "web",
            "phase": "canary step",
            "text": "canary web 10% → 25%",
            "traffic": "25% of web's production traffic on green",
            "blastRadius": "1 routing resource on 1 cloud",
        }
    ]


def test_live_flip_names_the_colors(rollway, repo: Path) -> None:
    write_stack(repo, with_service(BASE_CONFIG, "web", liveColor="green", canaryWeight=0))
    commit(repo, "flip web")
    code, report, _ = compare(rollway, repo)
    assert code == 0
    assert report["verdict"] == "live flip web blue → green: 1 routing update, no findings"
    assert report["release"][0]["traffic"] == "100% of web's production traffic on green"


def test_uncommitted_working_tree_is_the_change(rollway, repo: Path) -> None:
    write_stack(repo, with_service(BASE_CONFIG, "web", canaryWeight=50))
    code, report, _ = compare(rollway, repo)
    assert code == 0
    assert report["head"] == "working tree"
    assert report["release"][0]["text"] == "canary web 10% → 50%"


def test_port_change_is_a_replacement_with_its_reason(rollway, repo: Path) -> None:
    write_stack(repo, with_service(BASE_CONFIG, "api", port=9090))
    commit(repo, "api port")
    code, report, _ = compare(rollway, repo)
    replaced = [change for change in report["changes"] if change["kind"] == "replace"]
    assert code == 0
    assert sorted(change["name"] for change in replaced) == ["api-blue", "api-green"]
    assert all(change["type"] == "aws:lb/targetGroup:TargetGroup" for change in replaced)
    assert replaced[0]["reason"] == "port cannot change in place"
    assert replaced[0]["paths"][0] == {"path": "port", "label": "port", "old": 8080, "new": 9090, "forcesReplace": True}


def test_idle_image_is_staged_and_its_task_definition_replaced(rollway, repo: Path) -> None:
    write_stack(repo, with_service(BASE_CONFIG, "api", image={"blue": "ghcr.io/demo/api:2.1", "green": "ghcr.io/demo/api:2.0"}))
    commit(repo, "stage api 2.1")
    code, report, _ = compare(rollway, repo)
    assert code == 0
    assert report["release"][0]["phase"] == "stage image"
    assert report["release"][0]["text"] == "api blue image api:2.0 → api:2.1"
    assert report["release"][0]["traffic"] == "blue is idle: no production traffic until a canary step"
    assert kinds(report) == [("replace", "aws:ecs/taskDefinition:TaskDefinition", "api-blue")]


def test_live_image_change_says_it_serves_production(rollway, repo: Path) -> None:
    write_stack(repo, with_service(BASE_CONFIG, "web", image={"blue": "ghcr.io/demo/web:1.2", "green": "ghcr.io/demo/web:1.1"}))
    commit(repo, "hotfix web live")
    _, report, _ = compare(rollway, repo)
    assert report["release"][0]["phase"] == "live image"
    assert report["release"][0]["traffic"] == "90% of web's production traffic runs the new image"


def test_network_change_during_a_step_is_called_out(rollway, repo: Path) -> None:
    config = with_service(BASE_CONFIG, "web", canaryWeight=25)
    write_stack(repo, {**config, "demo:edgeCidr": "0.0.0.0/0"})
    commit(repo, "step and open the edge")
    run = rollway("preview", "--cwd", repo, "--stack", "dev", "--base", "main", "--markdown", repo.parent / "c.md")
    markdown = (repo.parent / "c.md").read_text(encoding="utf-8")
    assert run.code == 0
    assert "WARNING: this rollout step also changes 1 workload/network/data resource(s): edge (network)" in run.out
    assert "> This rollout step also changes workloads, networks or data stores: `edge` (network)." in markdown
    assert markdown.splitlines()[2] == "**canary web 10% → 25%: 1 network update, 1 routing update, no findings**"


def test_config_only_step_is_not_called_risky(rollway, repo: Path) -> None:
    write_stack(repo, with_service(BASE_CONFIG, "web", canaryWeight=25))
    commit(repo, "step")
    run = rollway("preview", "--cwd", repo, "--stack", "dev", "--base", "main")
    assert "WARNING" not in run.out


def test_code_change_shows_creates_and_deletes(rollway, repo: Path) -> None:
    program = (repo / "__main__.py").read_text(encoding="utf-8")
    program = program.replace('aws.s3.Bucket("logs"', 'aws.s3.Bucket("audit"')
    (repo / "__main__.py").write_text(program, encoding="utf-8")
    commit(repo, "rename the bucket")
    code, report, _ = compare(rollway, repo)
    assert code == 0
    assert kinds(report) == [("delete", "aws:s3/bucket:Bucket", "logs"), ("create", "aws:s3/bucket:Bucket", "audit")]
    assert report["release"] == []
    assert report["verdict"] == "2 resource changes: 1 data delete, 1 data create, no findings"


def test_mandatory_finding_on_a_changed_resource_fails_the_gate(rollway, repo: Path) -> None:
    write_stack(repo, {**BASE_CONFIG, "demo:logsAcl": "public-read"})
    commit(repo, "public logs")
    code, report, _ = compare(rollway, repo, *GUARDRAILS)
    assert code == 1
    found = report["findings"]["onChanges"]
    assert ("no-public-bucket-acl", "mandatory") in [(item["policy"], item["level"]) for item in found]
    assert {item["urn"].rsplit("::", 1)[1] for item in found} == {"logs"}
    assert report["verdict"].startswith("1 resource change: 1 data update, 1 mandatory violation, ")
    assert report["passed"] is False


def test_findings_on_unchanged_resources_are_one_line(rollway, repo: Path) -> None:
    write_stack(repo, with_service(BASE_CONFIG, "web", canaryWeight=25))
    commit(repo, "step")
    code, report, _ = compare(rollway, repo, *GUARDRAILS)
    run = rollway("preview", "--cwd", repo, "--stack", "dev", "--base", "main", *GUARDRAILS)
    assert code == 0
    assert report["findings"] == {"onChanges": [], "elsewhere": {"mandatory": 0, "remediate": 0, "advisory": 2}}
    assert "Unchanged resources: 2 advisory findings (see `rollway preview` for them)." in run.out


def test_new_stack_file_makes_every_resource_a_create(rollway, repo: Path) -> None:
    write_stack(repo, BASE_CONFIG, stack="qa")
    commit(repo, "qa stack")
    run = rollway("preview", "--cwd", repo, "--stack", "qa", "--base", "main", "--json", "-")
    report = json.loads(run.out)
    assert run.code == 0
    assert {change["kind"] for change in report["changes"]} == {"create"}
    assert any("Pulumi.qa.yaml does not exist at main (" in warning for warning in report["warnings"])


def test_unchanged_branch_has_no_changes(rollway, repo: Path) -> None:
    code, report, _ = compare(rollway, repo)
    assert code == 0
    assert report["changes"] == []
    assert report["verdict"] == "no resource changes: no findings"


def test_unknown_ref_is_a_usage_error(rollway, repo: Path) -> None:
    code, _, err = compare(rollway, repo, base="no-such-branch")
    assert code == 2
    assert "--base no-such-branch: not a commit in" in err
    assert "Traceback" not in err


def test_outside_a_repository_is_a_usage_error(rollway, tmp_path: Path) -> None:
    project = tmp_path / "plain"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: demo\nruntime: python\n", encoding="utf-8")
    (project / "__main__.py").write_text("", encoding="utf-8")
    write_stack(project, {})
    run = rollway("preview", "--cwd", project, "--stack", "dev", "--base", "main")
    assert run.code == 2
    assert "is not inside a git repository" in run.err


def test_resolve_outputs_with_base_is_a_usage_error(rollway, repo: Path) -> None:
    run = rollway("preview", "--cwd", repo, "--stack", "dev", "--base", "main", "--resolve-outputs")
    assert run.code == 2
    assert "--base always compares plausible outputs" in run.err


def test_broken_base_names_the_base(rollway, repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    (repo / "__main__.py").write_text("raise RuntimeError('base is broken')\n", encoding="utf-8")
    commit(repo, "break main")
    git(repo, "checkout", "-q", "feature")
    code, _, err = compare(rollway, repo)
    assert code == 1
    assert "the program at main (" in err and "base is broken" in err


def test_malformed_stack_file_at_the_base_names_the_base(rollway, repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    (repo / "Pulumi.dev.yaml").write_text("config: [oops\n", encoding="utf-8")
    commit(repo, "break the stack file on main")
    git(repo, "checkout", "-q", "feature")
    code, _, err = compare(rollway, repo)
    assert code == 2
    assert err.startswith("error: at --base main (") and "Pulumi.dev.yaml" in err and "malformed YAML" in err
    assert "rollway-base-" not in err


def test_saved_report_as_base(rollway, repo: Path, tmp_path: Path) -> None:
    saved = tmp_path / "base.json"
    made = rollway("preview", "--cwd", repo, "--stack", "dev", "--resolve-outputs", "--json", saved)
    write_stack(repo, with_service(BASE_CONFIG, "web", canaryWeight=25))
    code, report, _ = compare(rollway, repo, base=str(saved))
    assert made.code == 0 and code == 0
    assert kinds(report) == [("update", "aws:lb/listener:Listener", "web-production")]
    assert report["release"] == []


def test_saved_report_without_resolved_outputs_is_refused(rollway, repo: Path, tmp_path: Path) -> None:
    saved = tmp_path / "base.json"
    rollway("preview", "--cwd", repo, "--stack", "dev", "--json", saved)
    code, _, err = compare(rollway, repo, base=str(saved))
    assert code == 2
    assert "made without --resolve-outputs" in err


def test_saved_report_that_is_not_json_is_a_usage_error(rollway, repo: Path, tmp_path: Path) -> None:
    saved = tmp_path / "base.json"
    saved.write_text("{not json", encoding="utf-8")
    code, _, err = compare(rollway, repo, base=str(saved))
    assert code == 2
    assert f"--base {saved}: not JSON (line 1)" in err


def test_graph_draws_only_changed_resources_and_their_context(rollway, repo: Path) -> None:
    write_stack(repo, with_service(BASE_CONFIG, "web", canaryWeight=25))
    commit(repo, "step")
    graph = repo.parent / "g.mmd"
    rollway("preview", "--cwd", repo, "--stack", "dev", "--base", "main", "--graph", graph)
    text = graph.read_text(encoding="utf-8")
    assert "update: web-production" in text
    assert '"web<br/><small>demo:index:Service</small>"' in text  # its parent component
    assert '"web-blue<br/><small>aws:lb/targetGroup:TargetGroup</small>"' in text  # what it depends on
    assert "api" not in text and "logs" not in text


def test_canary_step_comment_fits_on_a_screen(rollway, repo: Path) -> None:
    write_stack(repo, with_service(BASE_CONFIG, "web", canaryWeight=25))
    commit(repo, "step")
    comment = repo.parent / "c.md"
    rollway("preview", "--cwd", repo, "--stack", "dev", "--base", "main", *GUARDRAILS, "--markdown", comment)
    lines = comment.read_text(encoding="utf-8").splitlines()
    folded = [index for index, line in enumerate(lines) if line.startswith("<details>")]
    visible = lines[: folded[0]] if folded else lines
    assert lines[2] == "**canary web 10% → 25%: 1 routing update, no findings**"
    assert len(visible) <= 20
    assert "| 🟡 update | `web-production` | `aws:lb/listener:Listener` |" in comment.read_text(encoding="utf-8")


def test_replacement_is_flagged_in_the_comment(rollway, repo: Path) -> None:
    write_stack(repo, with_service(BASE_CONFIG, "api", port=9090))
    commit(repo, "api port")
    comment = repo.parent / "c.md"
    rollway("preview", "--cwd", repo, "--stack", "dev", "--base", "main", "--markdown", comment)
    text = comment.read_text(encoding="utf-8")
    assert "> 2 resources would be **replaced** (deleted and recreated by the provider): `api-blue`, `api-green`" in text
    assert "| 🔴 **replace** | `api-blue` | `aws:lb/targetGroup:TargetGroup` | port cannot change in place<br>" in text
