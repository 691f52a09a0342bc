"""The compiled request pipeline: a document seen before skips Strawberry's extension runner.

For every request Strawberry builds fresh instances of the schema extensions, wraps each
phase (operation, parsing, validation, execution) in a context manager that looks up and
enters every extension's hooks, then parses (ParserCache), validates (BoundedValidation),
admits (Admission) and executes. Clients send the same few documents over and over, and
for a document text that has already parsed and validated, most of that work gives the
same answer again: only three steps depend on the request itself,

1. which operation it names and whether that operation's type is allowed on this HTTP
   method (Strawberry's own check, with its own errors),
2. admission control: the cost depends on the variables, the budgets on the caller
   (gateway/admission.py, the same function the extension runs),
3. execution (the same graphql-core entry point and executor class Strawberry calls),

plus the one thing an extension does to the result: HideSuggestions strips "Did you
mean" when introspection is off. A hit runs exactly these; a miss runs `schema.execute`
as before, and the document is remembered once admission control has seen it
(`ctx.document`: only a document that parsed and validated gets that far).

It pays: on bench --quick's W4 it halves the gateway's CPU per request and cuts mid's by
a fifth (docs/performance.md, "The compiled pipeline"). What it reproduces is checked when
the app is built (`check_reproduced`): an extension it does not know, schema directives,
incremental execution, Strawberry's own field-suggestion removal or a Strawberry version
other than the one it was written against (`REPRODUCED_STRAWBERRY`, the pinned one) stop
the gateway at start-up with the reason, instead of the pipeline skipping what it does not
know or turning itself off. It calls no private Strawberry method: graphql-core's
`execute` (what Strawberry calls without incremental execution) and the schema's public
`process_errors`. `enabled` is a switch for the benchmark alone (bench --quick measures
the pipeline against Strawberry's path in the same run); nothing in the gateway flips it.
The cache is bounded by the bytes its
documents retain (DOCUMENT_CACHE_BYTES, gateway/doccache.py; and `maxsize` entries) and
keyed by the parsed source text itself, so it holds no second copy of any document text.
It is only touched between awaits, so concurrent requests never see it half-updated.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import version
from typing import Any

from graphql import DocumentNode, FieldNode, GraphQLError, OperationDefinitionNode
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import OperationType as GraphQLOperationType
from graphql.execution.executor import UNEXPECTED_MULTIPLE_PAYLOADS, Executor
from graphql.execution.incremental.incremental_executor import IncrementalExecutor
from graphql.execution.middleware import MiddlewareManager
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from gateway.admission import Admission, admission_refusal
from gateway.context import GatewayContext
from gateway.doccache import DEFAULT_CACHE_BYTES, DOCUMENT_CACHE_SIZE, ByteLru, retained_bytes
from gateway.querycost import operation_cost, select_operation
from gateway.suggestions import HideSuggestions, without_suggestion
from gateway.validation import BoundedValidationBase
from schema import GatewaySchema

# `me` fields whose stored values only change through updateUser, which drops the
# caller's cached record on this replica (Authenticator.forget), or never change: the
# record authentication cached with the viewer answers them as a fresh read would, as
# fresh as the role and tier every request is already authorised with (other replicas
# see a change within AUTH_CACHE_SECONDS). Counters (totalSessions, lastActive, streaks)
# change on other paths and are not here.
IDENTITY_FIELDS = frozenset({"__typename", "id", "email", "name", "role", "subscriptionTier"})
# `me` relations whose resolvers read the user's id alone (schema/users.py) and load what
# they answer afresh: the cached record serves them as a fresh one would. A learner's
# history page (`me { name sessions { ... } }`) then reads no user document.
BY_ID_RELATIONS = frozenset({"sessions", "exercises", "errorStats"})


def reads_only_identity(document: DocumentNode) -> bool:
    """Whether every operation of the document reads nothing of the caller's record but
    `me { IDENTITY_FIELDS }` (and `__typename`), besides BY_ID_RELATIONS with whatever
    they select: no fragments directly under `me`, no other root field."""
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            return False
        if definition.operation != GraphQLOperationType.QUERY:
            return False
        for root in definition.selection_set.selections:
            if not isinstance(root, FieldNode):
                return False
            if root.name.value == "__typename" and root.selection_set is None:
                continue
            if root.name.value != "me" or root.arguments or root.selection_set is None:
                return False
            for field in root.selection_set.selections:
                if isinstance(field, FieldNode) and field.name.value in BY_ID_RELATIONS:
                    continue
                if (
                    not isinstance(field, FieldNode)
                    or field.name.value not in IDENTITY_FIELDS
                    or field.arguments
                    or field.selection_set is not None
                ):
                    return False
    return True


# Extensions whose per-request work is done once per document text (parse, token limit,
# validation rules, validation) or reproduced on every hit (admission, suggestions).
_PER_DOCUMENT = (MaxTokensLimiter, ParserCache, AddValidationRules, BoundedValidationBase)
_PER_REQUEST = (Admission, HideSuggestions)


# Strawberry's awaitable check, as its Schema.execute passes it (graphql-core types the
# parameter as a TypeGuard; Strawberry's returns a plain bool).
_IS_AWAITABLE: Any = optimized_is_awaitable

# The Strawberry whose `Schema.execute` this module reproduces: tests/test_pipeline.py and
# tests/test_fast_path_differential.py compare the two paths; re-run them on an upgrade,
# then change this.
REPRODUCED_STRAWBERRY = "0.341.2"


class PipelineAssumptionBroken(RuntimeError):
    """The compiled pipeline would not answer what Strawberry answers: raised at start-up."""


def _extension_types(schema: GatewaySchema) -> list[type]:
    # Extensions are classes or factories (a fresh instance per request): build one of
    # each only to see what it is.
    return [ext if isinstance(ext, type) else type(ext()) for ext in schema.extensions]


def check_reproduced(schema: GatewaySchema, strawberry_version: str | None = None) -> None:
    """Raise PipelineAssumptionBroken, naming each, when the schema or Strawberry does
    something per request the pipeline does not reproduce."""
    kinds = _extension_types(schema)
    broken = []
    running = strawberry_version or version("strawberry-graphql")
    if running != REPRODUCED_STRAWBERRY:
        broken.append(
            f"Strawberry {running}, not {REPRODUCED_STRAWBERRY}: compare its Schema.execute "
            "with gateway/pipeline.py, run tests/test_pipeline.py and "
            "tests/test_fast_path_differential.py, then update REPRODUCED_STRAWBERRY"
        )
    unknown = [k.__name__ for k in kinds if not issubclass(k, _PER_DOCUMENT + _PER_REQUEST)]
    if unknown:
        broken.append(f"schema extensions it does not reproduce: {', '.join(unknown)}")
    if Admission not in kinds:
        broken.append("no Admission extension (gateway/admission.py)")
    if schema.directives:
        broken.append("schema directives (Strawberry would add its directives extension)")
    if schema.config.enable_experimental_incremental_execution:
        broken.append("incremental execution")
    if schema._schema.get_directive("defer") or schema._schema.get_directive("stream"):
        broken.append("@defer/@stream in the schema (graphql-core's execute would refuse them)")
    if schema.config.disable_field_suggestions:
        broken.append("disable_field_suggestions (use gateway/suggestions.py HideSuggestions)")
    if broken:
        raise PipelineAssumptionBroken(
            "gateway/pipeline.py does not reproduce Strawberry's request path with "
            + "; ".join(broken)
        )


def _coerce_error(error: Exception) -> GraphQLError:
    """What Strawberry makes of an exception raised while an operation runs."""
    if isinstance(error, GraphQLError):
        return error
    return GraphQLError(str(error), original_error=error)


async def _executed(executor: Executor[Any] | list[GraphQLError]) -> GraphQLExecutionResult:
    """What graphql-core's `execute` answers with this executor, without its two layers of
    calls and the coroutine it wraps around an asynchronous result (~3% of a small
    request). Its per-call check that the schema has no @defer or @stream directive is
    made once, at start-up (check_reproduced)."""
    if isinstance(executor, list):  # variables that do not coerce, an unknown operation
        return GraphQLExecutionResult(None, errors=executor)
    result: Any = executor.execute_operation()
    if _IS_AWAITABLE(result):
        result = await result
    _break_cycle(executor)
    if not isinstance(result, GraphQLExecutionResult):
        raise GraphQLError(UNEXPECTED_MULTIPLE_PAYLOADS)
    return result


def _break_cycle(executor: Executor[Any]) -> None:
    """graphql-core's executor and its resolve-info helpers (bound methods of the
    executor) are a reference cycle, and the executor holds the request's context: every
    request left ~32 objects (executor, context, meter, loaders, ...) that only the
    collector could free, so young collections ran every few hundred requests and each
    scanned the ~20,000 objects in its generation: the latency tail (docs/performance.md).
    Once the operation is done and nothing of it runs on (no work settling in the
    background, which would still build resolve infos from the helpers), the executor
    lets go of them and the request is freed by reference counting when its response is."""
    if not executor.background_futures and executor.async_work_finished_hook_task is None:
        executor.async_helpers = None  # type: ignore[assignment]  # no resolve info follows


class _Compiled:
    """What the pipeline keeps per document text."""

    __slots__ = ("costs", "document", "identity_only")

    def __init__(self, document: DocumentNode, identity_only: bool) -> None:
        self.document = document
        self.identity_only = identity_only
        # operation name -> cost, for operations that declare no variables: their cost
        # is a function of the document alone (validation allows no variable they do
        # not declare), and only the names of the document's operations are kept.
        self.costs: dict[str | None, int] = {}

    def cost(self, schema: GatewaySchema, ec: ExecutionContext) -> int:
        name = ec.operation_name
        cost = self.costs.get(name)
        if cost is None:
            cost = operation_cost(schema._schema, self.document, name, ec.variables)
            op = select_operation(self.document, name)
            if op is not None and not op.variable_definitions:
                self.costs[name] = cost
        return cost


class CompiledPipeline:
    def __init__(
        self,
        schema: GatewaySchema,
        maxsize: int = DOCUMENT_CACHE_SIZE,
        max_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        check_reproduced(schema)
        self.schema = schema
        self.maxsize = maxsize
        self.enabled = True  # bench --quick's switch (module docstring)
        self.hide_suggestions = HideSuggestions in _extension_types(schema)
        # What graphql-core's `execute` builds when given this class (or none).
        self._executor_class: type[Executor[Any]] = (
            schema.execution_context_class or IncrementalExecutor
        )
        self._documents: ByteLru[_Compiled] = ByteLru(max_bytes, maxsize)

    def reads_only_identity(self, query: str) -> bool:
        """For a document seen before: see `reads_only_identity` (unknown text: False)."""
        entry = self._documents.get(query) if self.enabled else None
        return entry is not None and entry.identity_only

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None,
        ctx: GatewayContext,
        operation_name: str | None,
        allowed: Iterable[OperationType],
    ) -> ExecutionResult:
        """What `schema.execute` answers for this request (same result, same exceptions)."""
        entry = self._documents.get(query) if self.enabled else None
        if entry is None:
            result = await self.schema.execute(
                query,
                variable_values=variables,
                context_value=ctx,
                operation_name=operation_name,
                allowed_operation_types=allowed,
            )
            if self.enabled and ctx.document is not None:
                self._remember(ctx.document, query)
            return result
        return await self._run(entry, query, variables, ctx, operation_name, allowed)

    def _remember(self, document: DocumentNode, query: str) -> None:
        # The parser's source text is the request's text: keyed by it, no second copy.
        key = document.loc.source.body if document.loc is not None else query
        if key != query:
            return
        compiled = _Compiled(document, reads_only_identity(document))
        self._documents.put(key, compiled, retained_bytes(document))

    async def _run(
        self,
        entry: _Compiled,
        query: str,
        variables: dict[str, Any] | None,
        ctx: GatewayContext,
        operation_name: str | None,
        allowed: Iterable[OperationType],
    ) -> ExecutionResult:
        schema = self.schema
        document = entry.document
        ec = ExecutionContext(
            query=query,
            schema=schema,
            allowed_operations=allowed,
            context=ctx,
            variables=variables,
            provided_operation_name=operation_name,
        )
        ec.graphql_document = document
        # Strawberry's checks, in its order, raising its exceptions (the endpoint answers).
        try:
            operation_type = ec.operation_type
        except RuntimeError as exc:
            raise CannotGetOperationTypeError(ec.operation_name) from exc
        if operation_type not in ec.allowed_operations:
            raise InvalidOperationTypeError(operation_type)
        result: GraphQLExecutionResult
        try:
            refusal = await admission_refusal(ec, entry.cost(schema, ec))
            if refusal is not None:
                result = refusal
            else:
                executor = self._executor_class.build(
                    schema._schema,
                    document,
                    None,
                    ctx,
                    variables,
                    ec.operation_name,
                    middleware=MiddlewareManager(),
                    is_awaitable=_IS_AWAITABLE,
                    operation_extensions=None,
                )
                result = await _executed(executor)
            if result.errors:
                schema.process_errors(result.errors, ec)
        except Exception as exc:  # as Strawberry: an error in the result, not a raise
            error = _coerce_error(exc)
            schema.process_errors([error], ec)
            return ExecutionResult(data=None, errors=[error], extensions={})
        if self.hide_suggestions and result.errors:
            result.errors = [without_suggestion(e, schema._schema) for e in result.errors]
        return ExecutionResult(data=result.data, errors=result.errors, extensions={})
