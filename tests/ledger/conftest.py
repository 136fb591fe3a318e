from tests.licensing.conftest import fund, make  # noqa: F401 (shared fixtures)
