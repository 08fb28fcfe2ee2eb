"""Hypothesis profiles: "ci" (bounded, derandomised; chosen when the CI variable is set), "dev", and
"thorough" (``pytest --hypothesis-profile=thorough``: 3000 random cells in test_random_cells.py).

Override with ``HYPOTHESIS_PROFILE=dev|ci``. Tests set ``max_examples`` only to lower it further.
"""

import os

from hypothesis import settings

settings.register_profile("ci", max_examples=30, derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("thorough", max_examples=3000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


# -- under CI nothing skips ---------------------------------------------------------------------------------
# CI installs every framework and tool the tests compare against (.ci/run fails when one cannot be installed),
# so a test that skips there has lost its oracle without anyone noticing: under CI a skip is a failure.
# SYMLSTM_ALLOW_SKIPS=1 lets a developer run the CI profile on a machine without them.

import pytest  # noqa: E402


def _skips_fail() -> bool:
    return bool(os.environ.get("CI")) and not os.environ.get("SYMLSTM_ALLOW_SKIPS")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _skips_fail() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (f"skipped under CI ({reason}); CI must install what this test needs, "
                           "or the test must not skip")
