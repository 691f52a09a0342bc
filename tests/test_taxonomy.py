"""The per-language part of the error taxonomy: what each target language accepts, in the
bank's loader, in recordMessage's error validation and in errorCategories."""

from __future__ import annotations

from dataclasses import replace

import pytest

from resolvers.practice import bank as bank_module
from resolvers.practice.bank import BankError, load_bank
from resolvers.taxonomy import (
    ALL_PAIRS,
    DESCRIPTIONS,
    LANGUAGE_TAXONOMY,
    PAIRS,
    canonical,
    language_specific,
    pairs_for,
    taxonomy_for,
)
from tests.conftest import make_settings, running_api

SPANISH_ONLY = {
    ("Grammar", "Noun-Adjective Agreement"),
    ("Grammar", "Ser and Estar"),
    ("Punctuation", "Inverted Question and Exclamation Marks"),
}
GERMAN_ONLY = {
    ("Grammar", "Adjective Endings"),
    ("Grammar", "Separable Verbs"),
    ("Word Order", "Verb-Final Clauses"),
    ("Spelling", "Noun Capitalisation"),
}


def test_each_language_has_the_shared_part_and_only_its_own_extras():
    assert len(PAIRS) == 14
    assert set(pairs_for("English")) == set(PAIRS)
    assert set(pairs_for("es")) == set(PAIRS) | SPANISH_ONLY
    assert set(pairs_for("Deutsch")) == set(PAIRS) | GERMAN_ONLY
    assert language_specific("Spanish") == SPANISH_ONLY
    assert set(pairs_for(None)) == set(pairs_for("French")) == set(PAIRS)
    assert set(ALL_PAIRS) == set(PAIRS) | SPANISH_ONLY | GERMAN_ONLY
    assert set(DESCRIPTIONS) == set(ALL_PAIRS)
    # The categories stay the shared five: a language's own subcategories sit under them.
    assert set(taxonomy_for("German")) == set(taxonomy_for(None))
    assert set(LANGUAGE_TAXONOMY) == {"Spanish", "German"}


def test_canonical_accepts_a_language_specific_pair_for_its_language_only():
    assert canonical(" grammar", "ser AND estar", "Spanish") == ("Grammar", "Ser and Estar")
    assert canonical("Grammar", "Ser and Estar", "German") is None
    assert canonical("Grammar", "Ser and Estar") is None
    assert canonical("spelling", "noun capitalisation", "de") == (
        "Spelling",
        "Noun Capitalisation",
    )
    assert canonical("Spelling", "Noun Capitalisation", "English") is None
    # Reading what is already stored accepts any language's pair.
    assert canonical("Grammar", "Ser and Estar", any_language=True) == ("Grammar", "Ser and Estar")
    assert canonical("Grammar", "Articles", "German") == ("Grammar", "Articles")


def _copied(entries, slug, prefix_from):
    """Entries of another subcategory under a new subcategory's ids and prompts."""
    out = []
    for n, e in enumerate(entries, 1):
        out.append(replace(e, id=f"{prefix_from}-{slug}-{n}", prompt=f"{e.prompt} ({slug})"))
    return out


@pytest.mark.slow
def test_loader_serves_a_language_specific_file_and_refuses_it_elsewhere(monkeypatch):
    content = {k: dict(v) for k, v in bank_module.read_content().items()}
    spanish = content["Spanish"]
    spanish.pop(("Grammar", "Ser and Estar"), None)
    source = spanish[("Grammar", "Articles")]
    spanish[("Grammar", "Ser and Estar")] = _copied(source, "ser-and-estar", "es")
    monkeypatch.setattr(bank_module, "read_content", lambda: content)
    load_bank.cache_clear()
    try:
        banks = load_bank()
        assert len(banks["Spanish"][("Grammar", "Ser and Estar")]) == len(source)
        assert ("Grammar", "Ser and Estar") not in banks["German"]

        # The same subcategory in the German folder is outside German's taxonomy.
        german = content["German"]
        german[("Grammar", "Ser and Estar")] = _copied(
            german[("Grammar", "Articles")], "ser-and-estar", "de"
        )
        load_bank.cache_clear()
        with pytest.raises(BankError, match="outside its taxonomy"):
            load_bank()
        del german[("Grammar", "Ser and Estar")]

        # A language's own subcategory is held to the same minimum once its file exists.
        spanish[("Grammar", "Ser and Estar")] = spanish[("Grammar", "Ser and Estar")][:3]
        load_bank.cache_clear()
        with pytest.raises(BankError, match="Ser and Estar: 3 items"):
            load_bank()
    finally:
        load_bank.cache_clear()


@pytest.mark.slow
def test_loader_does_not_require_a_language_specific_file_before_it_is_written(monkeypatch):
    content = {k: dict(v) for k, v in bank_module.read_content().items()}
    for language, pairs in (("Spanish", SPANISH_ONLY), ("German", GERMAN_ONLY)):
        for pair in pairs:
            content[language].pop(pair, None)
    monkeypatch.setattr(bank_module, "read_content", lambda: content)
    load_bank.cache_clear()
    try:
        banks = load_bank()
        assert set(banks["Spanish"]) == set(PAIRS)
        # A shared subcategory is always required.
        del content["German"][("Grammar", "Articles")]
        load_bank.cache_clear()
        with pytest.raises(BankError, match="Articles: 0 items"):
            load_bank()
    finally:
        load_bank.cache_clear()


RECORD = """mutation($input: RecordMessageInput!) { recordMessage(input: $input) {
  id errors { category subcategory } } }"""
START = "mutation($input: StartSessionInput!) { startSession(input: $input) { id } }"
CATEGORIES = """query($l: String) { errorCategories(language: $l) {
  category subcategory description exerciseCount } }"""


async def _record(api, token, learner_id, category, subcategory):
    session = await api.data(START, {"input": {"userId": learner_id}}, token=token)
    body = {
        "sessionId": session["startSession"]["id"],
        "role": "USER",
        "content": "Mi hermana es cansada hoy.",
        "errors": [
            {
                "category": category,
                "subcategory": subcategory,
                "excerpt": "es cansada",
                "correction": "está cansada",
            }
        ],
    }
    return (await api.gql(RECORD, {"input": body}, token=token)).json()


async def test_record_message_accepts_a_learners_own_language_subcategories_only(api):
    _, admin = await api.admin()
    spanish, _ = await api.user(target_language="Spanish")
    german, _ = await api.user(target_language="German")

    ok = await _record(api, admin, spanish["_id"], "grammar", "Ser and estar")
    assert ok["data"]["recordMessage"]["errors"] == [
        {"category": "Grammar", "subcategory": "Ser and Estar"}
    ]
    stored = await api.services.db.messages.find_one({"_id": ok["data"]["recordMessage"]["id"]})
    assert stored["language"] == "Spanish"
    stats = await api.services.db.error_stats.find_one({"user_id": spanish["_id"]})
    assert (stats["category"], stats["subcategory"]) == ("Grammar", "Ser and Estar")

    refused = await _record(api, admin, german["_id"], "Grammar", "Ser and Estar")
    ext = refused["errors"][0]["extensions"]
    assert ext["code"] == "BAD_USER_INPUT" and ext["field"] == "errors[0].subcategory"
    assert "Adjective Endings" in ext["validSubcategories"]
    assert "Ser and Estar" not in ext["validSubcategories"]
    assert "in German" in refused["errors"][0]["message"]
    assert await api.services.db.error_stats.count_documents({"user_id": german["_id"]}) == 0


async def test_error_categories_lists_the_languages_own_subcategories(api):
    _, token = await api.user(target_language="German")
    mine = (await api.data(CATEGORIES, {"l": None}, token=token))["errorCategories"]
    pairs = {(r["category"], r["subcategory"]) for r in mine}
    assert pairs == set(PAIRS) | GERMAN_ONLY
    assert all(r["description"] for r in mine)
    spanish = (await api.data(CATEGORIES, {"l": "es"}, token=token))["errorCategories"]
    assert {(r["category"], r["subcategory"]) for r in spanish} == set(PAIRS) | SPANISH_ONLY


async def test_the_bank_is_loaded_before_the_gateway_serves():
    """Loaded by the first errorCategories instead, it held the event loop for seconds
    (10-14 s under load) and every other request with it."""
    load_bank.cache_clear()
    async with running_api(make_settings()) as api:
        loaded = load_bank.cache_info()
        assert loaded.currsize == 1  # before any request
        _, token = await api.user(target_language="German")
        rows = (await api.data(CATEGORIES, {"l": None}, token=token))["errorCategories"]
        assert sum(r["exerciseCount"] for r in rows) > 0
        assert load_bank.cache_info().misses == loaded.misses  # not loaded again
