"""What each provider's model charges per token; the one table cost figures come from.

Override or extend it with PRICING_OVERRIDES, a JSON object shaped like DEFAULT_PRICING.
Prices are per token in US dollars.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

M = 1_000_000

DEFAULT_PRICING: dict[str, dict[str, dict[str, float]]] = {
    "openai": {
        "gpt-4o": {"input": 2.50 / M, "output": 10.00 / M},
        "gpt-4o-mini": {"input": 0.15 / M, "output": 0.60 / M},
    },
    "anthropic": {
        "claude-sonnet-4": {"input": 3.00 / M, "output": 15.00 / M},
        "claude-haiku-3.5": {"input": 0.80 / M, "output": 4.00 / M},
    },
    "gemini": {
        "gemini-2.0-flash": {"input": 0.10 / M, "output": 0.40 / M},
    },
    "groq": {
        "llama-3.3-70b-versatile": {"input": 0.59 / M, "output": 0.79 / M},
    },
}
# Used for a provider/model the table does not know, so unknown traffic is never free.
FALLBACK = {"input": 10.0 / M, "output": 30.0 / M}


@dataclass(frozen=True)
class Pricing:
    table: dict[str, dict[str, dict[str, float]]]

    def price(self, provider: str | None, model: str | None) -> dict[str, float]:
        return self.table.get(provider or "", {}).get(model or "", FALLBACK)

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
            table.setdefault(provider, {}).update(models)
    return Pricing(table)
