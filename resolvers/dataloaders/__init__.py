"""Per-request DataLoaders: every relation is fetched in one round trip per level.

One named loader class per relation, in the module of its domain (the same names as in
schema/, resolvers/ and models/documents/): `users.UserByIdLoader`,
`sessions.SessionsByUserLoader`, `messages.MessagesBySessionLoader`, ... Each says what it
reads (collection, parent field, order, hidden fields); base.py has the one by-id and the
one page reader they share. `Loaders` makes them per request, each on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from opentelemetry.trace import Tracer

from models.db import Database
from resolvers.dataloaders.base import (
    COUNT_TAG,
    DOCUMENT_TOO_LARGE,
    MAX_PARENTS_PER_BATCH,
    PAGE_ROWS,
    PAGE_TAG,
    ByIdLoader,
    PageKey,
    PageLoader,
    PageReader,
    Range,
    Seen,
    _by_id_loader,
    _traced_batches,
    exclude,
    filter_query,
)
from resolvers.dataloaders.exercises import (
    EXERCISE_ORDER,
    ExerciseByIdLoader,
    ExercisesByUserLoader,
)
from resolvers.dataloaders.messages import (
    MESSAGE_HIDDEN,
    MESSAGE_ORDER,
    MessageByIdLoader,
    MessagesBySessionLoader,
)
from resolvers.dataloaders.sessions import (
    SESSION_HIDDEN,
    SESSION_ORDER,
    SessionByIdLoader,
    SessionsByUserLoader,
)
from resolvers.dataloaders.users import UserByIdLoader
from resolvers.loader import BatchLoader

L = TypeVar("L", bound=BatchLoader[Any, Any])
T = TypeVar("T")


class per_request(Generic[T]):  # a decorator, named like cached_property
    """functools.cached_property without its lock: Python 3.11's takes an RLock on each
    first read, and every request makes its loaders afresh (a learner's page makes four).
    A `Loaders` belongs to one request, on one event loop: nothing reads it from two
    threads. The value lands in the instance's __dict__, where later reads find it first,
    and its name in the instance's `made`, which `Loaders.release` goes through."""

    def __init__(self, make: Callable[[Any], T]) -> None:
        self.make = make
        self.name = make.__name__
        self.__doc__ = make.__doc__

    def __set_name__(self, _owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, _owner: type | None = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]  # the class attribute itself
        value = obj.__dict__[self.name] = self.make(obj)
        obj.made.append(self.name)
        return value


class Loaders:
    """Created per request; each loader only when a resolver first asks for it."""

    def __init__(
        self,
        db: Database,
        half_life_days: float = 14.0,
        batched: bool = True,
        tracer: Tracer | None = None,
    ) -> None:
        self.db = db
        self.half_life_days = half_life_days
        self.batched = batched
        self.tracer = tracer
        # The per_request loaders made so far, by name: what `release` lets go of.
        self.made: list[str] = []
        # Rows the page loaders returned, per collection, for the by-id loaders.
        self.seen: dict[str, Seen] = {
            "sessions": Seen(),
            "messages": Seen(),
            "exercises": Seen(),
        }

    def _traced(self, name: str, loader: L) -> L:
        """`loader` with a span per batch when tracing is on (the batch's MongoDB commands
        become its children), as Saleor's loaders do."""
        if self.tracer is not None:
            loader.load_fn = _traced_batches(self.tracer, name, loader.load_fn)
        return loader

    def release(self) -> None:
        """Forget every row this request loaded. graphql-core's executor holds a reference
        cycle (it and its resolve-info helpers) that keeps the request's context, and so
        these caches, alive until the next garbage collection: on a 10,000-row read that
        was ~30,000 objects per request waiting for the collector, which then had to scan
        them. Released, they are freed when the response is."""
        made, self.made = self.made, []
        for name in made:
            self.__dict__.pop(name).clear_all()  # and its last batch (a later use makes a new one)
        for seen in self.seen.values():
            seen.clear()

    @per_request
    def error_stats(self) -> BatchLoader[Any, Any]:
        from resolvers.practice.stats import stats_loader

        return self._traced("error_stats", stats_loader(self.db, self.half_life_days))

    @per_request
    def user(self) -> UserByIdLoader:
        return self._traced("user", UserByIdLoader(self.db, None, self.batched))

    @per_request
    def session(self) -> SessionByIdLoader:
        return self._traced(
            "session", SessionByIdLoader(self.db, self.seen["sessions"], self.batched)
        )

    @per_request
    def message(self) -> MessageByIdLoader:
        return self._traced(
            "message", MessageByIdLoader(self.db, self.seen["messages"], self.batched)
        )

    @per_request
    def exercise(self) -> ExerciseByIdLoader:
        return self._traced(
            "exercise", ExerciseByIdLoader(self.db, self.seen["exercises"], self.batched)
        )

    @per_request
    def sessions_by_user(self) -> SessionsByUserLoader:
        return self._traced(
            "sessions_by_user", SessionsByUserLoader(self.db, self.seen["sessions"], self.batched)
        )

    @per_request
    def messages_by_session(self) -> MessagesBySessionLoader:
        return self._traced(
            "messages_by_session",
            MessagesBySessionLoader(self.db, self.seen["messages"], self.batched),
        )

    @per_request
    def exercises_by_user(self) -> ExercisesByUserLoader:
        return self._traced(
            "exercises_by_user",
            ExercisesByUserLoader(self.db, self.seen["exercises"], self.batched),
        )


__all__ = [
    "COUNT_TAG",
    "DOCUMENT_TOO_LARGE",
    "EXERCISE_ORDER",
    "MAX_PARENTS_PER_BATCH",
    "MESSAGE_HIDDEN",
    "MESSAGE_ORDER",
    "PAGE_ROWS",
    "PAGE_TAG",
    "SESSION_HIDDEN",
    "SESSION_ORDER",
    "ByIdLoader",
    "ExerciseByIdLoader",
    "ExercisesByUserLoader",
    "Loaders",
    "MessageByIdLoader",
    "MessagesBySessionLoader",
    "PageKey",
    "PageLoader",
    "PageReader",
    "Range",
    "Seen",
    "SessionByIdLoader",
    "SessionsByUserLoader",
    "UserByIdLoader",
    "_by_id_loader",
    "exclude",
    "filter_query",
]
