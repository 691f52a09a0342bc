"""Relay cursor pagination: opaque cursors over a (sort value, _id) pair, so order is stable."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from operator import itemgetter
from typing import Any

from resolvers.cursors import decode_cursor, encode_cursor
from resolvers.errors import BadUserInput

DEFAULT_FIRST = 20
MAX_FIRST = 100


class Edge(tuple[Any, str]):
    """`Edge((node, sort_field))`. The cursor is encoded only when read: most clients never
    select `cursor`, and encoding one per edge was ~10% of a large nested read.

    A tuple so a page's edges are made in C (`map(Edge, zip(rows, repeat(field)))`), with
    no Python `__init__` per row; `node` and `cursor` read like attributes (Strawberry's
    default resolver uses getattr)."""

    __slots__ = ()

    node = property(itemgetter(0), doc="The row this edge leads to.")

    @property
    def cursor(self) -> str:
        node, sort_field = self
        return encode_cursor(node.get(sort_field), node["_id"])


@dataclass(slots=True)
class PageInfo:
    has_next_page: bool
    first_edge: Edge | None = None
    last_edge: Edge | None = None
    has_previous_page: bool = False

    @property
    def start_cursor(self) -> str | None:
        return self.first_edge.cursor if self.first_edge else None

    @property
    def end_cursor(self) -> str | None:
        return self.last_edge.cursor if self.last_edge else None


@dataclass(slots=True)
class Connection:
    edges: list[Edge]
    has_next_page: bool
    total: int = 0
    # Some connections count lazily (only when the client selects totalCount).
    count_fn: Any = field(default=None, repr=False)

    @property
    def page_info(self) -> PageInfo:
        """Made when read: most nested pages are never asked for theirs."""
        edges = self.edges
        return PageInfo(
            has_next_page=self.has_next_page,
            first_edge=edges[0] if edges else None,
            last_edge=edges[-1] if edges else None,
        )


@dataclass(frozen=True, slots=True)
class Order:
    field: str
    descending: bool
    # The scalar type of `field`: the only sort value a cursor of this order may carry.
    value_type: type = datetime


def check_first(first: int | None) -> int:
    if first is None:
        return DEFAULT_FIRST
    if first < 0 or first > MAX_FIRST:
        raise BadUserInput(f"'first' must be between 0 and {MAX_FIRST}.", field="first")
    return first


def after_filter(order: Order, after: str | None) -> dict[str, Any]:
    if after is None:
        return {}
    value, doc_id = decode_cursor(after, order.value_type)
    op = "$lt" if order.descending else "$gt"
    return {"$or": [{order.field: {op: value}}, {order.field: value, "_id": {op: doc_id}}]}


def sort_spec(order: Order) -> list[tuple[str, int]]:
    direction = -1 if order.descending else 1
    return [(order.field, direction), ("_id", direction)]


def build_connection(docs: list[Any], first: int, order: Order, total: int = 0) -> Connection:
    """`docs` holds up to first+1 rows: the extra one only tells that another page exists."""
    more = len(docs) > first
    edges = list(map(Edge, zip(docs[:first] if more else docs, repeat(order.field))))
    return Connection(edges, more, total)
