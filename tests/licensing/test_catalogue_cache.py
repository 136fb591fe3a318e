"""The catalogue's cached responses: identical to fresh ones, never stale, still guarded; and
the catalogue generation that validates them, kept by database triggers."""

from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Member
from accounts.services import member_create, token_create
from licensing.models import CatalogueGeneration, LicenseOffer
from licensing.selectors import catalogue_generation
from licensing.services import offer_withdraw, purchase_create
from marketplace.models import (
    Dataset,
    DatasetContributor,
    DatasetVersion,
    Pin,
    VersionDerivation,
    VersionStatus,
)
from marketplace.services import version_set_status
from quality.models import DatasetRules, QualityOverride, QualityPolicy, QualityReport
from quality.services import override_create, policy_current, rules_set
from tests.factories import admit

pytestmark = pytest.mark.django_db

LIST = "/api/v1/datasets/"
HEADERS = ("Content-Type", "ETag", "Vary", "Allow", "X-Frame-Options")


def detail(dataset_id: int) -> str:
    return f"/api/v1/datasets/{dataset_id}/"


def croissant(dataset_id: int) -> str:
    return f"/api/v1/datasets/{dataset_id}/croissant"


def offer_ids(body: dict) -> list[int]:
    return [o["id"] for o in body["offers"]]


@pytest.fixture
def catalogue(alice, make):
    """Two admitted datasets, one with a second version, each with an offer."""
    air = make.dataset(alice, title="Air")
    make.version(alice, air.dataset)
    noise = make.dataset(alice, title="Noise")
    make.offer(alice, air.dataset, price=500)
    make.offer(alice, noise.dataset, price=900, use="commercial")
    return air.dataset, noise.dataset


@pytest.mark.parametrize("kind", ["list", "detail", "croissant"])
def test_a_warm_response_is_the_cold_one(bob, api_as, catalogue, kind):
    air, _ = catalogue
    url = {"list": LIST + "?page_size=1", "detail": detail(air.pk), "croissant": croissant(air.pk)}
    client = api_as(bob)

    cold = client.get(url[kind])
    warm = client.get(url[kind])

    assert cold.status_code == warm.status_code == HTTPStatus.OK
    assert warm.content == cold.content
    assert warm.json() == cold.json()
    assert {h: warm.get(h) for h in HEADERS} == {h: cold.get(h) for h in HEADERS}
    assert cold["ETag"]


def test_every_caller_gets_the_same_catalogue(bob, carol, mallory, api_as, catalogue):
    air, _ = catalogue
    for url in (LIST, detail(air.pk), croissant(air.pk)):
        bodies = [api_as(member).get(url).content for member in (bob, carol, mallory)]
        assert bodies[0] == bodies[1] == bodies[2], url


def test_a_new_offer_shows_at_once(alice, bob, api_as, make, catalogue):
    air, _ = catalogue
    client = api_as(bob)
    before = client.get(detail(air.pk)).json()
    client.get(LIST)

    offer = make.offer(alice, air, price=7_000, use="commercial")

    after = client.get(detail(air.pk)).json()
    assert offer_ids(after) == [*offer_ids(before), offer.pk]
    listed = {d["id"]: d for d in client.get(LIST).json()["results"]}
    assert offer.pk in offer_ids(listed[air.pk])


def test_a_withdrawn_offer_disappears_at_once(alice, bob, api_as, catalogue):
    air, _ = catalogue
    client = api_as(bob)
    offer = LicenseOffer.objects.get(dataset=air)
    assert offer_ids(client.get(detail(air.pk)).json()) == [offer.pk]
    assert client.get(LIST, {"use": "research"}).json()["count"] == 1

    offer_withdraw(user=alice.user, offer=offer)

    assert offer_ids(client.get(detail(air.pk)).json()) == []
    assert client.get(LIST, {"use": "research"}).json()["count"] == 0


def test_a_deleted_offer_disappears_at_once(bob, api_as, catalogue):
    """The admin can delete an unsold offer: no service is involved, the trigger still is."""
    _, noise = catalogue
    client = api_as(bob)
    assert len(client.get(detail(noise.pk)).json()["offers"]) == 1

    LicenseOffer.objects.filter(dataset=noise).delete()

    assert client.get(detail(noise.pk)).json()["offers"] == []


def test_an_admitted_version_shows_at_once(alice, bob, api_as, make, catalogue):
    _, noise = catalogue
    client = api_as(bob)
    pending = make.version(alice, noise, status=VersionStatus.CHECKING)
    assert [v["id"] for v in client.get(detail(noise.pk)).json()["versions"]] != [pending.pk]
    client.get(LIST)

    admit(pending)

    body = client.get(detail(noise.pk)).json()
    assert body["versions"][0]["id"] == pending.pk
    assert body["versions"][0]["quality"]["verdict"] == "admitted"
    listed = {d["id"]: d for d in client.get(LIST).json()["results"]}
    assert listed[noise.pk]["latest_version"]["id"] == pending.pk
    assert listed[noise.pk]["versions_admitted"] == 2


def test_a_rejected_version_disappears_at_once(bob, api_as, catalogue):
    air, _ = catalogue
    client = api_as(bob)
    versions = [v["id"] for v in client.get(detail(air.pk)).json()["versions"]]
    assert len(versions) == 2
    client.get(croissant(air.pk))

    version_set_status(air.versions.get(pk=versions[0]), VersionStatus.REJECTED, "Re-checked.")

    assert [v["id"] for v in client.get(detail(air.pk)).json()["versions"]] == versions[1:]
    doc = client.get(croissant(air.pk)).json()
    assert [f["@id"] for f in doc["distribution"]] == ["version-1"]


def test_a_new_admitted_dataset_shows_at_once(alice, bob, api_as, make, catalogue):
    client = api_as(bob)
    assert client.get(LIST).json()["count"] == 2
    pending = make.dataset(alice, title="Water", status=VersionStatus.CHECKING)
    assert client.get(LIST).json()["count"] == 2
    assert client.get(detail(pending.dataset_id)).status_code == HTTPStatus.NOT_FOUND

    admit(pending)

    body = client.get(LIST).json()
    assert body["count"] == 3
    assert body["results"][0]["title"] == "Water"
    assert client.get(detail(pending.dataset_id)).status_code == HTTPStatus.OK


def test_a_new_quality_report_and_override_show_at_once(bob, carol, api_as, catalogue):
    air, _ = catalogue
    client = api_as(bob)
    latest = air.versions.order_by("-number").first()
    assert client.get(detail(air.pk)).json()["quality"]["report"] is None

    report = QualityReport.objects.create(
        version=latest, policy=policy_current(), verdict="admitted", counts={"warnings": 2}
    )

    quality = client.get(detail(air.pk)).json()["quality"]
    assert (quality["report"], quality["warnings"], quality["overridden"]) == (report.pk, 2, False)

    override_create(user=carol.user, version=latest, decision="admitted", reason="Checked.")

    quality = client.get(detail(air.pk)).json()["quality"]
    assert quality["overridden"] is True
    assert quality["reason"] == "Curator override by carol: Checked."


def test_pagination_links_follow_the_host_and_scheme(bob, api_as, catalogue):
    client = api_as(bob)
    plain = client.get(LIST, {"page_size": 1}).json()
    secure = client.get(LIST, {"page_size": 1}, secure=True).json()
    other = client.get(LIST, {"page_size": 1}, HTTP_HOST="localhost").json()

    assert plain["next"] == "http://testserver/api/v1/datasets/?page=2&page_size=1"
    assert secure["next"] == "https://testserver/api/v1/datasets/?page=2&page_size=1"
    assert other["next"] == "http://localhost/api/v1/datasets/?page=2&page_size=1"


def test_if_none_match_gets_304_until_the_catalogue_changes(alice, bob, api_as, make, catalogue):
    air, _ = catalogue
    client = api_as(bob)
    first = client.get(detail(air.pk))
    etag = first["ETag"]

    again = client.get(detail(air.pk), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert again.content == b""
    assert again["ETag"] == etag
    # Another URL's tag does not match this one.
    assert client.get(LIST, HTTP_IF_NONE_MATCH=etag).status_code == HTTPStatus.OK

    make.offer(alice, air, price=3_000)

    changed = client.get(detail(air.pk), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == HTTPStatus.OK
    assert changed["ETag"] != etag


def test_if_none_match_star_does_not_hide_a_missing_dataset(bob, api_as, catalogue):
    response = api_as(bob).get(detail(999_999), HTTP_IF_NONE_MATCH="*")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "No such dataset in the catalogue."}


@pytest.mark.parametrize("kind", ["list", "detail", "croissant"])
def test_cached_responses_still_need_authentication(bob, api_as, catalogue, kind):
    air, _ = catalogue
    url = {"list": LIST, "detail": detail(air.pk), "croissant": croissant(air.pk)}[kind]
    warm = api_as(bob).get(url)
    assert warm.status_code == HTTPStatus.OK

    anonymous = APIClient().get(url, HTTP_IF_NONE_MATCH=warm["ETag"])
    assert anonymous.status_code == HTTPStatus.UNAUTHORIZED
    assert anonymous.json() == {"detail": "Authentication credentials were not provided."}

    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    response = forged.get(url)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {"detail": "Invalid or revoked token."}


def test_the_browsable_api_is_never_served_from_the_json_cache(bob, mallory, web_as, catalogue):
    """The HTML page names the signed-in member, so it is built for each request."""
    web_as(bob).get(LIST, HTTP_ACCEPT="application/json")

    page = web_as(mallory).get(LIST, HTTP_ACCEPT="text/html")

    assert page.status_code == HTTPStatus.OK
    assert page["Content-Type"].startswith("text/html")
    assert "mallory" in page.content.decode()
    assert "bob" not in page.content.decode()


def test_the_benchmark_baseline_authenticates_like_the_catalogue(
    bob, api_as, django_assert_num_queries
):
    """bench/api.py compares the catalogue with /api/v1/health/: both run token auth."""
    client = api_as(bob)
    client.get("/api/v1/health/")  # the token's last-use stamp is written once a minute
    with django_assert_num_queries(1):  # the token and its user, in one query
        assert client.get("/api/v1/health/").status_code == HTTPStatus.OK

    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert forged.get("/api/v1/health/").status_code == HTTPStatus.UNAUTHORIZED


# --- The catalogue generation ---------------------------------------------------------------


@dataclass
class World:
    """The ``catalogue`` fixture's datasets, with a report and an override on Air's newest
    version and an offer pinned to it, so that every table the catalogue shows has rows."""

    alice: Member
    carol: Member
    air: Dataset
    noise: Dataset
    latest: DatasetVersion
    pinned_offer: LicenseOffer
    report: QualityReport
    override: QualityOverride


@pytest.fixture
def world(alice, carol, make, catalogue) -> World:
    air, noise = catalogue
    latest = air.versions.order_by("-number").first()
    report = QualityReport.objects.create(
        version=latest, policy=policy_current(), verdict="admitted"
    )
    return World(
        alice=alice,
        carol=carol,
        air=air,
        noise=noise,
        latest=latest,
        pinned_offer=make.offer(alice, air, price=2_000, version_ids=[latest.pk]),
        report=report,
        override=override_create(
            user=carol.user, version=latest, decision="admitted", reason="Checked."
        ),
    )


Write = Callable[[], object]


def a_version(world: World, number: int) -> DatasetVersion:
    """A version row written straight through the ORM (no upload, no gate)."""
    return DatasetVersion.objects.create(
        dataset=world.noise,
        number=number,
        cid=f"bafytestgeneration{number}",
        sha256="0" * 64,
        size=10,
        format="csv",
        license="CC-BY-4.0",
        original_filename="data.csv",
        uploaded_by=world.alice.user,
    )


# Each prepares what its write needs, then returns the write: one insert, update or delete of a
# row in one table the catalogue shows, made without the services.
def dataset_insert(w: World) -> Write:
    return lambda: Dataset.objects.create(title="Water", license="CC0-1.0", created_by=w.alice.user)


def dataset_update(w: World) -> Write:
    return lambda: Dataset.objects.filter(pk=w.air.pk).update(description="Now with ozone")


def dataset_delete(w: World) -> Write:
    bare = Dataset.objects.create(title="Bare", license="CC0-1.0", created_by=w.alice.user)
    return bare.delete


def version_insert(w: World) -> Write:
    return lambda: a_version(w, 7)


def version_update(w: World) -> Write:
    return lambda: DatasetVersion.objects.filter(pk=w.latest.pk).update(row_count=99)


def version_delete(w: World) -> Write:
    return a_version(w, 7).delete


def contributor_insert(w: World) -> Write:
    return lambda: DatasetContributor.objects.create(dataset=w.air, user=w.carol.user)


def contributor_update(w: World) -> Write:
    return lambda: DatasetContributor.objects.filter(dataset=w.air).update(share_weight=3)


def contributor_delete(w: World) -> Write:
    carol = DatasetContributor.objects.create(dataset=w.air, user=w.carol.user)
    return carol.delete


def offer_insert(w: World) -> Write:
    return lambda: LicenseOffer.objects.create(
        dataset=w.noise, license="CC0-1.0", use="research", price=1, created_by=w.alice.user
    )


def offer_update(w: World) -> Write:
    return lambda: LicenseOffer.objects.filter(pk=w.pinned_offer.pk).update(price=1)


def offer_delete(w: World) -> Write:
    return lambda: LicenseOffer.objects.filter(dataset=w.noise).delete()


def offer_version_insert(w: World) -> Write:
    other = w.air.versions.exclude(pk=w.latest.pk).get()
    return lambda: w.pinned_offer.versions.add(other)


def offer_version_update(w: World) -> Write:
    through = LicenseOffer.versions.through
    other = w.air.versions.exclude(pk=w.latest.pk).get()
    return lambda: through.objects.filter(licenseoffer=w.pinned_offer).update(datasetversion=other)


def offer_version_delete(w: World) -> Write:
    return lambda: w.pinned_offer.versions.remove(w.latest)


def report_insert(w: World) -> Write:
    return lambda: QualityReport.objects.create(
        version=w.latest, policy=policy_current(), verdict="rejected"
    )


def report_update(w: World) -> Write:
    return lambda: QualityReport.objects.filter(pk=w.report.pk).update(counts={"warnings": 4})


def report_delete(w: World) -> Write:
    return w.report.delete


def override_insert(w: World) -> Write:
    return lambda: QualityOverride.objects.create(
        report=w.report, decision="rejected", reason="Wrong units.", curator=w.carol.user
    )


def override_update(w: World) -> Write:
    return lambda: QualityOverride.objects.filter(pk=w.override.pk).update(reason="Re-checked.")


def override_delete(w: World) -> Write:
    return w.override.delete


def username_update(w: World) -> Write:
    return lambda: get_user_model().objects.filter(pk=w.alice.user.pk).update(username="alicia")


@pytest.mark.parametrize(
    "prepare",
    [
        dataset_insert,
        dataset_update,
        dataset_delete,
        version_insert,
        version_update,
        version_delete,
        contributor_insert,
        contributor_update,
        contributor_delete,
        offer_insert,
        offer_update,
        offer_delete,
        offer_version_insert,
        offer_version_update,
        offer_version_delete,
        report_insert,
        report_update,
        report_delete,
        override_insert,
        override_update,
        override_delete,
        username_update,
    ],
)
def test_any_write_to_a_table_the_catalogue_shows_moves_the_generation(world, prepare):
    write = prepare(world)
    before = catalogue_generation()
    assert before is not None

    write()

    after = catalogue_generation()
    assert after is not None
    assert after != before


def a_login(w: World) -> Write:
    return lambda: Client().force_login(w.alice.user)  # stamps last_login


def a_user_saved_without_a_rename(w: World) -> Write:
    user = w.alice.user
    user.first_name = "Alice"
    return user.save  # every column is written, the username among them, unchanged


def a_new_member(w: World) -> Write:
    return lambda: member_create(username="dave", password=None)


def an_api_token(w: World) -> Write:
    return lambda: token_create(user=w.alice.user, name="laptop")


def a_pin(w: World) -> Write:
    return lambda: Pin.objects.update_or_create(
        version=w.latest, defaults={"cid": w.latest.cid, "status": "pinned"}
    )


def a_derivation(w: World) -> Write:
    parent = w.air.versions.exclude(pk=w.latest.pk).get()
    return lambda: VersionDerivation.objects.create(child=w.latest, parent=parent, weight="0.5")


def a_quality_policy(w: World) -> Write:
    return lambda: QualityPolicy.objects.create(number=policy_current().number + 1)


def dataset_rules(w: World) -> Write:
    return lambda: DatasetRules.objects.create(dataset=w.air, rules=[], revision=1)


@pytest.mark.parametrize(
    "prepare",
    [
        a_login,
        a_user_saved_without_a_rename,
        a_new_member,
        an_api_token,
        a_pin,
        a_derivation,
        a_quality_policy,
        dataset_rules,
    ],
)
def test_writes_the_catalogue_does_not_show_keep_the_generation(world, prepare):
    write = prepare(world)
    before = catalogue_generation()

    write()

    assert catalogue_generation() == before is not None


def test_a_credit_top_up_and_a_purchase_keep_the_generation(bob, fund, world):
    """The ledger, purchases and grants are not in the catalogue."""
    before = catalogue_generation()

    fund(bob, 10_000)
    purchase_create(
        buyer=bob.user, offer=world.pinned_offer, idempotency_key="k1", fingerprint="k1"
    )

    assert catalogue_generation() == before is not None


def test_a_declared_schema_change_moves_the_generation(world):
    """The Croissant document falls back to the declared schema, which ``rules_set`` writes
    with a queryset ``update()`` on the dataset: the dataset's trigger sees it, so the rules
    table itself needs none."""
    before = catalogue_generation()

    rules_set(
        user=world.alice.user,
        dataset=world.air,
        declared_schema=[{"name": "city", "type": "string"}],
    )

    assert catalogue_generation() not in (before, None)


def test_an_offer_changed_in_the_admin_shows_at_once(bob, api_as, world):
    root = get_user_model().objects.create_superuser(
        "root", "root@example.org", "a-long-root-password-42"
    )
    admin = Client()
    admin.force_login(root)
    client = api_as(bob)
    offer = world.pinned_offer
    assert [o["price"] for o in client.get(detail(world.air.pk)).json()["offers"]] == [500, 2_000]

    response = admin.post(
        f"/admin/licensing/licenseoffer/{offer.pk}/change/",
        {
            "dataset": world.air.pk,
            "license": offer.license,
            "use": offer.use,
            "price": 4_200,
            "currency": offer.currency,
            "duration_days": offer.duration_days,
            "all_versions": "on",
            "is_active": "on",
            "created_by": offer.created_by_id,
        },
    )

    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    body = client.get(detail(world.air.pk)).json()
    assert [(o["id"], o["price"], o["versions"]) for o in body["offers"]] == [
        (LicenseOffer.objects.get(dataset=world.air, price=500).pk, 500, []),
        (offer.pk, 4_200, []),
    ]


def test_queryset_updates_show_at_once(bob, api_as, world):
    """No service, no ``save()``, no timestamp moved: only the triggers see these."""
    client = api_as(bob)
    listed = client.get(LIST).json()["results"]
    assert [(d["title"], [c["username"] for c in d["contributors"]]) for d in listed] == [
        ("Noise", ["alice"]),
        ("Air", ["alice"]),
    ]
    assert client.get(detail(world.air.pk)).json()["versions"][0]["row_count"] == 3

    Dataset.objects.filter(pk=world.noise.pk).update(title="Street noise")
    get_user_model().objects.filter(pk=world.alice.user.pk).update(username="alicia")
    DatasetVersion.objects.filter(pk=world.latest.pk).update(row_count=4)

    listed = client.get(LIST).json()["results"]
    assert [(d["title"], [c["username"] for c in d["contributors"]]) for d in listed] == [
        ("Street noise", ["alicia"]),
        ("Air", ["alicia"]),
    ]
    assert client.get(detail(world.air.pk)).json()["versions"][0]["row_count"] == 4
    creators = client.get(croissant(world.air.pk)).json()["creator"]
    assert creators == [{"@type": "sc:Person", "name": "alicia"}]


def test_without_a_generation_row_responses_are_built_afresh(
    alice, bob, api_as, make, world, django_assert_num_queries
):
    """A TRUNCATE (Django's test flush) removes the row without firing a trigger: nothing is
    known about what changed, so nothing is served from or stored in the cache until a write
    brings the row back."""
    client = api_as(bob)
    url = detail(world.air.pk)
    client.get(url)
    warm = client.get(url)
    etag = warm["ETag"]

    CatalogueGeneration.objects.all().delete()

    assert catalogue_generation() is None
    # auth + generation + dataset + versions + offers + offer versions + contributors + the
    # latest report + its fields and override count, every time.
    for _ in range(2):
        with django_assert_num_queries(9):
            fresh = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert fresh.status_code == HTTPStatus.OK
        assert fresh.content == warm.content
        assert "ETag" not in fresh

    offer = make.offer(alice, world.air, price=3_000)

    assert catalogue_generation() is not None
    cold = client.get(url)
    assert offer.pk in offer_ids(cold.json())
    with django_assert_num_queries(2):  # auth + generation: cached again
        again = client.get(url)
    assert again.content == cold.content
    assert again["ETag"] == cold["ETag"] != etag


@pytest.mark.django_db(transaction=True)
def test_a_write_moves_the_generation_when_it_commits_and_not_when_rolled_back():
    alice = get_user_model().objects.create_user("alice")
    dataset = Dataset.objects.create(title="Air", license="CC0-1.0", created_by=alice)
    committed = catalogue_generation()
    assert committed is not None

    with pytest.raises(RuntimeError), transaction.atomic():
        Dataset.objects.filter(pk=dataset.pk).update(title="Rolled back")
        raise RuntimeError

    assert catalogue_generation() == committed

    with transaction.atomic():
        Dataset.objects.filter(pk=dataset.pk).update(title="Clean air")

    assert catalogue_generation() not in (committed, None)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's triggers fire at once")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_generation_moves_at_commit():
    """The triggers are deferred: the generation row is locked only while committing."""
    alice = get_user_model().objects.create_user("alice")
    dataset = Dataset.objects.create(title="Air", license="CC0-1.0", created_by=alice)
    before = catalogue_generation()

    with transaction.atomic():
        Dataset.objects.filter(pk=dataset.pk).update(title="Clean air")
        DatasetContributor.objects.create(dataset=dataset, user=alice)
        inside = catalogue_generation()

    assert inside == before
    assert catalogue_generation() not in (before, None)
