"""Lifecycle of the local IPFS node the project installs and runs itself (dev and tests).

This module owns installing js-ipfs from the committed ``package.json`` / ``package-lock.json``,
initialising a private offline repo, and starting, checking and stopping its daemon. It is
deliberately js-ipfs specific: it is the embedded default only. Production points
``IPFS_API_ADDR`` at a Kubo node or IPFS Cluster and never uses this module.

The daemon runs offline, bound to 127.0.0.1, with no bootstrap peers, swarm listeners, MDNS or
delegates, so it never talks to anything but this machine. Its pid is kept in the repo, so a
node started by one process (``manage.py ipfs_node start``) can be stopped by another.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from django.conf import settings

JSIPFS_BIN: Final = Path("node_modules") / ".bin" / "jsipfs"
NPM_INSTALL: Final = ("npm", "ci", "--omit=optional", "--ignore-scripts")
PID_FILE: Final = "daemon.pid"
LOG_FILE: Final = "daemon.log"
DEFAULT_API_PORT: Final = 5001
DEFAULT_GATEWAY_PORT: Final = 8088
START_DEADLINE: Final = 60.0
STOP_GRACE: Final = 10.0
_LOCALHOST: Final = "127.0.0.1"
# V8 flags for the daemon. The embedded node shares a small host with the web and worker
# processes (2 cores here), and V8's parallel garbage collector then costs more CPU than it
# saves: its helper threads wait for cores the upload is using. On this machine kind a single
# GC thread cut the node's CPU per contended add by about a quarter (docs/benchmarks.md). This
# is a js-ipfs (Node.js) setting; production runs Kubo on its own host and has no equivalent.
NODE_V8_FLAGS: Final[tuple[str, ...]] = ("--single-threaded-gc",)


class NodeError(RuntimeError):
    """The local node could not be installed, initialised, started or stopped."""


@dataclass(frozen=True, slots=True)
class NodeStatus:
    running: bool  # a daemon process for this repo is alive
    healthy: bool  # and its API answers
    pid: int | None
    api_addr: str
    version: str | None


def project_dir() -> Path:
    """The directory holding ``package.json`` (the Django project root)."""
    return Path(getattr(settings, "BASE_DIR", Path(__file__).resolve().parent.parent))


def log_tail(repo_dir: Path, lines: int = 40) -> str:
    """The last lines of the daemon log, for error messages."""
    try:
        text = (Path(repo_dir) / LOG_FILE).read_text(errors="replace")
    except OSError:
        return "(no daemon log)"
    return "\n".join(text.splitlines()[-lines:]) or "(daemon log is empty)"


def ensure_installed(project: Path) -> Path:
    """Install js-ipfs from the lockfile if it is missing; return the ``jsipfs`` path."""
    project = Path(project)
    binary = project / JSIPFS_BIN
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        raise NodeError("npm is not installed; it is needed to install the local IPFS node")
    # Parallel test sessions may all find node_modules missing; one installs, the others wait.
    key = hashlib.sha256(str(project.resolve()).encode()).hexdigest()[:16]
    lock_path = Path(tempfile.gettempdir()) / f"coop-ipfs-install-{key}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.exists():
            return binary
        result = subprocess.run(  # noqa: S603 - fixed argv, npm resolved from PATH
            [npm, *NPM_INSTALL[1:]],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    if result.returncode != 0 or not binary.exists():
        output = (result.stdout + result.stderr).strip().splitlines()[-30:]
        raise NodeError("npm ci failed:\n" + "\n".join(output))
    return binary


def _node_binary() -> str:
    # jsipfs is a script run by ``node`` from PATH (its shebang); naming node here lets the
    # daemon take V8 flags, which a script's shebang line cannot pass portably.
    node = shutil.which("node")
    if node is None:
        raise NodeError("Node.js is not installed; it is needed to run the local IPFS node")
    return node


def _node_config(api_port: int, gateway_port: int) -> dict[str, Any]:
    return {
        "Addresses": {
            "API": f"/ip4/{_LOCALHOST}/tcp/{api_port}",
            "Gateway": f"/ip4/{_LOCALHOST}/tcp/{gateway_port}",
            # Nothing here uses js-ipfs' gRPC endpoint; an OS-chosen port keeps several nodes
            # (parallel test sessions) from colliding on its default 5003.
            "RPC": f"/ip4/{_LOCALHOST}/tcp/0",
            "Swarm": [],
            "Announce": [],
            "NoAnnounce": [],
            "Delegates": [],
        },
        "Bootstrap": [],
        "Discovery": {"MDNS": {"Enabled": False}, "webRTCStar": {"Enabled": False}},
    }


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


def init_repo(
    repo_dir: Path, api_port: int, gateway_port: int, *, project: Path | None = None
) -> None:
    """Create the repo if needed and (re)apply the local-only network settings.

    Idempotent: an existing repo keeps its identity and data; only its addresses and
    discovery settings are rewritten, so a changed port takes effect on the next start.
    A port of 0 lets the OS choose (see ``LocalNode.start``).
    """
    repo_dir = Path(repo_dir)
    wanted = _node_config(api_port, gateway_port)
    config_path = repo_dir / "config"
    if not config_path.exists():
        binary = ensure_installed(project or project_dir())
        repo_dir.mkdir(parents=True, exist_ok=True)
        seed = repo_dir / "init-config.json"
        seed.write_text(json.dumps(wanted))
        result = subprocess.run(  # noqa: S603 - fixed argv
            [str(binary), "init", "--empty-repo", "--profile", "test", str(seed)],
            env={**os.environ, "IPFS_PATH": str(repo_dir)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        seed.unlink(missing_ok=True)
        if result.returncode != 0 or not config_path.exists():
            raise NodeError(f"jsipfs init failed in {repo_dir}:\n{result.stdout}{result.stderr}")
    config = json.loads(config_path.read_text())
    for key, value in wanted.items():
        if isinstance(value, dict):
            config.setdefault(key, {}).update(value)
        else:
            config[key] = value
    _write_json_atomic(config_path, config)


def _set_api_port(repo_dir: Path, api_port: int) -> None:
    config_path = Path(repo_dir) / "config"
    config = json.loads(config_path.read_text())
    config["Addresses"]["API"] = f"/ip4/{_LOCALHOST}/tcp/{api_port}"
    _write_json_atomic(config_path, config)


def api_version(api_port: int, timeout: float = 2.0) -> str | None:
    """The version the API on ``api_port`` reports, or None if it does not answer."""
    request = urllib.request.Request(
        f"http://{_LOCALHOST}:{api_port}/api/v0/version", method="POST", data=b""
    )
    # Bypass any proxy from the environment: the node is on this machine.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return str(json.loads(response.read())["Version"])
    except (OSError, ValueError, KeyError):
        return None


_FAILURE_MARKERS: Final = ("EADDRINUSE", "EACCES", "Error:")


def _startup_failure(repo_dir: Path) -> str | None:
    try:
        text = (Path(repo_dir) / LOG_FILE).read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if any(marker in line for marker in _FAILURE_MARKERS):
            return line.strip()
    return None


def _read_pid(repo_dir: Path) -> int | None:
    try:
        return int((Path(repo_dir) / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def _is_our_daemon(pid: int, repo_dir: Path) -> bool:
    """True if ``pid`` is alive (not a zombie) and is a daemon for ``repo_dir``.

    The environment is checked because js-ipfs renames its process to ``ipfs``, and a pid
    from a stale pid file may since have been reused by an unrelated process.
    """
    proc = Path("/proc") / str(pid)
    try:
        stat = (proc / "stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
        environ = (proc / "environ").read_bytes().split(b"\0")
    except (OSError, IndexError):
        return False
    return f"IPFS_PATH={Path(repo_dir).resolve()}".encode() in environ


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: ask Linux to SIGTERM the node when the
    # process that started it dies, so a killed test run leaves no orphan daemon behind.
    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class LocalNode:
    """A js-ipfs daemon with its own repo, bound to 127.0.0.1.

    ``api_port=0`` lets the OS pick a free port on the first start; the chosen port is then
    written into the repo config, so ``api_addr`` stays the same across ``stop()``/``start()``.
    ``v8_flags`` go to Node.js before the daemon's script (``()`` runs stock js-ipfs).
    """

    def __init__(
        self,
        repo_dir: Path,
        api_port: int = DEFAULT_API_PORT,
        gateway_port: int = DEFAULT_GATEWAY_PORT,
        *,
        project: Path | None = None,
        v8_flags: tuple[str, ...] = NODE_V8_FLAGS,
    ) -> None:
        self.repo_dir = Path(repo_dir).resolve()
        self.api_port = api_port
        self.gateway_port = gateway_port
        self.project = Path(project) if project is not None else project_dir()
        self.v8_flags = v8_flags
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def from_settings(cls) -> LocalNode:
        """The dev node described by ``IPFS_LOCAL_*`` settings (repo ``<project>/.ipfs``)."""
        return cls(
            Path(getattr(settings, "IPFS_LOCAL_REPO", project_dir() / ".ipfs")),
            int(getattr(settings, "IPFS_LOCAL_API_PORT", DEFAULT_API_PORT)),
            int(getattr(settings, "IPFS_LOCAL_GATEWAY_PORT", DEFAULT_GATEWAY_PORT)),
        )

    def __repr__(self) -> str:
        return f"LocalNode({str(self.repo_dir)!r}, api_port={self.api_port})"

    @property
    def api_addr(self) -> str:
        """The API multiaddr, as ``IPFS_API_ADDR`` expects it."""
        return f"/ip4/{_LOCALHOST}/tcp/{self.api_port}/http"

    @property
    def pid(self) -> int | None:
        pid = _read_pid(self.repo_dir)
        return pid if pid is not None and _is_our_daemon(pid, self.repo_dir) else None

    def is_running(self) -> bool:
        """True if this repo's daemon is alive and its API answers."""
        return self.pid is not None and api_version(self.api_port) is not None

    def status(self) -> NodeStatus:
        pid = self.pid
        version = api_version(self.api_port) if pid is not None else None
        return NodeStatus(
            running=pid is not None,
            healthy=version is not None,
            pid=pid,
            api_addr=self.api_addr,
            version=version,
        )

    def install(self) -> None:
        ensure_installed(self.project)

    def init(self) -> None:
        init_repo(self.repo_dir, self.api_port, self.gateway_port, project=self.project)

    def start(self, *, detach: bool = False, deadline: float = START_DEADLINE) -> int:
        """Install, init and start the daemon; return its pid once the API answers.

        ``detach=True`` puts it in its own session so it outlives the caller (the management
        command); otherwise it is tied to the calling process and dies with it (tests).
        Raises NodeError with the daemon log tail if it does not come up within ``deadline``.
        """
        pid = self.pid
        if pid is not None:
            if api_version(self.api_port) is not None:
                return pid
            self.stop()
        self.install()
        self.init()
        # A crashed daemon leaves these behind, and js-ipfs then refuses to open the repo.
        for stale in ("repo.lock", "api"):
            stale_path = self.repo_dir / stale
            if stale_path.is_dir():
                shutil.rmtree(stale_path, ignore_errors=True)
            else:
                stale_path.unlink(missing_ok=True)
        with (self.repo_dir / LOG_FILE).open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - fixed argv
                [
                    _node_binary(),
                    *self.v8_flags,
                    str(self.project / JSIPFS_BIN),
                    "daemon",
                    "--offline",
                    "--enable-preload=false",
                ],
                env={**os.environ, "IPFS_PATH": str(self.repo_dir)},
                cwd=self.repo_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=detach,
                preexec_fn=None if detach or sys.platform != "linux" else _die_with_parent,
            )
        self._process = process
        (self.repo_dir / PID_FILE).write_text(f"{process.pid}\n")
        try:
            self._wait_ready(process, deadline)
        except NodeError:
            self.stop()
            raise
        return process.pid

    def _wait_ready(self, process: subprocess.Popen[bytes], deadline: float) -> None:
        give_up = time.monotonic() + deadline
        while time.monotonic() < give_up:
            if process.poll() is not None:
                raise NodeError(
                    f"IPFS daemon exited with {process.returncode} during start-up:\n"
                    + log_tail(self.repo_dir)
                )
            # js-ipfs logs start-up failures (e.g. EADDRINUSE) but keeps running, so without
            # this a taken port would only show after the whole deadline.
            failure = _startup_failure(self.repo_dir)
            if failure:
                raise NodeError(
                    f"IPFS daemon failed to start ({failure}):\n" + log_tail(self.repo_dir)
                )
            if self.api_port == 0:
                # js-ipfs writes the address it actually bound to into <repo>/api.
                with contextlib.suppress(OSError, ValueError, IndexError):
                    port = int((self.repo_dir / "api").read_text().split("/tcp/")[1].split("/")[0])
                    if port:
                        self.api_port = port
                        _set_api_port(self.repo_dir, port)
            if self.api_port and api_version(self.api_port, timeout=1.0) is not None:
                return
            time.sleep(0.1)
        raise NodeError(
            f"IPFS daemon did not answer on {self.api_addr} within {deadline:.0f}s:\n"
            + log_tail(self.repo_dir)
        )

    def stop(self, *, grace: float = STOP_GRACE) -> bool:
        """Stop the daemon (SIGTERM, then SIGKILL after ``grace`` s); True if one was running."""
        pid = self.pid
        process, self._process = self._process, None
        if process is not None and process.pid != pid:
            process.poll()  # reap our earlier child (it died; another daemon took over)
            process = None
        if pid is None:
            if process is not None:
                process.poll()  # reap a child that already died
            (self.repo_dir / PID_FILE).unlink(missing_ok=True)
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not self._wait_gone(pid, process, grace):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self._wait_gone(pid, process, 5.0)
            # A killed daemon cannot clean up after itself.
            (self.repo_dir / "repo.lock").unlink(missing_ok=True)
            (self.repo_dir / "api").unlink(missing_ok=True)
        (self.repo_dir / PID_FILE).unlink(missing_ok=True)
        return True

    def _wait_gone(self, pid: int, process: subprocess.Popen[bytes] | None, timeout: float) -> bool:
        if process is not None and process.pid == pid:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
            return True
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            if not _is_our_daemon(pid, self.repo_dir):
                return True
            time.sleep(0.05)
        return False
