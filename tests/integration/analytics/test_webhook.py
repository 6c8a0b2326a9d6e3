"""The alert webhook against a real HTTP server on loopback: signed, retried, verified."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tools.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSender, verify

SECRET = "s3cret-of-the-receiver"


class Receiver(ThreadingHTTPServer):
    def __init__(self, answers: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.answers = answers
        self.received: list[tuple[dict[str, str], bytes]] = []


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        status = self.server.answers.pop(0) if self.server.answers else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    server = Receiver(list(getattr(request, "param", [])))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def url(server: Receiver) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/hooks/ressenti"


@pytest.mark.parametrize("receiver", [[503, 500]], indirect=True)
def test_a_failing_receiver_is_retried_and_the_signature_verifies(receiver: Receiver) -> None:
    sender = WebhookSender(url(receiver), SECRET, attempts=3, backoff_s=0.01)
    result = sender.send({"event": "ressenti.analysis.alert", "key": "outage", "value": 0.6})
    sender.close()
    assert result.ok and result.attempts == 3 and result.summary() == "sent"
    assert len(receiver.received) == 3
    headers, body = receiver.received[-1]
    assert json.loads(body)["key"] == "outage"
    assert verify(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert not verify("another secret", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert not verify(SECRET, headers[TIMESTAMP_HEADER], body + b" ", headers[SIGNATURE_HEADER])


@pytest.mark.parametrize("receiver", [[401]], indirect=True)
def test_a_refusal_is_final(receiver: Receiver) -> None:
    sender = WebhookSender(url(receiver), SECRET, attempts=3, backoff_s=0.01)
    result = sender.send({"event": "x"})
    sender.close()
    assert not result.ok and result.attempts == 1 and result.summary() == "failed: HTTP 401"


def test_an_unreachable_receiver_fails_after_the_retries() -> None:
    with Receiver([]) as closed:
        address = url(closed)
    sender = WebhookSender(address, SECRET, attempts=2, backoff_s=0.01, timeout_s=1)
    result = sender.send({"event": "x"})
    sender.close()
    assert not result.ok and result.attempts == 2
    assert result.summary().startswith("failed: ")
