"""Hypothesis profiles: "ci" (bounded, derandomised; chosen when the CI variable is set) and "dev".

Override with ``HYPOTHESIS_PROFILE=dev|ci``. Tests set ``max_examples`` only to lower it further.
"""

import os

from hypothesis import settings

settings.register_profile("ci", max_examples=30, derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
