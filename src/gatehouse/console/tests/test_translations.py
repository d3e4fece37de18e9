"""Every shipped string is translated in every catalog (the twelve languages of the Zexus FAQ;
English is the source language). Fails when a catalog misses a string, has an empty or fuzzy
translation, or drops a placeholder."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

SOURCE = Path(settings.SRC_DIR)
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|\{\w*\}")
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]


def _locale_dir(code: str) -> str:
    language, _sep, script = code.partition("-")
    return f"{language}_{script.capitalize()}" if script else language


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, polib.POEntry]:
    """Extract the strings the code uses now, from a copy so the real catalogs stay as they are."""
    work = tmp_path_factory.mktemp("extract") / "gatehouse"
    shutil.copytree(SOURCE, work, ignore=shutil.ignore_patterns("locale", "__pycache__", "tests"))
    (work / "locale").mkdir()
    previous = Path.cwd()
    try:
        import os

        os.chdir(work)
        call_command("makemessages", locale=["en"], verbosity=0, no_obsolete=True)
    finally:
        os.chdir(previous)
    catalog = polib.pofile(str(work / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    entries = {entry.msgid: entry for entry in catalog if not entry.obsolete}
    assert len(entries) > 100, "extraction found suspiciously few strings"
    return entries


def test_there_are_twelve_languages() -> None:
    assert len(settings.LANGUAGES) == 12


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalog_translates_every_string(
    code: str, source_messages: dict[str, polib.POEntry]
) -> None:
    path = SOURCE / "locale" / _locale_dir(code) / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"missing catalog {path}"
    catalog = {entry.msgid: entry for entry in polib.pofile(str(path)) if not entry.obsolete}
    missing = sorted(set(source_messages) - set(catalog))
    assert not missing, f"{code}: {len(missing)} strings not in the catalog, e.g. {missing[:5]}"
    problems = []
    for msgid in source_messages:
        entry = catalog[msgid]
        values = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if "fuzzy" in entry.flags or not all(v.strip() for v in values):
            problems.append(f"untranslated: {msgid!r}")
            continue
        wanted = sorted(PLACEHOLDER.findall(msgid))
        for value in values:
            if sorted(set(PLACEHOLDER.findall(value))) != sorted(set(wanted)):
                problems.append(f"placeholders differ: {msgid!r} -> {value!r}")
    assert not problems, f"{code}: " + "; ".join(problems[:10])
