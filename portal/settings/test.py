"""Test settings: the dev settings with a broker folder of their own, so a running
`make run` worker never picks up a test's tasks (and the reverse)."""

import os

from portal.embedded import DATA_DIR

os.environ.setdefault("PORTAL_BROKER_DIR", str(DATA_DIR / "test-broker"))

from portal.settings.dev import *  # noqa: E402, F403
