"""Concurrent appends never fork the chain: the head row lock serialises them."""

import threading

import pytest
from django.db import connection, connections

from transparency.models import ChainHead, ProvenanceRecord
from transparency.services import chain_verify, record_append

THREADS = 6
APPENDS = 20


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_form_one_chain():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (CI runs it); SQLite has a single writer anyway")
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait()
            for i in range(APPENDS):
                record_append(kind="test", subject=f"thread:{n}", payload={"n": n, "i": i})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = THREADS * APPENDS
    records = list(ProvenanceRecord.objects.order_by("seq"))
    assert [r.seq for r in records] == list(range(1, total + 1))
    assert len({r.prev_hash for r in records}) == total  # no two records share a parent
    head = ChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (total, records[-1].hash)
    assert chain_verify() is None
