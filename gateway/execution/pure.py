"""Whole pure subtrees as one expression, with no bookkeeping on the way down.

A selection set is *pure* when every field in it, and in every object below it, is read
without a resolver call that could wait or need `info`: plain fields, `__typename`, and
direct resolvers (synchronous, no arguments; plan.py). Most of a large read is such a
subtree: a page of messages, each with its errors. For every pure object the generator
writes one function that builds the object's dict with a single dict display: each
value is read and checked inline (a str for a String, a known enum value, a datetime
for a DateTime, a row for an object, a list of rows for a list) and lists are
comprehensions. No response position, no error handling, no per-field `try`.

Anything else (null in a non-null field, a value needing coercion, a first-seen enum
value, an exception anywhere) raises `Slow`. The caller then discards what was built and
completes the same value with the positional code (codegen.py), which reports errors,
nulls and coerces exactly as graphql-core does. Reads of rows and leaf coercions have no
side effects, so doing them twice on that rare path changes nothing; direct resolvers are
part of a pure subtree only where the application promises the same of them
(Conventions.pure_resolvers), since graphql-core calls each resolver once.
"""

from __future__ import annotations

import keyword
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from gateway.execution.plan import DIRECT, LEAF, OBJECT, PLAIN, TYPENAME

if TYPE_CHECKING:
    from gateway.execution.codegen import _Gen
    from gateway.execution.plan import FieldPlan, ObjectPlan, Shape


class Slow(Exception):
    """This value needs the positional path (never escapes a caller that catches it)."""


def slow() -> Any:
    raise Slow


# Lines of generated source a pure function may grow to by writing its children inline
# (a row and any other object read fields differently, so a child is written twice and
# inlining doubles per level of nesting); past that a child is a call to its own function.
MAX_INLINE_LINES = 2000
# Plain fields of one row (non-null ones, nullable ones) from which they are read with
# one C call instead of one method call each.
MIN_GROUPED_READS = 3

# What generated code refers to (with run.py's generated_names).
PURE_NAMES = {"slow": slow}


def is_pure(oplan: ObjectPlan, seen: dict[int, bool] | None = None, direct: bool = True) -> bool:
    """`direct`: whether DIRECT fields may be part of a pure subtree (called again on its
    fallback: Conventions.pure_resolvers)."""
    seen = {} if seen is None else seen
    known = seen.get(id(oplan))
    if known is not None:
        return known
    seen[id(oplan)] = False  # a cycle is not pure (plans are trees; this is defensive)
    kinds = (PLAIN, DIRECT) if direct else (PLAIN,)
    pure = all(
        f.kind == TYPENAME or (f.kind in kinds and _pure_shape(f.shape, seen, direct))
        for f in oplan.fields
    )
    seen[id(oplan)] = pure
    return pure


def _pure_shape(shape: Shape, seen: dict[int, bool], direct: bool) -> bool:
    if shape.kind == LEAF:
        return True
    if shape.kind == OBJECT:
        return shape.obj is not None and is_pure(shape.obj, seen, direct)
    return shape.of is not None and _pure_shape(shape.of, seen, direct)


class PureGen:
    """Writes `_pure<N>(src) -> dict` functions into the positional generator's namespace.

    Statements, not nested expressions: in Python 3.11 a comprehension is a function of
    its own, and every name an inner expression binds becomes a closure cell, which cost
    more than the work itself on a page of messages. Plain loops keep every value in a
    fast local."""

    def __init__(self, gen: _Gen) -> None:
        self.gen = gen
        self.names: dict[int, str] = {}
        self.vars = 0
        self.size = 0

    def function(self, oplan: ObjectPlan) -> str:
        name = self.names.get(id(oplan))
        if name is not None:
            return name
        # Children first: a function binds the ones it calls as default arguments.
        for f in oplan.fields:
            shape = f.shape
            while shape.of is not None:
                shape = shape.of
            if shape.obj is not None:
                self.function(shape.obj)
        name = self.gen.const(None, "_pure")
        self.vars, self.size = 0, 0
        on_row, row_out = self.object(oplan, "src", row=True, inline=True)
        other, other_out = self.object(oplan, "src", row=False, inline=True)
        body = ["if type(src) is Row:", *_indent(on_row), f"    return {row_out}"]
        body += [*other, f"return {other_out}"]
        self.gen.emit(name, "src", body)
        self.names[id(oplan)] = name
        return name

    def var(self, prefix: str = "v") -> str:
        self.vars += 1
        return f"{prefix}{self.vars}"

    def object(self, oplan: ObjectPlan, src: str, row: bool, inline: bool) -> tuple[list[str], str]:
        """Statements that check every field of the object in `src` (a Row when `row`),
        and the dict display that builds it from what they bound."""
        tn = self.gen.const(oplan.type_name, "TN")
        lines: list[str] = []
        items = []
        # On a row, several plain fields are read in one C call: the non-null ones with
        # one itemgetter (a missing key raises KeyError: back to the positional code,
        # which reports the null), the nullable ones with map(row.get, keys) (Row.get's
        # None for a missing key, as each read would give).
        reads: dict[int, str] = {}
        if row:
            plain = [
                f
                for f in oplan.fields
                if f.kind == PLAIN and f.getter is getattr and f.row_key is not None
            ]
            required = [f for f in plain if not f.shape.nullable]
            optional = [f for f in plain if f.shape.nullable]
            if len(required) >= MIN_GROUPED_READS:
                names = [self.var() for _ in required]
                getter = self.gen.const(itemgetter(*(f.row_key for f in required)), "IG")
                lines.append(f"{', '.join(names)} = {getter}({src})")
                reads.update((id(f), n) for f, n in zip(required, names, strict=True))
            if len(optional) >= MIN_GROUPED_READS:
                names = [self.var() for _ in optional]
                keys = self.gen.const(tuple(f.row_key for f in optional), "K")
                lines.append(f"{', '.join(names)} = map({src}.get, {keys})")
                reads.update((id(f), n) for f, n in zip(optional, names, strict=True))
        for f in oplan.fields:
            if f.kind == TYPENAME:
                items.append(f"{f.key!r}: {tn}")
                continue
            # A list read through its resolver's row promise must hold Rows only.
            rows_only = row and f.kind == DIRECT and f.row_list is not None
            read = reads.get(id(f)) or self.read(f, src, row)
            more, out = self.value(f.shape, read, inline, rows_only)
            lines += more
            items.append(f"{f.key!r}: {out}")
        self.size += len(lines)
        return lines, "{" + ", ".join(items) + "}"

    def read(self, f: FieldPlan, src: str, row: bool) -> str:
        """The expression plan.py's field kind reads the value with."""
        if f.kind == DIRECT:
            if row and f.row_list is not None:
                # The resolver's promise (schema/rowfields.py); the list's items are
                # checked to be Rows where they are read, like every value.
                return f"({src}.get({f.row_list!r}) or [])"
            fn = self.gen.const(f.getter, "D")
            return f"{fn}({src})" if f.self_arg else f"{fn}()"
        if f.getter is not getattr:
            return f"{self.gen.const(f.getter, 'G')}({src}, {f.attr!r})"
        if row and f.row_key is not None:
            return f"{src}[{f.row_key!r}]" if f.row_strict else f"{src}.get({f.row_key!r})"
        if f.attr.isidentifier() and not keyword.iskeyword(f.attr):
            return f"{src}.{f.attr}"  # what getattr does, without the call
        return f"getattr({src}, {f.attr!r})"

    def value(
        self, shape: Shape, read: str | None, inline: bool, rows_only: bool = False
    ) -> tuple[list[str], str]:
        """Statements that read (`read`: an expression, or the name of a bound variable
        when it is one already) and check one value, and the name holding its output.
        `rows_only`: a list whose items must all be Rows (not null, not other objects)."""
        if read is not None and read.isidentifier():
            v = read
            lines: list[str] = []
        else:
            v = self.var()
            lines = [f"{v} = {read}"]
        if shape.nullable and not rows_only and shape.kind == LEAF:
            if shape.identity is not None and shape.memo is None:
                # A null is its own output too: one test, and the value is the output.
                ok = shape.identity.format(v=v)
                return [*lines, f"if {v} is not None and not ({ok}):", "    slow()"], v
        if shape.nullable and not rows_only:
            r = self.var("r")
            inner, out = self.check(shape, v, inline)
            lines += [f"if {v} is None:", f"    {r} = None", "else:", *_indent(inner)]
            lines += [f"    {r} = {out}"]
            return lines, r
        inner, out = self.check(shape, v, inline, rows_only)
        return lines + inner, out

    def check(
        self, shape: Shape, v: str, inline: bool, rows_only: bool = False
    ) -> tuple[list[str], str]:
        if shape.kind == LEAF:
            if shape.identity is not None and shape.memo is None:
                return [f"if not ({shape.identity.format(v=v)}):", "    slow()"], v
            r = self.var("r")
            if shape.memo is not None:
                sm = self.gen.const(shape.str_memo, "SM")
                m = self.gen.const(shape.memo, "M")
                return [
                    f"{r} = {sm}.get({v}) if type({v}) is str else {m}.get((type({v}), {v}))",
                    f"if {r} is None:",
                    "    slow()",
                ], r
            c = self.gen.const(shape.coerce, "C")
            return [
                f"if type({v}) not in LEAF_OK or ({r} := {c}({v})) is None or {r} is Undefined:",
                "    slow()",
            ], r
        if shape.kind == OBJECT:
            assert shape.obj is not None
            r = self.var("r")
            fn = self.names.get(id(shape.obj))
            if rows_only:
                if inline and self.size < MAX_INLINE_LINES:
                    on_row, row_out = self.object(shape.obj, v, row=True, inline=True)
                    return [
                        f"if type({v}) is not Row:",
                        "    slow()",
                        *on_row,
                        f"{r} = {row_out}",
                    ], r
                assert fn is not None
                return [f"if type({v}) is not Row:", "    slow()", f"{r} = {fn}({v})"], r
            if inline and self.size < MAX_INLINE_LINES:
                on_row, row_out = self.object(shape.obj, v, row=True, inline=True)
                other, other_out = self.object(shape.obj, v, row=False, inline=True)
                return [
                    f"if type({v}) is Row:",
                    *_indent(on_row),
                    f"    {r} = {row_out}",
                    f"elif type({v}) in OBJECTS:",
                    *_indent(other),
                    f"    {r} = {other_out}",
                    "else:",
                    "    slow()",
                ], r
            assert fn is not None
            return [f"if type({v}) not in OBJECTS:", "    slow()", f"{r} = {fn}({v})"], r
        assert shape.of is not None
        r, x = self.var("r"), self.var("x")
        each, out = self.value(shape.of, x, inline, rows_only)
        return [
            f"if type({v}) is not list:",
            "    slow()",
            f"{r} = []",
            f"for {x} in {v}:",
            *_indent(each),
            f"    {r}.append({out})",
        ], r


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]
