"""Running the quality gate in a child process with a hard memory limit, so that no file can
take down the process that asked for the check (a Celery pool process, or the web process when
tasks run eagerly). No database access here.

Why a child process started with ``subprocess``:

- Celery's prefork pool processes are daemonic, and multiprocessing refuses them children
  ("daemonic processes are not allowed to have children"); a plain subprocess is allowed, and
  inside it the gate may fork its own GX workers again.
- ``RLIMIT_AS`` set in the child bounds its address space: an allocation beyond it fails
  (MemoryError, or Arrow's), the check is refused with that reason, and the host never swaps.
- A native crash (libarrow on a pathological file) kills only the child; the parent sees the
  signal and refuses the file with a reason.

Starting Python with GX takes 3-8 s here, so each parent process keeps one warm server
(``python -m quality.isolation --serve``, GX imported) that forks a fresh child per check; the
child sets the limit and runs the gate, and the server reports its pid and exit status. The
request and the outcome travel as JSON files in the check's temporary folder; a single check
also runs as ``python -m quality.isolation REQUEST OUTCOME``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quality.checks import Options

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]


def _gb(n: int) -> str:
    return f"{n / 1024**3:.1f} GiB"


def _refusal(expected: str, reason: str) -> dict[str, Any]:
    from quality.checks import builtin_row, counts_of

    row = builtin_row("builtin:run", expected, False, reason)
    return {
        "admitted": False,
        "reason": f"Rejected: {reason}",
        "rows": [row],
        "suite": [],
        "gx_result": None,
        "schema": None,
        "row_count": None,
        "counts": counts_of([row]),
    }


def _outcome(data: dict[str, Any]) -> Any:
    from quality.checks import GateOutcome

    return GateOutcome(**data)


class _Zygote:
    """A warm process (GX already imported: a cold start takes 3-8 s) that forks one child per
    check. One per parent process; started again if it died or the parent was forked."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None
        self.owner = 0

    def ready(self) -> subprocess.Popen[bytes]:
        proc = self.proc
        if proc is None or proc.poll() is not None or self.owner != os.getpid():
            # glibc's per-thread arenas reserve 64 MiB of address space each; they count
            # against RLIMIT_AS without being used.
            env = dict(os.environ, MALLOC_ARENA_MAX="2")
            proc = subprocess.Popen(
                [sys.executable, "-m", "quality.isolation", "--serve"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,
            )
            self.proc, self.owner = proc, os.getpid()
        return proc


_ZYGOTE = _Zygote()


def _read_line(proc: subprocess.Popen[bytes], deadline: float) -> dict[str, Any] | None:
    assert proc.stdout is not None  # noqa: S101 - set by Popen(stdout=PIPE)
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    ready, _, _ = select.select([proc.stdout], [], [], left)
    if not ready:
        return None
    line = proc.stdout.readline()
    if not line:
        raise ChildProcessError("the check process server stopped")
    data: dict[str, Any] = json.loads(line)
    return data


def _stop(proc: subprocess.Popen[bytes], pid: int | None) -> None:
    """Kill the check child (if it started) and the server, whose next line would now be out
    of step with the next request; the server is started again when next needed."""
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.kill()
    proc.wait()


def _run_in_child(request: Path, result: Path, errors: Path, timeout: float) -> int | None:
    """The child's exit status (negative: killed by that signal), or None on timeout."""
    deadline = time.monotonic() + timeout
    line = (json.dumps([str(request), str(result), str(errors)]) + "\n").encode()
    with _ZYGOTE.lock:
        for attempt in (1, 2):
            proc = _ZYGOTE.ready()
            assert proc.stdin is not None  # noqa: S101 - set by Popen(stdin=PIPE)
            pid: int | None = None
            done = None
            try:
                proc.stdin.write(line)
                proc.stdin.flush()
                started = _read_line(proc, deadline)
                if started is not None:
                    pid = int(started["pid"])
                    done = _read_line(proc, deadline)
            except (BrokenPipeError, ChildProcessError):
                # The server had died (killed, or its parent was forked): once more, afresh.
                _stop(proc, pid)
                if attempt == 2:
                    raise
                continue
            finally:
                # Whatever stopped the wait (the timeout, Celery's soft time limit), the
                # child goes, and so does the server.
                if done is None and proc.poll() is None:
                    _stop(proc, pid)
            return None if done is None else int(done["code"])
    return None


def gate_isolated(
    path: Path,
    fmt: str,
    *,
    policy_rules: list[dict[str, Any]],
    dataset_rules: list[dict[str, Any]],
    declared_schema: list[dict[str, str]] | None,
    options: Options,
    memory_bytes: int,
    timeout: float,
) -> Any:
    """``quality.checks.gate`` in a child process limited to ``memory_bytes`` of address space
    (each forked GX worker has the same limit). Never raises for anything the file does."""
    folder = path.parent
    request = folder / "gate-request.json"
    result = folder / "gate-outcome.json"
    errors = folder / "gate-stderr.txt"
    request.write_text(
        json.dumps(
            {
                "path": str(path),
                "fmt": fmt,
                "policy_rules": policy_rules,
                "dataset_rules": dataset_rules,
                "declared_schema": declared_schema,
                "options": options.as_dict(),
                "memory_bytes": memory_bytes,
            }
        )
    )
    expected = "the checks run on the file"
    code = _run_in_child(request, result, errors, timeout)
    if code is None:
        return _outcome(_refusal(expected, f"the checks did not finish within {timeout:g} s."))
    if code == 0 and result.exists():
        return _outcome(json.loads(result.read_text()))
    tail = errors.read_text(errors="replace")[-2000:] if errors.exists() else ""
    log.warning("quality check child for %s ended with %s:\n%s", path.name, code, tail)
    if code < 0:
        name = signal.Signals(-code).name
        if -code == signal.SIGKILL:
            reason = (
                f"the check process was stopped ({name}), most likely for using too much "
                "memory on this file."
            )
        else:
            reason = f"reading the file crashed the check process ({name}); it may be malformed."
    else:
        reason = f"the checks could not run on this file (the check process exited with {code})."
    return _outcome(_refusal(expected, reason))


def serve() -> int:
    """The warm server: one request per line on stdin, a forked child per request; answers
    ``{"pid": n}`` when the child starts and ``{"code": c}`` when it ends. Ends at EOF."""
    import great_expectations  # noqa: F401 - imported once here, inherited by every child

    from quality import checks  # noqa: F401

    for line in sys.stdin:
        request, result, errors = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                # The server's pipes are its protocol: the child writes only to its own file.
                fd = os.open(errors, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
                code = main([request, result])
            finally:
                os._exit(code)
        sys.stdout.write(json.dumps({"pid": pid}) + "\n")
        sys.stdout.flush()
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        sys.stdout.write(json.dumps({"code": code}) + "\n")
        sys.stdout.flush()
    return 0


def _limit_memory(memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def main(argv: list[str]) -> int:
    request_path, result_path = Path(argv[0]), Path(argv[1])
    request = json.loads(request_path.read_text())
    memory_bytes = int(request["memory_bytes"])
    _limit_memory(memory_bytes)
    from quality import checks
    from quality.reading import strip_paths

    expected = "the checks run on the file"
    try:
        outcome = dataclasses.asdict(
            checks.gate(
                Path(request["path"]),
                request["fmt"],
                policy_rules=request["policy_rules"],
                dataset_rules=request["dataset_rules"],
                declared_schema=request["declared_schema"],
                options=checks.Options.from_dict(request["options"]),
            )
        )
    except MemoryError:
        # Arrow's ArrowMemoryError is a MemoryError too.
        outcome = _refusal(
            expected,
            f"checking this file needs more than the {_gb(memory_bytes)} of memory a check "
            "may use.",
        )
    except Exception as exc:
        # A file that trips GX itself must still be refused with a reason, never admitted.
        logging.basicConfig()
        log.exception("quality gate failed")
        text = strip_paths(f"{type(exc).__name__}: {str(exc)[:200]}")
        outcome = _refusal(expected, f"the checks could not run on this file ({text}).")
    result_path.write_text(json.dumps(outcome, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(serve() if sys.argv[1:] == ["--serve"] else main(sys.argv[1:]))
