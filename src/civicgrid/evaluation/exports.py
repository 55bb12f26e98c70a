"""The report as an Excel workbook, and the responses as an anonymised CSV that SPSS and R read as they are.

Anonymous: a response is a sequence number, its street, group, channel, entry, day and answers; never a phone, a
device, a surveyor, the exact time or free text (the reverse comments, masked, are in the workbook by street).
"""

import csv
import io
from collections.abc import Iterable
from typing import Any

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.styles import Font

from civicgrid.evaluation.choices import Channel, Group, Review
from civicgrid.evaluation.models import Campaign, Question, Response, ReverseComment


def _sheet(book: Any, title: str, header: list[str], rows: Iterable[list[Any]]) -> None:
    sheet = book.create_sheet(title[:31])
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "B2"


def workbook(campaign: Campaign, report: dict[str, Any]) -> bytes:
    """Scores with margins, ranks and intervals, dimensions, focus areas, indicators, groups, channels, pairs, rewards
    and the reverse comments of the streets in `report` (already cut to the reader)."""
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    regions = report["regions"]
    tree = report["tree"]["dimensions"]
    areas = [f for d in tree for f in d["focus_areas"]]
    indicators = [i for f in areas for i in f["indicators"]]
    _sheet(
        book,
        _("街道得分"),
        [
            _("街道代码"),
            _("街道"),
            _("得分"),
            _("标准误"),
            _("95%误差范围"),
            _("样本量"),
            _("有效样本量"),
            _("名次"),
            _("名次区间下限"),
            _("名次区间上限"),
            _("与下一名差异显著"),
            _("进步指数"),
            _("进步指数标准误"),
            _("关键指数"),
            _("成本指数(每万元)"),
            _("在线得分"),
            _("在线标准误"),
            _("在线样本量"),
        ],
        [
            [
                r["code"],
                r["name"],
                r["score"],
                r["se"],
                r["moe95"],
                r["n"],
                r["n_effective"],
                r["rank"],
                r["rank_low"],
                r["rank_high"],
                (r["next_difference"] or {}).get("significant"),
                (r["progress"] or {}).get("delta"),
                (r["progress"] or {}).get("se"),
                (r["key_index"] or {}).get("score"),
                (r["cost_index"] or {}).get("value"),
                r["online"]["score"],
                r["online"]["se"],
                r["online"]["n"],
            ]
            for r in sorted(regions, key=lambda r: r["rank"] or 999)
        ],
    )
    for title, nodes, key in (
        (_("维度得分"), tree, "dimensions"),
        (_("重点得分"), areas, "focus_areas"),
        (_("指标得分"), indicators, "indicators"),
    ):
        _sheet(
            book,
            title,
            [_("街道"), *(f"{n['code']} {n['name']}" for n in nodes)],
            [[r["name"], *(r[key].get(n["code"]) for n in nodes)] for r in regions],
        )
    labels = {g.value: str(g.label) for g in Group}
    _sheet(
        book,
        _("群体与渠道"),
        [_("街道"), _("渠道"), _("调查对象"), _("得分"), _("样本量"), _("总体数"), _("权重")],
        [
            [
                r["name"],
                str(Channel.DIRECTED.label),
                labels[g],
                v["score"],
                v["n"],
                v.get("population"),
                v.get("weight"),
            ]
            for r in regions
            for g, v in r["groups"].items()
        ]
        + [
            [r["name"], str(Channel.ONLINE.label), labels[g], v["score"], v["n"], None, None]
            for r in regions
            for g, v in r["online_groups"].items()
        ],
    )
    names = {r["code"]: r["name"] for r in regions}
    _sheet(
        book,
        _("两两比较"),
        [_("街道甲"), _("街道乙"), _("差值"), "z", "p", _("Holm 校正 p"), _("显著(5%)")],
        [
            [names[p["a"]], names[p["b"]], p["difference"], p["z"], p["p"], p["p_holm"], p["significant"]]
            for p in report["pairs"]
        ],
    )
    if report["rewards"]["places"]:
        _sheet(
            book,
            _("奖励"),
            [_("名次"), _("街道"), _("得分"), _("奖励(元)")],
            [[p["rank"], p["name"], p["score"], p["amount"]] for p in report["rewards"]["places"]]
            + [[_("提示"), w, None, None] for w in report["rewards"]["warnings"]],
        )
    comments = ReverseComment.objects.filter(campaign=campaign, street__code__in=list(names)).select_related(
        "street", "item"
    )
    _sheet(
        book,
        _("反向评价意见"),
        [_("街道"), _("问题类别"), _("归入问题"), _("意见（已脱敏）"), _("日期")],
        (
            [
                c.street.name,
                c.item.topic_name if c.item else "",
                c.item.title if c.item else "",
                c.text,
                c.created_at.date().isoformat(),
            ]
            for c in comments.order_by("street__code", "created_at")
        ),
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def responses_csv(campaign: Campaign, streets: Iterable[str]) -> str:
    """One row per response, SPSS/R-ready: ASCII column names, codes not labels, empty for "no answer" and for
    "don't know" (answer 0), indicator scores 0..100. The codebook is docs/evaluation.md."""
    questions = list(
        Question.objects.filter(questionnaire__campaign=campaign).exclude(polarity="reverse").order_by("code")
    )
    indicators = list(campaign.indicators.filter(kind="indicator").order_by("code").values_list("code", flat=True))
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(
        [
            "resp_id",
            "street",
            "group",
            "channel",
            "entry",
            "day",
            "out_of_quota",
            "flagged",
            "excluded",
            *(q.code for q in questions),
            *(f"score_{code}" for code in indicators),
        ]
    )
    rows = (
        Response.objects.filter(campaign=campaign, street__code__in=list(streets))
        .order_by("submitted_at", "id")
        .values_list(
            "street__code",
            "group",
            "channel",
            "entry",
            "submitted_at",
            "out_of_quota",
            "flags",
            "review",
            "answers",
            "scores",
        )
    )
    for number, (street, group, channel, entry, at, out, flags, review, answers, scores) in enumerate(
        rows.iterator(chunk_size=5000), start=1
    ):
        writer.writerow(
            [
                number,
                street,
                group,
                channel,
                entry,
                at.date().isoformat(),
                int(out),
                int(bool(flags)),
                int(review == Review.EXCLUDED),
                *(answers.get(q.code) or "" for q in questions),
                *("" if scores.get(code) is None else round(scores[code], 4) for code in indicators),
            ]
        )
    return output.getvalue()
