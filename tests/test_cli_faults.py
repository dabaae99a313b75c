"""Faults a user causes: Ctrl-C during a long command, a closed pipe. Each command answers
within about two seconds with what it has (exit status 130), never a traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from argparse import Namespace

import pytest

from pathconvex_lab import cli


def _ctrl_c_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def test_ctrl_c_returns_the_partial_result_the_command_keeps():
    def work(args):
        try:
            while True:
                time.sleep(0.01)
        except KeyboardInterrupt:
            return {"interrupted": True, "best": 1.5}

    _ctrl_c_after(0.3)
    out = cli._run_interruptibly(Namespace(func=work, command="solve"))
    assert out == {"interrupted": True, "best": 1.5}


def test_ctrl_c_while_native_code_holds_the_worker_answers_within_the_grace_time():
    release = threading.Event()

    def work(args):
        release.wait(60)  # stands for a native solver call that ignores signals
        return {"never": "seen"}

    _ctrl_c_after(0.3)
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        cli._run_interruptibly(Namespace(func=work, command="solve"))
    assert time.perf_counter() - start < 0.3 + cli.GRACE_SECONDS + 5.0  # the grace time, not the 60 s call
    release.set()
    cli._ABANDONED.clear()


def test_interrupted_path_prints_the_betas_it_solved(ctrl_c_on_second_path_solve, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATHCONVEX_CACHE", str(tmp_path))
    code = cli.main(["path", "ds3", "--betas", "0.05,0.1,0.5", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 130
    assert out["interrupted"] is True and out["betas"] == [0.5] and out["unsolved_betas"] == [0.05, 0.1]
    assert len(out["upper_bounds"]) == len(out["statuses"]) == 1


@pytest.mark.slow
def test_a_real_interrupted_command_exits_130_within_seconds(tmp_path):
    """The console script, interrupted while it computes (whatever it is doing by then)."""
    env = {**os.environ, "PATHCONVEX_CACHE": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "pathconvex_lab", "path", "ds2", "--layers", "3", "--betas",
                             "0.001,0.002,0.005,0.01,0.02,0.05,0.1,1", "--groups", "exact", "--no-cache"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    # interrupt once it computes (its progress bar appears on stderr), not after a guess of how long
    # start-up takes on this machine
    first = []
    reader = threading.Thread(target=lambda: first.append(proc.stderr.read(1)), daemon=True)
    reader.start()
    reader.join(300)
    assert first and first[0], "the command printed no progress within 300 s"
    time.sleep(1)
    start = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    err = first[0] + err
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "interrupted" in err
    assert time.perf_counter() - start < 15  # the grace time plus start-up slack on a loaded machine


def test_a_closed_pipe_ends_quietly(tmp_path):
    proc = subprocess.run(f"{sys.executable} -m pathconvex_lab doctor --json | head -c 1", shell=True,
                          capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
