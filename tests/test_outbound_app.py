"""In the App, an installation's PostHog figures use the key its operator mapped to it
(QUARTERDECK_POSTHOG_KEYS) and nothing else: not another installation's, not the
operator's POSTHOG_PERSONAL_API_KEY; its `sql:` figures likewise query only the
warehouse URL mapped to it (QUARTERDECK_WAREHOUSE_URLS). Run by a real RQ worker
process against a real redis-server, over HTTP to the fake GitHub and to PostHog
listeners on 127.0.0.1, and on real SQLite warehouses.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from quarterdeck.core.business.figures import MetricFigure
from quarterdeck.core.calendar import Month
from quarterdeck.core.config import build_config
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.services.team_figures import team_figures
from quarterdeck.webhook.installation_access import installation_figures
from quarterdeck.webhook.settings import SettingsError, load_settings
from tests.fakegithub import FakeGitHub
from tests.fakegithub_http import HttpFront
from tests.fakeposthog import FakePostHog, allowing, serve
from tests.webhooks import SECRET
from tests.workers import RedisServer, worker_command, worker_env

ACME_KEY = "phx_acme_own_key_4Tq"
GLOBEX_KEY = "phx_globex_own_key_8Wn"
OPERATOR_KEY = "phx_operator_key_2Zc"
QUERY = "SELECT month, n FROM signups WHERE at >= {start} AND at < {end}"
FIRST_WORKING_DAY = "2026-12-01T12:00:00Z"


def config(host: str) -> str:
    return (
        "teams:\n  web:\n    lead: alice\n    members: [alice]\n    metrics:\n"
        "      - {id: signups, title: Signups, unit: count, section: Acquisition, "
        f"posthog: '{QUERY}'}}\n"
        f"sources:\n  posthog: {{host: '{host}', project: 12345}}\n"
    )


def run(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "quarterdeck", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return done.stdout + done.stderr


def review_body(github: FakeGitHub, repo: str) -> str:
    (issue,) = github.repos[repo].issues.values()
    return str(issue["body"])


def test_each_installation_uses_its_own_key_or_none(github: FakeGitHub, tmp_path: Path) -> None:
    posthog = FakePostHog(keys={k: {"query:read"} for k in (ACME_KEY, GLOBEX_KEY, OPERATOR_KEY)})
    posthog.answer(QUERY, [["2026-11-01", 7]])
    trap = FakePostHog(keys={k: {"query:read"} for k in (ACME_KEY, GLOBEX_KEY, OPERATOR_KEY)})
    server = RedisServer(tmp_path)
    front = HttpFront(github)
    try:
        with serve(posthog), serve(trap):
            github.add_repo("acme/web", files={".github/quarterdeck.yml": config(posthog.url)})
            github.add_repo("globex/web", files={".github/quarterdeck.yml": config(posthog.url)})
            # initech maps its own key, but its config points at a listener nobody allowed.
            github.add_repo("initech/web", files={".github/quarterdeck.yml": config(trap.url)})
            for number, (owner, iid) in enumerate(
                (("acme", 101), ("globex", 202), ("initech", 303))
            ):
                github.add_installation(iid, owner, [f"{owner}/web"])
                github.add_pull(
                    f"{owner}/web", number + 1, "Change", "2026-11-10T12:00:00Z",
                    author="alice", files=("a.py",),
                )  # fmt: skip
            env = {
                **worker_env(front.url, server.url),
                **allowing(posthog),
                "POSTHOG_PERSONAL_API_KEY": OPERATOR_KEY,
                "QUARTERDECK_POSTHOG_KEYS": json.dumps(
                    {"101": "ACME_POSTHOG_KEY", "303": "INITECH_POSTHOG_KEY"}
                ),
                "ACME_POSTHOG_KEY": ACME_KEY,
                "INITECH_POSTHOG_KEY": GLOBEX_KEY,
            }
            out = run(
                env, "schedule", "--month", "2026-11", "--retry", "0", "--now", FIRST_WORKING_DAY
            )
            log = run(env, *worker_command("--burst")[3:])
    finally:
        front.close()
        server.stop()

    assert log.count("scheduled reviews published") == 3, out + log
    # acme's figure came with acme's key, and only that key ever reached PostHog.
    assert [r["headers"]["authorization"] for r in posthog.requests] == [f"Bearer {ACME_KEY}"]
    assert "| Signups |" in review_body(github, "acme/web")
    assert "_unavailable" not in review_body(github, "acme/web")
    # globex has no key of its own: the operator's is not used, the figure is off.
    assert (
        "_unavailable: PostHog figures are off for this installation (202): the App's operator "
        "gives each installation its own key in QUARTERDECK\\_POSTHOG\\_KEYS_"
    ) in review_body(github, "globex/web")
    # initech's config names a host the operator did not allow: its key goes nowhere.
    assert trap.requests == []
    assert (
        f"_unavailable: PostHog host `{trap.url}` is not PostHog's US or EU cloud, and whoever "
        "runs Quarterdeck has not allowed it in QUARTERDECK\\_POSTHOG\\_HOSTS"
    ) in review_body(github, "initech/web")
    for key in (ACME_KEY, GLOBEX_KEY, OPERATOR_KEY):
        assert key not in out + log
        for repo in ("acme/web", "globex/web", "initech/web"):
            assert key not in review_body(github, repo)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("[1, 2]", "QUARTERDECK_POSTHOG_KEYS is not a JSON object"),
        ('{"acme": "A_KEY"}', "'acme' is not an installation id"),
        ('{"101": "phx_pasted_key"}', "must map to the name of an environment variable"),
        ('{"101": "POSTHOG_PERSONAL_API_KEY"}', "give each installation a PostHog key of its own"),
        ('{"101": "UNSET_POSTHOG_KEY"}', "maps to UNSET_POSTHOG_KEY, which is not set"),
        ("/nonexistent/keys.json", "QUARTERDECK_POSTHOG_KEYS=/nonexistent/keys.json: cannot read"),
    ],
)
def test_a_malformed_key_map_stops_the_app_with_a_message(value: str, words: str) -> None:
    env = {"QUARTERDECK_WEBHOOK_SECRET": SECRET, "QUARTERDECK_POSTHOG_KEYS": value}
    env |= {"POSTHOG_PERSONAL_API_KEY": OPERATOR_KEY}
    with pytest.raises(SettingsError) as failure:
        load_settings(env, require_app=False)
    assert words in str(failure.value)
    assert "phx_pasted_key" not in str(failure.value)


def test_the_key_map_may_live_in_a_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text('{"101": "ACME_POSTHOG_KEY"}', encoding="utf-8")
    env = {"QUARTERDECK_WEBHOOK_SECRET": SECRET, "QUARTERDECK_POSTHOG_KEYS": str(path)}
    env |= {"ACME_POSTHOG_KEY": ACME_KEY, "QUARTERDECK_POSTHOG_HOSTS": "https://ph.example"}

    settings = load_settings(env, require_app=False)

    (variable, key) = settings.posthog_keys[101]
    assert variable == "ACME_POSTHOG_KEY"
    assert key.get_secret_value() == ACME_KEY
    assert ACME_KEY in settings.secrets()  # registered with the redactor at start-up
    assert ACME_KEY not in repr(settings)
    assert settings.posthog_policy.allowed == frozenset({"https://ph.example"})


def _warehouse(path: Path, amount: float) -> str:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE invoices (paid_at TEXT, amount REAL)")
        db.execute("INSERT INTO invoices VALUES ('2026-11-05', ?)", (amount,))
    return f"sqlite:///{path}"


SQL_CONFIG = (
    "teams:\n  web:\n    lead: alice\n    metrics:\n"
    '      - {id: mrr, title: MRR, unit: usd, section: Revenue, sql: "SELECT substr(paid_at, '
    "1, 7) AS month, sum(amount) FROM invoices WHERE paid_at >= date(:start) AND paid_at < "
    'date(:end) GROUP BY month"}\n'
    "sources:\n  warehouse: {url_env: QUARTERDECK_WAREHOUSE_URL}\n"
)


def test_each_installation_queries_its_own_warehouse_or_none(tmp_path: Path) -> None:
    # The operator's own database sits in the variable every config names by default.
    operator_url = _warehouse(tmp_path / "operator.sqlite", 999_999.0)
    acme_url = _warehouse(tmp_path / "acme.sqlite", 1_200.0)
    env = {
        "QUARTERDECK_WEBHOOK_SECRET": SECRET,
        "QUARTERDECK_WAREHOUSE_URL": operator_url,
        "QUARTERDECK_WAREHOUSE_URLS": '{"101": "ACME_WAREHOUSE_URL"}',
        "ACME_WAREHOUSE_URL": acme_url,
    }
    settings = load_settings(env, require_app=False)
    config = build_config((".github/quarterdeck.yml", SQL_CONFIG), [])[0]

    def mrr(installation: int) -> MetricFigure:
        sources = installation_figures(settings, installation).bind(config)
        (figure,) = team_figures(config, "web", ReviewPeriod.of(Month(2026, 11)), sources)
        return figure

    acme, other = mrr(101), mrr(202)

    assert (acme.current, acme.unavailable) == (1_200.0, None)
    # No mapping: the config's url_env does not lend it the operator's database.
    assert other.current is None
    assert other.unavailable is not None
    assert "SQL figures are off for this installation (202)" in other.unavailable
    assert "QUARTERDECK_WAREHOUSE_URLS" in other.unavailable
    assert acme_url in settings.secrets()  # registered with the redactor at start-up
    assert acme_url not in repr(settings)


def test_the_operators_own_warehouse_variable_is_no_installations() -> None:
    env = {
        "QUARTERDECK_WEBHOOK_SECRET": SECRET,
        "QUARTERDECK_WAREHOUSE_URLS": '{"101": "QUARTERDECK_WAREHOUSE_URL"}',
        "QUARTERDECK_WAREHOUSE_URL": "sqlite:///x",
    }
    with pytest.raises(SettingsError) as failure:
        load_settings(env, require_app=False)
    assert "give each installation a warehouse URL of its own" in str(failure.value)
