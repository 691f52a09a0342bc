"""The sessions' loaders: by id, and a user's sessions as pages (User.sessions)."""

from __future__ import annotations

from resolvers.dataloaders.base import ByIdLoader, PageLoader
from resolvers.pagination import Order

SESSION_ORDER = Order(
    "started_at",
    descending=True,
    connection="User.sessions",
    parent_field="user_id",
)
# Bookkeeping fields that no GraphQL field exposes.
SESSION_HIDDEN = frozenset({"applied_ids", "guard_ids"})


class SessionByIdLoader(ByIdLoader):
    collection = "sessions"
    hidden = SESSION_HIDDEN


class SessionsByUserLoader(PageLoader):
    collection = "sessions"
    order = SESSION_ORDER
    hidden = SESSION_HIDDEN
