"""Reliability suite: the real app process under load, faults and restarts (fixtures shared with the browser suite)."""

from tests.support.app_fixtures import artifacts, pytest_runtest_makereport, start_app  # noqa: F401
