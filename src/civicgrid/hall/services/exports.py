"""Excel exports of the centres' statistics and monthly window-staff scores; each export is an audited access."""

from datetime import date
from io import BytesIO
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from civicgrid.core import audit
from civicgrid.hall import statistics


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _number(value: float | None) -> Any:
    return "—" if value is None else value


def _sheet_title(sheet: Any, title: str, lines: list[str], width: int) -> None:
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in lines:
        sheet.append([line])
    sheet.append([])
    for row in range(1, len(lines) + 2):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def _header(sheet: Any, names: list[str]) -> None:
    sheet.append(names)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)


STAT_COLUMNS = [
    "名称",
    "取号数",
    "办结号数",
    "过号数",
    "过号率",
    "平均等候(分钟)",
    "平均办理(分钟)",
    "受理办件",
    "已办结",
    "按时办结率",
    "超期未办结",
    "最多跑一次率",
    "评价数",
    "平均评分",
    "满意率",
]


def _stat_row(row: statistics.Row) -> list[Any]:
    return [
        str(row.label),
        row.tickets,
        row.served,
        row.no_shows,
        _percent(row.no_show_rate),
        _number(row.wait_minutes),
        _number(row.handle_minutes),
        row.applications,
        row.decided,
        _percent(row.on_time_rate),
        row.overdue_open,
        _percent(row.one_trip_rate),
        row.ratings,
        _number(None if row.average_score is None else round(row.average_score, 2)),
        _percent(row.satisfaction_rate),
    ]


def scores_export(*, actor: Any, centre_code: str, month: date) -> tuple[str, bytes]:
    """The month's window-staff scores and the statistics by counter, clerk and item, as one workbook.

    Returns the file name and its bytes; the export is recorded in the audit log (who, which centre, which month).
    """
    scores = statistics.window_scores(actor=actor, centre_code=centre_code, month=month)
    first, last = statistics.month_bounds(month)
    centre = scores.centre
    stamp = timezone.localtime()
    who = getattr(actor, "display_name", "") or _("系统")
    lines = [
        _("统计期间：%(a)s 至 %(b)s") % {"a": first.isoformat(), "b": last.isoformat()},
        _("导出人：%(who)s　导出时间：%(at)s") % {"who": who, "at": stamp.strftime("%Y-%m-%d %H:%M")},
    ]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("窗口人员月度考核")
    columns = [
        "排名",
        "姓名",
        "工作量",
        "受理办件",
        "咨询服务",
        "按时办结率",
        "最多跑一次率",
        "评价数",
        "平均评分",
        "修正评分",
        "数量得分(40)",
        "质量得分(30)",
        "评价得分(30)",
        "总分",
        "等次",
    ]
    _sheet_title(
        sheet,
        _("%(centre)s %(month)s 窗口人员月度考核") % {"centre": centre.name, "month": first.strftime("%Y年%m月")},
        [
            *lines,
            _("中心人均工作量：%(mean)s　中心平均评分：%(avg)s")
            % {
                "mean": scores.mean_workload,
                "avg": "—" if scores.centre_average_score is None else f"{scores.centre_average_score:.2f}",
            },
        ],
        len(columns),
    )
    _header(sheet, columns)
    for score in scores.rows:
        sheet.append(
            [
                score.rank,
                score.clerk.display_name,
                score.workload,
                score.applications,
                score.consultations,
                _percent(score.on_time_rate),
                _percent(score.one_trip_rate),
                score.ratings,
                _number(None if score.average_score is None else round(score.average_score, 2)),
                score.adjusted_score,
                score.quantity_points,
                score.quality_points,
                score.rating_points,
                score.total,
                score.grade,
            ]
        )
    for by, title in (("counter", _("按窗口")), ("clerk", _("按人员")), ("item", _("按事项"))):
        figures = statistics.statistics(actor=actor, start=first, end=last, by=by, centre_code=centre_code)
        page = workbook.create_sheet(title)
        _sheet_title(page, f"{centre.name} {title}", lines, len(STAT_COLUMNS))
        _header(page, STAT_COLUMNS)
        for row in figures.rows:
            page.append(_stat_row(row))
        page.append(_stat_row(figures.total))
        for cell in page[page.max_row]:
            cell.font = Font(bold=True)
    for page in workbook.worksheets:
        page.column_dimensions["A"].width = 34
        for letter in "BCDEFGHIJKLMNOP":
            page.column_dimensions[letter].width = 12
    out = BytesIO()
    workbook.save(out)
    audit.record(
        actor=actor,
        action="hall.scores.export",
        obj=centre,
        after={"month": first.strftime("%Y-%m"), "clerks": len(scores.rows)},
    )
    return f"{centre.code}-{first:%Y%m}-window-scores.xlsx", out.getvalue()
