"""The annotation workflow's fixtures, for quality tests: an active pairwise project in acme."""

from tests.projects.conftest import annotators, in_acme, project, published_guideline  # noqa: F401
