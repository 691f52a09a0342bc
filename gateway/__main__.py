"""`python -m gateway`: serve with Uvicorn on HOST:PORT."""

import sys

import uvicorn
from pydantic import ValidationError

from gateway.app import create_app
from gateway.logging import configure_logging, get_logger
from gateway.settings import Settings


def load_or_exit() -> Settings:
    """Settings, or one JSON `invalid_settings` line naming each bad variable, then exit 2."""
    try:
        return Settings()
    except ValidationError as exc:
        configure_logging()
        problems = [
            {"setting": ".".join(str(p) for p in e["loc"]).upper(), "problem": e["msg"]}
            for e in exc.errors()
        ]
        get_logger("gateway").critical("invalid_settings", problems=problems)
        sys.exit(2)


def main() -> None:
    settings = load_or_exit()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,  # the app applies FORWARDED_ALLOW_IPS itself (gateway/app.py)
    )


if __name__ == "__main__":
    main()
