"""The README's quick start on the embedded default, through the installed ``matchmaker`` script:
``init-db``, ``seed-demo --if-empty`` and ``serve``, then the pages over real HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from markupsafe import escape

from tests.cli.conftest import CONSOLE_SCRIPT, console_env
from tests.cli.test_seed_demo import REAL_DEMO, needs_real_demo

STARTUP_LIMIT_SECONDS = 60  # only a guard against hanging forever, never an assertion on speed


def matchmaker(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode("utf-8")


def wait_until_serving(process: subprocess.Popen[str], base: str) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"matchmaker serve exited with {process.returncode}:\n{output}")
        try:
            if get(f"{base}/healthz")[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"matchmaker serve did not answer within {STARTUP_LIMIT_SECONDS} s")


def public_demo_postings() -> list[dict[str, object]]:
    """The demo postings a visitor sees: active ones of approved companies."""
    approved = {
        company["key"]
        for company in json.loads((REAL_DEMO / "companies.json").read_text("utf-8"))
        if company["status"] == "approved"
    }
    lines = (REAL_DEMO / "postings.jsonl").read_text("utf-8").splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]
    return [p for p in entries if p["status"] == "active" and p["company"] in approved]


@needs_real_demo
def test_quick_start_serves_the_demo_data(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    env = console_env(instance)

    init = matchmaker("init-db", env=env)
    assert init.returncode == 0, init.stderr
    assert "upgraded from empty" in init.stdout
    seed = matchmaker("seed-demo", "--if-empty", env=env)
    assert seed.returncode == 0, seed.stderr
    assert "Loaded the demo data" in seed.stdout
    assert (instance / "matchmaker.sqlite3").is_file()
    again = matchmaker("seed-demo", "--if-empty", env=env)  # `make run` a second time
    assert again.returncode == 0, again.stderr
    assert "not loaded" in again.stdout

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_serving(process, base)
        public = public_demo_postings()
        titles = [str(escape(str(p["title"]))) for p in public]
        kinds = Counter(str(p["kind"]) for p in public)

        status, index = get(f"{base}/")
        assert status == 200
        assert f'data-count="needs">{kinds["need"]}<' in index
        assert f'data-count="offers">{kinds["offer"]}<' in index
        assert sum(title in index for title in titles) >= 1

        status, browse = get(f"{base}/postings")
        assert status == 200
        assert sum(title in browse for title in titles) >= 10

        wanted = next(p for p in public if "42CrMo4" in str(p["title"]))
        query = urllib.parse.urlencode({"q": "42CrMo4"})
        status, found = get(f"{base}/postings?{query}")
        assert status == 200
        assert str(escape(str(wanted["title"]))) in found
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
