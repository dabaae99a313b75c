"""``pathconvex-lab lab`` starts a real JupyterLab: token required, 127.0.0.1 only, clean stop.

The server is started by the command itself (a subprocess), with private Jupyter config and
runtime folders; the test reads the URL it prints, probes the REST API with and without the
token, checks the listening sockets, then presses Ctrl-C (SIGINT) and checks that the server
is gone.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from pathconvex_lab.commands.lab import HOST, LabLaunch, api_status, free_port, port_is_free

URL_LINE = re.compile(r"^open: (http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-f]+))$")
START_TIMEOUT_S = 150


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) of sockets in LISTEN state on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table, encoding="ascii") as handle:
            next(handle)
            for row in handle:
                fields = row.split()
                address, hex_port = fields[1].split(":")
                if int(hex_port, 16) == port and fields[3] == "0A":  # 0A = LISTEN
                    found.add(address)
    return found


def _non_loopback_ipv4() -> str | None:
    """An IPv4 address of this machine that is not 127.x, if there is one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent for UDP connect
            address = sock.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Run ``pathconvex-lab lab --no-browser`` on a copy-free temp folder; yield (launch, process)."""
    root = tmp_path_factory.mktemp("lab")
    (root / "nb").mkdir()
    (root / "nb" / "hello.txt").write_text("hello\n")
    env = dict(os.environ)
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime")):
        (root / sub).mkdir()
        env[var] = str(root / sub)
    log = open(root / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pathconvex_lab", "lab", "--no-browser", "--port", str(free_port()),
         "--notebook-dir", str(root / "nb")],
        stdout=subprocess.PIPE, stderr=log, env=env, text=True,
    )
    launch, server_pid = None, None
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while launch is None and time.monotonic() < deadline and proc.poll() is None:
            line = proc.stdout.readline().strip()
            if line.startswith("JupyterLab (pid "):
                server_pid = int(line.split()[2].rstrip(")"))
            match = URL_LINE.match(line)
            if match:
                launch = LabLaunch((), int(match.group(2)), root / "nb", match.group(3))
        if launch is None:
            log.flush()
            pytest.fail(f"no URL printed; log:\n{(root / 'server.log').read_text()[-3000:]}")
        # keep reading: a full, unread pipe would block whoever writes to it (command or server)
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield launch, proc, server_pid
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if server_pid is not None:
            try:
                os.kill(server_pid, signal.SIGKILL)  # only if the command failed to stop it
            except ProcessLookupError:
                pass
        log.close()


pytestmark = pytest.mark.slow


def test_token_is_required(served):
    launch, _, _ = served
    assert api_status(launch, "/api/status", token=launch.token) == 200
    assert api_status(launch, "/api/contents/hello.txt", token=launch.token) == 200
    assert api_status(launch, "/api/contents/hello.txt") == 403
    assert api_status(launch, "/api/contents/hello.txt", token="0" * len(launch.token)) == 403
    assert api_status(launch, "/api/sessions") == 403


def test_lab_page_without_token_redirects_to_login(served):
    launch, _, _ = served
    assert api_status(launch, "/lab") == 302
    assert api_status(launch, f"/lab?token={launch.token}") == 200


def test_the_lab_page_never_asks_about_news(served):
    """JupyterLab's "receive official Jupyter news?" pop-up covered a corner of the notebooks."""
    launch, _, _ = served
    with urllib.request.urlopen(f"{launch.base_url}/lab?token={launch.token}", timeout=30) as response:
        page = response.read().decode()
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))
    assert config["news"] == {"disabled": True}


def test_token_is_random_and_long(served):
    launch, _, _ = served
    assert len(launch.token) >= 32 and len(set(launch.token)) > 4


def test_listens_on_loopback_only(served):
    launch, _, _ = served
    if not os.path.exists("/proc/net/tcp"):
        pytest.skip("no /proc/net/tcp on this system")
    assert _listening_addresses(launch.port) == {"0100007F"}  # 127.0.0.1, little-endian hex
    other = _non_loopback_ipv4()
    if other is not None:
        with socket.socket() as sock:
            sock.settimeout(3)
            assert sock.connect_ex((other, launch.port)) != 0


def test_ctrl_c_stops_the_server(served):
    launch, proc, server_pid = served
    proc.send_signal(signal.SIGINT)
    try:
        assert proc.wait(60) == 0
    except subprocess.TimeoutExpired:
        log = (Path(launch.notebook_dir).parent / "server.log").read_text()
        pytest.fail(f"the command did not stop within 60 s of SIGINT; its log ends:\n{log[-3000:]}")
    deadline = time.monotonic() + 30
    while not port_is_free(launch.port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert port_is_free(launch.port)
    with pytest.raises(ProcessLookupError):
        os.kill(server_pid, 0)


def test_dry_run_plan_is_safe():
    proc = subprocess.run([sys.executable, "-m", "pathconvex_lab", "lab", "--dry-run", "--json", "--no-browser"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    argv = plan["argv"]
    assert argv[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ip={HOST}" in argv and f"--port={plan['port']}" in argv and "--no-browser" in argv
    assert ("--allow-root" in argv) == (os.geteuid() == 0)
    assert not [a for a in argv if "token" in a.lower() or "password" in a.lower() or "disable" in a.lower()]
    assert Path(plan["notebook_dir"]) == Path(__file__).resolve().parents[1] / "notebooks"
    assert "--LabApp.news_url=None" in argv  # no news pop-up covering the page
    assert plan["url"].startswith(f"http://{HOST}:{plan['port']}/lab?token=")


def test_dry_run_serves_the_current_folders_notebooks_first(tmp_path):
    """A second copy of the notebooks (the current folder's) wins over the installed checkout's."""
    (tmp_path / "notebooks").mkdir()
    proc = subprocess.run([sys.executable, "-m", "pathconvex_lab", "lab", "--dry-run", "--json", "--no-browser"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert Path(json.loads(proc.stdout)["notebook_dir"]) == tmp_path / "notebooks"

