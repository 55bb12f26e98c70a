"""Every string the interface can show has an English translation: the catalogs are checked against the source."""

import re
import shutil
from pathlib import Path

from django.core.management import call_command

PACKAGE = Path(__file__).resolve().parents[1] / "src/civicgrid"
UNTRANSLATED = re.compile(r'^msgstr(\[\d\])? ""$', re.M)


def entries(po: Path) -> list[str]:
    return [e for e in po.read_text(encoding="utf-8").split("\n\n")[1:] if "msgid" in e]


def untranslated(po: Path) -> list[str]:
    """Entries with an empty msgstr (a multi-line msgstr starts with "" and continues on the next line) or fuzzy."""
    bad = []
    for entry in entries(po):
        lines = entry.splitlines()
        empty = [i for i, line in enumerate(lines) if UNTRANSLATED.match(line)]
        if "#, fuzzy" in entry or any(i + 1 == len(lines) or not lines[i + 1].startswith('"') for i in empty):
            bad.append(next(line for line in lines if line.startswith("msgid")))
    return bad


def test_every_catalog_translates_every_string_of_the_source(tmp_path, settings, monkeypatch):
    # Extract the strings again from a copy of the package, into copies of its catalogs (the package's own catalog
    # and each app's), so a string added to the code without a translation fails here, not in front of a user.
    copy = tmp_path / "civicgrid"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "migrations", "static"))
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["en"], no_obsolete=True, verbosity=0)
    catalogs = sorted(copy.rglob("locale/en/LC_MESSAGES/django.po"))
    assert copy / "locale/en/LC_MESSAGES/django.po" in catalogs
    missing = {str(po.relative_to(copy)): untranslated(po) for po in catalogs}
    assert not any(missing.values()), {po: ids[:10] for po, ids in missing.items() if ids}
