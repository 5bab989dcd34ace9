"""Rendering Pulumi.pr-<number>.yaml from the preview template (.github/scripts/pr_stack_config.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from workflow_files import SCRIPTS_DIR


def _load_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pr_stack_config", SCRIPTS_DIR / "pr_stack_config.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


pr_stack_config = _load_module()


def _template(**config: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "rollway:environment": "preview",
        "rollway:clouds": ["aws", "kubernetes"],
        "rollway:tags": {"cost-center": "platform-preview", "owner": "platform-team"},
        "rollway:kubernetes": {"namespace": "rollway-preview", "hostname": "preview.rollway.example.com"},
        "aws:region": "us-east-1",
    }
    return {"config": {**base, **config}}


def test_kubernetes_namespace_is_unique_per_pull_request() -> None:
    rendered = pr_stack_config.render(_template(), 123)
    assert rendered["config"]["rollway:kubernetes"]["namespace"] == "rollway-preview-pr-123"


def test_hostname_moves_under_the_pull_request() -> None:
    rendered = pr_stack_config.render(_template(), 123)
    assert rendered["config"]["rollway:kubernetes"]["hostname"] == "pr-123.preview.rollway.example.com"


def test_resources_are_tagged_with_the_pull_request() -> None:
    rendered = pr_stack_config.render(_template(), 7)
    assert rendered["config"]["rollway:tags"] == {
        "cost-center": "platform-preview",
        "owner": "platform-team",
        "pull-request": "7",
    }


def test_other_settings_are_copied_unchanged() -> None:
    template = _template()
    rendered = pr_stack_config.render(template, 7)
    assert rendered["config"]["aws:region"] == "us-east-1"
    assert rendered["config"]["rollway:clouds"] == ["aws", "kubernetes"]
    assert template["config"]["rollway:kubernetes"]["namespace"] == "rollway-preview", "the template was modified"


def test_esc_environment_imports_are_kept() -> None:
    rendered = pr_stack_config.render({"environment": ["rollway/preview"], **_template()}, 7)
    assert rendered["environment"] == ["rollway/preview"]


def test_default_namespace_is_derived_when_the_template_sets_none() -> None:
    rendered = pr_stack_config.render(_template(**{"rollway:kubernetes": {}}), 9)
    assert rendered["config"]["rollway:kubernetes"] == {"namespace": "rollway-preview-pr-9"}


def test_namespace_stays_a_dns_label() -> None:
    rendered = pr_stack_config.render(_template(**{"rollway:kubernetes": {"namespace": "n" * 63}}), 123456)
    namespace = rendered["config"]["rollway:kubernetes"]["namespace"]
    assert len(namespace) == 63 and namespace.endswith("-pr-123456")


def test_clouds_the_stack_does_not_target_get_no_settings() -> None:
    rendered = pr_stack_config.render(_template(**{"rollway:clouds": ["aws"], "rollway:kubernetes": None}), 5)
    assert rendered["config"]["rollway:kubernetes"] is None


def test_gcp_domain_moves_under_the_pull_request() -> None:
    template = _template(**{"rollway:clouds": ["gcp"], "rollway:gcp": {"domain": "preview.example.com"}})
    assert pr_stack_config.render(template, 5)["config"]["rollway:gcp"]["domain"] == "pr-5.preview.example.com"


def test_encrypted_values_are_refused_with_their_paths() -> None:
    template = _template(**{"rollway:secrets": {"db": {"secure": "v1:abc"}}})
    template["encryptionsalt"] = "v1:salt"
    with pytest.raises(pr_stack_config.TemplateError) as raised:
        pr_stack_config.render(template, 5, "Pulumi.preview.yaml")
    problems = raised.value.problems
    assert len(problems) == 2
    assert any("`encryptionsalt`" in problem for problem in problems)
    assert any("`config.rollway:secrets.db`" in problem for problem in problems)


def test_template_must_be_a_preview_environment() -> None:
    with pytest.raises(pr_stack_config.TemplateError, match="must be `preview`"):
        pr_stack_config.render(_template(**{"rollway:environment": "prod"}), 5)


def test_template_without_config_is_refused() -> None:
    with pytest.raises(pr_stack_config.TemplateError, match="`config` must be a mapping"):
        pr_stack_config.render({"environment": ["x"]}, 5)


def test_cli_writes_the_stack_file_beside_the_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "Pulumi.preview.yaml"
    template.write_text(yaml.safe_dump(_template()), encoding="utf-8")
    assert pr_stack_config.main(["--template", str(template), "--pr", "31"]) == 0
    written = tmp_path / "Pulumi.pr-31.yaml"
    assert capsys.readouterr().out.strip() == str(written)
    assert yaml.safe_load(written.read_text(encoding="utf-8"))["config"]["rollway:tags"]["pull-request"] == "31"


def test_cli_reports_a_missing_template_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert pr_stack_config.main(["--template", str(tmp_path / "Pulumi.preview.yaml"), "--pr", "31"]) == 2
    err = capsys.readouterr().err
    assert "Pulumi.preview.yaml: not found" in err and "Traceback" not in err


def test_cli_reports_every_template_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "Pulumi.preview.yaml"
    template.write_text(yaml.safe_dump({**_template(**{"rollway:environment": "dev"}), "secretsprovider": "awskms://k"}))
    assert pr_stack_config.main(["--template", str(template), "--pr", "31"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 2
    assert not (tmp_path / "Pulumi.pr-31.yaml").exists()


@pytest.mark.parametrize("number", ["0", "-3", "12a", ""])
def test_cli_refuses_a_bad_pull_request_number(number: str, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as raised:
        pr_stack_config.main(["--template", str(tmp_path / "t.yaml"), "--pr", number])
    assert raised.value.code == 2
