"""errorCategories: the taxonomy recordMessage accepts, with how much practice each has."""

from __future__ import annotations

from dataclasses import dataclass

from resolvers.context import RequestContext
from resolvers.errors import BadUserInput
from resolvers.permissions import require_viewer
from resolvers.practice.generator import bank_or_empty
from resolvers.taxonomy import (
    DESCRIPTIONS,
    LANGUAGES,
    normalize_language,
    pairs_for,
    target_language,
)


@dataclass(slots=True)
class ErrorCategory:
    category: str
    subcategory: str
    description: str
    exercise_count: int


async def error_categories(ctx: RequestContext, language: str | None) -> list[ErrorCategory]:
    """`exerciseCount` counts the built-in bank's items in `language` (default: the
    caller's target language, else English)."""
    viewer = require_viewer(ctx)
    if language is None:
        me = await ctx.loaders.user.load(viewer.id)
        lang = target_language(me)
    else:
        found = normalize_language(language)
        if found is None:
            raise BadUserInput(
                f"Unsupported language {language!r}; supported: {', '.join(LANGUAGES)}.",
                field="language",
            )
        lang = found
    bank = bank_or_empty(lang)
    return [
        ErrorCategory(c, s, DESCRIPTIONS.get((c, s), ""), len(bank.get((c, s), ())))
        for c, s in pairs_for(lang)
    ]
