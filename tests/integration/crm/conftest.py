"""Store fixtures over both backends: a SQLite file and a real PostgreSQL server.

The PostgreSQL server is a private throwaway cluster started once per test session in a
temporary folder, listening on a free loopback port, with its unix socket in that folder;
it is stopped and deleted at the end. PostgreSQL refuses to run as root, so when the tests
run as root (CI) the cluster belongs to the `postgres` system user that the Debian package
creates, and its commands run through `runuser`. `make test` installs the binaries.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import postgres_database
from tools.crm.seed import seed_demo
from tools.crm.store import CRMStore

BACKENDS = ["sqlite", "postgresql"]
SEEDED_CUSTOMERS = 30


def _database_url(backend: str, folder: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'crm.db'}"
    else:
        yield from postgres_database(request.getfixturevalue("postgres_server"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables yet) on each backend."""
    yield from _database_url(request.param, tmp_path, request)


@pytest.fixture
def store(database_url: str) -> Iterator[CRMStore]:
    """A migrated, empty store on each backend."""
    crm = CRMStore.from_url(database_url)
    yield crm
    crm.close()


@pytest.fixture(scope="module", params=BACKENDS)
def seeded_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CRMStore]:
    """A store holding a small demo company, shared by a module's READ-ONLY tests."""
    folder = tmp_path_factory.mktemp("seeded")
    for url in _database_url(request.param, folder, request):
        crm = CRMStore.from_url(url)
        seed_demo(crm, customers=SEEDED_CUSTOMERS, seed=7)
        yield crm
        crm.close()
