"""The `quarterdeck` command: exit codes, messages, outputs. Runs the real entry point."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quarterdeck.cli import main
from tests.gitrepo import GitRepo

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "web")
    repo.commit("Initial commit", {"README.md": "x"}, date=datetime(2026, 10, 1, tzinfo=UTC))
    repo.squash_pr(1, "First", {"a.py": "1"}, date=datetime(2026, 11, 2, tzinfo=UTC))
    return repo


def test_demo_prints_a_full_review(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for heading in (
        "# Growth review: product-analytics — November 2026",
        "## Shipped this month",
        "## Goal progress in 2026-Q4",
        "## Unplanned work",
        "## Shipping speed",
        "## Revenue",
        "## Discussion",
        "## Decision",
    ):
        assert heading in out
    assert "via goal reference" in out
    assert "via goal label" in out
    assert "via goal branch" in out
    assert "via none" not in out


def test_demo_keeps_the_repo_for_a_second_review(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    keep = tmp_path / "sample"
    assert main(["demo", "--keep", str(keep), "--format", "json"]) == 0
    captured = capsys.readouterr()
    demo = json.loads(captured.out)
    # The hint names the command to run again, with the kept warehouse's URL.
    command = shlex.split(captured.err.split("`")[1])
    variables = dict(word.split("=", 1) for word in command if "=" in word)
    assert list(variables) == ["QUARTERDECK_WAREHOUSE_URL"]
    rerun = ["quarterdeck", "review", "--repo", str(keep), "--month", "2026-11"]
    assert command[len(variables) :] == rerun
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert main([*rerun[1:], "--format", "json"]) == 0
    again = json.loads(capsys.readouterr().out)
    # The same review, but for when the warehouse answered the questions: the demo's
    # answers are as of its story's review day, the second review's as of now.
    for review in (*demo["reviews"], *again["reviews"]):
        for table in review["evidence"]:
            table.pop("as_of")
    assert again == demo


def test_review_writes_output_file(repo: GitRepo, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "review.md"
    code = main(["review", "--repo", str(repo.path), "--month", "2026-11", "-o", str(out)])
    assert code == 0
    assert "#1 First" in out.read_text(encoding="utf-8")
    assert capsys.readouterr().out == ""


def _exit_code(argv: list[str]) -> int:
    """main()'s exit code, whether it returns it or raises SystemExit (a usage error)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["review", "--month", "2026-13"], 2, "the month must be 01–12"),
        (["review", "--format", "pdf"], 2, "'pdf' is not one of 'md', 'json'"),
        (["frobnicate"], 2, "No such command 'frobnicate'"),
        (["review", "--repo", "/nonexistent/repo", "--month", "2026-11"], 1, "/nonexistent/repo"),
    ],
)
def test_errors_exit_with_a_message(argv: list[str], code: int, message: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert _exit_code(argv) == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_validate_reports_file_line_and_key(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "quarterdeck.yml").write_text(
        "teams:\n  web:\n    membrs: [a]\n", encoding="utf-8"
    )
    assert main(["validate", "--repo", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert ".github/quarterdeck.yml:3: teams.web.membrs: unknown key 'membrs'" in err
    assert "did you mean 'members'?" in err


def test_init_then_validate_then_refuse_to_overwrite(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["init", "--repo", str(tmp_path)]) == 0
    assert (tmp_path / ".github" / "quarterdeck.yml").is_file()
    assert list((tmp_path / "goals").glob("*-Q*.yml"))
    assert main(["validate", "--repo", str(tmp_path)]) == 0
    (tmp_path / ".github" / "quarterdeck.yml").write_text("# mine\n", encoding="utf-8")
    assert main(["init", "--repo", str(tmp_path)]) == 1
    assert "already exist" in capsys.readouterr().err
    assert (tmp_path / ".github" / "quarterdeck.yml").read_text(encoding="utf-8") == "# mine\n"


def test_schema_matches_the_committed_file(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["schema"]) == 0
    committed = (ROOT / "schema" / "quarterdeck.schema.json").read_text(encoding="utf-8")
    assert capsys.readouterr().out == committed, (
        "schema/quarterdeck.schema.json is stale: run "
        "`quarterdeck schema > schema/quarterdeck.schema.json`"
    )


def test_console_script_help_reads_well() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "quarterdeck", "review", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    text = " ".join(result.stdout.split())
    assert "--month YYYY-MM month to review (default: the last full month)" in text
