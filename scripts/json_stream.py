"""Read a large JSON file one array item at a time (the importer's input).

`json.loads` of a 93 MB export held the whole parsed document, 444 MB at its peak; here
only the item being read (and the buffer it sits in) is in memory, whatever the file's
size. Values are decoded by the standard library's decoder; this module only walks the
top level: an array, or an object whose members' arrays are streamed and whose other
values are skipped item by item.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

# Read size; a value longer than the buffer doubles the next read until it fits.
CHUNK_CHARS = 1 << 16
_WS = " \t\n\r"
# A value decoded this close to the buffer's end is decoded again with more text after it.
_LOOKAHEAD = 64
_DECODER = json.JSONDecoder()


class _Reader:
    def __init__(self, f: IO[str]) -> None:
        self.f = f
        self.buf = ""
        self.pos = 0
        self.eof = False

    def _fill(self) -> bool:
        """More text after what is unread; False at the end of the file."""
        if self.eof:
            return False
        data = self.f.read(max(CHUNK_CHARS, len(self.buf) - self.pos))
        if not data:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + data
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def expect(self, ch: str) -> None:
        got = self.peek()
        if got != ch:
            raise ValueError(f"expected {ch!r}, found {got or 'the end of the file'!r}")
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if not self._fill():
                    raise
                continue
            if len(self.buf) - end < _LOOKAHEAD and self._fill():
                continue  # a number cut by the read's end ("-2." of "-2.5e3") goes on
            self.pos = end
            return value

    def items(self) -> Iterator[Any]:
        """The items of the array starting here, one at a time."""
        self.expect("[")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            sep = self.peek()
            self.pos += 1
            if sep == "]":
                return
            if sep != ",":
                raise ValueError(f"expected ',' or ']' in an array, found {sep!r}")

    def members(self) -> Iterator[str]:
        """The keys of the object starting here; the caller reads or skips each value."""
        self.expect("{")
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise ValueError("an object key that is not a string")
            self.expect(":")
            yield key
            sep = self.peek()
            self.pos += 1
            if sep == "}":
                return
            if sep != ",":
                raise ValueError(f"expected ',' or '}}' in an object, found {sep!r}")

    def skip(self) -> None:
        """Past the value starting here without holding more than one item of it."""
        ch = self.peek()
        if ch == "[":
            for _ in self._skipped_items():
                pass
        elif ch == "{":
            for _ in self.members():
                self.skip()
        else:
            self.value()

    def _skipped_items(self) -> Iterator[None]:
        self.expect("[")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            self.skip()
            yield None
            sep = self.peek()
            self.pos += 1
            if sep == "]":
                return
            if sep != ",":
                raise ValueError(f"expected ',' or ']' in an array, found {sep!r}")


def shape(path: Path) -> str:
    """ "array", "object" or "other", from the first character."""
    with path.open(encoding="utf-8") as f:
        first = _Reader(f).peek()
    return {"[": "array", "{": "object"}.get(first, "other")


def object_keys(path: Path) -> list[str]:
    """The top-level object's keys (its values skipped, not decoded whole)."""
    with path.open(encoding="utf-8") as f:
        reader = _Reader(f)
        keys = []
        for key in reader.members():
            keys.append(key)
            reader.skip()
        return keys


def array_items(path: Path, key: str | None = None) -> Iterator[Any]:
    """The items of the top-level array, or of the array under the top-level object's
    `key` (nothing when the key is absent or null)."""
    with path.open(encoding="utf-8") as f:
        reader = _Reader(f)
        if key is None:
            yield from reader.items()
            return
        for name in reader.members():
            if name != key:
                reader.skip()
                continue
            if reader.peek() == "n":
                reader.value()
                return
            if reader.peek() != "[":
                raise ValueError(f"{key!r} is not an array")
            yield from reader.items()
            return
