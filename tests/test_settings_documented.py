"""`.env.example` and docs/configuration.md are generated from the settings' own fields
(scripts/settings_docs.py): they say what the gateway reads, and nothing else."""

from __future__ import annotations

from gateway.settings import Settings
from scripts import settings_docs


def test_the_generated_files_are_current():
    stale = [str(p.relative_to(settings_docs.ROOT)) for p in settings_docs.stale()]
    assert not stale, f"{', '.join(stale)} stale: run {settings_docs.COMMAND}"


def test_every_setting_is_described_in_a_section():
    for name, info in Settings.model_fields.items():
        assert info.description, f"{name} has no description"
        extra = info.json_schema_extra
        assert isinstance(extra, dict) and extra.get("section"), f"{name} is in no Section"


def test_the_example_file_loads_as_the_defaults(tmp_path, monkeypatch):
    """Copying .env.example to .env changes nothing: every value written in it is the
    default, and the empty ones read as unset."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    example = tmp_path / ".env"
    example.write_text(settings_docs.env_example())
    assert Settings(_env_file=example).model_dump() == Settings(_env_file=None).model_dump()


def test_the_generated_files_name_every_setting():
    env, doc = settings_docs.env_example(), settings_docs.configuration_doc()
    for name in map(str.upper, Settings.model_fields):
        assert f"\n{name}=" in env or f"\n# {name}=" in env, name
        assert f"`{name}`" in doc, name
