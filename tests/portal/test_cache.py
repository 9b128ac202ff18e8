from django.core.cache import cache
from django.db import connection


def test_cache_entries_are_scoped_to_the_workspace(acme, globex):
    connection.set_tenant(acme.workspace)
    cache.set("dashboard", "acme numbers")
    assert cache.get("dashboard") == "acme numbers"

    connection.set_tenant(globex.workspace)
    assert cache.get("dashboard") is None
    cache.set("dashboard", "globex numbers")

    connection.set_tenant(acme.workspace)
    assert cache.get("dashboard") == "acme numbers"
    connection.set_schema_to_public()
    assert cache.get("dashboard") is None
