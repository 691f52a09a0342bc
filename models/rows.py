"""Read-path view of a stored document: no model validation, attribute access for Strawberry.

Validation happens once, on write (the Beanie documents); re-validating every row on every
read costs more than the query itself for large pages.
"""

from __future__ import annotations

from typing import Any


class Row(dict[str, Any]):
    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name == "id":
            return self["_id"]
        if name.startswith("__"):
            # Protocol probes (__await__, __iter__ via getattr, ...) must not see a field.
            raise AttributeError(name)
        return self.get(name)
