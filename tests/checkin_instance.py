"""One Huiwu instance serving on a free local port, for the multi-process check-in test.

Usage: ``python -m tests.checkin_instance DATABASE_URL INSTANCE_DIR PORT_FILE``.
Builds the app on the given database, starts a threaded server on
127.0.0.1, writes the port to PORT_FILE once it listens, and serves until
terminated.
"""

from __future__ import annotations

import sys
from pathlib import Path

from werkzeug.serving import make_server

from app import create_app


def main(database_url: str, instance: str, port_file: str) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "checkin-instance-secret-key-0123456789",
            "INSTANCE_PATH": instance,
            "MAIL_LOCAL_HOSTNAME": "app.huiwu.test",
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    ready = Path(port_file)
    partial = ready.with_suffix(".partial")
    partial.write_text(str(server.server_port), encoding="ascii")
    partial.rename(ready)  # the port appears whole or not at all
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:4])
