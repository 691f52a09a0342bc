"""Relay connection types shared by every paginated field."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import strawberry
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode
from strawberry import Info

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


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


def _selects(selection_set: Any, name: str, fragments: dict[str, Any], seen: set[str]) -> bool:
    for sel in getattr(selection_set, "selections", None) or ():
        if isinstance(sel, FieldNode):
            if sel.name.value == name:
                return True
        elif isinstance(sel, InlineFragmentNode):
            if _selects(sel.selection_set, name, fragments, seen):
                return True
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
            seen.add(sel.name.value)
            fragment = fragments.get(sel.name.value)
            if fragment is not None and _selects(fragment.selection_set, name, fragments, seen):
                return True
    return False


def selects_total(info: Info) -> bool:
    """Whether this connection's own selection asks for totalCount (counting costs a query).

    Reads only the connection's direct selection set (fragments once each), not the
    subtree `info.selected_fields` would convert for every parent.
    """
    raw = info._raw_info
    seen: set[str] = set()
    return any(
        _selects(node.selection_set, "totalCount", raw.fragments, seen) for node in raw.field_nodes
    )
