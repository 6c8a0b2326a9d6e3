"""`ressenti users disable | enable | remove | passwd | role`: each change that takes a right
away ends the account's open sessions, from another process than the app's."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from agents.cli import app
from agents.core.config import Settings
from agents.services.root import Root

runner = CliRunner()
PASSWORD = "kim-pass-123"


def test_each_change_ends_the_sessions_an_open_app_holds(tmp_path: Path) -> None:
    env = {"RESSENTI_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "160"}
    add = ["users", "add", "--email", "kim@lumio.fr", "--role", "agent", "--password-stdin"]
    assert runner.invoke(app, add, input=f"{PASSWORD}\n", env=env).exit_code == 0
    app_root = Root(Settings(data_dir=tmp_path / "data", _env_file=None))  # type: ignore[call-arg]

    def session(password: str = PASSWORD) -> str:
        result = app_root.signins.sign_in("kim@lumio.fr", password, address="10.0.0.1", lang="fr")
        assert result.token, result
        return result.token

    def command(*args: str, stdin: str | None = None) -> str:
        done = runner.invoke(app, ["users", *args, "--email", "kim@lumio.fr"], input=stdin, env=env)
        assert done.exit_code == 0, done.output
        return done.output

    try:
        token = session()
        assert "sessions are over" in command("disable")
        assert app_root.sessions.resolve(token) is None
        assert "no" in runner.invoke(app, ["users", "list"], env=env).output
        assert "Enabled" in command("enable")

        token = session()
        assert "now admin" in command("role", "--role", "admin")
        assert app_root.sessions.resolve(token) is None

        token = session()
        command("passwd", "--password-stdin", stdin="kim-new-pass-4\n")
        assert app_root.sessions.resolve(token) is None

        token = session("kim-new-pass-4")
        assert "Removed" in command("remove")
        assert app_root.sessions.resolve(token) is None
        missing = runner.invoke(app, ["users", "disable", "--email", "kim@lumio.fr"], env=env)
        assert missing.exit_code == 1 and "no account" in missing.output
    finally:
        app_root.close()
