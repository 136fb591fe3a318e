"""The report page, the rule editor, the policy page and the badges on the dataset page."""

from http import HTTPStatus

from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.models import VersionStatus
from quality import services
from quality.models import QualityOverride, QualityPolicy
from tests import factories
from tests.quality.conftest import CLEAN_CSV, NOT_NULL_PM25, NULLS_CSV


def test_the_report_page_shows_each_expectation(checked, alice, web_as):
    version = checked(alice, NULLS_CSV, rules=[NOT_NULL_PM25])
    page = web_as(alice).get(f"/quality/versions/{version.pk}/")
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert "pm25 has no missing values" in html
    assert '<td class="num">2</td>' in html
    assert '<td class="num">66.67%</td>' in html
    assert 'Policy</dt><dd><a href="/quality/policy/">v1</a>; dataset rules revision 1' in html


def test_outsiders_cannot_see_an_unadmitted_report_page(checked, alice, mallory, web_as, client):
    version = checked(alice, NULLS_CSV, rules=[NOT_NULL_PM25])
    assert (
        web_as(mallory).get(f"/quality/versions/{version.pk}/").status_code == HTTPStatus.NOT_FOUND
    )
    assert client.get(f"/quality/versions/{version.pk}/").status_code == HTTPStatus.NOT_FOUND
    admitted = checked(alice)
    assert client.get(f"/quality/versions/{admitted.pk}/").status_code == HTTPStatus.OK


def test_the_form_adds_a_rule_and_refuses_a_bad_one(checked, alice, web_as):
    dataset = checked(alice).dataset
    client = web_as(alice)
    url = f"/quality/datasets/{dataset.pk}/rules/"
    ok = client.post(
        url,
        {
            "action": "add",
            "kind": "not_null",
            "column": "pm25",
            "severity": "critical",
            "mostly": "0.95",
        },
    )
    assert ok.status_code == HTTPStatus.FOUND
    bad = client.post(
        url,
        {
            "action": "add",
            "kind": "not_null",
            "column": "pm25",
            "severity": "critical",
            "mostly": "1.5",
        },
    )
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert "mostly must be a number between 0 and 1, not 1.5" in bad.content.decode()
    missing = client.post(
        url, {"action": "add", "kind": "unique", "column": "", "severity": "critical"}
    )
    assert "Give the column this rule applies to." in missing.content.decode()
    pasted = client.post(
        url,
        {
            "action": "json",
            "rules_json": '[{"type": "expect_column_values_to_sparkle", '
            '"kwargs": {"column": "a"}}]',
        },
    )
    assert pasted.status_code == HTTPStatus.BAD_REQUEST
    assert (
        "Rule 1: unknown expectation type &#x27;expect_column_values_to_sparkle&#x27;"
        in pasted.content.decode()
    )
    no_column = client.post(
        url,
        {
            "action": "json",
            "rules_json": '[{"type": "expect_column_values_to_be_unique", "kwargs": {}}]',
        },
    )
    assert "column: this argument is required" in no_column.content.decode()
    stored = services.rules_for(dataset)
    assert (stored.revision, stored.rules) == (
        1,
        [
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "pm25", "mostly": 0.95},
                "severity": "critical",
            }
        ],
    )
    schema = client.post(
        url, {"action": "schema", "schema": "city: string\nyear: integer\npm25: float"}
    )
    assert schema.status_code == HTTPStatus.FOUND
    dataset.refresh_from_db()
    assert dataset.declared_schema == [
        {"name": "city", "type": "string"},
        {"name": "year", "type": "integer"},
        {"name": "pm25", "type": "float"},
    ]


def test_only_contributors_edit_rules_on_the_web(checked, alice, carol, web_as):
    dataset = checked(alice).dataset
    response = web_as(carol).post(
        f"/quality/datasets/{dataset.pk}/rules/",
        {"action": "add", "kind": "unique", "column": "city", "severity": "critical"},
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert services.rules_for(dataset).rules == []


def test_only_curators_change_the_policy_and_each_change_is_a_new_version(alice, carol, web_as, db):
    rules = (
        '[{"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 2}, '
        '"severity": "critical"}]'
    )
    assert (
        web_as(alice).post("/quality/policy/", {"rules_json": rules}).status_code
        == HTTPStatus.FORBIDDEN
    )
    assert list(QualityPolicy.objects.values_list("number", flat=True)) == [1]
    response = web_as(carol).post("/quality/policy/", {"rules_json": rules, "note": "two rows"})
    assert response.status_code == HTTPStatus.FOUND
    assert list(QualityPolicy.objects.values_list("number", "note")) == [
        (2, "two rows"),
        (1, "The cooperative's default."),
    ]
    assert services.policy_current().rules == [
        {
            "type": "expect_table_row_count_to_be_between",
            "kwargs": {"min_value": 2},
            "severity": "critical",
        }
    ]
    bad = web_as(carol).post(
        "/quality/policy/",
        {
            "rules_json": '[{"type": "expect_column_to_exist", '
            '"kwargs": {"column": "a", "mostly": 3}}]'
        },
    )
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert "mostly must be a number between 0 and 1, not 3" in bad.content.decode()


def test_only_curators_override(checked, alice, mallory, web_as):
    version = checked(alice, NULLS_CSV, rules=[NOT_NULL_PM25])
    for member in (alice, mallory):
        response = web_as(member).post(
            f"/quality/versions/{version.pk}/override/", {"decision": "admitted", "reason": "mine"}
        )
        assert response.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND)
    assert QualityOverride.objects.count() == 0
    version.refresh_from_db()
    assert version.status == VersionStatus.REJECTED


def test_the_dataset_page_shows_a_badge_per_version_in_constant_queries(checked, alice, web_as):
    version = checked(alice, NULLS_CSV, rules=[{**NOT_NULL_PM25, "severity": "warning"}])
    client = web_as(alice)
    url = f"/datasets/{version.dataset_id}/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        first = client.get(url).content.decode()
    assert "passed · 1 warning" in first
    for _ in range(2, 12):
        factories.version(alice, version.dataset, status=VersionStatus.CHECKING)
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert html.count("data-quality-badge") == 11
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_version_page_links_the_report(checked, alice, web_as):
    version = checked(alice, CLEAN_CSV)
    html = web_as(alice).get(f"/versions/{version.pk}/").content.decode()
    assert f'href="/quality/versions/{version.pk}/"' in html
    assert "7 of 7 checks passed" in html
