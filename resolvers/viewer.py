"""Who is calling: the signed-in user, or a service, as every layer below the gateway sees them."""

from __future__ import annotations

from dataclasses import dataclass

TUTOR = "tutor"


@dataclass(frozen=True, slots=True)
class Viewer:
    id: str
    role: str  # "user", "admin", or "tutor" for a service caller with the TUTOR scope
    tier: str  # the rate-limit tier: a subscription tier, or "tutor"
    email: str
    # An API client's name, or the identity provider's client id of a tutor-scoped token:
    # what the request log and metrics call the caller (client=<name>).
    client: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_tutor(self) -> bool:
        return self.role == TUTOR

    @property
    def kind(self) -> str:
        """How a message records who wrote it: learner, tutor or admin."""
        return "admin" if self.is_admin else TUTOR if self.is_tutor else "learner"
