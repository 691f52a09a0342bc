"""Caches of parsed documents, bounded by the bytes they retain, not by their number.

A count bound says nothing about memory: 1,300 distinct anonymous documents `{ __typename }
#<49,000 emoji> <n>` grew RSS 285 -> 793 MB within "512 documents", because each kept its
text (196 KB as a Python string) in its Source, again in its comment token, again in the
token chain's neighbours, and the plan and persisted-query caches kept more. So:

- every cached document is weighed by what it keeps alive (`retained_bytes`: its text,
  its nodes and their names and values, the tokens its locations point to), and each
  cache evicts its least recently used entries once their weights pass its byte budget
  (DOCUMENT_CACHE_BYTES for the parse and plan caches, PERSISTED_QUERY_CACHE_BYTES for
  the in-process persisted-query store);
- right after parsing, the token chain is unlinked (`unlink_tokens`): the lexer's
  doubly-linked list made every document a reference cycle, alive after eviction until
  the next full garbage collection (rare, with GC_GEN0_THRESHOLD), and kept comment
  tokens (the whole padding) alive. Nothing after the parser follows the links;
- validation results live as long as their document and no longer (`PerDocument`).
"""

from __future__ import annotations

import sys
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar

from graphql import DocumentNode, Node, Token, parse
from strawberry.extensions import ParserCache, SchemaExtension

V = TypeVar("V")
# Entries per cache besides the byte budget (DOCUMENT_CACHE_BYTES).
DOCUMENT_CACHE_SIZE = 512
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024


def unlink_tokens(document: DocumentNode) -> None:
    """Cut the lexer's prev/next links: only the tokens locations point to stay alive."""
    loc = document.loc
    token: Token | None = loc.start_token if loc is not None else None
    while token is not None and token.prev is not None:  # back to <SOF>
        token = token.prev
    while token is not None:
        following = token.next
        token.prev = token.next = None
        token = following


def retained_bytes(document: Node) -> int:
    """What a document (or one of its nodes) keeps alive, in bytes (sys.getsizeof of each
    object once: nodes, names and values, locations, the tokens they point to, the text)."""
    seen: set[int] = set()
    total = 0
    stack: list[Any] = [document]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, Node):
            stack.extend(getattr(item, key, None) for key in item.keys)
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif hasattr(item, "start_token"):  # a Location
            stack.extend((item.start_token, item.end_token, item.source))
        elif isinstance(item, Token):
            stack.append(item.value)
        elif hasattr(item, "body") and hasattr(item, "location_offset"):  # a Source
            stack.extend((item.body, item.name))
    return total


class ByteLru(Generic[V]):
    """An LRU whose entries weigh what they retain; evicts past `max_bytes` (or
    `max_entries`). Only touched between awaits, so never seen half-updated."""

    def __init__(self, max_bytes: int, max_entries: int = 100_000) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.bytes = 0
        self.entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self.entries

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.entries)

    def values(self) -> list[V]:
        return [value for value, _ in self.entries.values()]

    def get(self, key: Hashable) -> V | None:
        hit = self.entries.get(key)
        if hit is None:
            return None
        self.entries.move_to_end(key)
        return hit[0]

    def put(self, key: Hashable, value: V, weight: int) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        if weight > self.max_bytes:
            return  # larger than the whole budget: never cached
        self.entries[key] = (value, weight)
        self.bytes += weight
        while self.bytes > self.max_bytes or len(self.entries) > self.max_entries:
            _, (_, evicted) = self.entries.popitem(last=False)
            self.bytes -= evicted


class PerDocument(Generic[V]):
    """A value per parsed document, dropped when the document is garbage."""

    def __init__(self) -> None:
        self._values: dict[int, tuple[weakref.ref[DocumentNode], V]] = {}

    def get(self, document: DocumentNode) -> V | None:
        hit = self._values.get(id(document))
        if hit is None or hit[0]() is not document:
            return None
        return hit[1]

    def put(self, document: DocumentNode, value: V) -> None:
        key = id(document)
        values = self._values

        def forget(ref: weakref.ref[DocumentNode]) -> None:
            current = values.get(key)
            if current is not None and current[0] is ref:
                del values[key]

        values[key] = (weakref.ref(document, forget), value)

    def __len__(self) -> int:
        return len(self._values)


def cached_parse(
    cache: ByteLru[DocumentNode], parse: Callable[..., DocumentNode]
) -> Callable[..., DocumentNode]:
    """`parse(query, **options)` through `cache` (syntax errors are not cached)."""

    def parse_cached(query: str, **options: Any) -> DocumentNode:
        key = (query, tuple(sorted(options.items()))) if options else query
        document = cache.get(key)
        if document is None:
            document = parse(query, **options)
            unlink_tokens(document)
            cache.put(key, document, retained_bytes(document))
        return document

    return parse_cached


class BoundedParserCache(ParserCache):
    """Strawberry's ParserCache (so the compiled pipeline knows it as per-document work),
    with one byte-bounded cache per schema instead of its module-level lru_cache."""

    def __init__(self, cache: ByteLru[DocumentNode]) -> None:
        SchemaExtension.__init__(self)
        self.cached_parse_document = cached_parse(cache, parse)
