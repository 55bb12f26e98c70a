"""Responses in batches: paper questionnaires typed into Excel, and the demo's and the bench's generated samples.

A batch is checked whole first (every bad row is reported with its line and column, nothing is stored unless all
rows are good), then written in one transaction under the locks of the campaign's strata, so quotas, flags and
counts come out as if the responses had arrived one by one.
"""

import io
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import openpyxl
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from civicgrid.core import audit, bulk
from civicgrid.core.errors import Conflict, ValidationError
from civicgrid.evaluation import selectors
from civicgrid.evaluation.choices import SURVEYOR_ROLES, Channel, Entry, Flag, Group, Review
from civicgrid.evaluation.models import Campaign, Question, Questionnaire, Response, Stratum
from civicgrid.evaluation.services import reverse
from civicgrid.evaluation.services.common import campaign_for_admin, digest
from civicgrid.evaluation.services.responses import BURST_WINDOW, Form, _open_campaign, _questionnaire, clean, form_for
from civicgrid.people.models import User
from civicgrid.people.permissions import holds_role

MAX_ROWS = 300_000
ANALYZE_AFTER = 10_000  # rows of one import
PAPER_COLUMNS = {"问卷编号": "key", "街道": "street", "调查员": "surveyor", "填写日期": "date"}


@dataclass(frozen=True)
class ResponseRow:
    street: str  # code or name
    group: str
    answers: Mapping[str, Any]
    channel: str = Channel.DIRECTED
    entry: str = Entry.PAPER
    surveyor: str = ""  # username
    key: str = ""  # the paper questionnaire's number (or a generator's id): a batch sent twice is refused
    submitted_at: datetime | None = None
    duration: int | None = None
    device: str = ""
    line: int | str = ""


@dataclass(frozen=True)
class ImportResult:
    count: int
    flagged: int
    out_of_quota: int
    comments: int


class ResponsesRejected(ValidationError):
    def __init__(self, rows: list[str]) -> None:
        super().__init__(
            _("文件有 %(n)s 处错误，未导入任何答卷：%(first)s") % {"n": len(rows), "first": rows[0]},
            errors={"rows": rows},
        )
        self.rows = rows


def responses_import(
    *, actor: Any, campaign_id: int, rows: Sequence[ResponseRow], source: str = "paper"
) -> ImportResult:
    """Store a batch of responses into an open campaign: all of them, or none with every problem listed."""
    campaign = campaign_for_admin(actor, campaign_id)
    if not rows:
        raise ResponsesRejected([_("没有数据行。")])
    if len(rows) > MAX_ROWS:
        raise ResponsesRejected([_("一次最多导入 %(n)s 份答卷。") % {"n": MAX_ROWS}])
    streets = {row.street.code: row.street for row in campaign.streets.select_related("street")}
    by_name = {street.name: code for code, street in streets.items()}
    questionnaires = {q.group: q for q in selectors.questionnaires(campaign)}
    surveyors: dict[str, User | None] = {}
    now = timezone.now()
    problems: list[str] = []
    keys: set[str] = set()
    taken = set(
        Response.objects.filter(
            campaign=campaign, client_key__in=[f"{r.entry}:{r.key}" for r in rows if r.key]
        ).values_list("client_key", flat=True)
    )
    checked: list[tuple[ResponseRow, Any, Any, User | None, datetime]] = []
    forms: dict[tuple[str, str], Form] = {}
    groups, channels, entries = set(Group.values), set(Channel.values), set(Entry.values)
    for row in rows:
        where = (
            _("第 %(line)s 行") % {"line": row.line} if row.line != "" else _("第 %(n)s 份") % {"n": len(checked) + 1}
        )
        code = row.street if row.street in streets else by_name.get(str(row.street).strip())
        if code is None:
            problems.append(_("%(where)s：街道“%(street)s”未参加本次测评。") % {"where": where, "street": row.street})
            continue
        street = streets[code]
        if row.group not in groups or row.channel not in channels or row.entry not in entries:
            problems.append(_("%(where)s：调查对象、渠道或填写方式无效。") % {"where": where})
            continue
        surveyor = None
        if row.surveyor:
            if row.surveyor not in surveyors:
                surveyors[row.surveyor] = User.objects.filter(username=row.surveyor, is_active=True).first()
            surveyor = surveyors[row.surveyor]
            if surveyor is None or not holds_role(surveyor, SURVEYOR_ROLES, at=street):
                problems.append(
                    _("%(where)s：“%(name)s”不是%(street)s的测评调查员。")
                    % {"where": where, "name": row.surveyor, "street": street.name}
                )
                continue
        if row.key:
            stored = f"{row.entry}:{row.key}"
            if stored in keys:
                problems.append(_("%(where)s：问卷编号 %(key)s 在文件中重复。") % {"where": where, "key": row.key})
            elif stored in taken:
                problems.append(_("%(where)s：问卷编号 %(key)s 已经导入过。") % {"where": where, "key": row.key})
            keys.add(stored)
        elif row.entry == Entry.PAPER:
            problems.append(_("%(where)s：缺少问卷编号。") % {"where": where})
        at = row.submitted_at or now
        if at > now:
            problems.append(_("%(where)s：填写日期晚于今天。") % {"where": where})
        try:
            if (code, row.group) not in forms:
                forms[(code, row.group)] = form_for(questionnaires[row.group], street)
            cleaned = clean(forms[(code, row.group)], row.answers, duration=row.duration)
        except ValidationError as error:
            for column, messages in error.errors.items():
                problems.extend(f"{where}（{column}）：{message}" for message in messages)
            continue
        checked.append((row, street, cleaned, surveyor, at))
    if problems:
        raise ResponsesRejected(problems)
    try:
        with transaction.atomic():
            return _write(actor, campaign, checked, source)
    except IntegrityError as error:  # a key or an online device stored by someone else meanwhile
        raise Conflict(_("部分答卷已由他人同时导入，请刷新后重试。")) from error


def _write(actor: Any, campaign: Campaign, checked: list, source: str) -> ImportResult:
    strata = {
        (s.street_id, s.group): s
        for s in Stratum.objects.select_for_update().filter(campaign=campaign).select_related("street")
    }
    _open_campaign(campaign.pk)
    frozen: dict[str, Questionnaire] = {}
    counts = {key: [s.directed_count, s.online_count] for key, s in strata.items()}
    bursts = _bursts_within(checked)
    built: list[Response] = []
    for index, (row, street, cleaned, surveyor, at) in enumerate(checked):
        if row.group not in frozen:
            frozen[row.group] = _questionnaire(campaign, row.group)
        stratum = strata[(street.pk, row.group)]
        flags = list(cleaned.flags)
        directed = row.channel == Channel.DIRECTED
        out_of_quota = directed and counts[(street.pk, row.group)][0] >= stratum.quota
        counts[(street.pk, row.group)][0 if directed else 1] += 1
        if out_of_quota:
            flags.append(Flag.OUT_OF_QUOTA)
        if index in bursts:
            flags.append(Flag.BURST)
        built.append(
            Response(
                campaign=campaign,
                questionnaire=frozen[row.group],
                street=street,
                group=row.group,
                channel=row.channel,
                entry=row.entry,
                surveyor=surveyor,
                device_hash=digest("device", row.device) if row.device else "",
                client_key=f"{row.entry}:{row.key}" if row.key else None,
                answers=cleaned.answers,
                scores=cleaned.scores,
                answers_hash=cleaned.answers_hash,
                submitted_at=at,
                duration_seconds=row.duration,
                out_of_quota=out_of_quota,
                flags=flags,
                review=Review.PENDING if flags else Review.NONE,
            )
        )
    Response.objects.bulk_create(built, batch_size=2000)
    if len(built) >= ANALYZE_AFTER:
        # the table just grew by many rows: fresh statistics, or the next submissions' one-per-device and burst
        # checks are planned for the table as it was (100-200 ms each instead of 1 on the 257,000-response bench)
        bulk.analyze(Response)
    for key, stratum in strata.items():
        directed, online = counts[key]
        if (directed, online) != (stratum.directed_count, stratum.online_count):
            Stratum.objects.filter(pk=stratum.pk).update(directed_count=directed, online_count=online)
    texts = [
        (response, question, text)
        for response, (_row, _street, cleaned, _s, _at) in zip(built, checked, strict=True)
        for question, text in cleaned.texts
    ]
    comments = reverse.attach_many(texts)
    result = ImportResult(
        count=len(built),
        flagged=sum(1 for r in built if r.flags),
        out_of_quota=sum(1 for r in built if r.out_of_quota),
        comments=len(comments),
    )
    audit.record(
        actor=actor,
        action="evaluation.responses.import",
        obj=campaign,
        after={"source": source, **result.__dict__},
    )
    return result


def _bursts_within(checked: list) -> set[int]:
    """Rows with the same answers as another row of the same surveyor or device within the burst window."""
    seen: dict[tuple[str, str], list[tuple[datetime, int]]] = {}
    for index, (row, _street, cleaned, surveyor, at) in enumerate(checked):
        who = f"u{surveyor.pk}" if surveyor else (f"d{row.device}" if row.device else "")
        if who:
            seen.setdefault((who, cleaned.answers_hash), []).append((at, index))
    flagged: set[int] = set()
    for moments in seen.values():
        moments.sort()
        for (first, i), (second, j) in itertools.pairwise(moments):
            if second - first <= BURST_WINDOW:
                flagged.update({i, j})
    return flagged


# ---------------------------------------------------------------- paper questionnaires in Excel


def _question_columns(questionnaire: Questionnaire) -> list[Question]:
    return list(questionnaire.questions.order_by("sort", "id"))


def paper_template(*, campaign: Campaign, group: str) -> bytes:
    """An empty workbook in the layout `paper_import` reads, with a sheet explaining each column."""
    questionnaire = selectors.questionnaires(campaign).get(group=group)
    questions = _question_columns(questionnaire)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("答卷")
    sheet.append([*PAPER_COLUMNS, *(q.code for q in questions)])
    notes = book.create_sheet(_("填写说明"))
    notes.append([_("列"), _("说明")])
    notes.append(["问卷编号", _("纸质问卷上的编号，每份唯一；同一份问卷不会被导入两次")])
    notes.append(["街道", _("街道名称或区划代码")])
    notes.append(["调查员", _("调查员的用户名（可空）")])
    notes.append(["填写日期", _("如 2026-05-12（可空：导入当天）")])
    for question in questions:
        if question.is_scored:
            scale = "、".join(f"{i}={label}" for i, label in enumerate(question.labels, start=1))
            notes.append([question.code, f"{question.text}（{scale}，0=不了解）"])
        else:
            notes.append([question.code, f"{question.text}（{_('文字，可空')}）"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _date(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        value = parse_date(str(value).strip())
        if value is None:
            raise ValueError
    return timezone.make_aware(datetime.combine(value, time(12)))


def paper_import(*, actor: Any, campaign_id: int, group: str, filename: str, content: bytes) -> ImportResult:
    """Paper questionnaires of one group typed into Excel (the layout of `paper_template`)."""
    campaign = campaign_for_admin(actor, campaign_id)
    if group not in Group.values:
        raise ResponsesRejected([_("请选择调查对象。")])
    if not filename.lower().endswith(".xlsx"):
        raise ResponsesRejected([_("请上传 Excel 文件（.xlsx）。")])
    try:
        sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        lines = [list(line) for line in sheet.iter_rows(values_only=True)]
    except Exception as error:  # a damaged or mislabelled file, whatever the reader raised
        raise ResponsesRejected([_("无法读取 Excel 文件：%(error)s") % {"error": type(error).__name__}]) from error
    questionnaire = selectors.questionnaires(campaign).get(group=group)
    codes = {q.code for q in questionnaire.questions.all()}
    if not lines:
        raise ResponsesRejected([_("文件是空的。")])
    header = [str(cell or "").strip().split()[0] if str(cell or "").strip() else "" for cell in lines[0]]
    problems = []
    for position, name in enumerate(header, start=1):
        if name and name not in PAPER_COLUMNS and name not in codes:
            problems.append(
                _("第 1 行第 %(col)s 列：未知的列“%(name)s”（本问卷的题号为 %(codes)s）。")
                % {"col": position, "name": name, "codes": "、".join(sorted(codes))}
            )
    required = {"问卷编号", "街道"} | {q.code for q in questionnaire.questions.all() if q.required}
    missing = sorted(required - set(header))
    if missing:
        problems.append(_("第 1 行：缺少这些列：%(names)s。") % {"names": "、".join(missing)})
    if problems:
        raise ResponsesRejected(problems)
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if all(cell in (None, "") for cell in line):
            continue
        values = {name: cell for name, cell in zip(header, line, strict=False) if name}
        try:
            at = _date(values.get("填写日期"))
        except ValueError:
            problems.append(_("第 %(n)s 行：填写日期应为 2026-05-12 这样的日期。") % {"n": number})
            continue
        answers = {
            code: (str(value).strip() if isinstance(value, str) else value)
            for code, value in values.items()
            if code in codes and value not in (None, "")
        }
        rows.append(
            ResponseRow(
                street=str(values.get("街道") or "").strip(),
                group=group,
                answers=answers,
                surveyor=str(values.get("调查员") or "").strip(),
                key=str(values.get("问卷编号") or "").strip()[:60],
                submitted_at=at,
                line=number,
            )
        )
    if problems:
        raise ResponsesRejected(problems)
    return responses_import(actor=actor, campaign_id=campaign.pk, rows=rows, source=f"paper:{filename[:60]}")
