"""What the executor may assume about the application's values, handed in by its caller.

The executor knows graphql-core and Strawberry, nothing of the layers below the gateway:
the row type a read returns, the attribute names a row stores under another key, the
Strawberry field metadata key naming a batch form, and the function attribute naming a
row-list promise are the application's (gateway/guards.py builds them). Without them
(the default) nothing is read as a row and no field is batched: every value goes through
Strawberry's default resolver and every resolver is called once per parent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


class NoRow(dict):  # type: ignore[type-arg]
    """Stands in for the row type when there is none: never instantiated, so no value is
    ever read as a row."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Conventions:
    # A dict subclass whose `getattr(row, name)` is `row.get(name)` for every name that is
    # not an attribute of the class and does not start with "__" (what PLAIN reads inline),
    # among `row_fields` when it is given (a strict row raises AttributeError for others:
    # those are read with getattr, as Strawberry's default resolver reads them).
    row: type[dict] = NoRow  # type: ignore[type-arg]
    row_fields: frozenset[str] | None = None
    # Attribute names the row stores under another key, read with `row[key]` (a missing
    # key is an error, as the row's own __getattr__ raises): e.g. {"id": "_id"}.
    row_keys: Mapping[str, str] = field(default_factory=dict)
    # Strawberry field metadata key whose value is the field's batch form:
    # `batch(parents, info, **arguments) -> list of one result (or exception) per parent`.
    batch_form: str | None = None
    # Attribute a resolver function carries when, on a row source, it returns
    # `row.get(<value>) or []` for a list of rows (read inline instead of called).
    row_list: str | None = None
    # Whether every synchronous resolver without arguments (the plan's DIRECT fields) is
    # free of side effects and returns no awaitable: then a pure subtree (pure.py) may
    # call it, and call it again when the subtree falls back to the positional code.
    # Without this promise each resolver is called once per object, as graphql-core does.
    pure_resolvers: bool = False
