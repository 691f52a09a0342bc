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


def row_cursor(row: Any, sort_field: str) -> str:
    """The opaque cursor of a row in a page ordered by (sort_field, _id)."""
    return encode_cursor(row.get(sort_field), row["_id"])


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
        return row_cursor(*self)


@dataclass(slots=True)
class PageInfo:
    has_next_page: bool
    first_row: Any = None
    last_row: Any = None
    sort_field: str = ""
    has_previous_page: bool = False

    @property
    def start_cursor(self) -> str | None:
        return None if self.first_row is None else row_cursor(self.first_row, self.sort_field)

    @property
    def end_cursor(self) -> str | None:
        return None if self.last_row is None else row_cursor(self.last_row, self.sort_field)


@dataclass(slots=True)
class Connection:
    """`edges` holds `Edge`s, or the rows themselves when the client selected no edge
    `cursor` (build_connection's `cursors`): a page then costs no object per row. The
    GraphQL Edge type (schema/pagination.py) reads a node from either."""

    edges: list[Any]
    has_next_page: bool
    total: int = 0
    # Some connections count lazily (only when the client selects totalCount).
    count_fn: Any = field(default=None, repr=False)
    sort_field: str = ""

    @property
    def page_info(self) -> PageInfo:
        """Made when read: most nested pages are never asked for theirs."""
        edges = self.edges
        if not edges:
            return PageInfo(self.has_next_page)
        first, last = edges[0], edges[-1]
        return PageInfo(
            self.has_next_page,
            first[0] if type(first) is Edge else first,
            last[0] if type(last) is Edge else last,
            self.sort_field,
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


def build_connection(
    docs: list[Any], first: int, order: Order, total: int = 0, cursors: bool = True
) -> Connection:
    """`docs` holds up to first+1 rows: the extra one only tells that another page exists.
    cursors=False (no edge `cursor` selected): the edges are the rows themselves."""
    more = len(docs) > first
    page = docs[:first]
    edges = list(map(Edge, zip(page, repeat(order.field)))) if cursors else page
    return Connection(edges, more, total, sort_field=order.field)
