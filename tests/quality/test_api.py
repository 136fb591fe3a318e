"""GET /api/v1/versions/{id}/quality/ and GET/PUT /api/v1/datasets/{id}/rules/."""

from http import HTTPStatus

import pytest

from quality.models import DatasetRules
from tests.quality.conftest import NOT_NULL_PM25, NULLS_CSV


def test_the_report_is_served_as_json(checked, alice, api_as):
    version = checked(alice, NULLS_CSV, rules=[NOT_NULL_PM25])
    response = api_as(alice).get(f"/api/v1/versions/{version.pk}/quality/")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert {
        k: body[k]
        for k in (
            "version",
            "status",
            "verdict",
            "severity",
            "policy_version",
            "rules_revision",
            "override",
        )
    } == {
        "version": version.pk,
        "status": "rejected",
        "verdict": "rejected",
        "severity": "critical",
        "policy_version": 1,
        "rules_revision": 1,
        "override": None,
    }
    row = next(e for e in body["expectations"] if e["id"] == "rules:1")
    assert {
        k: row[k]
        for k in (
            "column",
            "success",
            "unexpected_count",
            "unexpected_percent",
            "sample",
            "expected",
        )
    } == {
        "column": "pm25",
        "success": False,
        "unexpected_count": 2,
        "unexpected_percent": 66.6667,
        "sample": [None, None],
        "expected": "pm25 has no missing values",
    }
    assert "gx_result" not in body
    full = api_as(alice).get(f"/api/v1/versions/{version.pk}/quality/?include=gx_result").json()
    assert full["gx_result"]["statistics"]["unsuccessful_expectations"] == 1


def test_outsiders_cannot_see_the_report_of_an_unadmitted_version(
    checked, alice, mallory, bob, carol, api_as, client
):
    version = checked(alice, NULLS_CSV, rules=[NOT_NULL_PM25])
    url = f"/api/v1/versions/{version.pk}/quality/"
    assert api_as(mallory).get(url).status_code == HTTPStatus.NOT_FOUND
    assert api_as(mallory).get(url).json() == {"detail": "No such version."}
    assert client.get(url).status_code == HTTPStatus.UNAUTHORIZED
    assert api_as(carol).get(url).status_code == HTTPStatus.OK
    admitted = checked(alice)
    assert api_as(bob).get(f"/api/v1/versions/{admitted.pk}/quality/").status_code == HTTPStatus.OK


def test_contributors_read_and_replace_their_rules(checked, alice, api_as):
    dataset = checked(alice).dataset
    client = api_as(alice)
    assert client.get(f"/api/v1/datasets/{dataset.pk}/rules/").json() == {
        "dataset": dataset.pk,
        "revision": 0,
        "rules": [],
        "declared_schema": None,
    }
    response = client.put(
        f"/api/v1/datasets/{dataset.pk}/rules/",
        {"rules": [NOT_NULL_PM25], "declared_schema": [{"name": "pm25", "type": "float"}]},
        format="json",
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "dataset": dataset.pk,
        "revision": 1,
        "rules": [NOT_NULL_PM25],
        "declared_schema": [{"name": "pm25", "type": "float"}],
    }
    dataset.refresh_from_db()
    assert dataset.declared_schema == [{"name": "pm25", "type": "float"}]
    assert DatasetRules.objects.get(dataset=dataset).rules == [NOT_NULL_PM25]


@pytest.mark.parametrize(
    ("rules", "detail"),
    [
        (
            [{"type": "expect_nothing_in_particular", "kwargs": {}}],
            "rules: Rule 1: unknown expectation type 'expect_nothing_in_particular'",
        ),
        (
            [{"type": "expect_column_values_to_be_unique", "kwargs": {}}],
            "rules: Rule 1: expect_column_values_to_be_unique: column: this argument is required",
        ),
        (
            [
                {
                    "type": "expect_column_values_to_be_unique",
                    "kwargs": {"column": "a", "mostly": -0.1},
                }
            ],
            "rules: Rule 1: expect_column_values_to_be_unique: "
            "mostly must be a number between 0 and 1, not -0.1",
        ),
    ],
)
def test_bad_rules_are_refused_by_the_api(checked, alice, api_as, rules, detail):
    dataset = checked(alice).dataset
    response = api_as(alice).put(
        f"/api/v1/datasets/{dataset.pk}/rules/", {"rules": rules}, format="json"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == detail
    assert DatasetRules.objects.get(dataset=dataset).revision == 0


def test_only_the_contributors_edit_the_rules(checked, alice, mallory, carol, api_as):
    dataset = checked(alice).dataset
    url = f"/api/v1/datasets/{dataset.pk}/rules/"
    for member in (mallory, carol):
        response = api_as(member).put(url, {"rules": [NOT_NULL_PM25]}, format="json")
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert response.json() == {
            "detail": "Only the dataset's contributors can change its rules."
        }
    assert DatasetRules.objects.get(dataset=dataset).rules == []


def test_outsiders_do_not_see_the_rules_of_an_unadmitted_dataset(checked, alice, mallory, api_as):
    dataset = checked(alice, NULLS_CSV, rules=[NOT_NULL_PM25]).dataset
    response = api_as(mallory).get(f"/api/v1/datasets/{dataset.pk}/rules/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert (
        api_as(mallory)
        .put(f"/api/v1/datasets/{dataset.pk}/rules/", {"rules": []}, format="json")
        .status_code
        == HTTPStatus.NOT_FOUND
    )
