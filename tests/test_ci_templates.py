"""The CI templates in ci-templates/: valid YAML whose every command is one this project has,
with the options it accepts, keeping .cache/ and build/ and publishing the PDFs."""

from __future__ import annotations

import shlex
import subprocess

import pytest
import yaml
from conftest import ROOT

from bulletin_pdf.cli import build_parser

TEMPLATES = ROOT / "ci-templates"


def commands(template: str) -> list[str]:
    """Every shell command of the template, split at `&&`."""
    data = yaml.safe_load((TEMPLATES / template).read_text(encoding="utf-8"))
    if template == "github-actions.yml":
        lines = [step["run"] for job in data["jobs"].values() for step in job["steps"] if "run" in step]
    else:
        lines = [line for job in data.values() for line in job["script"]]
    return [part.strip() for line in lines for part in line.split("&&")]


@pytest.mark.parametrize("template", ["github-actions.yml", "gitlab-ci.yml"])
def test_the_commands_are_ours_and_accepted(template):
    found = commands(template)
    installs = [shlex.split(command) for command in found if "install-system-deps.sh" in command]
    assert installs
    for words in installs:
        script = words.index("scripts/install-system-deps.sh")
        listed = subprocess.run(["bash", str(ROOT / words[script]), *words[script + 1:], "--list"],
                                capture_output=True, text=True, check=True).stdout.split()
        assert "libharfbuzz-subset0" in listed and "fonts-noto-cjk" in listed
        assert "chromium" not in listed  # a build needs no browser
    builds = [shlex.split(command.split(">")[0]) for command in found if "bulletin-pdf build" in command]
    assert builds
    for words in builds:
        args = build_parser().parse_args(words[1:])
        assert args.json and args.strict and [str(path) for path in args.issues] == ["issues"]


def test_github_keeps_the_cache_and_publishes_the_pdfs():
    data = yaml.safe_load((TEMPLATES / "github-actions.yml").read_text(encoding="utf-8"))
    steps = data["jobs"]["pdf"]["steps"]
    cached = next(step for step in steps if step.get("uses", "").startswith("actions/cache"))
    assert cached["with"]["path"].split() == [".cache", "build"]
    uploaded = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact"))
    assert "build/*.pdf" in uploaded["with"]["path"].split() and uploaded["if"] == "always()"
    assert any("sudo bash scripts/install-system-deps.sh" in step.get("run", "") for step in steps)


def test_gitlab_keeps_the_cache_and_publishes_the_pdfs():
    job = yaml.safe_load((TEMPLATES / "gitlab-ci.yml").read_text(encoding="utf-8"))["bulletin-pdf"]
    assert job["cache"]["paths"] == [".cache/", "build/"]
    assert "build/*.pdf" in job["artifacts"]["paths"] and job["artifacts"]["when"] == "always"
    text = (TEMPLATES / "gitlab-ci.yml").read_text(encoding="utf-8")
    assert "sudo bash scripts/install-system-deps.sh" in text  # the line for runners not root
