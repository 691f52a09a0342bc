"""Relay cursor pagination: opaque cursors over a (sort value, _id) pair, so order is stable."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from resolvers.cursors import decode_cursor, encode_cursor
from resolvers.errors import BadUserInput

DEFAULT_FIRST = 20
MAX_FIRST = 100


class Edge:
    """The cursor is encoded only when read: most clients never select `cursor`, and
    encoding one per edge was ~10% of a large nested read."""

    __slots__ = ("_sort_field", "node")

    def __init__(self, node: Any, sort_field: str) -> None:
        self.node = node
        self._sort_field = sort_field

    @property
    def cursor(self) -> str:
        return encode_cursor(self.node.get(self._sort_field), self.node["_id"])


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
    page_info: PageInfo
    total: int = 0
    # Some connections count lazily (only when the client selects totalCount).
    count_fn: Any = field(default=None, repr=False)


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
    page = docs[:first]
    edges = [Edge(d, order.field) for d in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(docs) > first,
            first_edge=edges[0] if edges else None,
            last_edge=edges[-1] if edges else None,
        ),
        total=total,
    )
