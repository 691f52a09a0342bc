"""Relay connection types shared by every paginated field."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import strawberry
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode
from strawberry import Info

from models.rows import Row

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    # `self` is a resolvers.pagination.Edge, or the row itself when the client selected
    # no `cursor` on the page's edges (selects_cursor): then there is no edge object.

    @strawberry.field
    def cursor(self) -> str:
        # An Edge: a page is built from bare rows only when no cursor is selected.
        edge: Any = self
        return edge.cursor  # type: ignore[no-any-return]

    @strawberry.field
    def node(self) -> T:
        return self if type(self) is Row else self.node  # type: ignore[return-value]


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo

    @strawberry.field(description="Items matching the filters, across all pages.")
    async def total_count(self) -> int:
        # `self` is a resolvers.pagination.Connection: counted with the page, or lazily.
        count_fn = getattr(self, "count_fn", None)
        if count_fn is not None:
            return int(await count_fn())
        return int(getattr(self, "total", 0))


def _selects_under(
    selection_set: Any,
    path: tuple[str, ...],
    fragments: dict[str, Any],
    seen: set[tuple[str, tuple[str, ...]]],
) -> bool:
    """Whether a field at `path` (names; fragments followed once per path) is selected."""
    for sel in getattr(selection_set, "selections", None) or ():
        if isinstance(sel, FieldNode):
            if sel.name.value == path[0] and (
                len(path) == 1 or _selects_under(sel.selection_set, path[1:], fragments, seen)
            ):
                return True
        elif isinstance(sel, InlineFragmentNode):
            if _selects_under(sel.selection_set, path, fragments, seen):
                return True
        elif isinstance(sel, FragmentSpreadNode) and (sel.name.value, path) not in seen:
            seen.add((sel.name.value, path))
            fragment = fragments.get(sel.name.value)
            if fragment is not None and _selects_under(
                fragment.selection_set, path, fragments, seen
            ):
                return True
    return False


def _selects_path(info: Info, path: tuple[str, ...]) -> bool:
    """Whether the field's own selection reaches `path` (a fragment once per path), read
    from the field nodes, not the subtree `info.selected_fields` converts for every
    parent."""
    raw = info._raw_info
    seen: set[tuple[str, tuple[str, ...]]] = set()
    return any(
        _selects_under(node.selection_set, path, raw.fragments, seen) for node in raw.field_nodes
    )


def selects_cursor(info: Info) -> bool:
    """Whether this connection's selection asks for an edge's `cursor` anywhere (under
    any alias, fragment or directive: a conservative yes). Without it the page is built
    with the rows as its edges, no edge object per row."""
    return _selects_path(info, ("edges", "cursor"))


def selects_total(info: Info) -> bool:
    """Whether this connection's own selection asks for totalCount (counting costs a
    query)."""
    return _selects_path(info, ("totalCount",))
