"""What each provider's model charges per token; the one table cost figures come from.

Override or extend it with PRICING_OVERRIDES, a JSON object shaped like DEFAULT_PRICING.
Prices are per token in US dollars. Names match in any case (they are stored lower-case:
resolvers/validation.py `name`); one the table does not know is priced at FALLBACK and
logged once as `unpriced_model`.

Providers' APIs answer with a dated snapshot of the model asked for ("gpt-4o-mini-2024-07-18",
"claude-3-5-sonnet-20241022", Vertex's "claude-3-5-sonnet@20240620") and a tutor service
passes on what the API answered, so a name the table does not have is looked up again
without such a suffix (or "-latest"). An exact entry still wins: a snapshot priced apart
from its family (gpt-4o-2024-05-13) has its own. Before, every snapshot name, and the
Anthropic names of docs/api-clients.md's own example ("claude-3-5-sonnet"), were billed at
FALLBACK: 2.6x the price of that example's reply, 50x for gpt-4o-mini's snapshots.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

import structlog

M = 1_000_000

DEFAULT_PRICING: dict[str, dict[str, dict[str, float]]] = {
    "openai": {
        "gpt-4o": {"input": 2.50 / M, "output": 10.00 / M},
        "gpt-4o-2024-05-13": {"input": 5.00 / M, "output": 15.00 / M},
        "gpt-4o-mini": {"input": 0.15 / M, "output": 0.60 / M},
    },
    "anthropic": {
        "claude-sonnet-4": {"input": 3.00 / M, "output": 15.00 / M},
        "claude-3-7-sonnet": {"input": 3.00 / M, "output": 15.00 / M},
        "claude-3-5-sonnet": {"input": 3.00 / M, "output": 15.00 / M},
        "claude-haiku-3.5": {"input": 0.80 / M, "output": 4.00 / M},
        "claude-3-5-haiku": {"input": 0.80 / M, "output": 4.00 / M},
    },
    "gemini": {
        "gemini-2.0-flash": {"input": 0.10 / M, "output": 0.40 / M},
    },
    "groq": {
        "llama-3.3-70b-versatile": {"input": 0.59 / M, "output": 0.79 / M},
    },
}
# A dated snapshot's suffix: -2024-07-18, -20241022, @20240620, or -latest.
SNAPSHOT = re.compile(r"(?:[-@](?:\d{4}-\d{2}-\d{2}|\d{8})|-latest)$")
# Used for a provider/model the table does not know, so unknown traffic is never free.
FALLBACK = {"input": 10.0 / M, "output": 30.0 / M}
# `unpriced_model` is logged once per provider/model and process, for this many pairs.
WARNED_MAX = 256
_WARNED: set[tuple[str, str]] = set()
log = structlog.get_logger("resolvers.pricing")


@dataclass(frozen=True)
class Pricing:
    table: dict[str, dict[str, dict[str, float]]]

    def price(self, provider: str | None, model: str | None) -> dict[str, float]:
        pair = ((provider or "").lower(), (model or "").lower())
        models = self.table.get(pair[0], {})
        found = models.get(pair[1])
        if found is None and SNAPSHOT.search(pair[1]):
            found = models.get(SNAPSHOT.sub("", pair[1]))
        if found is not None:
            return found
        if pair not in _WARNED and len(_WARNED) < WARNED_MAX:
            _WARNED.add(pair)
            log.warning("unpriced_model", provider=provider, model=model, fallback=FALLBACK)
        return FALLBACK

    def cost(
        self, provider: str | None, model: str | None, tokens_in: int, tokens_out: int
    ) -> float:
        p = self.price(provider, model)
        return round(tokens_in * p["input"] + tokens_out * p["output"], 10)


@lru_cache(maxsize=8)
def load_pricing(overrides: str = "") -> Pricing:
    table = {prov: dict(models) for prov, models in DEFAULT_PRICING.items()}
    if overrides:
        extra = json.loads(overrides)
        for provider, models in extra.items():
            table.setdefault(provider.lower(), {}).update(
                {model.lower(): price for model, price in models.items()}
            )
    return Pricing(table)
