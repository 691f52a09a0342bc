"""API clients: the credentials of service callers such as the AI tutor (admins manage them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from schema.enums import ApiScope


@strawberry.type(description="A service caller. Its secret is never shown again after creation.")
class ApiClient:
    id: strawberry.ID
    name: str
    created_at: datetime
    last_used_at: datetime | None = strawberry.field(
        description="When the secret was last used (kept to the minute, per replica)."
    )
    revoked_at: datetime | None

    @strawberry.field
    def scopes(self) -> list[ApiScope]:
        row: Any = self
        return [ApiScope(s) for s in row.scopes]


@strawberry.type
class ApiClientCredential:
    client: ApiClient
    secret: str = strawberry.field(
        description="Send as 'Authorization: Bearer <secret>'. Shown once: only its hash is "
        "stored. Secrets start with 'tgw_' so secret scanners can find leaked ones."
    )


@strawberry.input
class CreateApiClientInput:
    name: str
    scopes: list[ApiScope]
