"""Who is calling: the signed-in user as every layer below the gateway sees them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Viewer:
    id: str
    role: str
    tier: str
    email: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
