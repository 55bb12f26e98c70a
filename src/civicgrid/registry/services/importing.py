"""What the three importers (residents, buildings, organisations) share: the columns a file may have, the problems
of one row, and the cells read as text."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Protocol

from django.utils.translation import gettext as _

from civicgrid.core.errors import DomainError
from civicgrid.registry import policy
from civicgrid.registry.models import ImportBatch
from civicgrid.registry.spreadsheets import cell_text


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # lazy translation: the header a clerk sees
    aliases: tuple[str, ...] = ()  # other spellings found in the district's old spreadsheets
    required: bool = False

    @property
    def names(self) -> set[str]:
        return {str(self.label), self.key, *self.aliases}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


class RowProblems:
    """Collects every problem of one row, so a clerk fixes a row once, not once per field."""

    def __init__(self, row: int, labels: dict[str, str]) -> None:
        self.row = row
        self.labels = labels
        self.errors: list[RowError] = []

    def check[T](self, key: str, fn: Callable[..., T], *args: Any, default: Any = None, **kwargs: Any) -> T | Any:
        """`fn(*args, **kwargs)`, or `default` with its refusal noted against column `key`."""
        try:
            return fn(*args, **kwargs)
        except DomainError as error:
            self.add(key, error.message)
            return default

    def add(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.row, self.labels.get(key, key), message))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else cell_text(value)


class Cells:
    """One row's cells by column key, as the clerk sees them (text stripped, dates as dates, numbers without a
    trailing .0); a column the file lacks reads as empty. `values.get` is the fast way for a million rows."""

    __slots__ = ("values",)

    def __init__(self, row: Sequence[Any], positions: dict[str, int]) -> None:
        size = len(row)
        self.values = {
            key: value.strip() if type(value) is str else _clean(value)
            for key, index in positions.items()
            if index < size and (value := row[index]) is not None
        }

    def __call__(self, key: str) -> Any:
        return self.values.get(key, "")

    def text(self, key: str) -> str:
        return str(self.values.get(key) or "").strip()


def blank(row: Sequence[Any]) -> bool:
    return all(cell is None or str(cell).strip() == "" for cell in row)


class Importer(Protocol):
    """One kind of file: checks a chunk of rows (all problems reported), writes the good ones."""

    columns: ClassVar[tuple[Column, ...]]
    region_paths: set[str]
    created: dict[str, int]

    def __init__(self, actor: Any) -> None: ...

    def check(self, rows: list[tuple[int, list[Any]]], positions: dict[str, int]) -> tuple[list[Any], list[RowError]]:
        """The chunk's good rows (ready to write) and every problem of the bad ones."""
        ...

    def write(self, batch: ImportBatch, good: list[Any]) -> None: ...


def import_paths(actor: Any) -> tuple[str, ...] | None:
    """Where the actor may import (None: everywhere, the system or a superuser)."""
    return None if actor is None else policy.allowed_paths(actor, "import")


def not_in_reach(what: str) -> str:
    return _("没有找到%(what)s，或它不在您的管辖范围内。") % {"what": what}
