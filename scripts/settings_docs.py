"""Write `.env.example` and docs/configuration.md from the settings' own descriptions.

    .venv/bin/python -m scripts.settings_docs          # rewrite both files
    .venv/bin/python -m scripts.settings_docs --check  # exit 1 if either is stale

A setting is documented once, as its field in gateway/settings.py (`Section(...)(default,
description, ...)`); both files are generated from the fields, so they cannot drift from
what the gateway reads. tests/test_settings_documented.py runs the check.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from gateway.settings import TIERS, Settings

ROOT = Path(__file__).resolve().parent.parent
ENV_EXAMPLE = ROOT / ".env.example"
CONFIG_DOC = ROOT / "docs" / "configuration.md"
COMMAND = ".venv/bin/python -m scripts.settings_docs"
# The per-tier fields, shown as one table: (field prefix, column title).
PER_TIER = (("rate_limit", "requests"), ("cost_bucket", "query-cost bucket"))
ADVANCED_INTRO = (
    "Bounds and internals an operator rarely sets: their defaults were measured or follow "
    "from another bound. Change one with a reason (and a measurement where it is a "
    "performance number)."
)


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    if not isinstance(extra, dict) or "section" not in extra:
        raise ValueError("every setting is declared through a Section (gateway/settings.py)")
    return extra


def _shown(value: Any) -> str:
    """The default as it is written in an environment variable."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _tier_field(name: str) -> bool:
    return any(name == f"{prefix}_{tier}" for prefix, _ in PER_TIER for tier in TIERS)


def _sections() -> list[tuple[str, bool, list[tuple[str, FieldInfo]]]]:
    """(title, advanced, fields) in declaration order, operator sections first."""
    out: dict[tuple[str, bool], list[tuple[str, FieldInfo]]] = {}
    for name, info in Settings.model_fields.items():
        if not info.description:
            raise ValueError(f"setting {name} has no description")
        extra = _extra(info)
        out.setdefault((str(extra["section"]), bool(extra["advanced"])), []).append((name, info))
    ordered = sorted(out.items(), key=lambda item: item[0][1])  # stable: operator first
    return [(title, advanced, fields) for (title, advanced), fields in ordered]


def env_example() -> str:
    lines = [
        f"# Generated from gateway/settings.py by `{COMMAND}`:",
        "# change the field there, not this file. Copy to .env and adjust; every setting is",
        "# optional unless its description says REQUIRED. The advanced ones are commented out",
        "# so that a copied file follows the defaults as they change.",
    ]
    advanced_started = False
    for title, advanced, fields in _sections():
        if advanced and not advanced_started:
            advanced_started = True
            lines += [
                "",
                "# === Advanced ===",
                *textwrap.wrap(ADVANCED_INTRO, 90, initial_indent="# ", subsequent_indent="# "),
            ]
        lines += ["", f"# --- {title} ---"]
        for name, info in fields:
            lines += textwrap.wrap(
                str(info.description), 90, initial_indent="# ", subsequent_indent="# "
            )
            commented = advanced or bool(_extra(info)["commented"])
            lines.append(f"{'# ' if commented else ''}{name.upper()}={_shown(info.default)}")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _tier_table() -> list[str]:
    fields = Settings.model_fields
    head = " | ".join(f"{title} (`{prefix.upper()}_<TIER>`)" for prefix, title in PER_TIER)
    rows = [f"| tier | {head} |", "|---|" + "---|" * len(PER_TIER)]
    for tier in TIERS:
        cells = [f"`{fields[f'{prefix}_{tier}'].default}`" for prefix, _ in PER_TIER]
        rows.append(f"| `{tier.upper()}` | " + " | ".join(cells) + " |")
    notes = [
        f"- `{name.upper()}`: {_cell(str(info.description))}"
        for name, info in fields.items()
        if _tier_field(name)
    ]
    return [
        "Per tier, one mapping (`Settings.tiers`); each cell is its own variable, "
        "`RATE_LIMIT_FREE`, `COST_BUCKET_PRO` and so on:",
        "",
        *rows,
        "",
        *notes,
    ]


def configuration_doc() -> str:
    out = [
        "# Configuration",
        "",
        "All settings come from the environment (or `.env`), read in `gateway/settings.py`. "
        "A bad value stops the process at start-up with the setting's name (one "
        "`invalid_settings` log line), never a failing request later.",
        "",
        f"This page and `.env.example` are generated from the settings' descriptions by "
        f"`{COMMAND}`; edit the field, then run it (tests/test_settings_documented.py fails "
        f"while either file is stale).",
    ]
    advanced_started = False
    for title, advanced, fields in _sections():
        if advanced and not advanced_started:
            advanced_started = True
            out += ["", "## Advanced", "", ADVANCED_INTRO]
        out += ["", f"{'###' if advanced else '##'} {title}", ""]
        plain = [(n, i) for n, i in fields if not _tier_field(n)]
        if len(plain) != len(fields):
            out += [*_tier_table(), ""]
        out += ["| variable | default | |", "|---|---|---|"]
        for name, info in plain:
            default = _shown(info.default)
            shown = f"`{_cell(default)}`" if default else "unset"
            out.append(f"| `{name.upper()}` | {shown} | {_cell(str(info.description))} |")
    return "\n".join(out) + "\n"


def outputs() -> dict[Path, str]:
    return {ENV_EXAMPLE: env_example(), CONFIG_DOC: configuration_doc()}


def stale() -> list[Path]:
    return [
        path for path, text in outputs().items() if not path.exists() or path.read_text() != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    args = parser.parse_args(argv)
    if args.check:
        behind = stale()
        for path in behind:
            print(f"{path.relative_to(ROOT)} is stale: run {COMMAND}", file=sys.stderr)
        return 1 if behind else 0
    for path, text in outputs().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
