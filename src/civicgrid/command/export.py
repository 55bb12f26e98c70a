"""The figures table as an Excel workbook: the table the user is looking at, with a header that says what it is."""

from collections.abc import Sequence
from datetime import datetime
from io import BytesIO
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from civicgrid.command import figures
from civicgrid.command.templatetags.command import NO_VALUE

FORMATS = {"count": "#,##0", "rate": "0.0%", "hours": "#,##0.0", "score": "0.0"}
HEADER_FILL = PatternFill("solid", fgColor="F0F4F8")
TOTAL_FILL = PatternFill("solid", fgColor="FFF4D6")
THIN = Side(style="thin", color="D9E2EC")


def columns() -> list[figures.Kpi]:
    return [*figures.KPIS, figures.COMPOSITE]


def workbook(
    summary: figures.Summary,
    *,
    title: str,
    region_label: str,
    exported_by: str,
    exported_at: datetime | None = None,
    ranked: Sequence[figures.Ranked] | None = None,
) -> bytes:
    """The summary's rows and total, then (when given) the ranking, then every definition on a second sheet."""
    exported_at = timezone.localtime(exported_at or timezone.now())
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("指标")
    kpis = columns()
    filters = "；".join(f"{name}：{value}" for name, value in summary.filters.describe()) or _("无")
    header = [
        (_("统计区域"), region_label),
        (_("统计期间"), str(summary.period)),
        (_("分组"), str(figures.GROUPS[summary.group_by])),
        (_("筛选条件"), filters),
        (_("导出人"), exported_by),
        (_("导出时间"), exported_at.strftime("%Y-%m-%d %H:%M")),
        (_("口径"), _("见“指标口径”工作表；分母为 0 的比率记为“—”。")),
    ]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in header:
        sheet.append([label, value])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    sheet.append([])
    heading_row = sheet.max_row + 1
    sheet.append([_("名称"), _("代码"), *[str(kpi.label) for kpi in kpis]])
    for cell in sheet[heading_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = Border(bottom=THIN)
    for row in summary.rows:
        _append(sheet, row.label, row.code, row.counts, kpis)
    _append(sheet, _("合计"), "", summary.total, kpis)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.fill = TOTAL_FILL
    sheet.freeze_panes = sheet.cell(row=heading_row + 1, column=3)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 18
    for index in range(3, len(kpis) + 3):
        sheet.column_dimensions[get_column_letter(index)].width = 12
    if ranked is not None:
        _ranking_sheet(book, ranked)
    _definitions_sheet(book)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _append(sheet: Any, label: str, code: str, counts: figures.Counts, kpis: list[figures.Kpi]) -> None:
    values: list[Any] = [label, code]
    for kpi in kpis:
        value = kpi.value(counts)
        values.append(NO_VALUE if value is None else (round(value, 4) if kpi.kind != "count" else value))
    sheet.append(values)
    row = sheet.max_row
    for offset, kpi in enumerate(kpis, start=3):
        cell = sheet.cell(row=row, column=offset)
        if cell.value == NO_VALUE:
            cell.alignment = Alignment(horizontal="right")
        else:
            cell.number_format = FORMATS[kpi.kind]


def _ranking_sheet(book: Workbook, ranked: Sequence[figures.Ranked]) -> None:
    sheet = book.create_sheet(_("排名"))
    sheet.append([_("名次"), _("名称"), _("代码"), _("指标值"), _("应结案数")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for item in ranked:
        sheet.append(
            [
                item.rank if item.rank is not None else _("不参与排名"),
                item.row.label,
                item.row.code,
                NO_VALUE if item.value is None else round(float(item.value), 4),
                item.row.counts.due,
            ]
        )
    sheet.column_dimensions["B"].width = 28
    sheet.column_dimensions["C"].width = 18


def _definitions_sheet(book: Workbook) -> None:
    sheet = book.create_sheet(_("指标口径"))
    sheet.append([_("指标"), _("口径")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for kpi in columns():
        sheet.append([str(kpi.label), str(figures.FORMULAS[kpi.key])])
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 90
