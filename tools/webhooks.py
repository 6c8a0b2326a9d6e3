"""Signed webhooks: a JSON body POSTed with an HMAC-SHA256 signature, retried.

The receiver checks `X-Ressenti-Signature: sha256=<hex>`, the HMAC-SHA256 of
`<X-Ressenti-Timestamp>.<raw body>` under the shared secret (the timestamp is signed so a
captured request cannot be replayed later with a fresh one), and may refuse old
timestamps. A 2xx answer is success; a 5xx, a 429 or a network error is retried with
exponential backoff; any other 4xx is final (the receiver refused it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

SIGNATURE_HEADER = "X-Ressenti-Signature"
TIMESTAMP_HEADER = "X-Ressenti-Timestamp"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` over `timestamp.body`."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """Whether `header` is the right signature (constant-time comparison)."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)


@dataclass(frozen=True)
class WebhookResult:
    ok: bool
    attempts: int
    status: int | None
    error: str | None = None

    def summary(self) -> str:
        if self.ok:
            return "sent"
        return f"failed: {self.error or self.status}"


class WebhookSender:
    """POSTs signed JSON payloads to one URL."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        attempts: int = 3,
        backoff_s: float = 0.5,
        timeout_s: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret to sign with")
        self.url = url
        self._secret = secret
        self._attempts = max(1, attempts)
        self._backoff_s = backoff_s
        self._sleep = sleep
        self._clock = clock
        self._client = httpx.Client(timeout=timeout_s, transport=transport)

    def close(self) -> None:
        self._client.close()

    def send(self, payload: dict[str, Any]) -> WebhookResult:
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode()
        status: int | None = None
        error: str | None = None
        for attempt in range(1, self._attempts + 1):
            timestamp = str(int(self._clock()))
            headers = {
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signature(self._secret, timestamp, body),
            }
            try:
                response = self._client.post(self.url, content=body, headers=headers)
                status, error = response.status_code, None
                if 200 <= status < 300:
                    return WebhookResult(True, attempt, status)
                if status < 500 and status != 429:
                    return WebhookResult(False, attempt, status, f"HTTP {status}")
                error = f"HTTP {status}"
            except httpx.HTTPError as exc:
                status, error = None, type(exc).__name__
            if attempt < self._attempts:
                self._sleep(self._backoff_s * 2 ** (attempt - 1))
        return WebhookResult(False, self._attempts, status, error)
