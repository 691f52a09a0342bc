"""Write the GraphQL schema, as the code defines it, to schema.graphql at the repository root.

    .venv/bin/python -m scripts.export_schema          # rewrite schema.graphql
    .venv/bin/python -m scripts.export_schema --check  # exit 1 if the file is out of date

Frontends generate their types from the file and reviewers see API changes in diffs;
tests/test_schema_file.py fails when the file and the code disagree.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from schema import build_schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"
COMMAND = ".venv/bin/python -m scripts.export_schema"


def schema_sdl() -> str:
    return build_schema().as_str().rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only compare, do not write")
    args = parser.parse_args(argv)
    sdl = schema_sdl()
    current = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else None
    if args.check:
        if current != sdl:
            print(f"{SCHEMA_FILE.name} is out of date: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    SCHEMA_FILE.write_text(sdl, encoding="utf-8")
    print(f"wrote {SCHEMA_FILE} ({len(sdl.splitlines())} lines)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
