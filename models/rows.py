"""Read-path view of a stored document: no model validation, attribute access for Strawberry.

Validation happens once, on write (the Beanie documents); re-validating every row on every
read costs more than the query itself for large pages.

Attribute access is strict: a name that no stored shape declares (a typo, a field that was
renamed) raises AttributeError instead of reading as null, so the mistake surfaces as an
error in the first test that reads it. A declared field the document does not hold (an
optional field left unset, which `BaseDoc.to_mongo` leaves out) reads None. The declared
names are those of the models in models/documents/ (every collection and every
embedded document): one Row type serves every collection, because the driver decodes
embedded documents into the same class and the compiled executor recognises rows by
`type(v) is Row`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from models import documents


def _stored_names() -> frozenset[str]:
    """Every key a stored document may hold: field names and their aliases (the key
    actually stored, e.g. ErrorStatDoc's `count`), over every model in documents."""
    names: set[str] = set()
    for model in vars(documents).values():
        if isinstance(model, type) and issubclass(model, BaseModel) and model is not BaseModel:
            for name, info in model.model_fields.items():
                names.add(name)
                if info.alias:
                    names.add(info.alias)
    names.discard("revision_id")
    return frozenset(names)


FIELDS = _stored_names()


class Row(dict[str, Any]):
    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name == "id":
            return self["_id"]
        if name in FIELDS:
            return self.get(name)
        # Protocol probes (__await__, _type_definition, ...) and typos alike.
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")
