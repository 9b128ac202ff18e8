"""`make run`: migrate, seed the demo, then run web, worker and beat until Ctrl-C.

Everything runs on the embedded defaults unless DATABASE_URL / CELERY_BROKER_URL are set.
The embedded PostgreSQL is stopped on exit if this process started it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

PYTHON = sys.executable
MANAGE = [PYTHON, "manage.py"]


def _embedded_postgres_running() -> bool:
    from portal.embedded import DATA_DIR

    pid_file = DATA_DIR / "pg" / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except (ValueError, ProcessLookupError, PermissionError):
        return False
    return True


def _stop_embedded_postgres() -> None:
    from pgserver import pg_ctl

    from portal.embedded import DATA_DIR

    pg_ctl(
        ["-w", "-m", "fast", "stop"], pgdata=DATA_DIR / "pg", user="pgserver" if os.geteuid() == 0 else None
    )


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
    embedded = "DATABASE_URL" not in os.environ
    started_postgres = embedded and not _embedded_postgres_running()
    port = os.environ.get("PORTAL_PORT", "8000")
    domain = os.environ.get("PORTAL_DOMAIN", "localhost")

    subprocess.run([*MANAGE, "migrate", "--verbosity", "0"], check=True)
    subprocess.run([*MANAGE, "schema_template"], check=True)
    subprocess.run([*MANAGE, "collectstatic", "--noinput", "--verbosity", "0"], check=True)
    subprocess.run([*MANAGE, "seed_demo"], check=True)

    processes = {
        "web": subprocess.Popen([*MANAGE, "runserver", f"0.0.0.0:{port}", "--noreload"]),
        "worker": subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "portal", "worker", "--loglevel", "INFO", "--concurrency", "2"]
        ),
        "beat": subprocess.Popen([PYTHON, "-m", "celery", "-A", "portal", "beat", "--loglevel", "INFO"]),
    }
    print(
        f"\nThe portal is up.\n"
        f"  Vendor console: http://{domain}:{port}/console/  (admin: http://{domain}:{port}/admin/)\n"
        f"  Acme workspace: http://acme.{domain}:{port}/\n"
        f"  Globex workspace: http://globex.{domain}:{port}/\n"
        f"The logins are listed above. Press Ctrl-C to stop.\n",
        flush=True,
    )

    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            exited = [name for name, p in processes.items() if p.poll() is not None]
            if exited:
                print(f"{', '.join(exited)} exited; stopping the rest.", flush=True)
                break
            time.sleep(0.5)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 15
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
        if started_postgres:
            _stop_embedded_postgres()
        print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
