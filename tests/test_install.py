"""What each command needs installed, and imports: the core package runs the CLI and the
Action; `serve`, `worker` and `schedule` need the `app` extra and say so when it is
missing. Each test runs the real entry point in a child Python."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.gitrepo import GitRepo

ROOT = Path(__file__).resolve().parent.parent

# What the `app` extra brings (pyproject.toml), by import name.
APP_PACKAGES = (
    "flask",
    "github_webhook",
    "uvicorn",
    "h11",
    "a2wsgi",
    "redis",
    "rq",
    "prometheus_client",
)


def run_without(
    blocked: tuple[str, ...], argv: list[str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """`quarterdeck argv` in a child Python where importing `blocked` fails, as it does
    when they are not installed (a None in sys.modules makes `import` raise)."""
    code = (
        "import sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None\n"
        "from quarterdeck.cli import main\n"
        f"raise SystemExit(main({argv!r}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUARTERDECK_", "REDIS"))}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", ["serve", "worker", "schedule"])
def test_app_commands_without_the_app_extra_exit_1_naming_it(command: str, tmp_path: Path) -> None:
    done = run_without(APP_PACKAGES, [command], tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"`quarterdeck {command}` runs the GitHub App" in done.stderr
    assert "install quarterdeck[app]" in done.stderr
    assert (
        "missing: flask, github_webhook, uvicorn, h11, a2wsgi, redis, rq, prometheus_client"
        in done.stderr
    )


def test_one_missing_app_package_is_named_alone(tmp_path: Path) -> None:
    done = run_without(("rq",), ["worker"], tmp_path)
    assert done.returncode == 1, done.stderr
    assert "(missing: rq)" in done.stderr
    assert "install quarterdeck[app]" in done.stderr


# What the CLI's offline commands must not load: the App, its servers and queue, the SQL
# toolkit (only a `sql:` metric needs it) and PyGithub (only GitHub mode needs it).
HEAVY = ("flask", "gunicorn", "uvicorn", "rq", "redis", "sqlalchemy", "github")


def one_pr_clone(path: Path) -> GitRepo:
    """A clone with one squash-merged PR in November 2026 (#1 Add login), no other file."""
    repo = GitRepo.init(path)
    repo.commit("Initial commit", {"README.md": "x"}, date=datetime(2026, 10, 1, tzinfo=UTC))
    repo.squash_pr(1, "Add login", {"a.py": "1"}, date=datetime(2026, 11, 2, tzinfo=UTC))
    return repo


def loaded_after(
    argv: list[str], cwd: Path, watched: tuple[str, ...] = HEAVY
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `quarterdeck argv` in a child Python; return its result and the modules it
    had imported when it ended that are in `watched` or inside a package of it."""
    found = cwd / "loaded.txt"
    code = (
        "import sys\n"
        "from quarterdeck.cli import main\n"
        "try:\n"
        f"    code = main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "finally:\n"
        f"    w = set({watched!r})\n"
        "    names = {m for m in list(sys.modules) if m in w or m.partition('.')[0] in w}\n"
        f"    open({str(found)!r}, 'w').write('\\n'.join(sorted(names)))\n"
        "raise SystemExit(code)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GITHUB_API_URL")}
    env["GITHUB_API_URL"] = "http://127.0.0.1:9/api/v3"  # never the network
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done, set(found.read_text().split())


def reviewed_loading(repo: GitRepo, cwd: Path, watched: tuple[str, ...]) -> set[str]:
    """Review November 2026 of `repo` (its #1 Add login shown) in a child Python; the
    `watched` modules it had loaded."""
    argv = ["review", "--repo", str(repo.path), "--month", "2026-11"]
    done, loaded = loaded_after(argv, cwd, watched)
    assert done.returncode == 0, done.stderr
    assert "#1 Add login" in done.stdout  # a real review was written
    return loaded


def test_version_and_an_offline_review_import_neither_the_app_nor_pygithub_nor_sqlalchemy(
    tmp_path: Path,
) -> None:
    done, loaded = loaded_after(["--version"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("quarterdeck ")
    assert loaded == set()
    repo = one_pr_clone(tmp_path / "web")
    assert reviewed_loading(repo, tmp_path, HEAVY) == set()
    for offline in (["link", "1"], ["validate"]):  # link: 0; validate: 1, no config
        done, loaded = loaded_after([*offline, "--repo", str(repo.path)], tmp_path)
        assert "Traceback" not in done.stderr
        assert loaded == set(), offline
    # The same child, when GitHub mode is asked for, does load PyGithub: the check sees it.
    argv = ["review", "--repo", str(repo.path), "--month", "2026-11", "--github", "acme/web"]
    done, loaded = loaded_after(argv, tmp_path)
    assert "github" in loaded


# What `--version` and an offline review do not build: the other commands (the root
# group builds them when named: `cli.base.LazyGroup`) and the process pool a repo's
# own templates render in.
LAZY = (
    "quarterdeck.cli.app",
    "quarterdeck.cli.app_register",
    "quarterdeck.cli.goals",
    "quarterdeck.cli.completion",
    "quarterdeck.webhook",
    "multiprocessing",
)


def test_version_and_an_offline_review_build_only_their_own_command(tmp_path: Path) -> None:
    done, loaded = loaded_after(["--version"], tmp_path, LAZY)
    assert done.returncode == 0, done.stderr
    assert loaded == set()
    repo = one_pr_clone(tmp_path / "web")
    assert reviewed_loading(repo, tmp_path, LAZY) == set()
    # A mistyped one is still suggested, in a fresh process where none is built yet.
    done, loaded = loaded_after(["scheudle"], tmp_path, LAZY)
    assert done.returncode == 2
    assert "No such command 'scheudle'. Did you mean 'schedule'?" in done.stderr
    assert loaded == set()
    # Naming a lazy command builds it (and the check sees it).
    done, loaded = loaded_after(["schedule", "--help"], tmp_path, LAZY)
    assert done.returncode == 0, done.stderr
    assert "quarterdeck.cli.app" in loaded


# What reading Quarterdeck's own files needs: validators and a YAML parser.
VALIDATING = ("pydantic", "pydantic_core", "yaml")


def test_an_offline_review_without_quarterdeck_files_imports_neither_pydantic_nor_yaml(
    tmp_path: Path,
) -> None:
    """With no config, goals, objectives or metrics file, every setting takes its
    default: nothing is validated, so the validators are not loaded (issue 23's start-up).
    The first file of each kind brings them."""
    repo = one_pr_clone(tmp_path / "web")
    assert reviewed_loading(repo, tmp_path, VALIDATING) == set()
    files = {
        ".github/quarterdeck.yml": "review:\n  timezone: UTC\n",
        "goals/2026-Q4.yml": "- {id: login, title: Login, team: web, owners: [alice]}\n",
        "metrics/2026-11.yml": "revenue: {mrr: 1200}\n",
    }
    for path, text in files.items():  # each file alone is read, so validated
        other = GitRepo.init(tmp_path / path.replace("/", "-"))
        when = datetime(2026, 10, 1, tzinfo=UTC)
        other.commit("Initial commit", {"README.md": "x", path: text}, date=when)
        other.squash_pr(1, "Add login", {"a.py": "1"}, date=datetime(2026, 11, 2, tzinfo=UTC))
        done, loaded = loaded_after(
            ["review", "--repo", str(other.path), "--month", "2026-11"], tmp_path, VALIDATING
        )
        assert "Traceback" not in done.stderr, path
        assert {"pydantic", "yaml"} <= loaded, path


BUSINESS = (
    "quarterdeck.core.business.breakdown",
    "quarterdeck.core.business.definitions",
    "quarterdeck.core.business.figure_charts",
    "quarterdeck.core.business.figures",
    "quarterdeck.core.business.series",
    "quarterdeck.core.outbound_policy",
    "quarterdeck.core.review.evidence",
    "statistics",
)


def test_an_offline_review_without_metrics_never_loads_the_business_core(
    tmp_path: Path,
) -> None:
    """Figures, breakdowns and question tables are loaded by a review that shows some
    (issue 23's start-up): a clone without metrics imports none of them; a metrics file
    brings them, figures drawn."""
    repo = one_pr_clone(tmp_path / "web")
    assert reviewed_loading(repo, tmp_path, BUSINESS) == set()

    config = (
        "teams:\n  web: {lead: dev, members: [dev], owns: {paths: ['**']}}\n"
        "metrics:\n  - {id: mrr, file: revenue.mrr}\n"
    )
    files = {".github/quarterdeck.yml": config, "metrics/2026-11.yml": "revenue: {mrr: 1200}\n"}
    repo.commit("Metrics", files, date=datetime(2026, 11, 3, tzinfo=UTC))
    argv = ["review", "--repo", str(repo.path), "--month", "2026-11"]
    done, loaded = loaded_after(argv, tmp_path, BUSINESS)
    assert done.returncode == 0, done.stderr
    assert "1,200" in done.stdout or "1200" in done.stdout
    assert {"quarterdeck.core.business.figures", "statistics"} <= loaded


def test_importing_the_config_builds_no_validator_for_goals_or_objectives_files() -> None:
    """A goals or objectives file's validator is built when such a file is read, not
    when the config package is imported: `RootModel[list[GoalSpec]]` would build the
    whole goal schema at import, in every run, though most read no goals file. Checked
    in a fresh Python, as pydantic builds on first use."""
    code = (
        "from quarterdeck.core.config.schema import GoalsFile, ObjectivesFile\n"
        "for file in (GoalsFile, ObjectivesFile):\n"
        "    for base in file.__mro__:\n"
        "        if 'Spec' in base.__name__ and getattr(base, '__pydantic_complete__', 0):\n"
        "            print(base.__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


def test_the_cli_skips_pydantic_plugins_unless_asked(tmp_path: Path) -> None:
    """An installed distribution declaring a `pydantic` entry point (a plugin) is not
    loaded by a review: pydantic's scan of every distribution's entry points is start-up
    time Quarterdeck does not need. PYDANTIC_DISABLE_PLUGINS="" brings plugins back."""
    site = tmp_path / "site"
    dist = site / "recorder_plugin-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: recorder-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[pydantic]\nrecorder = recorder_plugin:plugin\n")
    marker = tmp_path / "plugin-loaded"
    (site / "recorder_plugin.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "class _Plugin:\n"
        "    def new_schema_validator(self, *args, **kwargs):\n"
        "        return None, None, None\n"
        "plugin = _Plugin()\n"
    )
    # A config file to validate: a repository without one never imports pydantic.
    files = {"README.md": "x", ".github/quarterdeck.yml": "review:\n  timezone: UTC\n"}
    repo = GitRepo.init(tmp_path / "web")
    repo.commit("Initial commit", files, date=datetime(2026, 10, 1, tzinfo=UTC))
    repo.squash_pr(1, "Add login", {"a.py": "1"}, date=datetime(2026, 11, 2, tzinfo=UTC))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYDANTIC_", "GITHUB_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    argv = [sys.executable, "-m", "quarterdeck", "review", "--repo", str(repo.path)]
    argv += ["--month", "2026-11"]
    for wanted, extra in ((False, {}), (True, {"PYDANTIC_DISABLE_PLUGINS": ""})):
        marker.unlink(missing_ok=True)
        done = subprocess.run(
            argv, env={**env, **extra}, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        assert "#1 Add login" in done.stdout
        assert marker.exists() is wanted, extra


def test_the_core_install_runs_the_demo_without_the_app(tmp_path: Path) -> None:
    """The README's first command in a fresh environment: `python -m venv` and
    `pip install .` (the core package, no extra), then `quarterdeck demo`; Flask (the
    App's) is not installed. Slow on purpose (~20-60 s): it really creates a venv and
    installs into it, with this machine's pip settings (its index or mirror), as a new
    user's machine does; nothing else exercises the packaging metadata."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    demo = subprocess.run(
        [str(venv / "bin" / "quarterdeck"), "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr
    assert "# Growth review: product-analytics — November 2026" in demo.stdout
    assert "## Revenue" in demo.stdout  # the embedded warehouse's `sql:` figures
    flask = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import flask"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert flask.returncode == 1
    assert "No module named 'flask'" in flask.stderr
    serve = subprocess.run(
        [str(venv / "bin" / "quarterdeck"), "serve"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert serve.returncode == 1
    assert "install quarterdeck[app]" in serve.stderr


def test_the_readme_tool_install_puts_quarterdeck_on_the_path(tmp_path: Path) -> None:
    """The README's second line, `pipx install .`, from a fresh environment: pipx (from
    the package index, as a new user gets it) installs the clone into its own venv and
    links `quarterdeck` into a bin folder; a shell with that folder on its PATH finds the
    command and runs the demo. Slow on purpose, like the test above."""
    tools = tmp_path / "tools"
    subprocess.run([sys.executable, "-m", "venv", str(tools)], check=True, timeout=120)
    got_pipx = subprocess.run(
        [str(tools / "bin" / "pip"), "install", "--quiet", "pipx"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert got_pipx.returncode == 0, got_pipx.stderr[-2000:]
    bin_dir = tmp_path / "bin"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PIPX_", "VIRTUAL_ENV"))},
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(bin_dir),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
    }
    install = subprocess.run(
        [str(tools / "bin" / "pipx"), "install", "--python", sys.executable, str(ROOT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    # Only the tool's bin folder and the system's: not this test run's venv.
    path = os.pathsep.join([str(bin_dir), "/usr/local/bin", "/usr/bin", "/bin"])
    shell = {**env, "PATH": path}
    which = subprocess.run(
        ["sh", "-c", "command -v quarterdeck && quarterdeck --version && quarterdeck demo"],
        cwd=tmp_path,
        env=shell,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert which.returncode == 0, which.stderr[-2000:]
    first, version = which.stdout.splitlines()[:2]
    assert Path(first).parent == bin_dir
    assert version.startswith("quarterdeck ")
    assert "# Growth review: product-analytics" in which.stdout
