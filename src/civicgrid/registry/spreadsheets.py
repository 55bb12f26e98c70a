"""Reading an uploaded table (Excel .xlsx or CSV) and writing ledgers and error files as Excel.

A file is recognised by its content, not its name: an .xlsx is a zip archive, an old .xls a compound document (which
we ask the clerk to save as .xlsx), a CSV is text in UTF-8 (with or without BOM) or GB18030 (what Excel on a Chinese
Windows writes). Anything else is "not an Excel or CSV file". The header row is found among the first rows, so a
ledger exported from CivicGrid (title and exporter above the header) can be edited and imported as it is.
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException

from civicgrid.core.errors import ValidationError

HEADER_SEARCH_ROWS = 10
MAX_BYTES = 512 * 1024 * 1024  # a district's population ledger as CSV is about 240 MB


class NotASpreadsheet(ValidationError):
    pass


@dataclass
class Table:
    header_row: int  # 1-based line or row number of the header
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (1-based row number, cells)


def _clean_header(value: Any) -> str:
    text = str(value or "").strip().replace("\n", "").replace(" ", "").replace("\u3000", "")
    return text.removesuffix("*").removesuffix("＊")


def _find_header(first_rows: list[list[Any]], wanted: set[str]) -> int:
    """The index of the row holding the most of the wanted column names (the first row when none does)."""
    best, best_index = 0, 0
    for index, row in enumerate(first_rows):
        hits = sum(1 for cell in row if _clean_header(cell) in wanted)
        if hits > best:
            best, best_index = hits, index
    return best_index


def read_table(data: bytes, wanted: set[str]) -> Table:
    """The table in `data`. `wanted` are the header names (all spellings) used to find the header row."""
    if not data:
        raise NotASpreadsheet(_("文件是空的。"))
    if len(data) > MAX_BYTES:
        raise NotASpreadsheet(_("文件超过 512 MB，请按街道或社区分开导入。"))
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, wanted)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise NotASpreadsheet(_("这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再导入。"))
    return _read_csv(data, wanted)


def _read_xlsx(data: bytes, wanted: set[str]) -> Table:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise NotASpreadsheet(_("无法读取该 Excel 文件，它可能已损坏或不是 .xlsx 文件。")) from error
    sheet = book.worksheets[0] if book.worksheets else None
    if sheet is None:
        raise NotASpreadsheet(_("Excel 文件中没有工作表。"))
    iterator = sheet.iter_rows(values_only=True)
    first = [list(row) for _n, row in zip(range(HEADER_SEARCH_ROWS), iterator, strict=False)]
    if not first:
        raise NotASpreadsheet(_("文件中没有任何内容。"))
    index = _find_header(first, wanted)
    headers = [_clean_header(cell) for cell in first[index]]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        number = index + 1
        for row in first[index + 1 :]:
            number += 1
            yield number, row
        for row in iterator:
            number += 1
            yield number, list(row)
        book.close()

    return Table(header_row=index + 1, headers=headers, rows=rows())


def _decode(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise NotASpreadsheet(_("该文件不是 Excel（.xlsx）或 CSV 文件。"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NotASpreadsheet(_("该文件不是 Excel（.xlsx）或 CSV 文件（无法识别文字编码）。"))


def _read_csv(data: bytes, wanted: set[str]) -> Table:
    text = _decode(data)
    sample = text[:8192]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    first = [row for _n, row in zip(range(HEADER_SEARCH_ROWS), reader, strict=False)]
    if not first:
        raise NotASpreadsheet(_("文件中没有任何内容。"))
    index = _find_header(first, wanted)
    headers = [_clean_header(cell) for cell in first[index]]
    if not any(h in wanted for h in headers):
        raise NotASpreadsheet(_("该文件不是可导入的表格：找不到表头（第一行应为列名，例如“姓名”“身份证号”）。"))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        number = index + 1
        for row in first[index + 1 :]:
            number += 1
            yield number, row
        for row in reader:
            number += 1
            yield number, row

    return Table(header_row=index + 1, headers=headers, rows=rows())


def cell_text(value: Any) -> str:
    """A cell as the clerk sees it: numbers without a trailing .0, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(bold=True, size=14)
ERROR_FONT = Font(color="C00000")


def workbook_bytes(
    *,
    title: str,
    meta: Sequence[str],
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Sequence[int] = (),
    sheet_name: str = "",
) -> bytes:
    """An .xlsx: the title, lines about the export (who, when, what), a styled header and the rows (streamed)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=(sheet_name or title)[:31])
    for index, width in enumerate(widths):
        sheet.column_dimensions[_column_letter(index)].width = width
    sheet.freeze_panes = f"A{len(meta) + 3}"
    title_cell = WriteOnlyCell(sheet, value=title)
    title_cell.font = TITLE_FONT
    sheet.append([title_cell])
    for line in meta:
        sheet.append([line])
    sheet.append([])
    header_cells = []
    for name in headers:
        cell = WriteOnlyCell(sheet, value=str(name))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_excel_value(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _excel_value(value: Any) -> Any:
    # ID numbers and phones stay text (Excel would turn 18 digits into 1.10105E+17); dates and numbers stay typed.
    if value is None or isinstance(value, (int, float, date)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


__all__ = ["ERROR_FONT", "NotASpreadsheet", "Table", "cell_text", "read_table", "workbook_bytes"]
