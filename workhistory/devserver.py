"""`make run`: migrate, seed the demo on first start, serve, and clean up after (SPEC §2).

`python -m workhistory.devserver --port 8000` (what `make run PORT=8000` runs) creates the app,
which starts the embedded PostgreSQL under `instance/` when `DATABASE_URL` is unset, applies
pending migrations, seeds the demo workspace on the embedded server if it is absent, prints the
demo login with the real address, and serves with Flask's development server (threaded, no
reloader). When it stops (Ctrl+C or SIGTERM) it also stops the embedded PostgreSQL if this run
started it; a server that was already running before is left running.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from app import create_app
from workhistory import demo, embedded_pg, migrate
from workhistory.web.context import get_db

HOST = "127.0.0.1"
# Where create_app keeps the embedded server: Flask's instance folder beside app.py, or
# INSTANCE_PATH.
INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 5000))
    port = parser.parse_args(argv).port

    embedded = not os.environ.get("DATABASE_URL")
    data_dir = Path(os.environ.get("INSTANCE_PATH") or INSTANCE) / "pgdata"
    started_here = embedded and not embedded_pg.is_running(data_dir)
    # SIGTERM (from a process manager, or `kill`) ends the run like Ctrl+C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        app = create_app()
        applied = migrate.upgrade(app.config["MIGRATION_DATABASE_URL"])
        print(f"applied {len(applied)} migration(s)", flush=True)
        with app.app_context():
            if embedded and demo.seed(get_db()):
                print(f"Seeded the demo workspace ({len(demo.DEMO_ARTIFACTS)} artifacts).")
            if embedded:
                print(demo.login_line(f"http://{HOST}:{port}"), flush=True)
        app.run(host=HOST, port=port, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        if started_here and embedded_pg.is_running(data_dir):
            print("Stopping the embedded PostgreSQL this run started.", flush=True)
            embedded_pg.stop(data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
