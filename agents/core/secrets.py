"""Secrets kept out of what is printed and logged.

`mask_url` hides the password of a URL (`postgresql+psycopg://ressenti:***@db/ressenti`)
and the values of query parameters that look like credentials; `mask` hides a key. Every
command, log line and status that shows a configured URL goes through `mask_url`.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
_SECRET_PARAM = re.compile(r"pass|secret|token|key|auth|sig", re.IGNORECASE)


def mask(secret: str | None) -> str:
    """A key as it may be shown: `***` when one is set, empty otherwise."""
    return MASK if secret and secret != "EMPTY" else ""


def mask_url(url: str) -> str:
    """`url` with its password (and credential-like query values) replaced by `***`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, has_password, _ = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if has_password else f"{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        masked = [(k, MASK if _SECRET_PARAM.search(k) and v else v) for k, v in pairs]
        query = urlencode(masked, safe="*")
    if (netloc, query) == (parts.netloc, parts.query):
        return url  # nothing to hide (and `sqlite:////path` keeps its slashes)
    return urlunsplit(SplitResult(parts.scheme, netloc, parts.path, query, parts.fragment))
