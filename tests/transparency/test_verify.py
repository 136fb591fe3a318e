"""Tamper evidence: `manage.py verify_provenance` names the first record that does not hold."""

import pytest
from django.core.management import CommandError, call_command

from transparency.models import ChainHead, ProvenanceRecord
from transparency.services import chain_verify, record_append


@pytest.fixture
def chain(db) -> list[ProvenanceRecord]:
    return [
        record_append(kind="upload", subject=f"version:{n}", payload={"version": n, "size": n * 10})
        for n in range(1, 6)
    ]


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_provenance", stdout=out)
    return out.getvalue()


def test_an_intact_chain_verifies(chain):
    assert verify() == "Provenance chain intact: 5 records.\n"
    head = ChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (5, chain[-1].hash)
    assert [r.prev_hash for r in chain[1:]] == [r.hash for r in chain[:-1]]


def test_changing_one_payload_is_named(chain):
    ProvenanceRecord.objects.filter(seq=3).update(payload={"version": 3, "size": 999})
    with pytest.raises(CommandError) as failure:
        verify()
    assert str(failure.value) == (
        "Provenance chain broken at record #3: its fields differ from the hashed JSON"
    )


def test_rewriting_payload_and_canonical_together_is_named(chain):
    # A careful forger also rewrites the canonical text: the hash then gives it away.
    record = chain[1]
    forged = record.canonical.replace('"size":20', '"size":21')
    ProvenanceRecord.objects.filter(pk=record.pk).update(
        payload={"version": 2, "size": 21}, canonical=forged
    )
    with pytest.raises(CommandError) as failure:
        verify()
    assert str(failure.value) == (
        "Provenance chain broken at record #2: its hash does not match its content"
    )


def test_deleting_a_record_is_named(chain):
    ProvenanceRecord.objects.filter(seq=4).delete()
    with pytest.raises(CommandError) as failure:
        verify()
    assert str(failure.value) == (
        "Provenance chain broken at record #4: record #4 is missing (next is #5)"
    )


def test_deleting_the_last_record_is_named(chain):
    ProvenanceRecord.objects.filter(seq=5).delete()
    problem = chain_verify()
    assert problem is not None
    assert (problem.seq, problem.reason) == (5, "the head says #5 but the chain ends at #4")
    with pytest.raises(CommandError, match=r"record #5"):
        verify()
