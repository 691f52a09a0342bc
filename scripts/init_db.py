"""Create the collections and indexes against MONGO_URI / MONGO_DB (idempotent).

    python -m scripts.init_db
The gateway does the same at every start; this is for provisioning ahead of a deploy.
"""

from __future__ import annotations

import asyncio
import sys

from gateway.settings import Settings
from models.db import COLLECTIONS, connect


async def _main() -> int:
    settings = Settings()
    if settings.embedded:
        print(
            "MONGO_URI is not set: nothing to initialise (the embedded database is in memory).",
            file=sys.stderr,
        )
        return 2
    db = await connect(settings.mongo_uri, settings.mongo_db, settings.mongo_timeout_ms)
    try:
        for name in COLLECTIONS:
            indexes = await db.collection(name).index_information()
            print(f"{name}: {', '.join(sorted(indexes))}")
    finally:
        db.close()
    return 0


def main() -> None:
    raise SystemExit(asyncio.run(_main()))


if __name__ == "__main__":
    main()
