"""Sign-up, log-in, log-out, the profile page, roles and API tokens."""

from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import ApiToken, Member
from accounts.services import hash_token_key
from tests.factories import PASSWORD


@pytest.mark.django_db
def test_it_signs_up_a_member_with_roles_and_logs_them_in(client: Client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "erin",
            "email": "erin@example.org",
            "display_name": "Erin",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "is_contributor": "on",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/accounts/profile/"
    member = Member.objects.get(user__username="erin")
    assert (member.is_contributor, member.is_buyer, member.is_curator) == (True, False, False)
    assert member.roles == ["contributor"]
    assert client.get("/accounts/profile/").status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_sign_up_needs_a_role_and_cannot_claim_curator(client: Client):
    response = client.post(
        "/accounts/signup/",
        {"username": "erin", "password1": PASSWORD, "password2": PASSWORD, "is_curator": "on"},
    )

    assert response.status_code == HTTPStatus.OK
    assert "Choose at least one role" in response.content.decode()
    assert not get_user_model().objects.filter(username="erin").exists()


@pytest.mark.django_db
def test_log_in_and_log_out(client: Client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    assert client.get("/accounts/profile/").status_code == HTTPStatus.OK

    assert client.post("/accounts/logout/").status_code == HTTPStatus.FOUND
    response = client.get("/accounts/profile/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_wrong_password_is_refused(client: Client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == HTTPStatus.OK
    assert "Please enter a correct username and password" in response.content.decode()


@pytest.mark.django_db
def test_the_profile_edits_roles_but_not_curator(web_as, alice):
    client = web_as(alice)
    response = client.post(
        "/accounts/profile/",
        {"display_name": "Alice A.", "is_contributor": "on", "is_buyer": "on", "is_curator": "on"},
    )
    assert response.status_code == HTTPStatus.FOUND
    alice.refresh_from_db()
    assert (alice.display_name, alice.is_buyer, alice.is_curator) == ("Alice A.", True, False)


@pytest.mark.django_db
def test_a_token_is_shown_once_stored_hashed_and_authenticates(web_as, alice):
    client = web_as(alice)
    assert client.post("/accounts/tokens/", {"name": "laptop"}).status_code == HTTPStatus.FOUND

    first = client.get("/accounts/profile/").content.decode()
    token = ApiToken.objects.get(user=alice.user)
    key = first.split('<code id="new-token">')[1].split("</code>")[0]
    assert key.startswith("coop_") and token.prefix == key[:11]
    assert token.key_hash == hash_token_key(key) and key not in token.key_hash
    assert key not in client.get("/accounts/profile/").content.decode()  # shown once only

    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/versions/999/").status_code == HTTPStatus.NOT_FOUND
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db
def test_a_revoked_token_stops_working(web_as, alice):
    client = web_as(alice)
    client.post("/accounts/tokens/", {"name": "ci"})
    key = client.get("/accounts/profile/").content.decode().split('<code id="new-token">')[1]
    key = key.split("</code>")[0]
    token = ApiToken.objects.get(user=alice.user)

    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == HTTPStatus.FOUND

    token.refresh_from_db()
    assert token.revoked_at is not None
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/versions/1/")
    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.django_db
def test_nobody_revokes_someone_elses_token(web_as, alice, mallory):
    web_as(alice).post("/accounts/tokens/", {"name": "mine"})
    token = ApiToken.objects.get(user=alice.user)

    web_as(mallory).post(f"/accounts/tokens/{token.pk}/revoke/")

    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.django_db
def test_the_api_accepts_the_browser_session_with_its_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    assert client.get("/api/v1/versions/1/").status_code == HTTPStatus.NOT_FOUND

    refused = client.post("/api/v1/datasets/", {"title": "x"})
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert refused.json()["detail"].startswith("CSRF Failed")

    client.get("/accounts/profile/")  # sets the csrftoken cookie
    allowed = client.post(
        "/api/v1/datasets/",
        {"title": "x"},
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert allowed.status_code == HTTPStatus.BAD_REQUEST  # past CSRF, into validation
