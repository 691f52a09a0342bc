"""Beanie documents: the stored shape of every collection and the indexes its queries need.

Ids are UUID strings (not ObjectIds) so they are stable across imports and readable in URLs.
All datetimes are timezone-aware UTC.

One module per domain, named as in schema/ and resolvers/ (users, sessions, messages,
exercises, costs, ...); this package re-exports every document, so
`from models.documents import MessageDoc` is where a document is imported from.
"""

from __future__ import annotations

from models.documents.annotations import AnnotationDoc
from models.documents.apiclients import ApiClientDoc
from models.documents.base import ASC, DESC, BaseDoc, new_id, utcnow
from models.documents.costs import (
    AiUsageDoc,
    CostDailyDoc,
    CostDimDoc,
    CostTotalDoc,
    ProviderDailyDoc,
)
from models.documents.exercises import ExerciseDoc
from models.documents.messages import LanguageErrorDoc, MessageDoc
from models.documents.practice import (
    DAILY_SET_RETENTION_DAYS,
    DAILY_SET_TTL_INDEX,
    DailySetDoc,
    ErrorStatDoc,
    SkillCardDoc,
)
from models.documents.sessions import EVENT_RETENTION_SECONDS, SessionDoc, SessionEventDoc
from models.documents.users import UserDoc

# Indexes an earlier release created that nothing uses any more: `scripts.init_db --drop-retired`
# drops them once their replacements exist.
RETIRED_INDEXES: dict[str, list[str]] = {
    "messages": ["user_time"],
    "exercises": ["user_completed"],
}

DOCUMENT_MODELS: list[type[BaseDoc]] = [
    SessionEventDoc,
    UserDoc,
    SessionDoc,
    MessageDoc,
    ErrorStatDoc,
    ExerciseDoc,
    CostDailyDoc,
    CostTotalDoc,
    DailySetDoc,
    SkillCardDoc,
    AiUsageDoc,
    ProviderDailyDoc,
    CostDimDoc,
    ApiClientDoc,
    AnnotationDoc,
]

__all__ = [
    "ASC",
    "DAILY_SET_RETENTION_DAYS",
    "DAILY_SET_TTL_INDEX",
    "DESC",
    "DOCUMENT_MODELS",
    "EVENT_RETENTION_SECONDS",
    "RETIRED_INDEXES",
    "AiUsageDoc",
    "AnnotationDoc",
    "ApiClientDoc",
    "BaseDoc",
    "CostDailyDoc",
    "CostDimDoc",
    "CostTotalDoc",
    "DailySetDoc",
    "ErrorStatDoc",
    "ExerciseDoc",
    "LanguageErrorDoc",
    "MessageDoc",
    "ProviderDailyDoc",
    "SessionDoc",
    "SessionEventDoc",
    "SkillCardDoc",
    "UserDoc",
    "new_id",
    "utcnow",
]
