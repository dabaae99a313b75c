"""The command line: version, help, and bad input -> one line on stderr, exit 2, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pathconvex_lab
from pathconvex_lab.cli import COMMAND_MODULES, build_parser, main


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pathconvex_lab", *args], capture_output=True, text=True, timeout=120)


def _assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def _registered_commands() -> list[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return list(sub.choices)


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"pathconvex-lab {pathconvex_lab.__version__}"


def test_help_lists_every_registered_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    commands = _registered_commands()
    assert {"doctor", "lab"} <= set(commands)
    assert set(commands) <= set(COMMAND_MODULES)
    for name in commands:
        assert f"    {name}" in out


@pytest.mark.parametrize("name", _registered_commands())
def test_each_command_has_help(name, capsys):
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: pathconvex-lab {name}")


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: pathconvex-lab" in capsys.readouterr().out


def test_unknown_command():
    _assert_one_line_error(_run("frobnicate"), "invalid choice", "'frobnicate'")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("doctor", "--bogus"), ("unrecognized arguments: --bogus",)),
        (("lab", "--port", "0"), ("--port", "1 to 65535", "0")),
        (("lab", "--port", "http"), ("--port", "'http'")),
        (("lab", "--port", "70000"), ("--port", "70000")),
        (("lab", "--dry-run", "--notebook-dir", "/no/such/folder"), ("--notebook-dir", "/no/such/folder")),
        (("lab", "--json"), ("--json", "--dry-run")),
    ],
)
def test_bad_input_is_one_line_exit_2(args, fragments):
    _assert_one_line_error(_run(*args), *fragments)


def test_busy_port_is_a_one_line_error():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        _assert_one_line_error(_run("lab", "--dry-run", "--port", str(port)), f"--port {port}", "in use")
