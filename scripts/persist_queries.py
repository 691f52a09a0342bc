"""Register GraphQL documents for PERSISTED_QUERIES_ONLY=true (the production allow-list).

    .venv/bin/python -m scripts.persist_queries frontend/queries/ > persisted-queries.json
    .venv/bin/python -m scripts.persist_queries persisted-query-manifest.json --redis

Every `.graphql` file (directories are searched recursively) is one document, registered
under the SHA-256 of its exact text: the client must send that same text (or only its
hash, Apollo's `extensions.persistedQuery`). Apollo Client and urql send the document
as they print it (with the `__typename`s they add), not the file's text: give their
build step's manifest instead, a `.json` file (Apollo's `generate-persisted-query-manifest`
output, or `{sha256: document}` such as GraphQL Code Generator's persisted-documents.json;
docs/frontend.md). Each document is validated against the
gateway's schema first, so a typo fails here and not in production. The manifest
({sha256: document}) goes to stdout; point PERSISTED_QUERIES_MANIFEST at it, or use
`--redis` to write the documents to REDIS_URL (under REDIS_KEY_PREFIX), where every
replica reads them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from graphql import GraphQLError, parse, validate

from gateway.persisted import manifest_entries, redis_keys, sha256_hex
from gateway.settings import Settings
from schema import build_schema


def collect(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(path.rglob("*.graphql")))
            files.extend(sorted(path.rglob("*.json")))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(raw)
    return files


def build_manifest(files: list[Path]) -> tuple[dict[str, str], list[str]]:
    """({sha256: document}, problems: one line per invalid file)."""
    schema = build_schema([])._schema
    manifest: dict[str, str] = {}
    problems: list[str] = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        if file.suffix == ".json":
            try:
                entries = manifest_entries(json.loads(text), str(file))
            except ValueError as exc:  # JSONDecodeError included
                problems.append(f"{file}: {exc}")
                continue
        else:
            entries = {sha256_hex(text): text}
        for digest, document in entries.items():
            try:
                errors = validate(schema, parse(document))
            except GraphQLError as exc:
                errors = [exc]
            if errors:
                problems.extend(f"{file}: {e.message}" for e in errors)
                continue
            manifest[digest] = document
    return manifest, problems


async def write_to_redis(settings: Settings, manifest: dict[str, str]) -> None:
    import redis.asyncio as aioredis

    assert settings.redis_url
    client = aioredis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
    try:
        _, allow_key = redis_keys(settings.redis_key_prefix)
        if manifest:
            await client.hset(allow_key, mapping=dict(manifest))  # type: ignore[arg-type,misc]
    finally:
        await client.aclose()


def run(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "paths", nargs="+", help=".graphql files, client manifests (.json) or directories"
    )
    parser.add_argument("--redis", action="store_true", help="write to REDIS_URL's allow-list")
    args = parser.parse_args(argv)
    manifest, problems = build_manifest(collect(args.paths))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    if args.redis:
        settings = settings or Settings()
        if not settings.redis_url:
            print("REDIS_URL is not set.", file=sys.stderr)
            return 2
        asyncio.run(write_to_redis(settings, manifest))
        print(f"registered {len(manifest)} documents in Redis", file=sys.stderr)
    print(json.dumps(manifest, indent=2, sort_keys=True))
    return 0


def main() -> None:
    raise SystemExit(run())


if __name__ == "__main__":
    main()
