"""Shared fixtures. Users are named by role, as in the house style: alice the contributor,
bob the buyer, carol the curator, mallory the outsider.

On a bare machine the suite runs on SQLite with eager tasks. Under ``CI=true`` it must run on
PostgreSQL with a Redis broker and a real worker process; a missing service is a failure.
"""

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Member
from accounts.services import token_create
from licensing.models import CatalogueGeneration
from tests import factories

pytest_plugins = [
    "tests.fixtures.ipfs",
    "tests.fixtures.celery_worker",
    "tests.fixtures.browser",
]


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("CI", "").lower() != "true":
        return
    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL must point at PostgreSQL")
    if settings.CELERY_TASK_ALWAYS_EAGER:
        problems.append("CELERY_BROKER_URL must point at Redis")
    if problems:
        pytest.exit("CI=true but " + "; ".join(problems), returncode=3)


@pytest.fixture(scope="session")
def staging_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("staging")
    settings.COOP_STAGING_DIR = path
    return path


@pytest.fixture(autouse=True)
def _staging(staging_dir: Path) -> Path:
    return staging_dir


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture(autouse=True)
def _catalogue_generation_per_statement(request: pytest.FixtureRequest) -> None:
    """On PostgreSQL the catalogue's generation moves when a transaction commits (its triggers
    are deferred), but a ``db`` test is one transaction that is rolled back, never committed.
    There the triggers fire after each statement instead, as if every write were committed.
    The deferral itself is tested with real commits (tests/licensing/test_catalogue_cache.py).
    """
    if "db" not in request.fixturenames and request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")  # the test's transaction, if it has one, begins first
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {CatalogueGeneration.TRIGGER} IMMEDIATE")


@pytest.fixture(autouse=True, scope="session")
def _session_ipfs_node(ipfs_node):
    """Every test talks to the session's own node (uploads feed it as they arrive), never to
    a node that happens to run on the default port."""
    return ipfs_node


@pytest.fixture
def alice(db) -> Member:
    return factories.member("alice", contributor=True, buyer=False)


@pytest.fixture
def bob(db) -> Member:
    return factories.member("bob", contributor=False, buyer=True)


@pytest.fixture
def carol(db) -> Member:
    return factories.member("carol", contributor=True, buyer=True, curator=True)


@pytest.fixture
def mallory(db) -> Member:
    return factories.member("mallory", contributor=True, buyer=True)


@pytest.fixture
def make():
    """The factories (tests/factories.py): ``make.dataset(alice)``, ``make.offer(...)``."""
    return factories


@pytest.fixture
def fund() -> Callable[..., int]:
    """Top up a member's credit through the curators' service (a curator is made on demand)."""
    return factories.fund


def api_client_for(member: Member) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {token_create(user=member.user, name='tests').key}"
    )
    return client


@pytest.fixture
def api_as() -> Callable[[Member], APIClient]:
    return api_client_for


@pytest.fixture
def web_as() -> Callable[[Member], Client]:
    def make(member: Member) -> Client:
        client = Client()
        client.force_login(member.user)
        return client

    return make


@pytest.fixture
def pipeline(transactional_db, ipfs_node, celery_worker) -> Iterator["Pipeline"]:
    """For tests that run the real upload → pin → check pipeline: a committed database, the
    IPFS node, and (in CI) the worker process, which has finished what the test started
    before the tables are emptied (a check still writing would deadlock the flush)."""
    yield Pipeline(node=ipfs_node)
    if celery_worker is not None:
        # Imported here: the module is a pytest plugin (pytest_plugins above), which pytest
        # must import first to rewrite its asserts.
        from tests.fixtures.celery_worker import wait_until_idle

        wait_until_idle()


class Pipeline:
    def __init__(self, node: object) -> None:
        self.node = node

    def wait_for(self, obj, predicate: Callable[[Any], bool], timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            obj.refresh_from_db()
            if predicate(obj):
                return obj
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting on {obj!r}: {vars(obj)}")
            time.sleep(0.2)

    def wait_status(self, version, *statuses: str, timeout: float = 60):
        return self.wait_for(version, lambda v: v.status in statuses, timeout)


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, content: bytes | str) -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    return write
