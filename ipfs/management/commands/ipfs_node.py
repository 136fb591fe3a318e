"""``manage.py ipfs_node start|stop|status``: run the local dev IPFS node in the background."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ipfs.node import LocalNode, NodeError, log_tail


class Command(BaseCommand):
    help = (
        "Install (npm ci), initialise and start, stop, or report on the local js-ipfs node. "
        "Defaults come from IPFS_LOCAL_REPO, IPFS_LOCAL_API_PORT and IPFS_LOCAL_GATEWAY_PORT."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("action", choices=["start", "stop", "status"])
        parser.add_argument("--repo", type=Path, help="repo directory (default: <project>/.ipfs)")
        parser.add_argument("--api-port", type=int, help="API port (default: 5001)")
        parser.add_argument("--gateway-port", type=int, help="gateway port (default: 8088)")

    def handle(self, *args: Any, **options: Any) -> None:
        default = LocalNode.from_settings()
        node = LocalNode(
            options["repo"] or default.repo_dir,
            options["api_port"] if options["api_port"] is not None else default.api_port,
            (
                options["gateway_port"]
                if options["gateway_port"] is not None
                else default.gateway_port
            ),
        )
        action = options["action"]
        try:
            if action == "start":
                self._start(node)
            elif action == "stop":
                stopped = node.stop()
                self.stdout.write("stopped" if stopped else "not running")
            else:
                self._status(node)
        except NodeError as error:
            raise CommandError(str(error)) from error

    def _start(self, node: LocalNode) -> None:
        if node.is_running():
            self.stdout.write(f"already running (pid {node.pid}) at {node.api_addr}")
            return
        pid = node.start(detach=True)
        self.stdout.write(self.style.SUCCESS(f"started (pid {pid}) at {node.api_addr}"))
        self.stdout.write(f"IPFS_API_ADDR={node.api_addr}")

    def _status(self, node: LocalNode) -> None:
        status = node.status()
        if status.healthy:
            self.stdout.write(
                f"running (pid {status.pid}), js-ipfs {status.version}, at {status.api_addr}"
            )
        elif status.running:
            self.stdout.write(
                f"running (pid {status.pid}) but its API at {status.api_addr} does not answer\n"
                + log_tail(node.repo_dir, 10)
            )
            raise CommandError("unhealthy")
        else:
            self.stdout.write(f"not running (repo {node.repo_dir})")
