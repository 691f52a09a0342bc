"""User reads and writes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pymongo import ReturnDocument

from models.db import DuplicateKeyError
from models.documents import UserDoc
from models.enums import Role, SubscriptionTier
from models.rows import Row
from resolvers import validation as v
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput, Forbidden, NotFound
from resolvers.localtime import validate_time_zone
from resolvers.pagination import (
    Connection,
    Order,
    Window,
    build_connection,
    cursor_position,
    seek_filter,
    sort_spec,
)
from resolvers.permissions import ensure_user_access, require_admin, require_viewer
from resolvers.practice.progress import recount_streak
from resolvers.taxonomy import LANGUAGES, normalize_language

USER_ORDER = Order("created_at", descending=True, connection="Query.users")


class NewUser(BaseModel):
    """createUser's input in the stored values (enums as their strings).
    schema/users.py's CreateUserInput is derived from it (schema/mutation.py `_model` converts
    back)."""

    model_config = ConfigDict(use_enum_values=True)

    email: str
    name: str
    role: Role | None = Role.USER
    subscription_tier: SubscriptionTier | None = SubscriptionTier.FREE
    native_language: str | None = None
    target_language: str | None = None
    level: str | None = None
    time_zone: str | None = Field(
        default=None, description="IANA name, e.g. 'America/Mexico_City'; default UTC."
    )


class UserChanges(BaseModel):
    """updateUser's input: None is "not given". schema/users.py's UpdateUserInput is
    derived from it."""

    model_config = ConfigDict(use_enum_values=True)

    name: str | None = None
    native_language: str | None = None
    target_language: str | None = None
    level: str | None = None
    subscription_tier: SubscriptionTier | None = None
    role: Role | None = None
    time_zone: str | None = Field(
        default=None, description="IANA name; an empty string resets it to UTC."
    )


async def me(ctx: RequestContext) -> Row | None:
    viewer = require_viewer(ctx)
    return await ctx.loaders.user.load(viewer.id)


async def get_user(ctx: RequestContext, user_id: str) -> Row:
    ensure_user_access(ctx, user_id)
    user = await ctx.loaders.user.load(v.plain_id(user_id, "id"))
    if user is None:
        raise NotFound("User not found.")
    return user


async def list_users(ctx: RequestContext, window: Window, tier: str | None) -> Connection:
    require_admin(ctx)
    n, cursor, backward = window
    base: dict[str, Any] = {"subscription_tier": tier} if tier else {}
    position = await cursor_position(USER_ORDER, cursor, ctx.db.users, backward)
    query = {**base, **seek_filter(USER_ORDER, position, backward)}
    found = ctx.db.users.find(query).sort(sort_spec(USER_ORDER, backward)).limit(n + 1)
    docs = [Row(d) async for d in found]
    conn = build_connection(docs, n, USER_ORDER, backward=backward)
    users = ctx.db.users

    async def count() -> int:
        # Unfiltered: the collection's own count (metadata, O(1)), not a scan of `users`;
        # by tier: a count over the `tier_created` index prefix.
        if not base:
            return int(await users.estimated_document_count())
        return int(await users.count_documents(base))

    conn.count_fn = count
    for edge in conn.edges:  # prime the loader so nested `user` fields cost nothing
        ctx.loaders.user.prime(edge.node["_id"], edge.node)
    return conn


def _profile_fields(data: NewUser | UserChanges) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if data.name is not None:
        out["name"] = v.text(data.name, "name", max_len=200, required=True)
    if data.native_language is not None:
        out["native_language"] = v.language(data.native_language, "nativeLanguage")
    if data.target_language is not None:
        target = v.language(data.target_language, "targetLanguage")
        # Exercises exist only in the bank's languages: another target would get exercises
        # in none of them (or, before, English ones labelled English).
        if normalize_language(target) not in LANGUAGES:
            raise BadUserInput(
                f"'targetLanguage' must be one of the supported languages: "
                f"{', '.join(LANGUAGES)} (a code such as 'es' or 'es-MX' works too).",
                field="targetLanguage",
                supportedLanguages=list(LANGUAGES),
            )
        out["target_language"] = target
    if data.level is not None:
        out["level"] = v.level(data.level)
    if data.time_zone is not None:
        out["time_zone"] = validate_time_zone(data.time_zone) or None
    return out


async def create_user(ctx: RequestContext, data: NewUser) -> Row:
    require_admin(ctx)
    fields = _profile_fields(data)
    if "name" not in fields:
        raise BadUserInput("'name' is required.", field="name")
    doc = UserDoc(
        email=v.normalize_email(data.email or ""),
        role=data.role or "user",
        subscription_tier=data.subscription_tier or "free",
        **fields,
    ).to_mongo()
    try:
        await ctx.db.users.insert_one(doc)
    except DuplicateKeyError as exc:
        raise BadUserInput("A user with this email already exists.", field="email") from exc
    return Row(doc)


async def update_user(ctx: RequestContext, user_id: str, data: UserChanges) -> Row:
    viewer = ensure_user_access(ctx, v.plain_id(user_id, "id"))
    changes = _profile_fields(data)
    for attr, field in (("subscription_tier", "subscriptionTier"), ("role", "role")):
        value = getattr(data, attr)
        if value is None:
            continue
        if not viewer.is_admin:
            raise Forbidden(f"Only admins may change '{field}'.", field=field)
        changes[attr] = value
    if not changes:
        raise BadUserInput("Nothing to update: pass at least one field.", field="input")
    if "time_zone" in changes:
        # The streak counter counted the old zone's days: recount it in the new zone, as
        # progress.bests does (resolvers/practice/streaks.py).
        changes.update(await recount_streak(ctx.db, user_id, changes["time_zone"]))
    doc = await ctx.db.users.find_one_and_update(
        {"_id": user_id}, {"$set": changes}, return_document=ReturnDocument.AFTER
    )
    if doc is None:
        raise NotFound("User not found.")
    ctx.forget_user(user_id)
    ctx.loaders.user.prime(user_id, Row(doc), force=True)
    return Row(doc)
