"""The `rollway` command: `preview` and `diff` (offline), `rollout` (delegated to the rollout package).

Exit codes: 0 clean or advisory findings only; 1 a mandatory policy violation or a program error;
2 a usage or config error. Errors are one message naming what is wrong, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rollway.preview.analyzer import DEFAULT_TIMEOUT
from rollway.preview.errors import EXIT_USAGE, PreflightError, UsageError
from rollway.preview.runner import DEFAULT_PROGRAM_TIMEOUT

if TYPE_CHECKING:
    from rollway.preview.basediff import ChangeReport
    from rollway.preview.preview import PreviewOptions

_EXAMPLES = """\
examples:
  rollway preview --stack dev --policy-pack policies/security --policy-pack-config policies/config/dev/security.json
  rollway preview --stack dev --json - | jq .summary
  rollway preview --stack staging --base origin/main --markdown comment.md
  rollway diff --stack dev --against prod
  rollway diff --stack dev --path -c rollway:services.web.canaryWeight=20
"""


def _add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cwd", "-C", type=Path, default=Path("."), help="project directory holding Pulumi.yaml (default: .)")
    parser.add_argument("--stack", "-s", help="stack name (its Pulumi.<stack>.yaml is read)")
    parser.add_argument(
        "--config", "-c", action="append", default=[], metavar="KEY=VALUE", help="config value for this run (repeatable)"
    )
    parser.add_argument("--path", action="store_true", help="treat -c keys as paths into structured values (ns:a.b[0])")
    parser.add_argument("--config-file", type=Path, help="read stack config from this file instead of Pulumi.<stack>.yaml")
    parser.add_argument(
        "--program-timeout",
        type=_seconds,
        default=DEFAULT_PROGRAM_TIMEOUT,
        metavar="SECONDS",
        help=f"how long the program may take to evaluate (default: {DEFAULT_PROGRAM_TIMEOUT:g})",
    )


MAX_TIMEOUT = 86_400.0
"""A day: longer timeouts are typos (`1e300`), and would overflow the clocks they are added to."""


def _seconds(text: str) -> float:
    """An argparse type for a timeout: a finite number of seconds in (0, MAX_TIMEOUT]. argparse names the flag."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds above 0 and at most {MAX_TIMEOUT:g}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rollway",
        description="Offline preview and policy gate for Pulumi Python programs, and progressive rollouts.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="{preview,diff,rollout}")

    preview = commands.add_parser("preview", help="evaluate the program offline and run policy packs over it")
    _add_selection(preview)
    preview.add_argument(
        "--policy-pack", action="append", default=[], type=Path, metavar="DIR", help="policy pack directory (repeatable)"
    )
    preview.add_argument(
        "--policy-pack-config",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="JSON config for the policy pack in the same position (repeatable)",
    )
    preview.add_argument(
        "--resolve-outputs", action="store_true", help="fill provider-computed outputs with plausible values instead of unknowns"
    )
    preview.add_argument("--json", metavar="FILE|-", help="write the JSON report (schema in docs/preflight.md); - for stdout")
    preview.add_argument("--markdown", type=Path, metavar="FILE", help="write a pull-request comment in Markdown")
    preview.add_argument("--graph", type=Path, metavar="FILE.mmd", help="write a Mermaid flowchart of components and children")
    preview.add_argument(
        "--base",
        metavar="REF|FILE.json",
        help="compare with the program and stack config at this git ref (or a saved --resolve-outputs --json report): "
        "report creates, updates, replaces and deletes, with policy findings on what changed",
    )
    preview.add_argument(
        "--policy-timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="how long a policy pack may take to start or answer",
    )

    diff = commands.add_parser(
        "diff",
        help="resources created, updated, replaced and deleted between the stack's config and another "
        "(--against STACK|FILE, --config-file FILE, or -c changes)",
    )
    _add_selection(diff)
    diff.add_argument("--against", metavar="STACK|FILE", help="stack name or stack config file to compare with")
    diff.add_argument("--json", metavar="FILE|-", help="write the changes as JSON; - for stdout")
    diff.add_argument("--markdown", type=Path, metavar="FILE", help="write the changes as a pull-request comment")
    diff.add_argument("--graph", type=Path, metavar="FILE.mmd", help="write a Mermaid flowchart of the changed resources")

    commands.add_parser("rollout", help="progressive rollout (see `rollway rollout --help`)", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["rollout"]:
        return _rollout(args_list[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "preview":
            return _preview(args)
        return _diff(args)
    except PreflightError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _rollout(argv: list[str]) -> int:
    try:
        module = importlib.import_module("rollway.rollout.cli")
    except ModuleNotFoundError as error:
        if error.name not in ("rollway.rollout", "rollway.rollout.cli"):
            raise
        print(
            "error: `rollway rollout` needs the rollout package (rollway/rollout/cli.py), which is not installed here",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return int(module.main(argv))


def _write(target: str | Path, text: str) -> None:
    if str(target) == "-":
        sys.stdout.write(text)
        return
    path = Path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None


def _preview(args: argparse.Namespace) -> int:
    from rollway.preview.preview import PreviewOptions, run_preview
    from rollway.preview.render import render_markdown, render_mermaid, render_text

    _check_targets(args)
    if args.policy_timeout <= 0:
        raise UsageError("--policy-timeout must be a positive number of seconds")
    options = PreviewOptions(
        cwd=args.cwd,
        stack=args.stack,
        config=args.config,
        path_keys=args.path,
        config_file=args.config_file,
        resolve_outputs=args.resolve_outputs,
        policy_packs=args.policy_pack,
        policy_pack_configs=args.policy_pack_config,
        timeout=args.policy_timeout,
        program_timeout=args.program_timeout,
    )
    if args.base is not None:
        return _base_preview(args, options)
    report = run_preview(options)
    if args.json != "-":
        sys.stdout.write(render_text(report))
    if args.json:
        _write(args.json, json.dumps(report.to_json(), indent=2, sort_keys=False) + "\n")
    if args.markdown:
        _write(args.markdown, render_markdown(report))
    if args.graph:
        _write(args.graph, render_mermaid(report))
    return report.exit_code


def _check_targets(args: argparse.Namespace) -> None:
    for target in (args.markdown, args.graph, None if args.json in (None, "-") else Path(args.json)):
        if target is not None and target.is_dir():
            raise UsageError(f"{target} is a directory; give a file name")


def _write_change(args: argparse.Namespace, report: ChangeReport) -> None:
    from rollway.preview.diffview import change_json, render_change_markdown, render_change_mermaid, render_change_text

    if args.json != "-":
        sys.stdout.write(render_change_text(report))
    if args.json:
        _write(args.json, json.dumps(change_json(report), indent=2) + "\n")
    if args.markdown:
        _write(args.markdown, render_change_markdown(report))
    if args.graph:
        _write(args.graph, render_change_mermaid(report))


def _base_preview(args: argparse.Namespace, options: PreviewOptions) -> int:
    from rollway.preview.basediff import BasePreviewOptions, run_base_preview

    if args.resolve_outputs:
        raise UsageError("--base always compares plausible outputs; drop --resolve-outputs")
    report = run_base_preview(BasePreviewOptions(**vars(options), base=args.base))
    _write_change(args, report)
    return report.exit_code


def _diff(args: argparse.Namespace) -> int:
    from rollway.preview.basediff import ConfigDiffOptions, run_config_diff

    _check_targets(args)
    options = ConfigDiffOptions(
        cwd=args.cwd,
        stack=args.stack,
        config=args.config,
        path_keys=args.path,
        config_file=args.config_file,
        against=args.against,
        program_timeout=args.program_timeout,
    )
    report = run_config_diff(options)
    _write_change(args, report)
    return report.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
