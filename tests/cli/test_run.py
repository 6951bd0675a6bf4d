"""``matchmaker run`` (what ``make run`` starts): the web server and the scheduler as two
processes, started together and stopped together."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from tests.cli.conftest import CONSOLE_SCRIPT, console_env
from tests.cli.test_quick_start import free_port, matchmaker, wait_until_serving

GUARD_SECONDS = 60  # against hanging forever, never an assertion on speed


def _children(pid: int) -> dict[int, str]:
    found = subprocess.run(
        ["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    )
    pairs = (line.strip().split(" ", 1) for line in found.stdout.splitlines() if line.strip())
    return {int(child): args for child, args in pairs}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_run_serves_and_schedules_and_stops_both(tmp_path: Path) -> None:
    port = free_port()
    env = console_env(tmp_path / "instance", MATCHMAKER_PORT=str(port))
    assert matchmaker("init-db", env=env).returncode == 0
    with subprocess.Popen(
        [str(CONSOLE_SCRIPT), "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        try:
            wait_until_serving(process, f"http://127.0.0.1:{port}")
            children = _children(process.pid)
            commands = sorted(args.rsplit(" ", 1)[-1] for args in children.values())
            assert commands == ["scheduler", "serve"], children
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=GUARD_SECONDS)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, output
    assert [pid for pid in children if _alive(pid)] == []
