"""Running a plan: breadth-first over the operation, one wave per level of awaitables.

Synchronous work (plain fields, direct resolvers, leaf coercion, nested objects whose
fields are all synchronous) completes depth-first in place, exactly as graphql-core does
it. Every awaitable a resolver returns is parked; when a level is done, the whole wave is
awaited together (so the DataLoader loads of one level are one batch), each result is
completed, and the awaitables that completion produces form the next wave.

Errors follow graphql-core's rules (`Executor.handle_field_error`): an error is located at
its field (message, locations, path); a nullable field or list item becomes null and the
error is collected; a non-null one passes the error to its parent, up to the nearest
nullable position, or nulls `data`. Errors under a position already nulled are dropped
(graphql-core's `CollectedErrors`) and work under it is abandoned. The order errors are
collected in, and where it can differ from graphql-core's: docs/performance.md (Error
order).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from types import CoroutineType, GeneratorType, NoneType
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, located_error
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, inspect, is_iterable
from strawberry.types.arguments import convert_arguments

from gateway.execution.conventions import Conventions
from gateway.execution.plan import (
    BATCH,
    CALL,
    DIRECT,
    LEAF,
    LIST,
    OBJECT,
    PLAIN,
    TYPENAME,
    FieldPlan,
    ObjectPlan,
    Shape,
)
from gateway.execution.pure import PURE_NAMES, slow

if TYPE_CHECKING:
    from graphql import Executor, FieldNode

    from gateway.execution.plan import OperationPlan


# A position in the response that holds an object or a list: (parent position, key,
# container, nullable, path typename). Tuples: one is made per object and list.
Pos = tuple[Any, ...]
P_PREV, P_KEY, P_CONTAINER, P_NULLABLE, P_TYPENAME = range(5)

MEMO_SIZE = 1024  # enum values remembered per field
# Leaf values whose coercion generated code calls inline (graphql-core's checks before
# coercion can only say no for these types).
LEAF_OK = frozenset({int, float, bool, datetime})


class TypeFacts:
    """What one plan cache has learned about value types: which are never awaitable and
    never exceptions (SETTLED: graphql-core's per-value checks can only say no), and of
    those, which a position completes as an object's source (OBJECTS: SETTLED without str).

    Owned by one plan cache, so one schema (or one test) never sees what another learned;
    the generated code of that cache's plans reads these same sets."""

    MAX_SETTLED = 1024

    def __init__(self, row: type[dict[str, Any]]) -> None:
        self.row = row
        self.settled: set[type] = {str, int, float, bool, datetime, dict, list, tuple, row}
        self.objects: set[type] = self.settled - {str}

    def learn(self, t: type) -> bool:
        """Whether no instance of `t` can be awaitable (Strawberry's is_awaitable checks
        the coroutine and generator types, then `hasattr(value, "__await__")`, which only a
        type attribute or a custom __getattr__ could answer yes to) or an exception.

        Only facts true of every value of the type are learned. None is never learned:
        OBJECTS means "complete as an object", which is never true of None (its
        completion depends on the position's nullability)."""
        if t is NoneType:
            return True
        ok = not (
            issubclass(t, BaseException | CoroutineType | GeneratorType)
            or hasattr(t, "__await__")
            or hasattr(t, "__getattr__")
            or "__class__" in vars(t)
        )
        if ok and len(self.settled) < self.MAX_SETTLED:
            self.settled.add(t)
            if t is not str:
                self.objects.add(t)
        return ok


def generated_names(facts: TypeFacts, conventions: Conventions) -> dict[str, Any]:
    """What generated code refers to (codegen.py, pure.py), for one plan cache."""
    return {
        "Row": conventions.row,
        "SETTLED": facts.settled,
        "OBJECTS": facts.objects,
        "LEAF_OK": LEAF_OK,
        "INF": float("inf"),
        "Undefined": Undefined,
        **PURE_NAMES,
    }


async def _failed(exc: Exception) -> Any:
    raise exc


def path_of(pos: Pos | None) -> Path | None:
    if pos is None:
        return None
    return Path(path_of(pos[P_PREV]), pos[P_KEY], pos[P_TYPENAME])


class _Deferred:
    # awaitable: what to wait for; for a parked batched field (before its batch call), the
    # parent object. slots: a batch call's parked fields, in order (None otherwise).
    __slots__ = ("awaitable", "container", "field", "key", "parent", "shape", "slots", "typename")

    def __init__(
        self,
        awaitable: Any,
        field: FieldPlan,
        shape: Shape,
        container: Any,
        key: str | int,
        parent: Pos | None,
        typename: str | None,
    ) -> None:
        self.awaitable = awaitable
        self.field = field
        self.shape = shape
        self.container = container
        self.key = key
        self.parent = parent
        self.typename = typename
        self.slots: list[_Deferred] | None = None


class _Scope:
    """The children of one gather (run_children): abandoned once one of them raised."""

    __slots__ = ("abandoned", "up")

    def __init__(self, up: _Scope | None) -> None:
        self.abandoned = False
        self.up = up

    def dead(self) -> bool:
        scope: _Scope | None = self
        while scope is not None:
            if scope.abandoned:
                return True
            scope = scope.up
        return False


class Run:
    def __init__(self, ex: Executor[Any], plan: OperationPlan, facts: TypeFacts) -> None:
        self.ex = ex
        self.plan = plan
        self.facts = facts
        self.objects = facts.objects
        self.is_awaitable = ex.is_awaitable
        self.pending: list[_Deferred] = []
        # Batched fields parked while a wave completes: field index -> the call to make
        # (a _Deferred in `pending` whose slots are the parked parents).
        self.batches: dict[int, _Deferred] = {}
        self.args: dict[int, Any] = {}
        self.info_class = ex.schema._strawberry_schema.config.info_class  # type: ignore[attr-defined]
        self.data_nulled = False
        # Every task started, until done: execute() waits for the ones abandoned under a
        # nulled position before it answers.
        self.tasks: set[asyncio.Future[Any]] = set()

    async def execute(self) -> Any:
        ex, plan = self.ex, self.plan
        data: dict[str, Any] = {}
        try:
            if plan.serial:
                for f in plan.root.fields:
                    self.complete_fields(plan.root, [f], ex.root_value, None, data)
                    await self.drain()
                    if self.data_nulled:
                        break
            else:
                self.complete_fields(plan.root, plan.root.fields, ex.root_value, None, data)
                await self.drain()
        except GraphQLError as error:  # a non-null root field failed
            self.null_data(error)
            for d in self.pending:
                if d.awaitable is not None:
                    self.background(d.awaitable)
        # Work abandoned under a nulled position still runs to its end (its errors are
        # dropped), as graphql-core settles it, before the response is built.
        while self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        return ex.build_response(None if self.data_nulled else data)

    async def drain(self) -> None:
        """Run the parked awaitables, and everything they lead to, to completion."""
        self.flush()
        wave, self.pending = self.pending, []
        await self.run_wave(wave, None)

    async def run_wave(
        self, wave: list[_Deferred], top: Pos | None, scope: _Scope | None = None
    ) -> None:
        """Run the awaitables one completion parked, all started in the same tick (one
        DataLoader batch per level), and settle them in the order graphql-core would.

        graphql-core awaits each object's (and list's) awaitable fields (items) with one
        gather when there are several and directly when there is one; a gather starts its
        awaitables one tick later. So the errors of a wave come in the order that tree of
        gathers settles them: the wave is arranged as that tree, from the positions the
        awaitables were parked at, below `top` (the completed field's parent position),
        and settled through it. A non-null error is raised through the tree to the
        nearest nullable position, which handles it as graphql-core's does."""
        if not wave:
            return
        collected = self.ex.collected_errors
        if collected.errors:
            # Parked before a non-null error nulled a position above them: graphql-core
            # settles these in the background, outside its gathers; so do we (their errors
            # are dropped).
            live = [d for d in wave if not collected.has_nulled_position(path_of(d.parent))]
            if len(live) < len(wave):
                for d in wave:
                    if d not in live:
                        self.background(d.awaitable)
                wave = live
                if not wave:
                    return
        if len(wave) > 1:
            tasks = self.tasks
            for d in wave:
                task = asyncio.ensure_future(d.awaitable)
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                d.awaitable = task
        await self.run_children(_tree(wave, top), scope)

    def background(self, awaitable: Any) -> None:
        task = asyncio.ensure_future(awaitable)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def run_children(self, children: list[Any], scope: _Scope | None) -> None:
        """Settle one node's children: a parked awaitable (_Deferred) or a position with
        the children parked below it, `(pos, children)`. When one raises, the others are
        abandoned (graphql-core's gather_with_cancel cancels them): they settle nothing
        more, but their awaitables are not cancelled (a DataLoader future may be shared)."""
        if len(children) == 1:
            await self.run_child(children[0], scope)
            return
        inner = _Scope(scope)
        tasks = self.tasks
        futures = []
        for child in children:
            task = asyncio.ensure_future(self.run_child(child, inner))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            futures.append(task)
        try:
            await asyncio.gather(*futures)
        except BaseException:
            inner.abandoned = True
            raise

    async def run_child(self, child: Any, scope: _Scope | None) -> None:
        if type(child) is _Deferred:
            await self.settle_when_done(child, scope)
            return
        pos, children = child
        try:
            await self.run_children(children, scope)
        except GraphQLError as error:
            if scope is not None and scope.dead():
                raise
            # The position's own handler (graphql-core's handle_field_error where the
            # field or list item at `pos` awaited what failed below it).
            self.handle_field_error(error, None, pos[P_NULLABLE], path_of(pos))
            pos[P_CONTAINER][pos[P_KEY]] = None

    async def settle_when_done(self, d: _Deferred, scope: _Scope | None = None) -> None:
        """Complete one awaitable as soon as it is done, as graphql-core does; then run the
        awaitables its completion parked (run_wave)."""
        try:
            result = await d.awaitable
        except Exception as exc:
            result = exc
        if self.data_nulled or (scope is not None and scope.dead()):
            return
        outer, self.pending = self.pending, []
        try:
            if d.slots is None:
                if self.settle_unless_nulled(d, result):
                    self.flush()
            else:
                self.settle_batch(d.slots, result)
                self.flush()
        except GraphQLError:
            # A non-null error left the completed value: what it parked before is settled
            # in the background, as graphql-core's settle_in_background does (its errors
            # count until the error nulls a position above them).
            for child in self.pending:
                if child.awaitable is not None:
                    self.background(self.settle_when_done(child))
            raise
        finally:
            children, self.pending = self.pending, outer
        await self.run_wave(children, d.parent, scope)

    def settle_unless_nulled(self, d: _Deferred, result: Any, eager: bool = False) -> bool:
        collected = self.ex.collected_errors
        if collected.errors and collected.has_nulled_position(path_of(d.parent)):
            return False  # graphql-core cancels work under a nulled position
        self.settle(d, result, eager)
        return True

    def settle_batch(self, slots: list[_Deferred], result: Any) -> None:
        """One batch call's results, one per parked field, in order; an error of the whole
        call is every field's error (as each of the per-parent calls would have raised)."""
        if not isinstance(result, Exception) and (
            type(result) is not list or len(result) != len(slots)
        ):
            f = slots[0].field
            n = len(result) if isinstance(result, list) else type(result).__name__
            result = TypeError(
                f"Batch resolver of {f.parent_type.name}.{f.name} returned {n} results "
                f"for {len(slots)} parents."
            )
        failed = isinstance(result, Exception)
        shape = slots[0].shape
        # The common case inline: a pure object per parent and nothing nulled so far
        # (what complete() would do first, without its checks per value).
        pure = shape.obj.pure if shape.kind == OBJECT and shape.obj is not None else None
        collected = self.ex.collected_errors
        for i, slot in enumerate(slots):
            if self.data_nulled:
                return
            value = result if failed else result[i]
            if pure is not None and not collected.errors and type(value) in self.objects:
                try:
                    slot.container[slot.key] = pure(value)
                    continue
                except Exception:
                    pass  # completed again, with positions, errors and coercion
            self.settle_unless_nulled(slot, value, eager=True)

    # -- batched fields -------------------------------------------------------------------

    def park(
        self, f: FieldPlan, source: Any, pos: Pos | None, out: dict[str, Any], typename: str
    ) -> None:
        """A batched field of one parent: its arguments are checked now (an error is this
        field's, at once, as for any resolver); the call waits for the flush, with every
        other parent of the same field that the wave completes."""
        key = f.key
        if f.index not in self.args:
            self.args[f.index] = self.arguments(f, self.info(f, pos, key, typename))
        args = self.args[f.index]
        if isinstance(args, Exception):
            raise args
        out[key] = None
        call = self.batches.get(f.index)
        if call is None:
            # The call's place among the wave's awaitables is its first parent's: where
            # graphql-core would have called that parent's resolver.
            call = _Deferred(None, f, f.shape, None, key, pos, typename)
            call.slots = []
            self.batches[f.index] = call
            self.pending.append(call)
        call.slots.append(_Deferred(source, f, f.shape, out, key, pos, typename))  # type: ignore[union-attr]

    def flush(self) -> None:
        """One call per batched field for all its parked parents; each call is one
        awaitable of the next wave, in the place its first parent parked it."""
        if not self.batches:
            return
        batches, self.batches = self.batches, {}
        for call in batches.values():
            slots = call.slots
            assert slots is not None
            f = call.field
            info = self.info(f, call.parent, call.key, call.typename)
            call_args = dict(self.args[f.index])
            try:
                awaitable = f.batch(  # type: ignore[misc]
                    [s.awaitable for s in slots],
                    self.info_class(_raw_info=info, _field=f.strawberry_field),
                    **call_args,
                )
            except Exception as exc:
                awaitable = _failed(exc)
            for s in slots:
                s.awaitable = None
            call.awaitable = awaitable

    def settle(self, d: _Deferred, result: Any, eager: bool = False) -> None:
        """Complete one awaited value into its position. A non-null error is raised to the
        tree of gathers (run_wave), or, for a batch call's parents (`eager`: one call
        settles positions all over the response, not one), handed up the positions at once."""
        try:
            if isinstance(result, Exception):
                raise result
            d.container[d.key] = self.complete(
                d.shape, result, d.field, d.container, d.key, d.parent, d.typename
            )
        except Exception as raw:
            path = Path(path_of(d.parent), d.key, d.typename)
            try:
                self.handle_field_error(raw, d.field.nodes, d.shape.nullable, path)
            except GraphQLError as error:
                if not eager:
                    raise
                self.propagate(error, d.parent)
            else:
                d.container[d.key] = None

    def propagate(self, error: GraphQLError, pos: Pos | None) -> None:
        """A non-null position of a batch call's parent failed: null the nearest nullable
        ancestor now (the batch call is not in the tree of its parents' positions)."""
        while pos is not None:
            if pos[P_NULLABLE]:
                self.handle_field_error(error, None, True, path_of(pos))
                pos[P_CONTAINER][pos[P_KEY]] = None
                return
            pos = pos[P_PREV]
        self.null_data(error)

    def handle_field_error(
        self, raw: Exception, nodes: list[FieldNode] | None, nullable: bool, path: Path | None
    ) -> None:
        """graphql-core's `Executor.handle_field_error`, the one place errors are handled:
        the error is located at its field (an already located error keeps its place); a
        non-null position raises it for its parent to handle, a nullable one collects it
        (the caller nulls the position). Errors under a nulled position are dropped by
        graphql-core's CollectedErrors."""
        error = located_error(raw, nodes, path.as_list() if path is not None else None)
        if not nullable:
            raise error
        self.ex.collected_errors.add(error, path)

    def null_data(self, error: GraphQLError) -> None:
        self.ex.collected_errors.add(error, None)
        self.data_nulled = True

    # -- completion ---------------------------------------------------------------------

    def complete_fields(
        self,
        oplan: ObjectPlan,
        fields: list[FieldPlan],
        source: Any,
        pos: Pos | None,
        out: dict[str, Any],
    ) -> dict[str, Any]:
        typename = oplan.type_name
        for f in fields:
            self.field(f, source, pos, out, typename)
        return out

    def field(
        self, f: FieldPlan, source: Any, pos: Pos | None, out: dict[str, Any], typename: str
    ) -> None:
        """Complete one field of one object into `out` (graphql-core's execute_field)."""
        key = f.key
        kind = f.kind
        try:
            if kind == PLAIN:
                row_key = f.row_key
                if row_key is not None and type(source) is self.facts.row:
                    # What getattr(row, attr) returns, without the __getattr__ call.
                    value = source[row_key] if f.row_strict else source.get(row_key)
                else:
                    value = f.getter(source, f.attr)  # type: ignore[misc]
            elif kind == TYPENAME:
                out[key] = typename
                return
            elif kind == DIRECT:
                value = f.getter(source) if f.self_arg else f.getter()  # type: ignore[misc]
            elif kind == BATCH:
                self.park(f, source, pos, out, typename)
                return
            else:
                value = self.resolve(f, source, pos, key, typename)
                if self.is_awaitable(value):
                    out[key] = None
                    self.pending.append(_Deferred(value, f, f.shape, out, key, pos, typename))
                    return
            out[key] = self.complete(f.shape, value, f, out, key, pos, typename)
        except Exception as raw:
            self.failed(f, raw, pos, out, typename)

    def failed(
        self, f: FieldPlan, raw: Exception, pos: Pos | None, out: dict[str, Any], typename: str
    ) -> None:
        """A field of an object failed while it completed in place."""
        key = f.key
        try:
            self.handle_field_error(
                raw, f.nodes, f.shape.nullable, Path(path_of(pos), key, typename)
            )
        except GraphQLError as error:
            raise error from None
        out[key] = None

    def resolve(self, f: FieldPlan, source: Any, pos: Pos | None, key: str, typename: str) -> Any:
        """Call a CALL or RESOLVE field's resolver; its arguments are worked out once per
        execution (they depend only on the field node and the variables)."""
        args = self.args.get(f.index)
        info = self.info(f, pos, key, typename)
        if args is None:
            args = self.arguments(f, info)
            self.args[f.index] = args
        if isinstance(args, Exception):
            raise args
        if f.kind != CALL:
            return f.resolve(source, info, **args)  # type: ignore[misc]
        call_args = dict(args)
        if f.info_name is not None:
            call_args[f.info_name] = self.info_class(_raw_info=info, _field=f.strawberry_field)
        for name in f.source_names:
            call_args[name] = source
        if f.self_arg:
            return f.getter(source, **call_args)  # type: ignore[misc]
        return f.getter(**call_args)  # type: ignore[misc]

    def info(self, f: FieldPlan, pos: Pos | None, key: str | int, typename: str | None) -> Any:
        """graphql-core's resolve info for field `f` of the object at `pos`."""
        return self.ex.build_resolve_info(
            f.field_def,  # type: ignore[arg-type]
            f.nodes,
            f.parent_type,
            Path(path_of(pos), key, typename),
        )

    def arguments(self, f: FieldPlan, info: Any) -> Any:
        ex = self.ex
        try:
            args: dict[str, Any] = {}
            if f.has_args:
                details = f.details[0]
                args = get_argument_values(
                    f.field_def,  # type: ignore[arg-type]
                    details.node,
                    ex.variable_values,
                    details.fragment_variable_values,
                    ex.hide_suggestions,
                )
            if f.kind in (CALL, BATCH):
                strawberry_schema = ex.schema._strawberry_schema  # type: ignore[attr-defined]
                args = convert_arguments(
                    args,
                    f.strawberry_field.arguments,
                    scalar_registry=strawberry_schema.schema_converter.scalar_registry,
                    config=strawberry_schema.config,
                    info=self.info_class(_raw_info=info, _field=f.strawberry_field),
                )
            return args
        except Exception as exc:
            return exc

    def complete(
        self,
        shape: Shape,
        value: Any,
        f: FieldPlan,
        container: Any,
        key: str | int,
        parent: Pos | None,
        typename: str | None,
    ) -> Any:
        """The completed value for one position (field or list item); raises on error.
        An awaitable value is parked for the next wave and completes to None for now."""
        if value is None:
            if shape.nullable:
                return None
            raise TypeError(
                f"Cannot return null for non-nullable field {f.parent_type.name}.{f.name}."
            )
        settled = type(value) in self.facts.settled or self.facts.learn(type(value))
        if not settled and isinstance(value, Exception):
            raise value
        kind = shape.kind
        if kind == LEAF:
            if shape.str_is_output and type(value) is str:
                return value
            memo = shape.memo
            if memo is not None:
                try:
                    return memo[(type(value), value)]
                except (KeyError, TypeError):
                    pass
            if not settled and self.is_awaitable(value):
                self.pending.append(_Deferred(value, f, shape, container, key, parent, typename))
                return None
            coerced = shape.coerce(value)  # type: ignore[misc]
            if coerced is None or coerced is Undefined:
                raise TypeError(
                    f"Expected `{shape.type_name}.coerce_output_value({inspect(value)})` to "
                    f"return non-nullable value, returned: {inspect(coerced)}"
                )
            if memo is not None and len(memo) < MEMO_SIZE:
                try:
                    memo[(type(value), value)] = coerced
                except TypeError:
                    pass
                if type(value) is str:
                    shape.str_memo[value] = coerced
            return coerced
        if not settled and self.is_awaitable(value):
            self.pending.append(_Deferred(value, f, shape, container, key, parent, typename))
            return None
        if kind == LIST:
            return self.complete_list(
                shape, value, f, (parent, key, container, shape.nullable, typename)
            )
        oplan = shape.obj
        assert oplan is not None
        if oplan.pure is not None:
            try:
                return oplan.pure(value)
            except Exception:
                pass  # completed again below, with positions, errors and coercion
        if oplan.fn is not None:
            return oplan.fn(value, parent, key, container, shape.nullable, typename, self)
        pos = (parent, key, container, shape.nullable, typename)
        return self.complete_fields(oplan, oplan.fields, value, pos, {})

    def complete_list(self, shape: Shape, value: Any, f: FieldPlan, pos: Pos) -> list[Any] | None:
        if type(value) is not list:
            if self.ex.is_async_iterable(value):
                self.async_list(shape, value, f, pos)
                return None  # for now: the list is parked
            if not is_iterable(value):
                raise GraphQLError(
                    "Expected Iterable, but did not find one for field"
                    f" '{f.parent_type.name}.{f.name}'."
                )
        item_shape = shape.of
        assert item_shape is not None
        pure = item_shape.obj.pure if item_shape.obj is not None else None
        if pure is not None and type(value) is list:
            objects = self.objects
            try:
                if item_shape.nullable:
                    return [
                        None if v is None else pure(v) if type(v) in objects else slow()
                        for v in value
                    ]
                return [pure(v) if type(v) in objects else slow() for v in value]
            except Exception:
                pass  # completed again below, item by item
        out: list[Any] = []
        append = out.append
        fast_str = item_shape.kind == LEAF and item_shape.str_is_output
        iterator = iter(value)
        try:
            for index, v in enumerate(iterator):
                if fast_str and type(v) is str:
                    append(v)
                    continue
                append(None)
                out[index] = self.item(f, item_shape, v, out, index, pos)
        except Exception:
            self.drain_rest(iterator)
            raise
        return out

    def drain_rest(self, iterator: Any) -> None:
        """The rest of a list whose completion failed (its iterator raised, or a non-null
        item's error left it): graphql-core does not close the iterator but drains it, and
        settles the awaitables it still held in the background (collect_iterator_awaitables)
        so none is left unawaited; their errors are dropped under the nulled position."""
        try:
            for item in iterator:
                if self.is_awaitable(item):
                    self.background(item)
        except Exception:
            pass  # graphql-core suppresses errors of the drained rest

    def async_list(self, shape: Shape, value: Any, f: FieldPlan, pos: Pos) -> None:
        """An async iterable where a list is expected: completed by graphql-core's own
        complete_async_iterator_value (items as they arrive, aclose on an abrupt end, its
        errors into the same collected errors), parked as one awaitable of the wave; its
        result is the completed list (`_completed_shape`)."""
        assert shape.list_type is not None
        ex = self.ex
        parent, key, container, typename = (
            pos[P_PREV],
            pos[P_KEY],
            pos[P_CONTAINER],
            pos[P_TYPENAME],
        )
        awaitable = ex.complete_async_iterator_value(
            shape.list_type.of_type,
            f.details,
            self.info(f, parent, key, typename),
            path_of(pos),  # type: ignore[arg-type]
            ex.cancellable_iterable(value).__aiter__(),
            None,
        )
        done = _completed_shape(shape)
        self.pending.append(_Deferred(awaitable, f, done, container, key, parent, typename))

    def item(self, f: FieldPlan, shape: Shape, v: Any, out: list[Any], index: int, pos: Pos) -> Any:
        """One completed list item (graphql-core's complete_list_item_value)."""
        try:
            return self.complete(shape, v, f, out, index, pos, None)
        except Exception as raw:
            return self.item_failed(f, shape, raw, pos, index)

    def item_failed(self, f: FieldPlan, shape: Shape, raw: Exception, pos: Pos, index: int) -> None:
        """A list item failed while it completed in place: its value is None if nullable."""
        try:
            self.handle_field_error(raw, f.nodes, shape.nullable, Path(path_of(pos), index, None))
        except GraphQLError as error:
            raise error from None


def _same(value: Any) -> Any:
    return value


def _completed_shape(shape: Shape) -> Shape:
    """The shape of a position whose awaited value is already completed (a list
    graphql-core completed): a leaf whose output is the value, with the position's
    nullability for the errors the awaitable raises."""
    return Shape(LEAF, shape.nullable, coerce=_same, type_name=shape.type_name)


def _tree(wave: list[_Deferred], top: Pos | None) -> list[Any]:
    """The parked awaitables of one wave as graphql-core's tree of gathers: each position
    between `top` and an awaitable is a node `(pos, children)`, children in the order they
    were parked (field order, item order)."""
    root: list[Any] = []
    nodes: dict[int, list[Any]] = {}
    for d in wave:
        child: Any = d
        pos = d.parent
        while pos is not None and pos is not top:
            kids = nodes.get(id(pos))
            if kids is not None:
                kids.append(child)
                break
            kids = nodes[id(pos)] = [child]
            child = (pos, kids)
            pos = pos[P_PREV]
        else:
            root.append(child)
    return root
