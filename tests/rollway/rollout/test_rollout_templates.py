"""Analysis templates and the built-in default analysis: what a rollout with no checks of its own measures."""

from __future__ import annotations

from pathlib import Path

import pytest
from rollout_helpers import CliRun, spec

from rollway.rollout.analysis.templates import expand_spec_templates, load_template_file, resolve_analysis
from rollway.rollout.errors import UsageError
from rollway.rollout.spec import build_spec

FAST = ["--step-duration", "1s", "--drain", "1s", "--interval", "1s"]
PROM = "http://prometheus.test:9090"


@pytest.fixture
def run(tmp_path: Path) -> CliRun:
    return CliRun(tmp_path)


def _resolved(raw: dict, no_analysis: bool = False):
    return resolve_analysis(build_spec({"service": "web", **raw}, "spec.yaml"), no_analysis)


def test_a_canary_with_no_checks_and_no_metrics_source_is_refused(run):
    assert run("--service", "web", *FAST) == 2

    message = run.stderr.getvalue()
    assert "no analysis for this rollout" in message
    assert "--metrics-url" in message and "--no-analysis" in message
    assert run.deployer.calls == []


def test_a_canary_with_only_a_test_url_is_refused_it_needs_traffic_metrics(run):
    assert run("--service", "web", "--smoke-url", "http://test.web/healthz", *FAST) == 2
    assert "a canary needs metrics of the canary's traffic" in run.stderr.getvalue()


def test_blue_green_with_only_a_test_url_probes_it():
    resolved = _resolved({"strategy": "blueGreen", "analysis": {"defaults": {"testUrl": "http://test.web/healthz"}}})

    assert [(check.name, check.provider) for check in resolved.analysis.checks] == [("test-route", "http")]
    assert resolved.analysis.checks[0].http is not None and resolved.analysis.checks[0].http.url == "http://test.web/healthz"


def test_no_analysis_runs_without_checks_and_warns(run):
    assert run("--service", "web", "--steps", "50,100", "--no-analysis", *FAST) == 0

    assert "warning: --no-analysis: nothing measures the new version" in run.stderr.getvalue()
    assert "warning: --no-analysis" in run.stdout.getvalue()  # also on the event stream / progress view


def test_no_analysis_next_to_checks_of_the_spec_is_refused():
    with pytest.raises(UsageError, match=r"--no-analysis: the spec has checks of its own \(smoke\)"):
        _resolved({"analysis": {"checks": [{"name": "smoke", "http": {"url": "http://x/"}}]}}, no_analysis=True)


def test_metrics_url_gives_success_rate_and_latency_of_the_canary(run):
    resolved = _resolved({"analysis": {"defaults": {"prometheus": PROM}}})

    success, latency = resolved.analysis.checks
    assert success.name == "request-success-rate" and success.min == 0.99 and success.max is None
    assert success.prometheus is not None and success.prometheus.url == PROM
    assert success.prometheus.query == (
        'sum(rate(http_requests_total{ service="$service",color="$canary",code!~"5.." }[1m]))'
        ' / sum(rate(http_requests_total{ service="$service",color="$canary" }[1m]))'
    )
    assert latency.name == "request-latency" and latency.max == 0.5
    assert latency.prometheus is not None and "histogram_quantile(0.99," in latency.prometheus.query
    assert {success.no_data, latency.no_data} == {"wait"}


def test_metrics_url_flag_feeds_the_defaults(run):
    assert run("--service", "web", "--steps", "100", "--metrics-url", "http://127.0.0.1:9/", *FAST) == 1
    assert "request-success-rate" in run.stdout.getvalue()


def test_ingress_nginx_flavor_uses_the_controller_metrics():
    resolved = _resolved({"analysis": {"defaults": {"prometheus": PROM, "flavor": "ingress-nginx", "minSuccessRate": 0.95}}})

    success = resolved.analysis.checks[0]
    assert success.prometheus is not None
    assert 'nginx_ingress_controller_requests{ service="$service-$canary",status!~"5.." }' in success.prometheus.query
    assert success.min == 0.95


@pytest.mark.parametrize(("rate", "ok"), [(0.0, True), (1.0, True), (1.01, False), (-0.1, False)])
def test_min_success_rate_is_a_share_between_0_and_1(rate, ok):
    raw = {"service": "web", "analysis": {"defaults": {"prometheus": PROM, "minSuccessRate": rate}}}
    if ok:
        build_spec(raw, "spec.yaml")
    else:
        with pytest.raises(UsageError, match=r"spec\.yaml: analysis\.defaults\.minSuccessRate"):
            build_spec(raw, "spec.yaml")


def test_alb_defaults_read_the_canary_target_group_from_cloudwatch():
    alb = {"loadBalancer": "app/web/1", "targetGroup": "targetgroup/web-$canary/2", "region": "eu-west-1"}
    resolved = _resolved({"analysis": {"defaults": {"alb": alb, "maxP99Latency": "300ms"}}})

    errors, latency = resolved.analysis.checks
    assert errors.cloudwatch is not None and errors.cloudwatch.metric is not None
    assert errors.cloudwatch.metric.metric_name == "HTTPCode_Target_5XX_Count" and errors.max == 0
    assert errors.cloudwatch.metric.dimensions == {"LoadBalancer": "app/web/1", "TargetGroup": "targetgroup/web-$canary/2"}
    assert errors.no_data == "pass"  # an ALB publishes no 5XX datapoint for an error-free minute
    assert latency.max == 0.3 and latency.cloudwatch is not None and latency.cloudwatch.region == "eu-west-1"


def test_alb_region_left_out_uses_the_sdk_default():
    alb = {"loadBalancer": "app/web/1", "targetGroup": "targetgroup/web-$canary/2"}
    resolved = _resolved({"analysis": {"defaults": {"alb": alb}}})

    assert resolved.analysis.checks[0].cloudwatch is not None and resolved.analysis.checks[0].cloudwatch.region is None


def test_checks_of_the_spec_replace_the_defaults():
    raw = {"analysis": {"defaults": {"prometheus": PROM}, "checks": [{"name": "mine", "http": {"url": "http://x/"}}]}}

    assert [check.name for check in _resolved(raw).analysis.checks] == ["mine"]


def test_a_shipped_template_is_referenced_with_args_and_overrides(tmp_path):
    raw = {
        "service": "web",
        "analysis": {
            "checks": [
                {"name": "ok-rate", "template": "request-success-rate", "args": {"url": PROM, "window": "30s"}, "min": 0.9}
            ]
        },
    }

    built = build_spec(expand_spec_templates(raw, tmp_path, "spec.yaml"), "spec.yaml")

    check = built.analysis.checks[0]
    assert check.name == "ok-rate" and check.min == 0.9
    assert check.prometheus is not None and "[30s]" in check.prometheus.query and "[1m]" not in check.prometheus.query


def test_a_template_file_next_to_the_spec_is_loaded_and_numbers_stay_numbers(tmp_path):
    (tmp_path / "templates.yaml").write_text(
        "templates:\n  checkout-errors:\n    args: {url: null, max: 0.01}\n    check:\n"
        "      prometheus: {url: '{{url}}', query: 'sum(rate(checkout_errors_total{color=\"$canary\"}[1m]))'}\n"
        "      max: '{{max}}'\n"
    )
    raw = {
        "service": "web",
        "analysis": {
            "templates": ["templates.yaml"],
            "checks": [{"template": "checkout-errors", "args": {"url": PROM, "max": 3}}],
        },
    }

    check = build_spec(expand_spec_templates(raw, tmp_path, "spec.yaml"), "spec.yaml").analysis.checks[0]

    assert check.name == "checkout-errors" and check.max == 3
    assert check.prometheus is not None and check.prometheus.url == PROM


def test_a_missing_required_argument_names_check_and_argument(tmp_path):
    raw = {"service": "web", "analysis": {"checks": [{"template": "request-latency", "args": {}}]}}

    with pytest.raises(UsageError, match=r"spec.yaml: analysis.checks\[0\].args.url: is required by template `request-latency`"):
        expand_spec_templates(raw, tmp_path, "spec.yaml")


def test_an_unknown_argument_lists_the_known_ones(tmp_path):
    raw = {"service": "web", "analysis": {"checks": [{"template": "test-route", "args": {"url": "http://x/", "urll": 1}}]}}

    with pytest.raises(
        UsageError, match=r"args.urll: is not an argument of template `test-route` \(arguments: maxP95Latency, url\)"
    ):
        expand_spec_templates(raw, tmp_path, "spec.yaml")


def test_an_unknown_template_lists_the_known_ones(tmp_path):
    raw = {"service": "web", "analysis": {"checks": [{"template": "succes-rate"}]}}

    with pytest.raises(
        UsageError, match=r"analysis.checks\[0\].template: no template named 'succes-rate' \(known: .*request-success-rate"
    ):
        expand_spec_templates(raw, tmp_path, "spec.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n", "a mapping with a `templates:` mapping"),
        ("templates:\n  x: {args: {}}\n", "templates.x: needs a `check:` mapping"),
        ("templates:\n  x: {check: {max: '{{m}}'}}\n", r"the check uses \{\{m\}\} but `args` does not declare it"),
        ("templates:\n  x: {check: {}, argz: {}}\n", "templates.x.argz: is not a known key"),
        ("templates: {}\nextra: 1\n", "extra: is not a known key"),
    ],
)
def test_a_malformed_template_file_names_file_and_place(tmp_path, text, message):
    path = tmp_path / "t.yaml"
    path.write_text(text)

    with pytest.raises(UsageError, match=message):
        load_template_file(path)


def test_a_binary_template_file_is_a_usage_error(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_bytes(b"\xff\xfe\x00")

    with pytest.raises(UsageError, match="not a text file"):
        load_template_file(path)


def test_the_template_file_is_resolved_relative_to_the_spec_file(run, tmp_path):
    (tmp_path / "rollout").mkdir()
    (tmp_path / "rollout" / "spec.yaml").write_text("service: web\nanalysis:\n  templates: [missing.yaml]\n")

    assert run("--spec", str(tmp_path / "rollout" / "spec.yaml"), *FAST) == 2
    assert f"{tmp_path / 'rollout' / 'missing.yaml'}: cannot read the analysis templates" in run.stderr.getvalue()


def test_resolving_keeps_interval_and_failure_limit():
    resolved = _resolved({"analysis": {"interval": "5s", "failureLimit": 3, "defaults": {"prometheus": PROM}}})

    assert resolved.analysis.interval == 5.0 and resolved.analysis.failure_limit == 3
    assert spec().analysis.checks == []
