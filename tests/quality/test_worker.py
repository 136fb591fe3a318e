"""Large and hostile files through the real pipeline: in CI the check runs in the real Celery
worker process (prefork, as tests/fixtures/celery_worker.py starts it), whose pool processes are
daemonic and may not start multiprocessing children."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from marketplace.models import VersionStatus
from quality.checks import PARALLEL_MIN_ROWS
from quality.models import QualityReport


def test_a_file_above_the_parallel_threshold_is_admitted_by_the_worker(upload, alice, tmp_path):
    rows = PARALLEL_MIN_ROWS + 1
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "id": np.arange(rows),
            "station": rng.choice(["Avenida", "Belem", "Olivais"], rows),
            "pm25": rng.normal(12, 3, rows).round(2),
        }
    )
    version = upload(alice, frame.to_csv(index=False), name="large.csv")
    assert (version.status, version.status_reason) == (VersionStatus.ADMITTED, "")
    assert version.row_count == rows
    report = QualityReport.objects.get(version=version)
    assert report.counts == {"checks": 7, "passed": 7, "critical_failed": 0, "warnings": 0}
    assert report.summary[0]["observed"] == f"{rows} rows, 3 columns"


def test_pathological_json_nesting_is_rejected_and_the_worker_goes_on(upload, alice):
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000 + "\n"
    version = upload(alice, deep, name="deep.jsonl", fmt="jsonl")
    assert version.status == VersionStatus.REJECTED
    assert version.status_reason == (
        "Rejected: The file nests objects or arrays more than 64 levels deep (line 1)."
    )
    nested = '{"a": {"b": [1, 2]}, "n": 1}\n{"a": {"b": [3]}, "n": 2}\n'
    after = upload(alice, nested, name="n.jsonl", fmt="jsonl")
    assert after.status == VersionStatus.ADMITTED


def test_a_decompression_bomb_is_rejected_without_being_expanded(upload, alice, tmp_path):
    path = tmp_path / "bomb.parquet"
    zeros = pa.table({"z": pa.array(np.zeros(10_000_000, dtype=np.int64))})
    with pq.ParquetWriter(path, zeros.schema, compression="zstd") as writer:
        for _ in range(39):
            writer.write_table(zeros)
    version = upload(alice, path.read_bytes(), name="bomb.parquet", fmt="parquet")
    assert version.status == VersionStatus.REJECTED
    assert version.status_reason == (
        "Rejected: The file is too large to check: more than 50,000,000 rows (the gate's limit)."
    )
