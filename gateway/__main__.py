"""`python -m gateway`: serve with Uvicorn on HOST:PORT (WORKERS processes)."""

from __future__ import annotations

import errno
import socket
import sys
from pathlib import Path
from typing import NoReturn

import uvicorn
from pydantic import ValidationError

from gateway.app import create_app
from gateway.connections import MAX_HEADER_BYTES
from gateway.logging import configure_logging, get_logger
from gateway.settings import Settings
from gateway.ws_protocol import uvicorn_ws_options
from resolvers.practice.generator import generator_factory


def load_or_exit() -> Settings:
    """Settings, or one JSON `invalid_settings` line naming each bad variable, then exit 2."""
    try:
        settings = Settings()
    except ValidationError as exc:
        refuse(
            [
                {"setting": ".".join(str(p) for p in e["loc"]).upper(), "problem": e["msg"]}
                for e in exc.errors()
            ]
        )
    try:
        # The signing key depends on several settings (JWT_SECRET's length, MONGO_URI,
        # JWT_JWKS_URL): checked here too, or a short secret stopped the process with a
        # traceback instead of the one line.
        settings.jwt_key  # noqa: B018
    except ValueError as exc:
        refuse([{"setting": "JWT_SECRET", "problem": str(exc)}])
    try:
        generator_factory(settings.exercise_generator)
    except ValueError as exc:
        refuse([{"setting": "EXERCISE_GENERATOR", "problem": str(exc)}])
    return settings


def refuse(problems: list[dict[str, str]]) -> NoReturn:
    configure_logging()
    get_logger("gateway").critical("invalid_settings", problems=problems)
    sys.exit(2)


def port_in_use(host: str, port: int) -> tuple[str, bool] | None:
    """Why HOST:PORT cannot be bound, and whether it is because the port is taken; or None.
    Checked before anything is seeded or printed: Uvicorn only binds after the app's
    start-up, so a busy port would otherwise print demo tokens for a process that exits a
    moment later."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"cannot resolve {host!r}: {exc}", False
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            return exc.strerror or str(exc), exc.errno == errno.EADDRINUSE
    return None


def main() -> None:
    settings = load_or_exit()
    refused = port_in_use(settings.host, settings.port)
    if refused:
        problem, busy = refused
        # Only a taken port is another process's doing; a HOST that does not resolve or
        # is no address of this machine was told the same, sending the operator after a
        # process that does not exist.
        hint = (
            "Another process (an earlier `make run`?) is using the port: stop it, or choose "
            f"another port, e.g. `PORT={settings.port + 1} make run`."
            if busy
            else "Check HOST: it must be an address of this machine, such as 127.0.0.1 or 0.0.0.0."
        )
        print(
            f"Cannot listen on {settings.host}:{settings.port}: {problem}. {hint}", file=sys.stderr
        )
        raise SystemExit(1)
    options = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
        "proxy_headers": False,  # the app applies FORWARDED_ALLOW_IPS itself (gateway/app.py)
        # Deadlines on slow clients and the per-IP cap (gateway/connections.py).
        "http": "gateway.connections:GuardedHTTPProtocol",
        "timeout_keep_alive": settings.http_keep_alive_timeout_seconds,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        # The live endpoint's protocol, frame cap and keep-alive (gateway/ws_protocol.py).
        **uvicorn_ws_options(settings),
    }
    if settings.workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    if settings.metrics_enabled and not settings.prometheus_multiproc_dir:
        print(
            "WORKERS > 1 needs PROMETHEUS_MULTIPROC_DIR (an empty directory, exported in the "
            "environment) so /metrics adds up every worker; or set METRICS_ENABLED=false.",
            file=sys.stderr,
        )
        raise SystemExit(1)
    if settings.embedded:
        print(
            f"warning: WORKERS={settings.workers} without MONGO_URI: every worker has its own "
            "in-memory database and signing secret, so data and tokens differ per connection.",
            file=sys.stderr,
        )
    if settings.prometheus_multiproc_dir:
        # Samples of earlier runs would be added to this run's.
        for stale in Path(settings.prometheus_multiproc_dir).glob("*.db"):
            stale.unlink()
    create_app(settings)  # validate everything once before the workers start
    uvicorn.run("gateway.app:create_app", factory=True, workers=settings.workers, **options)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
