"""Access logs without usable links: acknowledgement and callback tokens are masked like
other secrets.

`uvicorn.access` logs the path of every request; `GET /ack/<token>` would put a working
acknowledgement link in the log files. The filter rewrites the path before it is written.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
MASK = "***"
# A path segment after /ack/ or /sms/ovh/ (an SMS provider's callback token), and any
# `token=` or `code=` value of a query string.
_SECRET_IN_PATH = re.compile(r"(/ack/|/sms/ovh/)[^/?#\s]+|((?:^|[?&])(?:token|code)=)[^&#\s]*")


def mask_secrets(path: str) -> str:
    return _SECRET_IN_PATH.sub(lambda m: (m.group(1) or m.group(2)) + MASK, path)


class MaskTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                mask_secrets(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        record.msg = mask_secrets(str(record.msg)) if isinstance(record.msg, str) else record.msg
        return True


def install_access_log_masking() -> None:
    """Idempotent: the filter is added once to the access logger, however many apps are made."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, MaskTokens) for f in logger.filters):
        logger.addFilter(MaskTokens())
