"""The Mutation root."""

from __future__ import annotations

from typing import TypeVar

import strawberry
from pydantic import BaseModel
from strawberry import Info

from models.rows import Row
from resolvers import annotations as annotation_resolvers
from resolvers import apiclients, messages, ratings, sessions, turns, users
from resolvers.permissions import require_person
from resolvers.practice import attempts, generate
from schema.apiclients import ApiClient, ApiClientCredential, CreateApiClientInput
from schema.enums import SessionStatus, value
from schema.exercises import Exercise
from schema.messages import LanguageErrorInput, Message, RateMessageInput, RecordMessageInput
from schema.practice import ExerciseResult, Hint
from schema.sessions import Session, StartSessionInput
from schema.users import CreateUserInput, UpdateUserInput, User

M = TypeVar("M", bound=BaseModel)


def _model(model: type[M], data: object) -> M:
    """An input derived from a resolver-level model (strawberry.experimental.pydantic)
    back into that model, nested inputs included: the one conversion at the schema edge,
    read by attribute name, so no field is copied by hand."""
    return model.model_validate(data, from_attributes=True)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Admins only.", graphql_type=User)
    async def create_user(self, info: Info, input: CreateUserInput) -> Row:
        return await users.create_user(info.context, _model(users.NewUser, input))

    @strawberry.mutation(
        description="Yourself (not tier or role), or anyone for admins.", graphql_type=User
    )
    async def update_user(self, info: Info, id: strawberry.ID, input: UpdateUserInput) -> Row:
        require_person(info.context)
        return await users.update_user(info.context, id, _model(users.UserChanges, input))

    @strawberry.mutation(graphql_type=Session)
    async def start_session(self, info: Info, input: StartSessionInput) -> Row:
        require_person(info.context)
        return await sessions.start_session(
            info.context, input.user_id, input.topic, input.provider
        )

    @strawberry.mutation(
        description="Ending an already-ended session the same way is a no-op.", graphql_type=Session
    )
    async def end_session(
        self,
        info: Info,
        id: strawberry.ID,
        status: SessionStatus | None = SessionStatus.COMPLETED,
    ) -> Row:
        require_person(info.context)
        return await sessions.end_session(info.context, id, value(status) or "completed")

    @strawberry.mutation(
        description="Stores a message and updates the session totals, error statistics and "
        "cost rows in one call. Safe to retry with the same idempotencyKey.",
        graphql_type=Message,
    )
    async def record_message(self, info: Info, input: RecordMessageInput) -> Row:
        return await messages.record_message(info.context, _model(messages.MessageInput, input))

    @strawberry.mutation(
        description="The tutor service (or an admin) sets the language errors it found in a "
        "learner's USER message, replacing any it set before: the learner's error statistics "
        "move by the difference, once per idempotencyKey.",
        graphql_type=Message,
    )
    async def annotate_message(
        self,
        info: Info,
        id: strawberry.ID,
        errors: list[LanguageErrorInput],
        idempotency_key: str | None = None,
    ) -> Row:
        return await annotation_resolvers.annotate_message(
            info.context, id, [_model(messages.ErrorInput, e) for e in errors], idempotency_key
        )

    @strawberry.mutation(
        description="Admins only. A credential for a service caller such as the AI tutor; "
        "the secret is in this answer only."
    )
    async def create_api_client(
        self, info: Info, input: CreateApiClientInput
    ) -> ApiClientCredential:
        client, secret = await apiclients.create_api_client(
            info.context, input.name, [value(s) or "" for s in input.scopes]
        )
        return ApiClientCredential(client=client, secret=secret)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Admins only. The client's secret stops working on every replica within "
        "API_CLIENT_CACHE_SECONDS (2 s by default).",
        graphql_type=ApiClient,
    )
    async def revoke_api_client(self, info: Info, id: strawberry.ID) -> Row:
        return await apiclients.revoke_api_client(info.context, id)

    @strawberry.mutation(
        description="TUTOR callers: the turn (tutorTurns) is handled and goes to no other "
        "client. True, also for a turn acknowledged before; NOT_FOUND for an unknown id."
    )
    async def ack_turn(self, info: Info, id: strawberry.ID) -> bool:
        return await turns.ack_turn(info.context, id)

    @strawberry.mutation(
        description="The session's learner rates an ASSISTANT reply (1..5, optionally helpful "
        "and a comment). Rating again replaces the earlier rating.",
        graphql_type=Message,
    )
    async def rate_message(self, info: Info, id: strawberry.ID, input: RateMessageInput) -> Row:
        require_person(info.context)
        return await ratings.rate_message(
            info.context,
            id,
            ratings.RatingInput(rating=input.rating, helpful=input.helpful, comment=input.comment),
        )

    @strawberry.mutation(
        description="New exercises aimed at the learner's heaviest recent errors (1-20). "
        "`category` narrows them to one error category.",
        graphql_type=list[Exercise],
    )
    async def generate_exercise(
        self,
        info: Info,
        user_id: strawberry.ID | None = None,
        count: int | None = 1,
        category: str | None = None,
    ) -> list[Row]:
        require_person(info.context)
        return await generate.generate_exercises(info.context, user_id, count, category)

    @strawberry.mutation(
        description="Checks an answer (case, spacing and punctuation are forgiven except in "
        "Punctuation exercises). Three attempts per exercise.",
        graphql_type=ExerciseResult,
    )
    async def submit_exercise(self, info: Info, id: strawberry.ID, answer: str) -> attempts.Attempt:
        require_person(info.context)
        return await attempts.submit(info.context, id, answer)

    @strawberry.mutation(
        description="The next hint, gentlest first. Once none remain, the last hint again "
        "with hintsRemaining: 0.",
        graphql_type=Hint,
    )
    async def request_hint(self, info: Info, id: strawberry.ID) -> attempts.HintResult:
        require_person(info.context)
        return await attempts.hint(info.context, id)

    @strawberry.mutation(
        description="Finish a pending exercise without answering (outcome SKIPPED). A skipped "
        "review comes back tomorrow.",
        graphql_type=Exercise,
    )
    async def skip_exercise(self, info: Info, id: strawberry.ID) -> Row:
        require_person(info.context)
        return await attempts.skip(info.context, id)
