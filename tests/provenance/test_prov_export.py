"""GET /api/v1/provenance/export?format=prov-json: W3C PROV-JSON the prov library reads back."""

from http import HTTPStatus

from prov.model import (
    ProvActivity,
    ProvAgent,
    ProvAssociation,
    ProvAttribution,
    ProvDerivation,
    ProvDocument,
    ProvEntity,
    ProvGeneration,
    ProvUsage,
)
from rest_framework.test import APIClient

from marketplace.models import DatasetContributor, DatasetVersion, VersionDerivation
from provenance.models import Model, TrainingRun, TrainingRunInput
from tests import factories
from tests.provenance.conftest import DAY

URL = "/api/v1/provenance/export"


def parse(response) -> ProvDocument:
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    return ProvDocument.deserialize(content=response.content.decode(), format="json")


def count(doc: ProvDocument, cls) -> int:
    return sum(1 for record in doc.get_records(cls))


def test_the_whole_graph_matches_the_database(graph, api_as, mallory, alice):
    # Not part of the graph:
    factories.dataset(alice.user, title="Pending", status="checking", at=DAY[6])
    doc = parse(api_as(mallory).get(URL, {"format": "prov-json"}))
    admitted = DatasetVersion.objects.filter(status="admitted")
    assert count(doc, ProvEntity) == admitted.count() + Model.objects.count() == 5 + 3
    # one upload and one quality check per admitted version, plus the runs
    assert count(doc, ProvActivity) == 2 * admitted.count() + TrainingRun.objects.count() == 14
    assert count(doc, ProvAgent) == 3  # alice, bob, carol (mallory has done nothing)
    assert count(doc, ProvUsage) == TrainingRunInput.objects.count() + admitted.count() == 5 + 5
    assert count(doc, ProvGeneration) == admitted.count() + TrainingRun.objects.count() == 9
    assert count(doc, ProvDerivation) == VersionDerivation.objects.count() == 4
    assert (
        count(doc, ProvAttribution)
        == (
            DatasetContributor.objects.filter(dataset__versions__in=admitted).count()
            + Model.objects.count()
        )
        == 8
    )
    assert count(doc, ProvAssociation) == admitted.count() + TrainingRun.objects.count() == 9
    derivations = {
        (str(r.formal_attributes[0][1]), str(r.formal_attributes[1][1]))
        for r in doc.get_records(ProvDerivation)
    }
    assert (f"coop:version-{graph.a3.pk}", f"coop:version-{graph.a1.pk}") in derivations


def test_a_root_limits_the_export_to_its_lineage(graph, api_as, bob):
    g = graph
    doc = parse(api_as(bob).get(URL, {"format": "prov-json", "root": g.key("m1"), "depth": 2}))
    # upstream of m1 at depth 2: r1, bob, a1, a3; nothing downstream.
    entities = {str(e.identifier) for e in doc.get_records(ProvEntity)}
    assert entities == {
        f"coop:model-{g.m1.pk}",
        f"coop:version-{g.a1.pk}",
        f"coop:version-{g.a3.pk}",
    }
    activities = {str(a.identifier) for a in doc.get_records(ProvActivity)}
    assert activities == {
        f"coop:run-{g.r1.pk}",
        f"coop:upload-{g.a1.pk}",
        f"coop:check-{g.a1.pk}",
        f"coop:upload-{g.a3.pk}",
        f"coop:check-{g.a3.pk}",
    }
    assert count(doc, ProvDerivation) == 1  # a3 from a1 (c1 is outside)
    assert count(doc, ProvUsage) == 2 + 2


def test_bad_parameters_are_400(graph, api_as, bob):
    response = api_as(bob).get(URL, {"format": "turtle"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {
        "detail": 'format: "turtle" is not a valid choice.',
        "errors": {"format": ['"turtle" is not a valid choice.']},
    }
    response = api_as(bob).get(URL, {"root": "model:999999"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "No model 999999 in the provenance graph."}


def test_anonymous_is_401(graph):
    assert APIClient().get(URL).status_code == HTTPStatus.UNAUTHORIZED
