import pytest

from indus.tenancy.services import api_token_create


@pytest.fixture
def cli_env(live_server, user, project, monkeypatch, tmp_path):
    """A live server, credit's owner's real token in INDUS_URL/INDUS_TOKEN, and a config file
    location of the test's own."""
    _, secret = api_token_create(user=user, name="cli tests")
    env = {"INDUS_URL": live_server.url, "INDUS_TOKEN": secret, "INDUS_CONFIG": str(tmp_path / "config.json")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def indus(cli_env, capsys):
    """Run `indus ARGS...` in process: (exit code, stdout, stderr)."""
    from indus.cli.main import main

    def run(*argv):
        code = main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
