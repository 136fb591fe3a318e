"""The local node's process: the V8 flags the project starts js-ipfs with reach Node.js."""

import json
import os
import signal
import time
from pathlib import Path

from ipfs.node import NODE_V8_FLAGS, LocalNode


def node_report(node: LocalNode, directory: Path, timeout: float = 30.0) -> dict:
    """Ask the daemon for Node.js's diagnostic report (it lists the process's own flags)."""
    pid = node.pid
    assert pid is not None
    os.kill(pid, signal.SIGUSR2)
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        reports = sorted(directory.glob("report.*.json"))
        if reports:
            try:
                return json.loads(reports[0].read_text())
            except json.JSONDecodeError:
                pass  # still being written
        time.sleep(0.1)
    raise AssertionError(f"no diagnostic report in {directory} after {timeout}s")


def test_the_daemon_runs_with_the_projects_v8_flags(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    # Node writes a diagnostic report on SIGUSR2 when asked to; that is how the test sees the
    # command line js-ipfs hides by renaming its process.
    asked = ("--report-on-signal", "--report-signal=SIGUSR2", f"--report-directory={reports}")
    node = LocalNode(
        tmp_path / "repo",
        api_port=0,
        gateway_port=0,
        v8_flags=(*NODE_V8_FLAGS, *asked),
    )
    node.start()
    try:
        command_line = node_report(node, reports)["header"]["commandLine"]
        assert node.is_running()
    finally:
        node.stop()

    assert command_line[1 : 1 + len(NODE_V8_FLAGS) + len(asked)] == [*NODE_V8_FLAGS, *asked]
    assert command_line[-3:] == ["daemon", "--offline", "--enable-preload=false"]
