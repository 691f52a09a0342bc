"""One generated Python function per selection set of a plan.

The generic runner (run.py) walks the plan's field list for every object; on a large
nested read that loop, not the data, is most of the cost. The generated function unrolls
it: each field becomes a few lines that read the value (`row.get("name")` for rows) and
take the common case inline (a str for a String/ID, a known enum value, a datetime, a
row for an object, a list of rows); every other case (null in a non-null field, a value
needing coercion, an awaitable, a resolver) calls the runner's generic code for that one
field, so errors, null propagation and coercion are the runner's, not re-implemented.

Every field's fast lines sit inside `try`; an exception goes to `Run.failed`, the same
handler the generic path uses (a located error that is re-raised for a non-null field,
or a null and a collected error for a nullable one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gateway.execution.plan import DIRECT, LEAF, LIST, OBJECT, PLAIN, TYPENAME
from gateway.execution.pure import PureGen, is_pure

if TYPE_CHECKING:
    from gateway.execution.plan import FieldPlan, ObjectPlan, Shape

ObjectFn = Callable[..., dict[str, Any]]
# A generated function gets its position's parts (parent position, key, container,
# nullable, path typename) as arguments and builds the position tuple only when it needs
# one (an error, a resolver, a child): most objects of a large read never do.
POS = "(pos if pos is not None else (pos := (pp, pk, pc, pn, pt)))"


class _Gen:
    def __init__(self, run_ns: dict[str, Any]) -> None:
        self.ns = dict(run_ns)
        self.lines: list[str] = []
        self.names: dict[int, str] = {}
        self.counter = 0
        # id(object plan) -> its pure function's name (pure.py), for pure plans only
        self.pure: dict[int, str] = {}

    def const(self, value: Any, prefix: str) -> str:
        self.counter += 1
        name = f"{prefix}{self.counter}"
        self.ns[name] = value
        return name

    def function(self, oplan: ObjectPlan) -> str:
        name = self.names.get(id(oplan))
        if name is not None:
            return name
        name = self.const(None, "_obj")
        self.names[id(oplan)] = name
        body: list[str] = []
        tn = self.const(oplan.type_name, "TN")
        for f in oplan.fields:
            body += self.field(f, tn)
        display = self.display(oplan, tn)
        body = ["pos = None", "row = type(src) is Row", *display, "out = {}", *body, "return out"]
        self.emit(name, "src, pp, pk, pc, pn, pt, run", body)
        return name

    def emit(self, name: str, params: str, body: list[str]) -> None:
        """Add one function. Everything its body refers to becomes a default argument: a
        local lookup instead of a global one, on every field of every object."""
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", "\n".join(body)))
        bound = sorted(w for w in words if w in self.ns and w != name)
        defaults = "".join(f", {w}={w}" for w in bound)
        self.lines.append(f"def {name}({params}{defaults}):")
        self.lines += ["    " + line for line in body]

    def display(self, oplan: ObjectPlan, tn: str) -> list[str]:
        """For a row whose leaf fields all take the inline case: read them all, check them
        all, and build the object with one dict display (keys in field order; the other
        fields' slots hold None until their own code, unchanged, fills them). Reads of a
        row and leaf coercions have no side effects, so when any check fails, or a read or
        coercion raises, the general body below starts over and reports it."""
        reads: list[str] = []
        checks: list[str] = []
        items: list[str] = []
        rest: list[str] = []
        for n, f in enumerate(oplan.fields):
            k = repr(f.key)
            if f.kind == TYPENAME:
                items.append(f"{k}: {tn}")
                continue
            leaf = self.leaf_check(f, n)
            if leaf is None:
                items.append(f"{k}: None")
                rest += self.field(f, tn)
                continue
            read, check, value = leaf
            reads.append(f"v{n} = {read}")
            checks.append(f"({check})")
            items.append(f"{k}: {value}")
        if not reads:
            return []
        lines = ["if row:", "    try:"]
        lines += [f"        {r}" for r in reads]
        lines += [f"        ok = {' and '.join(checks)}"]
        lines += ["    except Exception:", "        ok = False"]
        lines += ["    if ok:", f"        out = {{{', '.join(items)}}}"]
        lines += [f"        {line}" for line in rest]
        lines += ["        return out"]
        return lines

    def leaf_test(self, shape: Shape, v: str, r: str) -> tuple[str, str]:
        """(condition, output) for the inline case of a non-null leaf value in `v`: the
        condition binds the coerced output to `r` where it is not `v` itself."""
        if shape.identity is not None and shape.memo is None:
            return shape.identity.format(v=v), v
        if shape.memo is not None:
            m = self.const(shape.str_memo, "SM")
            return f"type({v}) is str and ({r} := {m}.get({v})) is not None", r
        c = self.const(shape.coerce, "C")
        return (
            f"type({v}) in LEAF_OK and ({r} := {c}({v})) is not None and {r} is not Undefined",
            r,
        )

    def leaf_check(self, f: FieldPlan, n: int) -> tuple[str, str, str] | None:
        """(read, check, output value) of a plain leaf field read from a row, or None."""
        shape = f.shape
        if f.kind != PLAIN or f.getter is not getattr or f.row_key is None:
            return None
        if shape.kind != LEAF:
            return None
        read = f"src[{f.row_key!r}]" if f.row_strict else f"src.get({f.row_key!r})"
        v, r = f"v{n}", f"r{n}"
        check, value = self.leaf_test(shape, v, r)
        if shape.nullable:
            check = f"{v} is None or ({check})"
            if value != v:
                value = f"({r} if {v} is not None else None)"
        return read, check, value

    def field(self, f: FieldPlan, tn: str) -> list[str]:
        k = repr(f.key)
        F = self.const(f, "F")
        if f.kind == TYPENAME:
            return [f"out[{k}] = {tn}"]
        generic = f"run.field({F}, src, {POS}, out, {tn})"
        if f.kind == PLAIN:
            attr = repr(f.attr)
            if f.getter is getattr:
                if f.row_key is None:
                    read = f"getattr(src, {attr})"
                elif f.row_strict:
                    read = f"src[{f.row_key!r}] if row else getattr(src, {attr})"
                else:
                    read = f"src.get({f.row_key!r}) if row else getattr(src, {attr})"
            else:
                read = f"{self.const(f.getter, 'G')}(src, {attr})"
        elif f.kind == DIRECT:
            fn = self.const(f.getter, "D")
            read = f"{fn}(src)" if f.self_arg else f"{fn}()"
        else:
            return [generic]
        fast = self.fast(f, f.shape, k, tn)
        # The value read is completed by the runner (what run.field does after its own
        # read): a resolver is called once, whatever its value turns out to need.
        S = self.const(f.shape, "S")
        lines = ["try:", f"    v = {read}"]
        lines += ["    " + line for line in fast]
        lines += [
            "    else:",
            f"        out[{k}] = run.complete({S}, v, {F}, out, {k}, {POS}, {tn})",
        ]
        lines += ["except Exception as e:", f"    run.failed({F}, e, {POS}, out, {tn})"]
        return lines

    def fast(self, f: FieldPlan, shape: Shape, k: str, tn: str) -> list[str]:
        """An if/elif chain for the inline cases; the caller adds the generic `else`."""
        out: list[str] = []
        if shape.kind == LEAF:
            check, value = self.leaf_test(shape, "v", "r")
            out += [f"if {check}:", f"    out[{k}] = {value}"]
        elif shape.kind == OBJECT:
            assert shape.obj is not None
            fn = self.function(shape.obj)
            call = f"{fn}(v, {POS}, {k}, out, {shape.nullable}, {tn}, run)"
            pure = self.pure.get(id(shape.obj))
            if pure is None:
                out += ["if type(v) in OBJECTS:", f"    out[{k}] = {call}"]
            else:
                out += [
                    "if type(v) in OBJECTS:",
                    "    try:",
                    f"        out[{k}] = {pure}(v)",
                    "    except Exception:",
                    f"        out[{k}] = {call}",
                ]
        elif shape.kind == LIST and shape.of is not None and shape.of.kind == OBJECT:
            item = shape.of
            assert item.obj is not None
            fn = self.function(item.obj)
            F = self.const(f, "F")
            S = self.const(item, "S")
            loop = [
                "    lst = [None] * len(v)",
                f"    lpos = ({POS}, {k}, out, {shape.nullable}, {tn})",
                f"    out[{k}] = lst",
                "    for i, x in enumerate(v):",
                "        if type(x) in OBJECTS:",
            ]
            if item.nullable:
                loop += [
                    "            try:",
                    f"                lst[i] = {fn}(x, lpos, i, lst, True, None, run)",
                    "            except Exception as e:",
                    f"                lst[i] = run.item_failed({F}, {S}, e, lpos, i)",
                ]
            else:
                loop += [f"            lst[i] = {fn}(x, lpos, i, lst, False, None, run)"]
            loop += ["        else:", f"            lst[i] = run.item({F}, {S}, x, lst, i, lpos)"]
            if not item.nullable:
                # A non-null item's error leaves the list: the rest is drained as
                # graphql-core drains it (Run.drain_rest).
                loop = [
                    *loop[:3],
                    "    try:",
                    *["    " + line for line in loop[3:]],
                    "    except Exception:",
                    "        run.drain_rest(iter(v[i + 1 :]))",
                    "        raise",
                ]
            out += ["if type(v) is list and not v:", f"    out[{k}] = []", "elif type(v) is list:"]
            pure = self.pure.get(id(item.obj))
            if pure is None:
                out += loop
            else:
                each = f"{pure}(x) if type(x) in OBJECTS else slow()"
                if item.nullable:
                    each = f"None if x is None else {each}"
                out += [
                    "    try:",
                    f"        out[{k}] = [{each} for x in v]",
                    "    except Exception:",
                ]
                out += ["    " + line for line in loop]
        else:
            return ["if False:", "    pass"]
        if shape.nullable:
            out += ["elif v is None:", f"    out[{k}] = None"]
        return out


def compile_plan(root: ObjectPlan, names: dict[str, Any], pure_resolvers: bool = False) -> None:
    """Generate and attach a function for every object the plan reaches (`ObjectPlan.fn`),
    and for every pure one its pure function too (`ObjectPlan.pure`, pure.py).
    `names`: what generated code refers to (run.py's generated_names); `pure_resolvers`:
    Conventions.pure_resolvers."""
    gen = _Gen(names)
    plans: dict[str, ObjectPlan] = {}
    _collect(root, plans)
    pure_gen = PureGen(gen)
    seen: dict[int, bool] = {}
    for oplan in plans.values():
        if is_pure(oplan, seen, pure_resolvers):
            gen.pure[id(oplan)] = pure_gen.function(oplan)
    for oplan in plans.values():
        gen.function(oplan)
    # One exec per function, children first (a parent binds its children as defaults).
    for chunk in "\n".join(gen.lines).split("\ndef "):
        source = chunk if chunk.startswith("def ") else "def " + chunk
        code = compile(source, f"<plan {root.type_name}>", "exec")
        exec(code, gen.ns)  # built above from the plan, never from client input
    for oplan in plans.values():
        oplan.fn = gen.ns[gen.names[id(oplan)]]
        pure = gen.pure.get(id(oplan))
        oplan.pure = gen.ns[pure] if pure is not None else None


def _collect(oplan: ObjectPlan, into: dict[str, ObjectPlan]) -> None:
    if str(id(oplan)) in into:
        return
    into[str(id(oplan))] = oplan
    for f in oplan.fields:
        shape = f.shape
        while shape.of is not None:
            shape = shape.of
        if shape.obj is not None:
            _collect(shape.obj, into)
