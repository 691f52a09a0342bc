"""The messages' loaders: by id, and a session's messages as pages (Session.messages)."""

from __future__ import annotations

from resolvers.dataloaders.base import ByIdLoader, PageLoader
from resolvers.pagination import Order

MESSAGE_ORDER = Order(
    "timestamp",
    descending=False,
    connection="Session.messages",
    parent_field="session_id",
)
# Bookkeeping fields that no GraphQL field exposes.
MESSAGE_HIDDEN = frozenset({"idempotency_key", "applied", "guarded", "applied_at"})


class MessageByIdLoader(ByIdLoader):
    collection = "messages"
    hidden = MESSAGE_HIDDEN


class MessagesBySessionLoader(PageLoader):
    collection = "messages"
    order = MESSAGE_ORDER
    hidden = MESSAGE_HIDDEN
