"""Serving the application with uvicorn: `ressenti app` (and so `make run`), and tests.

`start` runs a server in a thread of this process and returns once `/healthz` answers;
`main` does that for the configured host and port, prints the URL, and waits for Ctrl+C
(or SIGTERM), then stops the server and closes the composition root.
"""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass
from types import FrameType

import httpx
import uvicorn
from fastapi import FastAPI

from agents.core.config import Settings
from agents.services.root import Root
from web.app import create_app

STARTUP_TIMEOUT_S = 60.0


class ServerError(RuntimeError):
    """The server did not start (the port is taken, or it never answered)."""


@dataclass
class RunningServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop accepting, finish what runs, and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout_s)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(5)


def local_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    return f"http://{shown}:{port}"


def start(app: FastAPI, host: str, port: int) -> RunningServer:
    """Serve `app` on `host:port` from a thread; returns once `/healthz` answers."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        proxy_headers=True,  # X-Forwarded-For/-Proto from a proxy on loopback
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="ressenti-http", daemon=True)
    thread.start()
    url = local_url(host, port)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise ServerError(f"the server could not start on {host}:{port} (port in use?)")
        try:
            if httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200:
                return RunningServer(url, server, thread)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.should_exit = True
    raise ServerError(f"the server on {host}:{port} did not answer within {STARTUP_TIMEOUT_S} s")


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    settings = Settings()
    root = Root(settings, report=lambda line: print(line, flush=True))
    try:
        ws = root.workspace
        if not ws.accounts.count():
            print(
                "No account yet: create the first admin with "
                "`ressenti users create-admin --email you@company.fr`.",
                flush=True,
            )
        running = start(create_app(ws), settings.app_host, settings.app_port)
        ws.start()  # the recovery pass, then the embedded turn and delivery workers
        # Printed once the server answers, so the URL is never shown before it works.
        print(f"Ressenti is running at {running.url}  (Ctrl+C to stop)", flush=True)
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
        try:
            while running.thread.is_alive():
                running.thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            running.stop()
    finally:
        root.close()
