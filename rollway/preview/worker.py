"""Evaluates a program inside its own virtualenv: `<venv python> -m rollway.preview.worker REQUEST RESULT`.

The parent (`rollway.preview.runner`) writes REQUEST (JSON: project directory, the stack settings with their notes,
mode) and reads RESULT (JSON: the recording in wire form, logs and notes, or the program's error). Only this
module and what it imports (the test kit, pulumi, PyYAML) need to be importable in that virtualenv;
the parent puts a folder holding only the `rollway` package on PYTHONPATH and runs the worker in a scratch folder.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rollway.engine.run import RecordedResource, Recording
from rollway.engine.values import from_wire
from rollway.preview.config import StackSettings
from rollway.preview.errors import ProgramError
from rollway.preview.evaluate import ConfigInvalid, Evaluation, MissingModule, evaluate
from rollway.preview.gate import to_wire
from rollway.preview.project import Project, load_project


def recording_to_json(recording: Recording) -> dict[str, Any]:
    return {
        "project": recording.project,
        "stack": recording.stack,
        "stack_urn": recording.stack_urn,
        "exports": to_wire(recording.exports),
        "invokes": [[token, to_wire(args)] for token, args in recording.invokes],
        "unanswered_invokes": list(recording.unanswered_invokes),
        "derived_invokes": list(recording.derived_invokes),
        "resources": [
            {**resource.__dict__, "inputs": to_wire(resource.inputs), "outputs": to_wire(resource.outputs)}
            for resource in recording.resources
        ],
    }


def recording_from_json(data: dict[str, Any]) -> Recording:
    resources = [
        RecordedResource(**{**item, "inputs": from_wire(item["inputs"]), "outputs": from_wire(item["outputs"])})
        for item in data["resources"]
    ]
    return Recording(
        project=data["project"],
        stack=data["stack"],
        resources=resources,
        exports=from_wire(data["exports"]),
        invokes=[(token, from_wire(args)) for token, args in data["invokes"]],
        unanswered_invokes=list(data["unanswered_invokes"]),
        derived_invokes=list(data.get("derived_invokes", [])),
        stack_urn=data["stack_urn"],
    )


def evaluation_from_json(data: dict[str, Any]) -> Evaluation:
    return Evaluation(
        recording_from_json(data["recording"]),
        [(str(a), str(b)) for a, b in data["logs"]],
        notes=[str(note) for note in data["notes"]],
    )


def settings_to_json(settings: StackSettings) -> dict[str, Any]:
    """Every field of the stack settings, so the worker's evaluation sees (and reports) what the parent's would."""
    return {
        "project": settings.project,
        "stack": settings.stack,
        "values": settings.values,
        "secret_keys": sorted(settings.secret_keys),
        "source": settings.source,
        "environments": list(settings.environments),
        "notes": list(settings.notes),
        "overrides": dict(settings.overrides),
    }


def settings_from_json(data: dict[str, Any]) -> StackSettings:
    """The stack settings `settings_to_json` wrote (in the parent's process)."""
    return StackSettings(
        project=data["project"],
        stack=data["stack"],
        values=data["values"],
        secret_keys=set(data["secret_keys"]),
        source=data["source"],
        environments=list(data["environments"]),
        notes=list(data["notes"]),
        overrides=dict(data.get("overrides", {})),
    )


def evaluation_result(project: Project, settings: StackSettings, resolve_outputs: bool) -> dict[str, Any]:
    """Evaluate the program and give the result in the form RESULT holds (the forked child's results too): the
    recording, logs and notes, or the error and its kind; either way the secrets the program handled."""
    seen: set[str] = set()
    try:
        evaluation = evaluate(project, settings, resolve_outputs, secret_sink=seen)
    except MissingModule as error:
        return {"ok": False, "error": str(error), "missing_module": error.module, "secrets": sorted(seen)}
    except ConfigInvalid as error:
        return {"ok": False, "error": str(error), "usage": True, "secrets": sorted(seen)}
    except ProgramError as error:
        return {"ok": False, "error": str(error), "secrets": sorted(seen)}
    return {
        "ok": True,
        "recording": recording_to_json(evaluation.recording),
        "logs": evaluation.logs,
        "notes": evaluation.notes,
        "secrets": sorted(seen),
    }


def main(argv: list[str]) -> int:
    request_file, result_file = Path(argv[0]), Path(argv[1])
    request = json.loads(request_file.read_text(encoding="utf-8"))
    project = load_project(Path(request["directory"]))
    settings = settings_from_json(request["settings"])
    result = evaluation_result(project, settings, request["resolve_outputs"])
    result_file.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
