"""The exercises' loaders: by id, and a user's exercises as pages (User.exercises)."""

from __future__ import annotations

from resolvers.dataloaders.base import ByIdLoader, PageLoader
from resolvers.pagination import Order

EXERCISE_ORDER = Order(
    "created_at",
    descending=True,
    connection="User.exercises",
    parent_field="user_id",
)


class ExerciseByIdLoader(ByIdLoader):
    collection = "exercises"


class ExercisesByUserLoader(PageLoader):
    collection = "exercises"
    order = EXERCISE_ORDER
