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

The request and the outcome travel as JSON files in the check's temporary folder. Run as
``python -m quality.isolation REQUEST OUTCOME``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def gate_isolated(
    path: Path,
    fmt: str,
    *,
    policy_rules: list[dict[str, Any]],
    dataset_rules: list[dict[str, Any]],
    declared_schema: list[dict[str, str]] | None,
    workers: int,
    limits: dict[str, int],
    memory_bytes: int,
    group_bytes: int,
    parallel_min_rows: int,
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
                "workers": workers,
                "limits": limits,
                "memory_bytes": memory_bytes,
                "group_bytes": group_bytes,
                "parallel_min_rows": parallel_min_rows,
            }
        )
    )
    # glibc's per-thread arenas reserve 64 MiB of address space each; they count against
    # RLIMIT_AS without being used.
    env = dict(os.environ, MALLOC_ARENA_MAX="2")
    expected = "the checks run on the file"
    with errors.open("wb") as stderr:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "quality.isolation", str(request), str(result)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            code = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            # Whatever stops the wait (the timeout, Celery's soft time limit), the child goes.
            if child.poll() is None:
                child.kill()
                child.wait()
    if code is None:
        return _outcome(_refusal(expected, f"the checks did not finish within {timeout:g} s."))
    if code == 0 and result.exists():
        return _outcome(json.loads(result.read_text()))
    tail = errors.read_text(errors="replace")[-2000:]
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


def _limit_memory(memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def main(argv: list[str]) -> int:
    request_path, result_path = Path(argv[0]), Path(argv[1])
    request = json.loads(request_path.read_text())
    memory_bytes = int(request["memory_bytes"])
    _limit_memory(memory_bytes)
    from quality import checks
    from quality.reading import Limits, strip_paths

    expected = "the checks run on the file"
    try:
        outcome = dataclasses.asdict(
            checks.gate(
                Path(request["path"]),
                request["fmt"],
                policy_rules=request["policy_rules"],
                dataset_rules=request["dataset_rules"],
                declared_schema=request["declared_schema"],
                workers=int(request["workers"]),
                limits=Limits(**request["limits"]),
                group_bytes=int(request["group_bytes"]),
                parallel_min_rows=int(request["parallel_min_rows"]),
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
    sys.exit(main(sys.argv[1:]))
