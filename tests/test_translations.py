"""The English catalogue: `make messages` leaves it unchanged (CI catches a forgotten run), every entry is live and
translated, and every label kept in Vietnamese in code (core/labels.py) has its English there."""
from __future__ import annotations

import filecmp
import re
import shlex
import shutil
from datetime import date
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from chapters.rules import compute_targets
from core.labels import LabelledEnum
from election.counting import INVALID_REASONS, NEXT_STEP_LABELS, OUTCOME_LABELS
from election.rolls import FIELD_LABELS

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def _make_variable(name: str) -> list[str]:
    """A pybabel command line of the Makefile (`BABEL_EXTRACT := …`), so the test runs what `make messages` runs."""
    match = re.search(rf"^{name} := (.+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"{name} not found in the Makefile"
    return shlex.split(match.group(1))


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "--quiet", *args])


def _catalogue():
    with CATALOGUE.open("rb") as handle:
        return read_po(handle)


def test_make_messages_leaves_the_committed_catalogue_unchanged(tmp_path, monkeypatch):
    copy = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", copy, ignore=shutil.ignore_patterns("*.mo", "*.pot"))
    template = tmp_path / "messages.pot"
    monkeypatch.chdir(ROOT)  # extraction walks "." as `make messages` does
    _pybabel(*_make_variable("BABEL_EXTRACT"), "-o", str(template), ".")
    _pybabel(*_make_variable("BABEL_UPDATE"), "-i", str(template), "-d", str(copy))
    updated = copy / CATALOGUE.relative_to(ROOT / "translations")
    assert filecmp.cmp(updated, CATALOGUE, shallow=False), (
        "`make messages` would change translations/: run it, translate the new entries and commit the catalogue")


def test_every_catalogue_entry_is_live_and_translated():
    catalogue = _catalogue()
    obsolete = sorted(catalogue.obsolete)
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    untranslated = [m.id for m in catalogue if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    assert (obsolete, fuzzy, untranslated) == ([], [], [])


def _labelled_enums(cls: type = LabelledEnum) -> list[type[LabelledEnum]]:
    found = []
    for sub in cls.__subclasses__():
        if list(sub):
            found.append(sub)
        found += _labelled_enums(sub)
    return found


def test_every_label_kept_in_code_has_an_english_translation(app):
    """app: every package is imported, so every LabelledEnum subclass is known."""
    catalogue = _catalogue()
    enums = _labelled_enums()
    assert len(enums) >= 25
    labels = {f"{enum.__name__}.{member.name}": member.label for enum in enums for member in enum}
    labels |= {f"{name}[{key}]": label for name, table in [("OUTCOME_LABELS", OUTCOME_LABELS),
                                                          ("NEXT_STEP_LABELS", NEXT_STEP_LABELS),
                                                          ("INVALID_REASONS", INVALID_REASONS),
                                                          ("FIELD_LABELS", FIELD_LABELS)]
               for key, label in table.items()}
    labels |= {f"TargetFigure[{f.key}]": f.label for f in compute_targets([], [], [], [], date(2025, 6, 1))}
    missing = {where: label for where, label in labels.items()
               if catalogue.get(label) is None or not catalogue.get(label).string}
    assert missing == {}
