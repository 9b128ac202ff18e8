"""Embedded development services: PostgreSQL from `pgserver` and kombu's filesystem broker.

Used only when `DATABASE_URL` / `CELERY_BROKER_URL` are not set, so that a fresh clone runs
with nothing but Python. Both keep their state under `.data/` and are reused when already up.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("PORTAL_DATA_DIR", BASE_DIR / ".data"))
EMBEDDED_DATABASE_NAME = "portal"


def embedded_postgres_host() -> str:
    """Start (or reuse) the embedded PostgreSQL server and return its socket directory."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    runtime = DATA_DIR / "run"  # pgserver keeps its lock file in the runtime directory
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))

    import logging

    import pgserver
    import psycopg

    logging.getLogger("pgserver").setLevel(logging.WARNING)

    server = pgserver.get_server(DATA_DIR / "pg", cleanup_mode=None)
    host = str(server.get_postmaster_info().socket_dir)
    with psycopg.connect(host=host, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [EMBEDDED_DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE_NAME}"')
    return host


def database_settings() -> dict:
    """Django DATABASES['default'] from DATABASE_URL, or the embedded server."""
    import dj_database_url

    url = os.environ.get("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=60)
    else:
        config = {
            "NAME": EMBEDDED_DATABASE_NAME,
            "USER": "postgres",
            "PASSWORD": "",
            "HOST": embedded_postgres_host(),
            "PORT": "",
            "CONN_MAX_AGE": 60,
        }
    config["ENGINE"] = "django_tenants.postgresql_backend"
    config.setdefault("OPTIONS", {})
    return config


def broker_settings() -> tuple[str, dict]:
    """Celery broker URL and transport options: CELERY_BROKER_URL, or a filesystem queue."""
    url = os.environ.get("CELERY_BROKER_URL")
    if url:
        return url, {}
    folder = Path(os.environ.get("PORTAL_BROKER_DIR", DATA_DIR / "broker"))
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return "filesystem://", {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }
