"""Keep secrets out of access logs.

Manage links (``/r/<secret>``), delegation portal links (``/d/<secret>``) and
set-password links carry secrets in their path, and web servers log request
paths. This filter rewrites the secret part before any handler sees the
record, for the development server's logger and gunicorn's access logger
alike.
"""

from __future__ import annotations

import logging
import re

SECRET_PATHS = re.compile(r"(/r/|/d/|/set-password/)[A-Za-z0-9._~-]+")
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = SECRET_PATHS.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def install() -> None:
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
            logger.addFilter(RedactSecrets())
