"""Row shortcuts: what the compiled executor may read instead of calling a resolver.

`Message.errors` is a resolver only to serve a missing list as `[]` and to turn plain
dict items (a message built in this request) into Rows; for a row the driver decoded, it
returns the row's own list. On a page of messages that call, made per message, was
among the larger costs of a large read. A resolver marked `@row_list("errors")` promises:
for a `Row` source, whenever `row.get("errors") or []` is a list of Rows, that list is
what the resolver returns. The executor (gateway/execution/pure.py) then reads it, and
checks every item is a Row, as it checks every value it reads; anything else goes back
to the resolver. Standard execution always calls the resolver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

ROW_LIST = "__row_list__"

F = TypeVar("F", bound=Callable[..., Any])


def row_list(key: str) -> Callable[[F], F]:
    def mark(fn: F) -> F:
        setattr(fn, ROW_LIST, key)
        return fn

    return mark
