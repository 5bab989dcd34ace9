"""Analysis templates: named, reusable checks with arguments, and the built-in default analysis made of them.

A template is a check body (any CheckSpec keys but `name`) whose strings may hold `{{arg}}` placeholders, plus
its arguments with defaults (`null`: required). A spec check refers to one and may override any check key:

    analysis:
      templates: [analysis/templates.yaml]     # files of templates, relative to the spec file
      checks:
        - name: success-rate
          template: request-success-rate       # shipped, or from one of the files
          args: {url: "http://prometheus:9090"}
          min: 0.995                           # overrides the template's threshold

A template file:

    templates:
      checkout-errors:
        args: {url: null, max: 0.01}
        check:
          prometheus: {url: "{{url}}", query: 'sum(rate(checkout_errors_total{color="$canary"}[1m]))'}
          max: "{{max}}"

Argument defaults: `null` makes an argument required; `""` makes it optional, and a key whose whole value
is an unset optional argument is left out (the check's own default applies). A string that is exactly one
placeholder takes the argument's value with its type (numbers stay numbers).
`$canary`, `$stable` and `$service` are left alone: the providers replace them at measurement time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from rollway.rollout.errors import UsageError
from rollway.rollout.spec import AnalysisSpec, CheckSpec, RolloutSpec, spec_problems

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}")
_REQUIRED = None
_UNSET = ""

GENERIC_SELECTOR = 'service="$service",color="$canary"'

SHIPPED: dict[str, dict[str, Any]] = {
    "request-success-rate": {
        "args": {
            "url": _REQUIRED,
            "metric": "http_requests_total",
            "selector": GENERIC_SELECTOR,
            "codeLabel": "code",
            "window": "1m",
            "min": 0.99,
        },
        "check": {
            "prometheus": {
                "url": "{{url}}",
                "query": 'sum(rate({{metric}}{ {{selector}},{{codeLabel}}!~"5.." }[{{window}}]))'
                " / sum(rate({{metric}}{ {{selector}} }[{{window}}]))",
            },
            "min": "{{min}}",
            # A canary step's first measurements can precede its first scrape; a whole step without data fails.
            "noData": "wait",
        },
    },
    "request-latency": {
        "args": {
            "url": _REQUIRED,
            "metric": "http_request_duration_seconds",
            "selector": GENERIC_SELECTOR,
            "quantile": 0.99,
            "window": "1m",
            "max": 0.5,
        },
        "check": {
            "prometheus": {
                "url": "{{url}}",
                "query": "histogram_quantile({{quantile}}, sum by (le) (rate({{metric}}_bucket{ {{selector}} }[{{window}}])))",
            },
            "max": "{{max}}",
            "noData": "wait",
        },
    },
    "alb-target-5xx": {
        "args": {"loadBalancer": _REQUIRED, "targetGroup": _REQUIRED, "region": _UNSET, "max": 0},
        "check": {
            "cloudwatch": {
                "region": "{{region}}",
                "metric": {
                    "namespace": "AWS/ApplicationELB",
                    "metricName": "HTTPCode_Target_5XX_Count",
                    "dimensions": {"LoadBalancer": "{{loadBalancer}}", "TargetGroup": "{{targetGroup}}"},
                    "stat": "Sum",
                },
                "period": 60,
                "window": "2m",
            },
            "max": "{{max}}",
            # An ALB publishes no 5XX datapoint for a minute without errors: no data is a pass here.
            "noData": "pass",
        },
    },
    "alb-target-latency": {
        "args": {"loadBalancer": _REQUIRED, "targetGroup": _REQUIRED, "region": _UNSET, "max": 0.5},
        "check": {
            "cloudwatch": {
                "region": "{{region}}",
                "metric": {
                    "namespace": "AWS/ApplicationELB",
                    "metricName": "TargetResponseTime",
                    "dimensions": {"LoadBalancer": "{{loadBalancer}}", "TargetGroup": "{{targetGroup}}"},
                    "stat": "p99",
                },
                "period": 60,
                "window": "2m",
            },
            "max": "{{max}}",
        },
    },
    "test-route": {
        "args": {"url": _REQUIRED, "maxP95Latency": _UNSET},
        "check": {"http": {"url": "{{url}}", "maxP95Latency": "{{maxP95Latency}}"}},
    },
}
"""The templates every spec can use without a file."""

FLAVORS: dict[str, dict[str, dict[str, Any]]] = {
    "generic": {"request-success-rate": {}, "request-latency": {}},
    "ingress-nginx": {
        "request-success-rate": {
            "metric": "nginx_ingress_controller_requests",
            "selector": 'service="$service-$canary"',
            "codeLabel": "status",
        },
        "request-latency": {
            "metric": "nginx_ingress_controller_request_duration_seconds",
            "selector": 'service="$service-$canary"',
        },
    },
}
"""Default-analysis argument sets per metric source: `generic` (http_requests_total and
http_request_duration_seconds labelled service/color/code), `ingress-nginx` (the controller's own metrics,
Service per color named `<service>-<color>`)."""


def load_template_file(path: Path) -> dict[str, dict[str, Any]]:
    """Templates in a file; UsageError naming the file and template when it is malformed."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the analysis templates: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a text file; analysis templates are YAML") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("templates"), dict):
        raise UsageError(f"{path}: an analysis template file is a mapping with a `templates:` mapping of name -> template")
    extra = sorted(set(data) - {"templates"})
    if extra:
        raise UsageError(f"{path}: {extra[0]}: is not a known key (only `templates:`)")
    templates: dict[str, dict[str, Any]] = {}
    for name, body in data["templates"].items():
        where = f"{path}: templates.{name}"
        if not isinstance(body, dict) or not isinstance(body.get("check"), dict):
            raise UsageError(f"{where}: needs a `check:` mapping (and optional `args:`)")
        args = body.get("args", {})
        if not isinstance(args, dict):
            raise UsageError(f"{where}.args: must be a mapping of argument -> default (null: required)")
        unknown = sorted(set(body) - {"check", "args"})
        if unknown:
            raise UsageError(f"{where}.{unknown[0]}: is not a known key (a template has `args` and `check`)")
        undeclared = sorted(_placeholders(body["check"]) - set(args))
        if undeclared:
            raise UsageError(f"{where}: the check uses {{{{{undeclared[0]}}}}} but `args` does not declare it")
        templates[str(name)] = {"args": args, "check": body["check"]}
    return templates


def _placeholders(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(_PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return set().union(*(_placeholders(item) for item in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_placeholders(item) for item in value)) if value else set()
    return set()


def _substitute(value: Any, args: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value.strip())
        if whole:
            # An optional argument left at "" drops its key, so the check's own default applies.
            return None if args[whole.group(1)] == _UNSET else args[whole.group(1)]
        return _PLACEHOLDER.sub(lambda match: str(args[match.group(1)]), value)
    if isinstance(value, dict):
        out = {key: _substitute(item, args) for key, item in value.items()}
        return {key: item for key, item in out.items() if item is not None}
    if isinstance(value, list):
        return [_substitute(item, args) for item in value]
    return value


def instantiate(template: dict[str, Any], name: str, args: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The check mapping a template gives with `args`; UsageError for unknown or missing arguments."""
    declared: dict[str, Any] = template["args"]
    unknown = sorted(set(args) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        raise UsageError(f"{where}.args.{unknown[0]}: is not an argument of template `{name}` (arguments: {known})")
    values = {**declared, **args}
    missing = sorted(arg for arg in declared if arg not in args and declared[arg] is _REQUIRED)
    if missing:
        raise UsageError(f"{where}.args.{missing[0]}: is required by template `{name}`")
    return _substitute(template["check"], values)


def expand_checks(checks: list[Any], templates: Mapping[str, dict[str, Any]], source: str) -> list[Any]:
    """Spec checks with every `template:` reference replaced by the template's check plus the entry's overrides."""
    expanded: list[Any] = []
    for index, entry in enumerate(checks):
        where = f"{source}: analysis.checks[{index}]"
        if not isinstance(entry, dict) or "template" not in entry:
            expanded.append(entry)
            continue
        name = entry["template"]
        if not isinstance(name, str) or name not in templates:
            known = ", ".join(sorted(templates))
            raise UsageError(f"{where}.template: no template named {name!r} (known: {known})")
        args = entry.get("args") or {}
        if not isinstance(args, dict):
            raise UsageError(f"{where}.args: must be a mapping of argument -> value")
        body = instantiate(templates[name], name, args, where)
        overrides = {key: value for key, value in entry.items() if key not in ("template", "args")}
        expanded.append({"name": name, **body, **overrides})
    return expanded


def default_checks(defaults: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The built-in analysis from `analysis.defaults` (already validated): success rate and latency of the canary
    from its metrics source, and an HTTP probe of the test route."""
    checks: list[dict[str, Any]] = []
    url = defaults.get("prometheus")
    if url:
        flavor = FLAVORS[defaults.get("flavor") or "generic"]
        for name, threshold in (("request-success-rate", "minSuccessRate"), ("request-latency", "maxP99Latency")):
            args: dict[str, Any] = {"url": url, **flavor[name]}
            if defaults.get("selector"):
                args["selector"] = defaults["selector"]
            if defaults.get("window"):
                args["window"] = defaults["window"]
            bound = "min" if name == "request-success-rate" else "max"
            args[bound] = defaults[threshold]
            check = {"name": name, **instantiate(SHIPPED[name], name, args, "analysis.defaults")}
            token = {key: defaults[key] for key in ("bearerTokenEnv", "bearerTokenCommand") if defaults.get(key)}
            check["prometheus"] = {**check["prometheus"], **token}
            checks.append(check)
    alb = defaults.get("alb")
    if alb:
        target = {key: alb[key] for key in ("loadBalancer", "targetGroup", "region") if alb.get(key)}
        checks.append({"name": "alb-target-5xx", **instantiate(SHIPPED["alb-target-5xx"], "alb-target-5xx", target, "")})
        latency_args = {**target, "max": defaults["maxP99Latency"]}
        latency = instantiate(SHIPPED["alb-target-latency"], "alb-target-latency", latency_args, "")
        checks.append({"name": "alb-target-latency", **latency})
    if defaults.get("testUrl"):
        checks.append(
            {"name": "test-route", **instantiate(SHIPPED["test-route"], "test-route", {"url": defaults["testUrl"]}, "")}
        )
    return checks


NO_ANALYSIS_HELP = (
    "give the default analysis a metrics source (--metrics-url http://prometheus:9090, or analysis.defaults.prometheus "
    "/ analysis.defaults.alb in the spec), write analysis.checks, or run without analysis with --no-analysis"
)


def expand_spec_templates(raw: dict[str, Any], base_dir: Path, source: str) -> dict[str, Any]:
    """The raw spec with `analysis.templates` files loaded and every `template:` check expanded."""
    analysis = raw.get("analysis")
    if not isinstance(analysis, dict):
        return raw
    analysis = dict(analysis)
    files = analysis.pop("templates", [])
    if not isinstance(files, list) or not all(isinstance(item, str) for item in files):
        raise UsageError(f"{source}: analysis.templates: must be a list of template file paths")
    templates: dict[str, dict[str, Any]] = dict(SHIPPED)
    for item in files:
        path = Path(item) if Path(item).is_absolute() else base_dir / item
        templates.update(load_template_file(path))
    checks = analysis.get("checks")
    if isinstance(checks, list):
        analysis["checks"] = expand_checks(checks, templates, source)
    return {**raw, "analysis": analysis}


def resolve_analysis(spec: RolloutSpec, no_analysis: bool) -> RolloutSpec:
    """The spec with the checks that will run: its own, else the default analysis; UsageError when that is none.

    Args:
        spec: Validated spec.
        no_analysis: `--no-analysis`: run without any check (refused when the spec has checks of its own).
    """
    analysis = spec.analysis
    if no_analysis:
        if analysis.checks:
            names = ", ".join(check.name for check in analysis.checks)
            raise UsageError(f"--no-analysis: the spec has checks of its own ({names}); remove them or drop --no-analysis")
        return spec
    if analysis.checks:
        return spec
    raw_checks = default_checks(analysis.defaults.model_dump(by_alias=True)) if analysis.defaults is not None else []
    has_metrics = any(check.get("http") is None for check in raw_checks)
    if not has_metrics and (spec.strategy != "blueGreen" or not raw_checks):
        needs = "an A/B test" if spec.strategy == "abTest" else "a canary"
        what = f"{needs} needs metrics of the canary's traffic" if raw_checks else "the spec has no checks"
        raise UsageError(f"no analysis for this rollout: {what}; {NO_ANALYSIS_HELP}")
    try:
        checks = [CheckSpec.model_validate(check) for check in raw_checks]
    except ValidationError as exc:
        raise UsageError("\n".join(spec_problems(exc, "analysis.defaults"))) from None
    resolved = AnalysisSpec(
        interval=analysis.interval, failure_limit=analysis.failure_limit, checks=checks, defaults=analysis.defaults
    )
    return spec.model_copy(update={"analysis": resolved})
