"""Writes one stack's section into the single Rollway comment of a pull request, editing it in place.

Every preflight leg (one per stack, running in parallel) calls this with its own section. The comment is found by
a hidden marker on its first line; its sections are kept between `<!-- section:NAME -->` markers and ordered as
SECTION_ORDER says. Two legs can read and write the comment at the same moment, so after writing, the script reads
the comment back and writes again until its section is there; if two legs both created the comment, the oldest is
kept, the others' sections are merged into it and the others are deleted.

Environment:
    GITHUB_REPOSITORY  owner/name
    PR_NUMBER          pull request number
    MARKER             identifies the comment (letters, digits, '.', '_', '-')
    SECTION            this leg's section name, e.g. the stack (same characters)
    BODY_FILE          Markdown for the section; when missing or empty, FALLBACK_BODY
    FALLBACK_BODY      optional text for a missing BODY_FILE
    TITLE              optional first line of the comment (default "## Rollway preflight")
    SECTION_ORDER      optional space-separated section names, in display order (others follow, sorted)
    COMMENT_AUTHOR     login whose comments may be edited (default github-actions[bot])
    SETTLE_SECONDS     optional wait before reading back (default 3)

Exit status: 0 written; 1 GitHub did not keep the section after retries; 2 bad environment.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAX_BODY_CHARS = 60000
ATTEMPTS = 6
_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_SECTION = re.compile(r"<!-- section:([A-Za-z0-9._-]+) -->\n(.*?)\n<!-- /section:\1 -->", re.DOTALL)


class Problem(Exception):
    """Bad environment: reported as a workflow error, exit 2."""


def parse_sections(body: str) -> dict[str, str]:
    return {name: text for name, text in _SECTION.findall(body)}


def render(header: str, title: str, sections: dict[str, str], order: list[str]) -> str:
    """The whole comment; a section too long for GitHub's limit is cut with a pointer to the run summary."""
    names = [name for name in order if name in sections] + sorted(name for name in sections if name not in order)
    budget = max(1000, (MAX_BODY_CHARS - len(header) - len(title) - 200) // max(1, len(names)))
    parts = [header, title, ""]
    for name in names:
        text = sections[name]
        if len(text) > budget:
            text = text[:budget] + "\n\n_Truncated: the full report is in the workflow run summary._"
        parts += [f"<!-- section:{name} -->", text, f"<!-- /section:{name} -->", ""]
    return "\n".join(parts)


def _gh(*args: str) -> str:
    done = subprocess.run(["gh", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"gh {' '.join(args[:3])} failed: {done.stderr.strip()}")
    return done.stdout


def _ours(repository: str, pr: str, header: str, author: str) -> list[dict[str, object]]:
    out = _gh("api", "--paginate", f"repos/{repository}/issues/{pr}/comments", "--jq", ".[] | {id, body, login: .user.login}")
    comments = [json.loads(line) for line in out.splitlines() if line.strip()]
    mine = [c for c in comments if c.get("login") == author and str(c.get("body", "")).startswith(header)]
    return sorted(mine, key=lambda c: int(str(c["id"])))


def _settings() -> dict[str, str]:
    env = os.environ
    pr, marker, section = env.get("PR_NUMBER", ""), env.get("MARKER", ""), env.get("SECTION", "")
    if not re.fullmatch(r"[1-9][0-9]*", pr):
        raise Problem(f"PR_NUMBER must be a pull request number, got '{pr}'")
    for name, value in (("MARKER", marker), ("SECTION", section)):
        if not _NAME.match(value):
            raise Problem(f"{name} must be letters, digits, '.', '_' or '-', got '{value}'")
    if not env.get("GITHUB_REPOSITORY"):
        raise Problem("GITHUB_REPOSITORY is not set")
    return {"pr": pr, "marker": marker, "section": section, "repository": env["GITHUB_REPOSITORY"]}


def _section_text() -> str:
    path = os.environ.get("BODY_FILE", "")
    if path and Path(path).is_file() and Path(path).stat().st_size > 0:
        return Path(path).read_text(encoding="utf-8", errors="replace").strip("\n")
    return os.environ.get("FALLBACK_BODY") or "No report was produced; see the workflow run."


def main() -> int:
    try:
        settings = _settings()
    except Problem as problem:
        print(f"::error title=pr_comment_section::{problem}")
        return 2
    header = f"<!-- {settings['marker']} -->"
    title = os.environ.get("TITLE") or "## Rollway preflight"
    order = os.environ.get("SECTION_ORDER", "").split()
    author = os.environ.get("COMMENT_AUTHOR") or "github-actions[bot]"
    settle = float(os.environ.get("SETTLE_SECONDS", "3"))
    repository, pr, section = settings["repository"], settings["pr"], settings["section"]
    text = _section_text()
    comments_url = f"repos/{repository}/issues/{pr}/comments"
    for attempt in range(ATTEMPTS):
        mine = _ours(repository, pr, header, author)
        sections: dict[str, str] = {}
        for comment in mine:
            for name, body in parse_sections(str(comment["body"])).items():
                sections.setdefault(name, body)
        sections[section] = text
        body = render(header, title, sections, order)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".md", delete=False) as file:
            file.write(body)
        try:
            # The body goes through a file: a 60000-character argument can exceed the kernel's limit.
            if mine:
                _gh("api", "--method", "PATCH", f"repos/{repository}/issues/comments/{mine[0]['id']}", "-F", f"body=@{file.name}")
                for duplicate in mine[1:]:
                    _gh("api", "--method", "DELETE", f"repos/{repository}/issues/comments/{duplicate['id']}")
            else:
                _gh("api", "--method", "POST", comments_url, "-F", f"body=@{file.name}")
        finally:
            os.unlink(file.name)
        time.sleep(settle * (1 + random.random()))
        check = _ours(repository, pr, header, author)
        if len(check) == 1 and parse_sections(str(check[0]["body"])).get(section) == render_section(text, body, section):
            print(f"Section {section} written to comment {check[0]['id']} on pull request #{pr} (attempt {attempt + 1}).")
            return 0
    print(f"::error title=pr_comment_section::section {section} did not persist after {ATTEMPTS} attempts")
    return 1


def render_section(text: str, body: str, section: str) -> str:
    """The section as it was written (possibly truncated), for the read-back check."""
    return parse_sections(body).get(section, text)


if __name__ == "__main__":
    sys.exit(main())
