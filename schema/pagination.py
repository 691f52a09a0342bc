"""Relay connection types shared by every paginated field."""

from __future__ import annotations

from typing import Generic, TypeVar

import strawberry

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
