"""The users' loaders."""

from __future__ import annotations

from resolvers.dataloaders.base import ByIdLoader


class UserByIdLoader(ByIdLoader):
    collection = "users"
