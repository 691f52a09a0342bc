"""Execution plans: what to do for each field of a validated operation, decided once.

A plan is built from graphql-core's own field collection (fragments, inline fragments,
@include/@skip with the request's variables, merged aliases), so the set of fields and
their order is exactly what standard execution would produce. Each field gets one of:

* TYPENAME: the parent type's name.
* PLAIN: a Strawberry field without a resolver; read with Strawberry's default resolver
  (`getattr` on the row), no `Info`, no per-field wrapper.
* DIRECT: a synchronous Strawberry resolver that takes nothing but `self` and has no
  extensions or permission classes: called directly, without Strawberry's wrapper.
* CALL: any other Strawberry resolver without extensions, permission classes or
  exception handlers whose arguments are scalars or enums: its arguments are converted
  once per execution (Strawberry's own `convert_arguments`), then the function is called
  with them, `info` (a Strawberry `Info` over a real resolve info) and `self`/`root`.
* BATCH: a CALL field whose Strawberry field names a batch form (Conventions.batch_form):
  one call, `batch(parents, info, **arguments)`, for every parent of the field that one
  wave of completion reaches, instead of one call (and one awaitable) per parent.
* RESOLVE: anything else, through the field's own `resolve` (Strawberry's wrapper with
  its argument conversion, extensions and permission checks), with a real `info`.

Values are completed against a precomputed *shape* of the return type (non-null, list,
leaf with its output coercion, object with its sub-plan). Anything the plan does not
model (introspection, abstract types, `is_type_of`, middleware, @defer/@stream, fragment
variables, disabled error propagation, subscriptions) makes `build_plan` return None and
the operation runs on standard graphql-core execution.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    ListValueNode,
    ObjectValueNode,
    OperationType,
    ValueNode,
    VariableNode,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    GroupedFieldSet,
    collect_fields,
    collect_subfields,
)
from graphql.type.scalars import (
    serialize_boolean,
    serialize_float,
    serialize_id,
    serialize_int,
    serialize_string,
)

from gateway.execution.conventions import Conventions

if TYPE_CHECKING:
    from graphql import Executor, FieldNode, GraphQLField


class FieldKind(IntEnum):
    """How a field's value is produced (the module docstring's list)."""

    TYPENAME = 0
    PLAIN = 1
    DIRECT = 2
    CALL = 3
    RESOLVE = 4
    BATCH = 5


class ShapeKind(IntEnum):
    """What completing a value of a position does."""

    LEAF = 0
    OBJECT = 1
    LIST = 2


TYPENAME, PLAIN, DIRECT, CALL, RESOLVE, BATCH = FieldKind
LEAF, OBJECT, LIST = ShapeKind
STRAWBERRY_FIELD = "strawberry-definition"


# Built-in scalars' output coercions, and when a value is already its own output: a str
# for String and ID; an int in the 32-bit range for Int (serialize_int returns int(v)); a
# finite float for Float (float(v)); a bool for Boolean. `INF` is float("inf") in the
# generated code's names (run.py); NaN fails both comparisons.
IDENTITY: dict[Any, str] = {
    serialize_string: "type({v}) is str",
    serialize_id: "type({v}) is str",
    serialize_int: "type({v}) is int and -2147483648 <= {v} <= 2147483647",
    serialize_float: "type({v}) is float and -INF < {v} < INF",
    serialize_boolean: "type({v}) is bool",
}


class Unsupported(Exception):
    """The operation uses something the plan does not model: run it the standard way."""


@dataclass(slots=True, eq=False)
class Shape:
    kind: ShapeKind
    nullable: bool
    of: Shape | None = None  # LIST: the item shape
    list_type: GraphQLList[Any] | None = None  # LIST: its GraphQL type (async iterables)
    coerce: Callable[[Any], Any] | None = None  # LEAF: the type's output coercion
    str_is_output: bool = False  # LEAF String/ID: a str is its own output
    # LEAF of a built-in scalar: a check (a format string over `{v}`) that the value is its
    # own output, true exactly where graphql-core's coercion returns an equal value of
    # the same type (generated code then skips the call)
    identity: str | None = None
    memo: dict[tuple[type, Any], Any] | None = None  # LEAF enum: raw value -> name
    str_memo: dict[str, Any] = field(default_factory=dict)  # the same, for str values
    obj: ObjectPlan | None = None  # OBJECT
    type_name: str = ""


@dataclass(slots=True, eq=False)
class FieldPlan:
    key: str
    name: str
    kind: FieldKind
    shape: Shape
    parent_type: GraphQLObjectType
    field_def: GraphQLField | None
    details: FieldDetailsList
    nodes: list[FieldNode]
    getter: Callable[..., Any] | None = None  # PLAIN: default resolver; DIRECT: the function
    attr: str = ""  # PLAIN: python attribute name
    # PLAIN on a Row: the key getattr(row, attr) reads (None: attr is a real attribute)
    row_key: str | None = None
    row_strict: bool = False  # a row key from Conventions.row_keys (KeyError if missing)
    self_arg: bool = True  # DIRECT: pass the source as `self`
    # DIRECT carrying Conventions.row_list: on a row source, what the resolver
    # returns for a list of Rows is `row.get(row_list) or []`
    row_list: str | None = None
    resolve: Callable[..., Any] | None = None  # RESOLVE
    strawberry_field: Any = None  # CALL
    info_name: str | None = None  # CALL: the resolver's info parameter
    source_names: tuple[str, ...] = ()  # CALL: root/parent parameters
    batch: Callable[..., Any] | None = None  # BATCH: (parents, info, **arguments)
    has_args: bool = False
    index: int = 0  # position in the operation's field list (per-execution argument cache)
    # The arguments depend on no variable (literals and defaults only): once converted,
    # every execution of this plan may reuse them when they are immutable (run.py).
    literal_args: bool = False
    const_args: dict[str, Any] | None = None


def _reads_variable(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_reads_variable(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_reads_variable(f.value) for f in value.fields)
    return False


@dataclass(slots=True, eq=False)
class ObjectPlan:
    type_name: str
    fields: list[FieldPlan]
    # The generated function for this selection set (codegen.py): (source, pos, run) -> dict
    fn: Any = None
    # For a pure selection set (pure.py): source -> dict, or raises pure.Slow
    pure: Any = None


@dataclass(slots=True, eq=False)
class OperationPlan:
    root: ObjectPlan
    serial: bool
    resolve_fields: list[FieldPlan] = field(default_factory=list)


def build_plan(
    ex: Executor[Any], conventions: Conventions, direct_calls: bool = True
) -> OperationPlan | None:
    """The plan for the executor's operation and variables, or None when unsupported."""
    op = ex.operation
    if (
        op.operation == OperationType.SUBSCRIPTION
        or not ex.error_propagation
        or ex.abort_signal is not None
        or ex.hooks is not None
        or ex.enable_early_execution
        or (ex.middleware_manager is not None and ex.middleware_manager.middlewares)
    ):
        return None
    root_type = ex.schema.get_root_type(op.operation)
    if root_type is None:
        return None
    try:
        collected = collect_fields(
            ex.schema, ex.fragments, ex.variable_values, root_type, op, ex.hide_suggestions
        )
        if collected.new_defer_usages or collected.forbidden_directive_instances:
            return None
        builder = _Builder(ex, conventions, direct_calls)
        root = builder.object_plan(root_type, collected.grouped_field_set)
    except (Unsupported, RecursionError):
        return None
    return OperationPlan(
        root, serial=op.operation == OperationType.MUTATION, resolve_fields=builder.resolvers
    )


class _Builder:
    def __init__(self, ex: Executor[Any], conventions: Conventions, direct_calls: bool) -> None:
        self.ex = ex
        self.conventions = conventions
        strawberry_schema = getattr(ex.schema, "_strawberry_schema", None)
        # Exception handlers turn errors into union results inside Strawberry's wrapper:
        # with any configured, every resolver keeps its wrapper.
        handlers = getattr(strawberry_schema, "exception_handlers", ())
        self.direct_allowed = direct_calls and not handlers
        self.resolvers: list[FieldPlan] = []

    def object_plan(self, type_: GraphQLObjectType, grouped: GroupedFieldSet) -> ObjectPlan:
        if type_.is_type_of is not None:
            raise Unsupported("is_type_of")
        fields = []
        for key, details in grouped.items():
            for d in details:
                if d.defer_usage is not None or d.fragment_variable_values is not None:
                    raise Unsupported("defer or fragment variables")
            node = details[0].node
            name = node.name.value
            nodes = [d.node for d in details]
            if name == "__typename":
                shape = Shape(LEAF, nullable=False, str_is_output=True, type_name="String")
                fields.append(FieldPlan(key, name, TYPENAME, shape, type_, None, details, nodes))
                continue
            if name.startswith("__"):
                raise Unsupported("introspection")
            field_def = type_.fields.get(name)
            if field_def is None:
                continue  # graphql-core leaves unknown fields out of the response
            fields.append(self.field_plan(type_, key, name, field_def, details, nodes, node))
        return ObjectPlan(type_.name, fields)

    def field_plan(
        self,
        parent: GraphQLObjectType,
        key: str,
        name: str,
        field_def: GraphQLField,
        details: FieldDetailsList,
        nodes: list[FieldNode],
        node: FieldNode,
    ) -> FieldPlan:
        shape = self.shape(field_def.type, details)
        plan = FieldPlan(key, name, RESOLVE, shape, parent, field_def, details, nodes)
        plan.has_args = bool(field_def.args or node.arguments)
        first = details[0]
        plan.literal_args = first.fragment_variable_values is None and not any(
            _reads_variable(arg.value) for arg in first.node.arguments or ()
        )
        resolve = field_def.resolve
        sf = field_def.extensions.get(STRAWBERRY_FIELD) if field_def.extensions else None
        if resolve is not None and sf is not None and getattr(resolve, "_is_default", False):
            plan.kind, plan.getter, plan.attr = PLAIN, sf.default_resolver, sf.python_name
            attr, row = plan.attr, self.conventions.row
            fields = self.conventions.row_fields
            renamed = self.conventions.row_keys.get(attr)
            if (
                sf.default_resolver is getattr
                and not hasattr(row, attr)
                and attr[:2] != "__"
                and (fields is None or attr in fields or renamed is not None)
            ):
                plan.row_strict = renamed is not None
                plan.row_key = attr if renamed is None else renamed
        elif resolve is not None and sf is not None and self._direct(sf, plan):
            plan.kind = DIRECT
        elif resolve is not None and sf is not None and self._call(sf, field_def, plan):
            plan.kind = CALL
            form = self.conventions.batch_form
            batch = (sf.metadata or {}).get(form) if form is not None else None
            if callable(batch):
                plan.kind, plan.batch = BATCH, batch
            plan.index = len(self.resolvers)
            self.resolvers.append(plan)
        else:
            plan.resolve = resolve or self.ex.field_resolver
            plan.index = len(self.resolvers)
            self.resolvers.append(plan)
        return plan

    def _direct(self, sf: Any, plan: FieldPlan) -> bool:
        """A resolver that needs no wrapper: sync, no arguments, no info/root/parent, no
        field extensions (permission classes are extensions)."""
        resolver = sf.base_resolver
        if (
            not self.direct_allowed
            or resolver is None
            or sf.extensions
            or sf.is_async
            or plan.has_args
            or resolver.arguments
            or resolver.info_parameter
            or resolver.root_parameter
            or resolver.parent_parameter
        ):
            return False
        func = resolver.wrapped_func
        if not callable(func) or inspect.iscoroutinefunction(func):
            return False
        plan.getter, plan.self_arg = func, resolver.self_parameter is not None
        marker = self.conventions.row_list
        plan.row_list = getattr(func, marker, None) if marker is not None else None
        return True

    def _call(self, sf: Any, field_def: GraphQLField, plan: FieldPlan) -> bool:
        resolver = sf.base_resolver
        if not self.direct_allowed or resolver is None or sf.extensions:
            return False
        for arg in field_def.args.values():
            type_ = arg.type.of_type if isinstance(arg.type, GraphQLNonNull) else arg.type
            if not isinstance(type_, GraphQLScalarType | GraphQLEnumType):
                return False  # input objects and lists: converted per call, not shared
        func = resolver.wrapped_func
        if not callable(func):
            return False
        plan.getter, plan.self_arg = func, resolver.self_parameter is not None
        plan.strawberry_field = sf
        plan.info_name = resolver.info_parameter.name if resolver.info_parameter else None
        plan.source_names = tuple(
            p.name for p in (resolver.root_parameter, resolver.parent_parameter) if p is not None
        )
        return True

    def shape(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Shape:
        nullable = True
        if isinstance(type_, GraphQLNonNull):
            nullable, type_ = False, type_.of_type
        if isinstance(type_, GraphQLList):
            return Shape(LIST, nullable, of=self.shape(type_.of_type, details), list_type=type_)
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            coerce = type_.coerce_output_value
            return Shape(
                LEAF,
                nullable,
                coerce=coerce,
                str_is_output=coerce in (serialize_string, serialize_id),
                identity=IDENTITY.get(coerce),
                memo={} if isinstance(type_, GraphQLEnumType) else None,
                type_name=type_.name,
            )
        if isinstance(type_, GraphQLObjectType):
            ex = self.ex
            sub = collect_subfields(
                ex.schema,
                ex.fragments,
                ex.variable_values,
                ex.operation,
                type_,
                details,
                ex.hide_suggestions,
            )
            if sub.new_defer_usages or sub.forbidden_directive_instances:
                raise Unsupported("defer")
            return Shape(
                OBJECT,
                nullable,
                obj=self.object_plan(type_, sub.grouped_field_set),
                type_name=type_.name,
            )
        raise Unsupported(f"abstract type {type_}")
