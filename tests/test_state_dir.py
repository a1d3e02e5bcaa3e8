"""Where the App keeps its state: one documented directory, QUARTERDECK_STATE_DIR
(default `$XDG_STATE_HOME/quarterdeck`, else `~/.local/state/quarterdeck`), made
owner-only, never the folder `serve` happens to start in."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from quarterdeck.webhook.settings import SettingsError, load_settings
from tests.servers import served
from tests.test_security import WEBHOOK_SECRET
from tests.webhooks import private_key_pem

BASE = {
    "QUARTERDECK_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "QUARTERDECK_APP_ID": "4242",
    "QUARTERDECK_PRIVATE_KEY": private_key_pem(),
}


def test_state_lives_in_the_xdg_state_home_then_the_home_directory() -> None:
    xdg = load_settings({**BASE, "XDG_STATE_HOME": "/srv/state", "HOME": "/home/ann"})
    assert xdg.state_dir == Path("/srv/state/quarterdeck")
    assert xdg.deliveries_db == Path("/srv/state/quarterdeck/deliveries.sqlite3")

    # XDG's rule: a relative XDG_STATE_HOME is ignored.
    home = load_settings({**BASE, "XDG_STATE_HOME": "state", "HOME": "/home/ann"})
    assert home.state_dir == Path("/home/ann/.local/state/quarterdeck")
    assert home.deliveries_db == home.state_dir / "deliveries.sqlite3"


def test_the_state_dir_setting_wins_and_the_deliveries_db_is_still_honoured() -> None:
    chosen = load_settings(
        {**BASE, "QUARTERDECK_STATE_DIR": "/var/lib/quarterdeck", "XDG_STATE_HOME": "/srv"}
    )
    assert chosen.state_dir == Path("/var/lib/quarterdeck")
    assert chosen.deliveries_db == Path("/var/lib/quarterdeck/deliveries.sqlite3")

    own = load_settings(
        {
            **BASE,
            "QUARTERDECK_STATE_DIR": "/var/lib/quarterdeck",
            "QUARTERDECK_DELIVERIES_DB": "/data/claims.sqlite3",
        }
    )
    assert own.deliveries_db == Path("/data/claims.sqlite3")


def test_a_relative_state_dir_is_refused_with_the_other_problems() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({**BASE, "QUARTERDECK_APP_ID": "", "QUARTERDECK_STATE_DIR": "state"})
    message = str(info.value)
    assert message.startswith("2 settings are missing or invalid:")
    assert "QUARTERDECK_APP_ID is not set" in message
    assert "QUARTERDECK_STATE_DIR must be an absolute path (such as /var/lib/quarterdeck)" in (
        message
    )


def test_serve_keeps_its_journal_in_the_state_dir_made_owner_only(tmp_path: Path) -> None:
    work, state_home = tmp_path / "work", tmp_path / "xdg"
    work.mkdir()
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "XDG_STATE_HOME": str(state_home),
        **BASE,
    }
    with served(env, work, "--workers", "1"):
        state = state_home / "quarterdeck"
        assert stat.S_IMODE(state.stat().st_mode) == 0o700
        assert (state / "deliveries.sqlite3").is_file()  # opened at start-up
    assert list(work.iterdir()) == []  # nothing in the folder serve started in
    assert not (tmp_path / "home").exists()


def test_a_state_dir_that_cannot_be_made_stops_serve_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        **BASE,
        "QUARTERDECK_STATE_DIR": str(blocker / "state"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "quarterdeck", "serve", "--port", "0"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line == (
        f"quarterdeck: QUARTERDECK_STATE_DIR={blocker / 'state'}: cannot create it (Not a "
        "directory); create it writable by this user (mode 0700), or point "
        "QUARTERDECK_STATE_DIR at one that is"
    )
    assert os.listdir(tmp_path) == ["a-file"]


def test_serve_names_the_journal_an_older_version_left_in_its_folder(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "quarterdeck-deliveries.sqlite3").write_bytes(b"")  # where it used to go
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_STATE_HOME": str(tmp_path / "xdg"),
        **BASE,
    }
    with served(env, work, "--workers", "1") as running:
        pass
    journal = tmp_path / "xdg" / "quarterdeck" / "deliveries.sqlite3"
    assert (
        running.count(
            f"{work / 'quarterdeck-deliveries.sqlite3'} is the delivery journal of an older "
            f"version, no longer used: this one keeps it in {journal}. To keep the deliveries it "
            "holds, stop the App and move the file there, or set QUARTERDECK_DELIVERIES_DB="
        )
        == 1
    )
