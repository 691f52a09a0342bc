"""Every setting the gateway reads is in .env.example and docs/configuration.md's table,
and neither documents a setting the gateway does not read."""

from __future__ import annotations

import re

from gateway.settings import Settings
from tests.servers import ROOT

SETTINGS = {name.upper() for name in Settings.model_fields}


def _env_example() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, re.M))


def _docs_table() -> set[str]:
    """Names in the first column, with its shorthands expanded: `RATE_LIMIT_{FREE,PRO}` and
    `QUERY_MAX_COST` / `_DEPTH` (a suffix replaces trailing words of the name before it)."""
    section = (ROOT / "docs" / "configuration.md").read_text()
    names: set[str] = set()
    for row in re.findall(r"^\| (`.+?) \|", section, re.M):
        full = ""
        for token in re.findall(r"`([^`]+)`", row):
            braces = re.fullmatch(r"([A-Z0-9_]*)\{([A-Z0-9_,]+)\}([A-Z0-9_]*)", token)
            if braces:
                names |= {braces[1] + x + braces[3] for x in braces[2].split(",")}
            elif token.startswith("_"):
                words = full.split("_")
                guesses = ["_".join(words[:i]) + token for i in range(len(words) - 1, 0, -1)]
                names |= set(guesses) & SETTINGS or {guesses[0]}
            else:
                full = token
                names.add(token)
    return names


def test_every_setting_is_in_env_example_and_nothing_else_is():
    documented = _env_example()
    assert not SETTINGS - documented, f"missing from .env.example: {sorted(SETTINGS - documented)}"
    assert not documented - SETTINGS, f"not read by the gateway: {sorted(documented - SETTINGS)}"


def test_every_setting_is_in_the_configuration_doc():
    table = _docs_table()
    assert not SETTINGS - table, f"missing from docs/configuration.md: {sorted(SETTINGS - table)}"
    unknown = table - SETTINGS
    assert not unknown, f"docs/configuration.md lists settings the gateway ignores: {unknown}"
