"""Staff pages of the evaluation, at /evaluation/: the campaigns, the builder (settings, tree, questionnaires, sample
plan and invitations, paper import), progress, review, the report with its exports, and the reverse problem list.

Administrators of the district build and run campaigns; a street's officers see their street's progress, results and
reverse items; anything outside the user's jurisdiction answers 404.
"""

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from civicgrid.core.views import domain_errors_as_messages, page_of, query_without_page
from civicgrid.evaluation import exports, reporting, selectors, services
from civicgrid.evaluation.choices import (
    ADMINS,
    ITEM_TRANSITIONS,
    CampaignAction,
    CampaignStatus,
    Group,
    ItemStatus,
    OnlineCheck,
    Polarity,
    Review,
)
from civicgrid.evaluation.models import Campaign
from civicgrid.evaluation.services.reverse import is_rectified
from civicgrid.people.models import Department
from civicgrid.people.permissions import holds_role, is_administrator
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region


def _campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    try:
        return selectors.campaign(actor=request.user, campaign_id=campaign_id)
    except Campaign.DoesNotExist as error:
        raise Http404 from error


def _runs(request: HttpRequest, campaign: Campaign) -> bool:
    return holds_role(request.user, ADMINS, at=campaign.district)


def _admin_campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    campaign = _campaign(request, campaign_id)
    if not _runs(request, campaign):
        raise PermissionDenied
    return campaign


def _context(request: HttpRequest, campaign: Campaign, tab: str, **extra: Any) -> dict[str, Any]:
    return {"campaign": campaign, "tab": tab, "runs": _runs(request, campaign), **extra}


def qr_svg(url: str, scale: int = 4) -> str:
    """A QR code as inline SVG (segno): prints sharp, needs no image file."""
    return segno.make(url, error="m").svg_inline(scale=scale, dark="#102a43", light="#fff")


# ---------------------------------------------------------------- campaigns


@login_required
@domain_errors_as_messages
def index(request: HttpRequest) -> HttpResponse:
    campaigns = selectors.campaigns(actor=request.user)
    admin_districts = [
        d
        for d in Region.objects.filter(level=Level.DISTRICT).order_by("code")
        if holds_role(request.user, ADMINS, at=d)
    ][:20]
    if request.method == "POST":
        if not admin_districts:
            raise PermissionDenied
        try:
            year = int(request.POST.get("year", ""))
        except ValueError:
            year = 0
        copy_from = request.POST.get("copy_from") or None
        campaign = services.campaign_create(
            actor=request.user,
            district_code=request.POST.get("district", ""),
            year=year,
            name=request.POST.get("name", ""),
            copy_from_id=int(copy_from) if copy_from and copy_from.isdigit() else None,
        )
        messages.success(
            request, _("已建立“%(name)s”，请检查指标体系、问卷和抽样方案后开始测评。") % {"name": campaign.name}
        )
        return redirect("evaluation:campaign", campaign.pk)
    return render(
        request,
        "evaluation/index.html",
        {
            "campaigns": campaigns,
            "admin_districts": admin_districts,
            "next_year": timezone.localdate().year,
            "surveyor": holds_role(request.user, {"field_surveyor"}),
        },
    )


@login_required
@domain_errors_as_messages
def campaign(request: HttpRequest, campaign_id: int) -> HttpResponse:
    found = _campaign(request, campaign_id)
    if request.method == "POST":
        if not _runs(request, found):
            raise PermissionDenied
        if request.POST.get("action") in CampaignAction.values:
            services.campaign_act(actor=request.user, campaign_id=found.pk, action=request.POST["action"])
            messages.success(request, _("已%(action)s。") % {"action": CampaignAction(request.POST["action"]).label})
        else:
            rewards = [
                int(v) for v in request.POST.get("rewards", "").replace("，", ",").split(",") if v.strip().isdigit()
            ]
            previous = request.POST.get("previous") or ""
            services.campaign_update(
                actor=request.user,
                campaign_id=found.pk,
                changes={
                    "name": request.POST.get("name", ""),
                    "online_open": request.POST.get("online_open") == "on",
                    "online_check": request.POST.get("online_check", found.online_check),
                    "rewards": rewards,
                    "previous_id": int(previous) if previous.isdigit() else None,
                },
            )
            messages.success(request, _("测评设置已保存。"))
        return redirect("evaluation:campaign", found.pk)
    online_url = request.build_absolute_uri(reverse("evaluation:online", args=[found.online_key]))
    return render(
        request,
        "evaluation/campaign.html",
        _context(
            request,
            found,
            "campaign",
            problems=services.readiness_problems(found, closing=found.status == CampaignStatus.OPEN),
            progress=selectors.progress(actor=request.user, campaign=found),
            earlier=Campaign.objects.filter(district=found.district, year__lt=found.year).order_by("-year"),
            online_url=online_url,
            online_qr=qr_svg(online_url, 5),
            checks=OnlineCheck.choices,
            actions=[(a, CampaignAction(a).label) for a in _actions(found)],
        ),
    )


def _actions(found: Campaign) -> list[str]:
    from civicgrid.evaluation.choices import CAMPAIGN_TRANSITIONS

    return list(CAMPAIGN_TRANSITIONS[found.status])


# ---------------------------------------------------------------- the tree and the questionnaires


@login_required
@domain_errors_as_messages
def tree(request: HttpRequest, campaign_id: int) -> HttpResponse:
    found = _admin_campaign(request, campaign_id)
    if request.method == "POST":
        what = request.POST.get("do")
        if what == "update":
            services.indicator_update(
                actor=request.user,
                campaign_id=found.pk,
                code=request.POST.get("code", ""),
                name=request.POST.get("name"),
                weight=request.POST.get("weight") or None,
                is_key=(request.POST.get("is_key") == "on") if request.POST.get("kind") == "indicator" else None,
            )
            messages.success(request, _("已保存 %(code)s。") % {"code": request.POST.get("code", "")})
        elif what == "add":
            services.indicator_add(
                actor=request.user,
                campaign_id=found.pk,
                code=request.POST.get("code", ""),
                name=request.POST.get("name", ""),
                parent_code=request.POST.get("parent") or None,
                street_code=request.POST.get("street") or None,
                weight=request.POST.get("weight") or "1",
                is_key=request.POST.get("is_key") == "on",
            )
            messages.success(request, _("已添加 %(code)s。") % {"code": request.POST.get("code", "")})
        elif what == "delete":
            services.indicator_delete(actor=request.user, campaign_id=found.pk, code=request.POST.get("code", ""))
            messages.success(request, _("已删除 %(code)s。") % {"code": request.POST.get("code", "")})
        return redirect("evaluation:tree", found.pk)
    dimensions = selectors.tree(found)
    return render(
        request,
        "evaluation/tree.html",
        _context(
            request,
            found,
            "tree",
            dimensions=dimensions,
            specials=selectors.special_indicators(found),
            streets=[row.street for row in selectors.campaign_streets(actor=request.user, campaign=found)],
            parents=[(d.code, d.name) for d in dimensions]
            + [(f.code, f.name) for d in dimensions for f in d.children.all()],
            frozen=found.questionnaires.filter(frozen_at__isnull=False).exists(),
        ),
    )


@login_required
@domain_errors_as_messages
def questionnaire(request: HttpRequest, campaign_id: int, group: str) -> HttpResponse:
    found = _admin_campaign(request, campaign_id)
    if group not in Group.values:
        raise Http404
    if request.method == "POST":
        what = request.POST.get("do")
        if what == "settings":
            services.questionnaire_update(
                actor=request.user,
                campaign_id=found.pk,
                group=group,
                title=request.POST.get("title", ""),
                intro=request.POST.get("intro", ""),
                large_text=request.POST.get("large_text") == "on",
            )
        elif what == "delete":
            services.question_delete(
                actor=request.user, campaign_id=found.pk, group=group, code=request.POST.get("code", "")
            )
        else:
            polarity = request.POST.get("polarity", Polarity.POSITIVE)
            try:
                scale = int(request.POST.get("scale") or 5)
            except ValueError:
                scale = 0
            data = services.QuestionIn(
                code=request.POST.get("code", ""),
                text=request.POST.get("text", ""),
                polarity=polarity,
                indicator=request.POST.get("indicator") or None,
                scale=scale,
                labels=[
                    label for label in request.POST.get("labels", "").replace("，", ",").split(",") if label.strip()
                ],
                required=request.POST.get("required") == "on",
            )
            if what == "edit":
                services.question_update(
                    actor=request.user,
                    campaign_id=found.pk,
                    group=group,
                    code=request.POST.get("original", ""),
                    question=data,
                )
            else:
                services.question_add(actor=request.user, campaign_id=found.pk, group=group, question=data)
        messages.success(request, _("问卷已保存。"))
        return redirect("evaluation:questionnaire", found.pk, group)
    current = selectors.questionnaires(found).get(group=group)
    return render(
        request,
        "evaluation/questionnaire.html",
        _context(
            request,
            found,
            f"questionnaire-{group}",
            questionnaire=current,
            questions=list(current.questions.all()),
            indicators=found.indicators.filter(kind="indicator")
            .select_related("street")
            .order_by("street", "sort", "code"),
            polarities=Polarity.choices,
            groups=Group.choices,
        ),
    )


# ---------------------------------------------------------------- the sample plan and invitations


def _int(value: str | None) -> int | None:
    value = (value or "").strip().replace(",", "")
    return int(value) if value.isdigit() else None


@login_required
@domain_errors_as_messages
def plan(request: HttpRequest, campaign_id: int) -> HttpResponse:
    found = _admin_campaign(request, campaign_id)
    strata = list(selectors.strata(actor=request.user, campaign=found))
    if request.method == "POST":
        what = request.POST.get("do")
        if what == "plan":
            quotas, populations = {}, {}
            for stratum in strata:
                key = (stratum.street.code, stratum.group)
                quota = _int(request.POST.get(f"quota-{stratum.pk}"))
                population = _int(request.POST.get(f"population-{stratum.pk}"))
                if quota is not None:
                    quotas[key] = quota
                if population:
                    populations[key] = population
            services.quotas_set(actor=request.user, campaign_id=found.pk, quotas=quotas)
            if populations:
                services.population_set(actor=request.user, campaign_id=found.pk, table=populations, source="page")
            messages.success(request, _("抽样方案已保存。"))
        elif what == "population_file":
            upload = request.FILES.get("file")
            if upload is None:
                messages.error(request, _("请选择总体数文件。"))
            else:
                try:
                    table = services.population_from_file(
                        campaign=found, filename=upload.name or "", content=upload.read()
                    )
                    services.population_set(
                        actor=request.user, campaign_id=found.pk, table=table, source=upload.name or ""
                    )
                    messages.success(request, _("已导入 %(n)s 个抽样层的总体数。") % {"n": len(table)})
                except services.PopulationRejected as error:
                    for row in error.rows[:50]:
                        messages.error(request, row)
        elif what == "spending":
            try:
                amount = (
                    Decimal(request.POST.get("spending", "").replace(",", "")) if request.POST.get("spending") else None
                )
            except InvalidOperation:
                amount = Decimal(-1)
            services.spending_set(
                actor=request.user, campaign_id=found.pk, street_code=request.POST.get("street", ""), spending=amount
            )
            messages.success(request, _("工作经费已保存。"))
        elif what == "invitations":
            created = services.invitations_create(
                actor=request.user,
                campaign_id=found.pk,
                street_code=request.POST.get("street", ""),
                group=request.POST.get("group", ""),
                count=_int(request.POST.get("count")) or 0,
                surveyor=request.POST.get("surveyor") or None,
            )
            messages.success(request, _("已生成 %(n)s 个邀请码。") % {"n": len(created)})
            return redirect("evaluation:invitations_print", found.pk, created[0].batch)
        return redirect("evaluation:plan", found.pk)
    batches: dict[int, dict[str, Any]] = {}
    for invitation in selectors.invitations(actor=request.user, campaign=found):
        batch = batches.setdefault(
            invitation.batch,
            {
                "batch": invitation.batch,
                "stratum": invitation.stratum,
                "count": 0,
                "used": 0,
                "surveyor": invitation.surveyor,
            },
        )
        batch["count"] += 1
        batch["used"] += invitation.used_at is not None
    return render(
        request,
        "evaluation/plan.html",
        _context(
            request,
            found,
            "plan",
            strata=strata,
            streets=selectors.campaign_streets(actor=request.user, campaign=found),
            groups=Group.choices,
            batches=sorted(batches.values(), key=lambda b: -b["batch"]),
        ),
    )


@login_required
def invitations_print(request: HttpRequest, campaign_id: int, invitation_batch: int) -> HttpResponse:
    """A printable sheet of one batch's invitations: a QR code and the code to type, per card."""
    found = _admin_campaign(request, campaign_id)
    rows = selectors.invitations(actor=request.user, campaign=found).filter(batch=invitation_batch)
    if not rows.exists():
        raise Http404
    cards = []
    for invitation in rows:
        url = request.build_absolute_uri(reverse("evaluation:invitation", args=[invitation.token]))
        cards.append({"invitation": invitation, "url": url, "qr": qr_svg(url, 3)})
    return render(
        request, "evaluation/invitations_print.html", {"campaign": found, "cards": cards, "batch": invitation_batch}
    )


# ---------------------------------------------------------------- progress, review, paper


@login_required
def progress(request: HttpRequest, campaign_id: int) -> HttpResponse:
    found = _campaign(request, campaign_id)
    data = selectors.progress(actor=request.user, campaign=found)
    if not data["rows"]:
        raise PermissionDenied
    template = "evaluation/progress.html#table" if request.headers.get("HX-Request") else "evaluation/progress.html"
    return render(request, template, _context(request, found, "progress", data=data))


@login_required
@domain_errors_as_messages
def review(request: HttpRequest, campaign_id: int) -> HttpResponse:
    found = _admin_campaign(request, campaign_id)
    if request.method == "POST":
        services.response_review(
            actor=request.user,
            response_id=_int(request.POST.get("response")) or 0,
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("审核结果已记录。"))
        return redirect(f"{reverse('evaluation:review', args=[found.pk])}?{request.GET.urlencode()}")
    wanted = request.GET.get("review") or Review.PENDING
    rows = selectors.to_review(actor=request.user, campaign=found).filter(review=wanted)
    return render(
        request,
        "evaluation/review.html",
        _context(
            request,
            found,
            "review",
            page=page_of(request, rows),
            wanted=wanted,
            reviews=Review.choices[1:],
            params=f"review={wanted}",
        ),
    )


@login_required
@domain_errors_as_messages
def paper(request: HttpRequest, campaign_id: int) -> HttpResponse:
    found = _admin_campaign(request, campaign_id)
    problems: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        group = request.POST.get("group", "")
        if upload is None:
            problems = [_("请选择 Excel 文件。")]
        else:
            try:
                result = services.paper_import(
                    actor=request.user,
                    campaign_id=found.pk,
                    group=group,
                    filename=upload.name or "",
                    content=upload.read(),
                )
            except services.ResponsesRejected as error:
                problems = error.rows
            else:
                messages.success(
                    request,
                    _("已导入 %(n)s 份纸质问卷（%(flagged)s 份待审核，%(comments)s 条反向意见）。")
                    % {"n": result.count, "flagged": result.flagged, "comments": result.comments},
                )
                return redirect("evaluation:paper", found.pk)
    return render(
        request,
        "evaluation/paper.html",
        _context(request, found, "paper", groups=Group.choices, problems=problems[:200]),
    )


@login_required
def paper_template(request: HttpRequest, campaign_id: int, group: str) -> HttpResponse:
    found = _admin_campaign(request, campaign_id)
    if group not in Group.values:
        raise Http404
    response = HttpResponse(
        services.paper_template(campaign=found, group=group),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="paper-{found.pk}-{group}.xlsx"'
    return response


# ---------------------------------------------------------------- the report


def _report_for(request: HttpRequest, found: Campaign) -> dict[str, Any]:
    streets = [street.code for street in selectors.result_streets(actor=request.user, campaign=found)]
    if not streets:
        raise PermissionDenied
    return reporting.for_reader(reporting.report(found), streets=streets, administrator=is_administrator(request.user))


@login_required
def report(request: HttpRequest, campaign_id: int) -> HttpResponse:
    found = _campaign(request, campaign_id)
    data = _report_for(request, found)
    dimensions = data["tree"]["dimensions"]
    ranked = sorted(data["regions"], key=lambda r: (r["rank"] is None, r["rank"] or 0))
    charts = {
        "names": [r["name"] for r in ranked],
        "scores": [r["score"] for r in ranked],
        "moe": [r["moe95"] for r in ranked],
        "online": [r["online"]["score"] for r in ranked],
        "rankLow": [r["rank_low"] for r in ranked],
        "rankHigh": [r["rank_high"] for r in ranked],
        "ranks": [r["rank"] for r in ranked],
        "dimensionNames": [d["name"] for d in dimensions],
        "dimensions": [[r["dimensions"].get(d["code"]) for d in dimensions] for r in ranked],
        "labels": {
            "score": _("定向样本得分"),
            "online": _("在线得分"),
            "moe": _("95% 误差范围"),
            "rank": _("名次"),
            "interval": _("名次 95% 区间"),
        },
    }
    return render(
        request,
        "evaluation/report.html",
        _context(
            request,
            found,
            "report",
            data=data,
            ranked=ranked,
            dimensions=dimensions,
            groups=Group.choices,
            charts=charts,
            admin=is_administrator(request.user),
            computed_at=datetime.fromisoformat(data["computed_at"]),
        ),
    )


@login_required
def report_xlsx(request: HttpRequest, campaign_id: int) -> HttpResponse:
    found = _campaign(request, campaign_id)
    response = HttpResponse(
        exports.workbook(found, _report_for(request, found)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="evaluation-{found.pk}.xlsx"'
    return response


@login_required
def responses_csv(request: HttpRequest, campaign_id: int) -> HttpResponse:
    found = _campaign(request, campaign_id)
    streets = [r["code"] for r in _report_for(request, found)["regions"]]
    response = HttpResponse(exports.responses_csv(found, streets), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="evaluation-{found.pk}-responses.csv"'
    return response


# ---------------------------------------------------------------- the reverse problem list


@login_required
def reverse_list(request: HttpRequest, campaign_id: int) -> HttpResponse:
    found = _campaign(request, campaign_id)
    rows = selectors.reverse_items(actor=request.user, campaign=found)
    status = request.GET.get("status", "")
    street = request.GET.get("street", "")
    if status in ItemStatus.values:
        rows = rows.filter(status=status)
    if street:
        rows = rows.filter(street__code=street)
    return render(
        request,
        "evaluation/reverse_list.html",
        _context(
            request,
            found,
            "reverse",
            page=page_of(request, rows.order_by("-comment_count", "id")),  # type: ignore[misc]
            status=status,
            street=street,
            statuses=ItemStatus.choices,
            streets=[row.street for row in selectors.campaign_streets(actor=request.user, campaign=found)],
            params=query_without_page(request),
        ),
    )


@login_required
@domain_errors_as_messages
def reverse_item(request: HttpRequest, campaign_id: int, reverse_item_id: int) -> HttpResponse:
    found = _campaign(request, campaign_id)
    item = selectors.reverse_items(actor=request.user, campaign=found).filter(pk=reverse_item_id).first()
    if item is None:
        raise Http404
    if request.method == "POST":
        what = request.POST.get("do")
        if what == "route":
            due = parse_date(request.POST.get("due_on", "") or "")
            if due is None:
                messages.error(request, _("请填写整改期限。"))
                return redirect("evaluation:reverse_item", found.pk, item.pk)
            services.item_route(
                actor=request.user,
                item_id=item.pk,
                due_on=due,
                incident_type_code=request.POST.get("incident_type", ""),
                department_key=request.POST.get("department", ""),
                grid_code=request.POST.get("grid", ""),
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("已生成整改工单并派发。"))
        elif what == "publish":
            services.item_publish(
                actor=request.user,
                item_id=item.pk,
                summary=request.POST.get("summary", ""),
                action_text=request.POST.get("action_text", ""),
            )
            messages.success(request, _("整改结果已公示。"))
        elif what == "dismiss":
            services.item_dismiss(actor=request.user, item_id=item.pk, reason=request.POST.get("reason", ""))
            messages.success(request, _("已标记为不予派发。"))
        elif what == "restore":
            services.item_restore(actor=request.user, item_id=item.pk)
        return redirect("evaluation:reverse_item", found.pk, item.pk)
    from civicgrid.workorders.models import IncidentType

    district = found.district
    return render(
        request,
        "evaluation/reverse_item.html",
        _context(
            request,
            found,
            "reverse",
            item=item,
            comments=selectors.reverse_comments(actor=request.user, item=item)[:200],
            actions=list(ITEM_TRANSITIONS[item.status]) if _runs(request, found) else [],
            rectified=is_rectified(item),
            feedback=services.rectification_note(item),
            departments=Department.objects.filter(region=district, is_active=True).order_by("code"),
            department_prefix=f"{district.code}-",
            types=IncidentType.objects.filter(is_active=True).order_by("code"),
            due_default=(timezone.localdate() + timedelta(days=30)).isoformat(),
        ),
    )
