"""Print a bearer token for a user.

    python -m scripts.issue_token --email admin@example.com [--ttl 3600]
    python -m scripts.issue_token --tutor tutor-dev [--ttl 3600]
Needs the same JWT_SECRET (and MONGO_URI / MONGO_DB) as the gateway that will verify it.
A user's token carries only the user id; role and tier are read from the database per
request. `--tutor NAME` signs a token with the `tutor` scope (a TUTOR caller named NAME,
as an identity provider's client-credentials token would be); it needs no database.
"""

from __future__ import annotations

import argparse
import sys

from gateway.auth import issue_token
from gateway.settings import Settings
from models.db import connect
from resolvers.validation import normalize_email
from scripts.cli import run_script


async def _main(args: argparse.Namespace) -> int:
    settings = Settings()
    if args.tutor:
        if not settings.jwt_secret.get_secret_value():
            print("JWT_SECRET is not set: the gateway could not verify the token.", file=sys.stderr)
            return 2
        print(issue_token(settings, args.tutor, args.ttl, scope="tutor"))
        return 0
    if settings.embedded:
        print(
            "MONGO_URI is not set. The embedded database lives inside the running gateway, "
            "which printed tokens at start-up for the admin, a PRO learner and a FREE "
            "learner (valid until it stops).",
            file=sys.stderr,
        )
        return 2
    if not settings.jwt_secret.get_secret_value():
        print("JWT_SECRET is not set: the gateway could not verify the token.", file=sys.stderr)
        return 2
    db = await connect(settings.mongo_uri, settings.mongo_db, settings.mongo_timeout_ms)
    try:
        user = await db.users.find_one(
            {"email": normalize_email(args.email)}, {"_id": 1, "role": 1}
        )
    finally:
        await db.close()
    if user is None:
        print(f"No user with email {args.email!r}.", file=sys.stderr)
        return 1
    print(issue_token(settings, user["_id"], args.ttl))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", help="the user's email")
    who.add_argument("--tutor", metavar="NAME", help="a TUTOR caller's token, named NAME")
    parser.add_argument(
        "--ttl", type=int, default=None, help="lifetime in seconds (default TOKEN_TTL_SECONDS)"
    )
    raise SystemExit(run_script("issue_token", _main(parser.parse_args())))


if __name__ == "__main__":
    main()
