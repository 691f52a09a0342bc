"""`python -m gateway`: serve with Uvicorn on HOST:PORT."""

import uvicorn

from gateway.app import create_app
from gateway.settings import Settings


def main() -> None:
    settings = Settings()
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
