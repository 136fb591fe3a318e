"""Reading lineage answers the two ways people get them: the API (with an outsider's token) and
the JSON the public page's picture reads (anonymous)."""

from collections.abc import Callable, Iterable
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.test import Client

from marketplace.models import Dataset, DatasetVersion, VersionStatus
from tests import factories
from tests.provenance.conftest import DAY

API_URL = "/api/v1/lineage/"
PAGE_URL = "/provenance/lineage.json"

Fetch = Callable[..., dict]


def make_version(
    owner,
    title: str,
    *,
    status: str = VersionStatus.ADMITTED,
    rows: int | None = 100,
    parents: Iterable[tuple[DatasetVersion, Decimal]] = (),
    day: int = 1,
    dataset: Dataset | None = None,
) -> DatasetVersion:
    """A version made through the services (tests/factories.py) and dated ``DAY[day]``: of a
    new dataset titled ``title``, or the next version of ``dataset``."""
    if dataset is None:
        return factories.dataset(
            owner, title=title, rows=rows, parents=parents, status=status, at=DAY[day]
        )
    return factories.version(owner, dataset, rows=rows, parents=parents, status=status, at=DAY[day])


def answer_sets(body: dict) -> tuple[dict, set]:
    """({node id: depth}, {(source, target, kind, weight)}) of a lineage answer."""
    nodes = {n["id"]: n["depth"] for n in body["nodes"]}
    edges = {(e["source"], e["target"], e["kind"], e["weight"]) for e in body["edges"]}
    return nodes, edges


def readers(api_client: Client) -> dict[str, Fetch]:
    """``{"api": fetch, "page": fetch}``: ``fetch(node, direction=..., depth=...)`` → the
    answer's body, through the API (with ``api_client``) or the page's JSON (anonymous)."""

    def reader(client: Client, url: str) -> Fetch:
        def get(node: str, **params) -> dict:
            response = client.get(url, {"node": node, **params})
            assert response.status_code == HTTPStatus.OK, response.json()
            return response.json()

        return get

    return {"api": reader(api_client, API_URL), "page": reader(Client(), PAGE_URL)}


@pytest.fixture(params=["api", "page"])
def fetch(request, api_as, mallory) -> Fetch:
    """One of ``readers`` (each test runs once per way); the outsider reads the API."""
    return readers(api_as(mallory))[request.param]


def union(*answers: tuple[dict, set]) -> tuple[dict, set]:
    """Several answers as one: each node at its smallest depth, every edge."""
    nodes: dict = {}
    edges: set = set()
    for answer_nodes, answer_edges in answers:
        for node, depth in answer_nodes.items():
            nodes[node] = min(depth, nodes.get(node, depth))
        edges |= answer_edges
    return nodes, edges
