"""Relay cursor pagination: opaque cursors over a (sort value, _id) pair, so order is stable.

Both directions of the Relay spec: `first`/`after` reads forward from a cursor, `last`/
`before` backward (a chat view opens at the newest messages with `last: 20` and pages
back with `before`). A backward page is read in the reverse sort from the cursor, so the
index walks at most last+1 entries too, and its rows are put back in the connection's
order before anyone sees them. One direction per page: mixing them is refused (the spec
calls it "strongly discouraged" and no client library sends it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from operator import itemgetter
from typing import Any, NamedTuple

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


class Window(NamedTuple):
    """Which page a connection's arguments ask for: `size` rows from `cursor` (exclusive),
    forward (after it) or backward (before it)."""

    size: int
    cursor: str | None = None
    backward: bool = False


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
    # A backward page (last/before) knows whether older rows exist, not newer ones.
    has_previous_page: bool = False

    @property
    def page_info(self) -> PageInfo:
        """Made when read: most nested pages are never asked for theirs."""
        edges = self.edges
        if not edges:
            return PageInfo(self.has_next_page, has_previous_page=self.has_previous_page)
        first, last = edges[0], edges[-1]
        return PageInfo(
            self.has_next_page,
            first[0] if type(first) is Edge else first,
            last[0] if type(last) is Edge else last,
            self.sort_field,
            self.has_previous_page,
        )


@dataclass(frozen=True, slots=True)
class Order:
    field: str
    descending: bool
    # The scalar type of `field`: the only sort value a cursor of this order may carry.
    value_type: type = datetime


def check_first(first: int | None, name: str = "first") -> int:
    if first is None:
        return DEFAULT_FIRST
    if first < 0 or first > MAX_FIRST:
        raise BadUserInput(f"'{name}' must be between 0 and {MAX_FIRST}.", field=name)
    return first


def page_window(
    first: int | None, after: str | None, last: int | None = None, before: str | None = None
) -> Window:
    """The page a connection's four Relay arguments ask for (BAD_USER_INPUT when they mix
    directions). Cursors are checked when decoded (`after_filter`)."""
    if last is None and before is None:
        return Window(check_first(first), after)
    if first is not None or after is not None:
        raise BadUserInput(
            "Page in one direction: 'first'/'after' forward or 'last'/'before' backward.",
            field="last" if last is not None else "before",
        )
    return Window(check_first(last, "last"), before, True)


def after_filter(order: Order, after: str | None, backward: bool = False) -> dict[str, Any]:
    """Rows past the cursor in the page's reading direction (before it when backward)."""
    if after is None:
        return {}
    value, doc_id = decode_cursor(after, order.value_type)
    op = "$lt" if order.descending != backward else "$gt"
    return {"$or": [{order.field: {op: value}}, {order.field: value, "_id": {op: doc_id}}]}


def sort_spec(order: Order, backward: bool = False) -> list[tuple[str, int]]:
    """The reading order: the connection's, or its reverse for a backward page."""
    direction = -1 if order.descending != backward else 1
    return [(order.field, direction), ("_id", direction)]


def build_connection(
    docs: list[Any],
    first: int,
    order: Order,
    total: int = 0,
    cursors: bool = True,
    backward: bool = False,
) -> Connection:
    """`docs` holds up to first+1 rows in reading order: the extra one only tells that
    another page exists. A backward page's rows are put back in the connection's order.
    cursors=False (no edge `cursor` selected): the edges are the rows themselves."""
    more = len(docs) > first
    page = docs[:first]
    if backward:
        page.reverse()
    edges = list(map(Edge, zip(page, repeat(order.field)))) if cursors else page
    if backward:
        return Connection(edges, False, total, sort_field=order.field, has_previous_page=more)
    return Connection(edges, more, total, sort_field=order.field)
