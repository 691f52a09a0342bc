"""Relay cursor pagination: opaque cursors over a (sort value, _id) pair, so order is stable.

Both directions of the Relay spec: `first`/`after` reads forward from a cursor, `last`/
`before` backward (a chat view opens at the newest messages with `last: 20` and pages
back with `before`). A backward page is read in the reverse sort from the cursor, so the
index walks at most last+1 entries too, and its rows are put back in the connection's
order before anyone sees them. One direction per page: mixing them is refused (the spec
calls it "strongly discouraged" and no client library sends it).

A cursor is only good for the connection that issued it (resolvers/cursors.py): `Order`
names the connection, and `check_cursor` refuses a cursor of another connection, of
another order, or of another parent's connection (session A's messages given to session
B), naming the argument it came in. A filter (`status`, `tier`, ...) only narrows the rows
of one order, so a position in that order means the same under any filter: a cursor
stays good when the filters change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from operator import itemgetter
from typing import Any, NamedTuple

from resolvers.cursors import Decoded, Position, decode_cursor, encode_cursor
from resolvers.errors import BadUserInput

DEFAULT_FIRST = 20
MAX_FIRST = 100


def row_cursor(row: Any, order: Order) -> str:
    """The opaque cursor of a row in a page of `order`'s connection."""
    parent = order.parent_field
    return encode_cursor(
        order.key, None if parent is None else row.get(parent), row.get(order.field), row["_id"]
    )


class Edge(tuple[Any, "Order"]):
    """`Edge((node, order))`. The cursor is encoded only when read: most clients never
    select `cursor`, and encoding one per edge was ~10% of a large nested read.

    A tuple so a page's edges are made in C (`map(Edge, zip(rows, repeat(order)))`), with
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
    order: Order | None = None
    has_previous_page: bool = False

    @property
    def start_cursor(self) -> str | None:
        if self.first_row is None or self.order is None:
            return None
        return row_cursor(self.first_row, self.order)

    @property
    def end_cursor(self) -> str | None:
        if self.last_row is None or self.order is None:
            return None
        return row_cursor(self.last_row, self.order)


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
    order: Order | None = None
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
            self.order,
            self.has_previous_page,
        )


# The order keys of the connections defined so far: a cursor naming one of them is
# refused by name ("a cursor of User.sessions"), any other name as not issued here.
KNOWN_ORDERS: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class Order:
    field: str
    descending: bool
    # The scalar type of `field`: the only sort value a cursor of this order may carry.
    value_type: type = datetime
    # The connection this order pages, as the schema names it ("Session.messages"): its
    # cursors carry it, so a cursor given to another connection is refused.
    connection: str = ""
    # The rows' field naming their parent (a message's `session_id`) for a connection on
    # a type: its cursors carry the parent too, so session A's cursor is refused by
    # session B's messages. None for a root connection (Query.users).
    parent_field: str | None = None

    def __post_init__(self) -> None:
        if self.connection:
            KNOWN_ORDERS[self.key] = self.connection

    @property
    def key(self) -> str:
        """What a cursor of this order names: the connection and its sort
        ("User.sessions:-started_at"), so changing a connection's order also retires its
        cursors instead of reading them in the new order."""
        return f"{self.connection}:{'-' if self.descending else '+'}{self.field}"

    @property
    def parent_name(self) -> str:
        return (self.parent_field or "parent").removesuffix("_id")


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
    directions). Cursors are checked against their connection when it reads the page
    (`check_cursor`)."""
    if last is None and before is None:
        return Window(check_first(first), after)
    if first is not None or after is not None:
        raise BadUserInput(
            "Page in one direction: 'first'/'after' forward or 'last'/'before' backward.",
            field="last" if last is not None else "before",
        )
    return Window(check_first(last, "last"), before, True)


def cursor_field(backward: bool) -> str:
    """The argument a page's cursor came in: errors name it."""
    return "before" if backward else "after"


def check_cursor(
    order: Order, cursor: str, backward: bool = False, scope: str | None = None
) -> Decoded:
    """The cursor decoded, if it may belong to this connection of `scope` (the parent's id;
    None for a root connection): BAD_USER_INPUT on `after`/`before` for one of another
    connection, order or parent. A cursor of the old format passes with `order` None: only
    its row can tell where it came from (`verify_legacy`)."""
    name = cursor_field(backward)
    decoded = decode_cursor(cursor, order.value_type, name)
    if decoded.order is None or decoded.order == order.key:
        if decoded.order is not None and order.parent_field and decoded.scope != scope:
            raise BadUserInput(
                f"'{name}' is a cursor of {order.connection} on another {order.parent_name}: "
                f"pass each {order.parent_name}'s connection only the cursors it returned.",
                field=name,
            )
        return decoded
    other = KNOWN_ORDERS.get(decoded.order)
    if other is None:
        raise BadUserInput(f"'{name}' is not a cursor this API issued.", field=name)
    if other == order.connection:
        raise BadUserInput(
            f"'{name}' is a cursor of {order.connection} in another order: start again "
            f"without '{name}'.",
            field=name,
        )
    raise BadUserInput(
        f"'{name}' is a cursor of {other}, not of {order.connection}: pass each connection "
        "only the cursors it returned.",
        field=name,
    )


def legacy_matches(order: Order, decoded: Decoded, row: Any, scope: str | None) -> bool:
    """Whether an old-format cursor is one this connection issued: its id is a row of this
    connection's collection, under this parent, with the sort value the cursor carries
    (two orders over one collection, User.exercises and dueExercises, sort by different
    dates, so the value tells them apart)."""
    if row is None or row.get("_id") != decoded.position.doc_id:
        return False
    if order.parent_field is not None and row.get(order.parent_field) != scope:
        return False
    return bool(row.get(order.field) == decoded.position.value)


def legacy_projection(order: Order) -> dict[str, int]:
    """The fields of a row `legacy_matches` reads."""
    return {order.field: 1, **({order.parent_field: 1} if order.parent_field else {})}


def legacy_refused(order: Order, backward: bool) -> BadUserInput:
    name = cursor_field(backward)
    return BadUserInput(
        f"'{name}' is a cursor of an earlier version of this API that is not one of "
        f"{order.connection} (or its row is gone): start again without '{name}'.",
        field=name,
    )


async def verify_legacy(
    order: Order, decoded: Decoded, collection: Any, backward: bool, scope: str | None = None
) -> Position:
    """The position of a checked cursor; an old-format one is looked up first (one read
    by id, only for those) and refused unless its row shows it is this connection's."""
    if decoded.order is not None:
        return decoded.position
    row = await collection.find_one({"_id": decoded.position.doc_id}, legacy_projection(order))
    if not legacy_matches(order, decoded, row, scope):
        raise legacy_refused(order, backward)
    return decoded.position


async def cursor_position(
    order: Order,
    cursor: str | None,
    collection: Any,
    backward: bool = False,
    scope: str | None = None,
) -> Position | None:
    """The position a root connection's page starts from (None: from the start)."""
    if cursor is None:
        return None
    decoded = check_cursor(order, cursor, backward, scope)
    return await verify_legacy(order, decoded, collection, backward, scope)


def seek_filter(order: Order, position: Position | None, backward: bool = False) -> dict[str, Any]:
    """Rows past the position in the page's reading direction (before it when backward)."""
    if position is None:
        return {}
    value, doc_id = position
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
    edges = list(map(Edge, zip(page, repeat(order)))) if cursors else page
    if backward:
        return Connection(edges, False, total, order=order, has_previous_page=more)
    return Connection(edges, more, total, order=order)
