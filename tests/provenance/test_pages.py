"""The model, run and member pages, registering a model, and the dataset page's picture."""

from http import HTTPStatus

from django.test import Client

from provenance.models import Model


def test_model_page_lists_runs_versions_and_contributors(graph):
    g = graph
    response = Client().get(f"/provenance/models/{g.m2.pk}/")
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert f'href="/provenance/runs/{g.r2.pk}/"' in html
    assert f'href="/provenance/runs/{g.r3.pk}/"' in html
    assert f'href="/versions/{g.c4.pk}/">Refined v1</a>' in html
    assert f'href="/versions/{g.a5.pk}/">Final v1</a>' in html
    assert f'<a href="/provenance/members/{g.carol.user.pk}/">carol</a> (1)' in html
    assert f'<a href="/provenance/members/{g.alice.user.pk}/">alice</a> (1)' in html
    assert f'data-node="model:{g.m2.pk}"' in html
    assert "vendor/cytoscape/cytoscape.min.js" in html


def test_dataset_page_shows_the_picture(graph):
    response = Client().get(f"/datasets/{graph.a3.dataset_id}/")
    assert response.status_code == HTTPStatus.OK
    assert f'data-node="dataset:{graph.a3.dataset_id}"' in response.content.decode()


def test_run_and_member_pages(graph):
    g = graph
    response = Client().get(f"/provenance/runs/{g.r1.pk}/")
    assert response.status_code == HTTPStatus.OK
    assert f'href="/versions/{g.a1.pk}/">Air v1</a>' in response.content.decode()
    response = Client().get(f"/provenance/members/{g.alice.user.pk}/")
    assert response.status_code == HTTPStatus.OK
    assert "Blend" in response.content.decode()
    assert Client().get("/provenance/runs/999999/").status_code == HTTPStatus.NOT_FOUND
    assert Client().get("/provenance/models/999999/").status_code == HTTPStatus.NOT_FOUND
    assert Client().get("/provenance/models/").status_code == HTTPStatus.OK


def test_register_a_model_in_the_ui(web_as, bob):
    client = web_as(bob)
    response = client.post(
        "/provenance/models/new/", {"name": "net", "description": "", "artifact_cid": "nope"}
    )
    assert response.status_code == HTTPStatus.OK
    assert "is not an IPFS CID" in response.content.decode()
    assert Model.objects.count() == 0
    response = client.post("/provenance/models/new/", {"name": "net", "description": "d"})
    model = Model.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/provenance/models/{model.pk}/"
    assert model.owner == bob.user


def test_registering_needs_a_login(db):
    response = Client().get("/provenance/models/new/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")
