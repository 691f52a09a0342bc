"""Calculated query cost, in the spirit of Shopify's and GitHub's GraphQL APIs.

An object costs 1; a connection costs 1 plus `first` times what each of its nodes costs
(so nesting multiplies); a list whose size an argument sets (`count`, `top`, `first`, ...)
costs that many times its items; scalars are free; every mutation field costs 10 on top.
The result approximates how many objects the operation can make the server load, and is
known before anything runs.

The price is computed from exactly what execution will use: variables coerced by
graphql-core (so `100.0` is 100, and a variable's default applies), argument defaults
from the schema, `@skip`/`@include` honoured. Fragments are priced once per (fragment,
list size) and memoised, so pricing is linear in the document's length even when the
document expands exponentially (and then its price says so).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLIncludeDirective,
    GraphQLList,
    GraphQLNamedType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_directive_values,
    get_variable_values,
)

from gateway.querylimits import Shape
from resolvers.practice.daily import DAILY_SIZE
from resolvers.taxonomy import ALL_PAIRS, CATEGORIES
from resolvers.validation import MAX_ERRORS_PER_MESSAGE

MUTATION_FIELD_COST = 10
# Root fields whose resolvers load nothing: they add no field price, but their selections
# still count below (50 copies of `rateLimit { ... }` were 2,000 free selections).
FREE_ROOT_FIELDS = frozenset({"rateLimit", "__typename"})
# The work every document causes whatever its fields load: parsing, validation and
# completing the response grow with its text and its selections. Measured: a 20 KB
# document of 2,000 selections of free fields took 0.17 s of CPU and was priced 0.
# Charged on top of the field price: one point per this many selections once fragments
# are inlined, and (before the document is even parsed) one per this many characters.
SELECTIONS_PER_POINT = 10
CHARS_PER_POINT = 500
DEFAULT_PAGE = 20
# Resolvers refuse larger sizes (`first` <= 100, `count` <= 20, `top` <= 100), so a larger
# value never runs; pricing it at the ceiling keeps the number meaningful.
MAX_LIST_SIZE = 100
# Arguments that set how many items a list (or the lists of the object it returns) holds.
SIZE_ARGUMENTS = ("first", "last", "count", "top", "limit")
# List arguments whose length is the size of the list returned (`nodes(ids:)`).
LIST_ARGUMENTS = ("ids",)
# Fields that aggregate over rows no argument bounds (every message in a window, every
# cost row of up to 366 days): priced as a full page of rows on top of what they return.
# Measured: 26 aliased windowed errorStats (5 KB) took 1.3 s of CPU on the embedded
# database while priced at ~1,300 points. progress always runs six aggregations over up
# to 366 buckets: 30 aliased year-long ones took 5 s of CPU (3,000 messages) at 150 points.
AGGREGATION_COST = 100
AGGREGATING = {  # None: always
    "errorStats": ("since", "until"),
    "costReport": None,
    "providerStats": None,
    "progress": None,
}
# ... and by the range they scan: AGGREGATION_COST per started year of [from, to) (the
# arguments named here; an open end is now). 30 aliased `progress(bucket: MONTH, from:
# "1997-01-01")` took 8.6 s and were priced ~3,200; each now costs ~3,400 on its own.
AGGREGATION_RANGE = {
    "errorStats": ("since", "until"),
    "costReport": ("from", "to"),
    "providerStats": ("from", "to"),
    "progress": ("from", "to"),
}
YEAR = timedelta(days=365)
# progress prices the lists in it by its buckets (one point per bucket of the range).
BUCKET_DAYS = {"DAY": 1, "WEEK": 7, "MONTH": 28}
MAX_BUCKETS = 366
# Lists no argument sizes, priced at the most items they can hold (before: as one item,
# so `dailyPractice { exercises { user { sessions(first: 100) ... } } }` cost what one
# exercise's subtree costs). Any other unsized list is priced at UNSIZED_LIST_MAX.
UNSIZED_LIST_MAX = {
    "DailyPractice.exercises": DAILY_SIZE,
    "Message.errors": MAX_ERRORS_PER_MESSAGE,
    "Progress.skills": len(ALL_PAIRS),  # one per (category, subcategory) at most
    "Progress.mastered": len(ALL_PAIRS),
    "Progress.struggling": len(ALL_PAIRS),
    "ErrorStats.items": len(ALL_PAIRS),
    "Query.errorCategories": len(CATEGORIES),
}
UNSIZED_LIST_DEFAULT = MAX_LIST_SIZE
# A list inside introspection (`types`, `fields`, ...) walks the schema, whatever is
# nested under it: 25 aliased `__schema { types { ...F } }` (920 bytes, anonymous) took
# 0.28 s of CPU priced 53. Measured ~11 ms each: priced flat, like the ~50 objects that
# much work loads elsewhere (the lists nested in it add nothing: the schema bounds them).
INTROSPECTION_COST = 50


def document_points(chars: int) -> int:
    """Points a document's text costs before it is parsed (gateway/graphql_http.py)."""
    return chars // CHARS_PER_POINT


def selection_points(document: DocumentNode, op: OperationDefinitionNode) -> int:
    """Points for the operation's selections, fragments inlined (one linear walk)."""
    shape = Shape(
        {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    )
    return shape.of(op.selection_set).size // SELECTIONS_PER_POINT


def select_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        return next((o for o in ops if o.name and o.name.value == operation_name), None)
    return ops[0] if len(ops) == 1 else None


def _is_connection(named: GraphQLNamedType) -> bool:
    return named.name.endswith("Connection")


class _Pricer:
    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: VariableValues
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[tuple[str, int | None, OperationType | None, int], int] = {}
        self.active: set[str] = set()
        self.points = MAX_BUCKETS  # the buckets of the `progress` being priced

    def included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def size(self, field_def: Any, node: FieldNode) -> int | None:
        """The list size the field's arguments ask for, as execution will see them."""
        try:
            args = get_argument_values(field_def, node, self.variables)
        except GraphQLError:
            return None  # execution refuses the field before it loads anything
        for name in SIZE_ARGUMENTS:
            value = args.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                return max(0, min(value, MAX_LIST_SIZE))
        for name in LIST_ARGUMENTS:
            value = args.get(name)
            if isinstance(value, list):
                return min(len(value), MAX_LIST_SIZE)
        return None

    def arguments(self, field_def: Any, node: FieldNode) -> dict[str, Any]:
        try:
            return get_argument_values(field_def, node, self.variables)
        except GraphQLError:
            return {}  # execution refuses the field before it loads anything

    def years(self, name: str, args: dict[str, Any]) -> int:
        """Started years of the range an aggregation scans (1 for its default range)."""
        start, end = (args.get(a) for a in AGGREGATION_RANGE[name])
        if not isinstance(start, datetime):
            return 1
        end = end if isinstance(end, datetime) else datetime.now(UTC)
        start, end = (d if d.tzinfo else d.replace(tzinfo=UTC) for d in (start, end))
        return max(1, -(-(end - start) // YEAR))

    def aggregation(self, name: str, node: FieldNode, field_def: Any) -> int:
        if name not in AGGREGATING:
            return 0
        windowed_by = AGGREGATING[name]
        if windowed_by is not None:
            given = {a.name.value for a in node.arguments or ()}
            if not given.intersection(windowed_by):
                return 0
        return AGGREGATION_COST * self.years(name, self.arguments(field_def, node))

    def buckets(self, field_def: Any, node: FieldNode) -> int:
        """progress: how many buckets its range holds (what its lists hold at most)."""
        args = self.arguments(field_def, node)
        bucket = args.get("bucket")
        key = str(getattr(bucket, "name", bucket) or "DAY").upper()
        start, end = args.get("from"), args.get("to")
        if not isinstance(start, datetime):
            return {"DAY": 30, "WEEK": 12, "MONTH": 12}.get(key, 30)
        end = end if isinstance(end, datetime) else datetime.now(UTC)
        start, end = (d if d.tzinfo else d.replace(tzinfo=UTC) for d in (start, end))
        days = max(0, (end - start).days) + 1
        return min(MAX_BUCKETS, -(-days // BUCKET_DAYS.get(key, 1)) + 1)

    def selections(
        self,
        selection_set: SelectionSetNode | None,
        parent: Any,
        list_size: int | None,
        root: OperationType | None = None,
    ) -> int:
        """Cost of a selection set on `parent`; `list_size` prices the lists directly in it."""
        if selection_set is None:
            return 0
        total = 0
        for sel in selection_set.selections:
            if not self.included(sel):
                continue
            if isinstance(sel, FieldNode):
                total += self.field(sel, parent, list_size, root)
            elif isinstance(sel, InlineFragmentNode):
                on = sel.type_condition
                target = self.schema.get_type(on.name.value) if on else parent
                total += self.selections(sel.selection_set, target or parent, list_size, root)
            elif isinstance(sel, FragmentSpreadNode):
                total += self.spread(sel.name.value, parent, list_size, root)
        return total

    def spread(
        self, name: str, parent: Any, list_size: int | None, root: OperationType | None
    ) -> int:
        key = (name, list_size, root, self.points)
        known = self.memo.get(key)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in self.active:
            return 0  # validation refuses unknown fragments and cycles
        target = self.schema.get_type(fragment.type_condition.name.value) or parent
        self.active.add(name)
        try:
            cost = self.selections(fragment.selection_set, target, list_size, root)
        finally:
            self.active.discard(name)
        self.memo[key] = cost
        return cost

    def field(
        self, node: FieldNode, parent: Any, list_size: int | None, root: OperationType | None
    ) -> int:
        name = node.name.value
        extra = MUTATION_FIELD_COST if root == OperationType.MUTATION else 0
        if root is not None and name in FREE_ROOT_FIELDS:
            return 0
        if name in ("__schema", "__type"):
            meta = SchemaMetaFieldDef if name == "__schema" else TypeMetaFieldDef
            return extra + 1 + self.selections(node.selection_set, get_named_type(meta.type), None)
        if name.startswith("__"):
            return extra
        if parent.name.startswith("__"):  # inside introspection: bounded by the schema
            field_def = getattr(parent, "fields", {}).get(name)
            if field_def is not None and isinstance(get_nullable_type(field_def.type), GraphQLList):
                return INTROSPECTION_COST  # the whole list, whatever is nested under it
            return 0 if field_def is None or is_leaf_type(get_named_type(field_def.type)) else 1
        field_def = getattr(parent, "fields", {}).get(name)
        if field_def is None:
            return extra
        named = get_named_type(field_def.type)
        if is_leaf_type(named):
            return extra + (1 if root is not None else 0)
        if _is_connection(parent) and root is None:
            if name not in ("edges", "nodes"):
                return 0  # pageInfo and totalCount come with the connection
            per_item = self.selections(node.selection_set, named, None)
            n = list_size if list_size is not None else DEFAULT_PAGE
            return n * (per_item if name == "edges" else 1 + per_item)
        size = self.size(field_def, node)
        extra += self.aggregation(name, node, field_def)
        if name == "progress" and root is not None:
            outer, self.points = self.points, self.buckets(field_def, node)
            try:
                return extra + 1 + self.selections(node.selection_set, named, size)
            finally:
                self.points = outer
        if _is_connection(named):
            page = size if size is not None else DEFAULT_PAGE
            return extra + 1 + self.selections(node.selection_set, named, page)
        if isinstance(get_nullable_type(field_def.type), GraphQLList):
            count = size if size is not None else list_size
            key = f"{parent.name}.{name}"
            if count is None and key == "Progress.points":
                count = self.points
            elif count is None:
                count = UNSIZED_LIST_MAX.get(key, UNSIZED_LIST_DEFAULT)
            return extra + count * (1 + self.selections(node.selection_set, named, None))
        # An object whose field takes a size prices the lists directly inside it by it
        # (errorStats(top) { items }, costReport(top) { topUsers }).
        return extra + 1 + self.selections(node.selection_set, named, size)


def coerce_variables(
    schema: GraphQLSchema, op: OperationDefinitionNode, raw: dict[str, Any] | None
) -> VariableValues | None:
    """The variables as execution will see them, or None when execution will refuse them."""
    coerced = get_variable_values(schema, op.variable_definitions or (), raw or {}, max_errors=1)
    return None if isinstance(coerced, list) else coerced


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> int:
    op = select_operation(document, operation_name)
    if op is None:
        return 0
    root = schema.get_root_type(op.operation)
    if root is None:
        return 0
    coerced = coerce_variables(schema, op, variables)
    if coerced is None:
        return 0  # execution stops at the variables: nothing will be loaded
    fields = _Pricer(schema, document, coerced).selections(
        op.selection_set, root, None, op.operation
    )
    return fields + selection_points(document, op)
