"""The satisfaction evaluation over JSON (/api/v1/evaluation). Residents answer under /public/ (no account: an
invitation's token or the open link's key, rate limited per client); everything else is for staff, restricted to
their jurisdiction: administrators run campaigns, street officers read their street, surveyors send answers.
docs/evaluation.md lists every endpoint.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import File, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from civicgrid.core.errors import PermissionDenied
from civicgrid.evaluation import exports, reporting, selectors, services
from civicgrid.evaluation.choices import ADMINS, ItemStatus, Review
from civicgrid.evaluation.models import Campaign, ReverseItem
from civicgrid.evaluation.schemas import (
    ActionIn,
    AnswersIn,
    CampaignChangesIn,
    CampaignDetail,
    CampaignIn,
    CampaignOut,
    CodeIn,
    DismissIn,
    ImportOut,
    IndicatorChangesIn,
    IndicatorIn,
    IndicatorOut,
    InvitationOut,
    InvitationsIn,
    OnlineAnswersIn,
    OnlineOut,
    PhoneIn,
    PopulationIn,
    ProgressOut,
    ProofOut,
    PublicItemOut,
    PublicQuestionnaire,
    PublishIn,
    QuestionIn,
    QuestionnaireChangesIn,
    QuestionnaireOut,
    QuestionOut,
    QuotaIn,
    ReportOut,
    ResponseOut,
    ReverseItemOut,
    ReviewIn,
    RouteIn,
    SpendingIn,
    SurveyorResponseIn,
    ThanksOut,
)
from civicgrid.people.permissions import holds_role, is_administrator

router = Router(tags=["satisfaction evaluation"])
THANKS = gettext_lazy("感谢您参与居民满意度测评！您的意见我们会认真研究、及时整改，并向居民公示。")


def _campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    try:
        return selectors.campaign(actor=request.user, campaign_id=campaign_id)
    except Campaign.DoesNotExist as error:
        raise HttpError(404, _("没有找到该测评活动，或它不在您的管辖范围内。")) from error


def _address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


# ---------------------------------------------------------------- campaigns


@router.get("/campaigns", response=list[CampaignOut], summary="测评活动列表")
def campaigns(request: HttpRequest) -> Any:
    return list(selectors.campaigns(actor=request.user))


@router.post("/campaigns", response={201: CampaignOut}, summary="新建测评活动（默认指标体系与问卷）")
def create(request: HttpRequest, payload: CampaignIn) -> Any:
    return Status(
        201,
        services.campaign_create(
            actor=request.user,
            district_code=payload.district,
            year=payload.year,
            name=payload.name,
            copy_from_id=payload.copy_from,
        ),
    )


def _detail(request: HttpRequest, campaign: Campaign) -> Campaign:
    """The design and the plan; another street's special indicators and questions only to the district's staff."""
    streets = {row.street_id for row in selectors.campaign_streets(actor=request.user, campaign=campaign)}
    everyone = holds_role(request.user, ADMINS, at=campaign.district)

    def shown(indicator: Any) -> bool:
        return indicator is None or indicator.street_id is None or everyone or indicator.street_id in streets

    questionnaires = list(selectors.questionnaires(campaign))
    for questionnaire in questionnaires:
        questionnaire.shown_questions = [q for q in questionnaire.questions.all() if shown(q.indicator)]  # type: ignore[attr-defined]
    campaign.shown = {  # type: ignore[attr-defined]
        "indicators": [i for i in campaign.indicators.select_related("parent", "street") if shown(i)],
        "questionnaires": questionnaires,
        "strata": list(selectors.strata(actor=request.user, campaign=campaign)),
    }
    return campaign


@router.get("/campaigns/{campaign_id}", response=CampaignDetail, summary="测评活动详情：指标体系、问卷、抽样方案")
def detail(request: HttpRequest, campaign_id: int) -> Any:
    return _detail(request, _campaign(request, campaign_id))


@router.patch("/campaigns/{campaign_id}", response=CampaignOut, summary="修改测评设置")
def update(request: HttpRequest, campaign_id: int, payload: CampaignChangesIn) -> Any:
    changes = payload.dict(exclude_unset=True)
    if "previous" in changes:
        changes["previous_id"] = changes.pop("previous")
    return services.campaign_update(actor=request.user, campaign_id=_campaign(request, campaign_id).pk, changes=changes)


@router.post("/campaigns/{campaign_id}/actions", response=CampaignOut, summary="开始、结束或重新开放测评")
def act(request: HttpRequest, campaign_id: int, payload: ActionIn) -> Any:
    return services.campaign_act(
        actor=request.user, campaign_id=_campaign(request, campaign_id).pk, action=payload.action
    )


@router.post(
    "/campaigns/{campaign_id}/indicators", response={201: IndicatorOut}, summary="新增指标（或街道专项特色指标）"
)
def indicator_add(request: HttpRequest, campaign_id: int, payload: IndicatorIn) -> Any:
    return Status(
        201,
        services.indicator_add(
            actor=request.user,
            campaign_id=_campaign(request, campaign_id).pk,
            code=payload.code,
            name=payload.name,
            parent_code=payload.parent,
            street_code=payload.street,
            weight=str(payload.weight),
            is_key=payload.is_key,
        ),
    )


@router.patch(
    "/campaigns/{campaign_id}/indicators/{code}", response=IndicatorOut, summary="修改指标名称、权重、关键指标"
)
def indicator_update(request: HttpRequest, campaign_id: int, code: str, payload: IndicatorChangesIn) -> Any:
    return services.indicator_update(
        actor=request.user,
        campaign_id=_campaign(request, campaign_id).pk,
        code=code,
        name=payload.name,
        weight=None if payload.weight is None else str(payload.weight),
        is_key=payload.is_key,
    )


@router.delete("/campaigns/{campaign_id}/indicators/{code}", response={204: None}, summary="删除指标")
def indicator_delete(request: HttpRequest, campaign_id: int, code: str) -> Any:
    services.indicator_delete(actor=request.user, campaign_id=_campaign(request, campaign_id).pk, code=code)
    return Status(204, None)


@router.put(
    "/campaigns/{campaign_id}/questionnaires/{group}", response=QuestionnaireOut, summary="修改问卷标题、卷首语、大字版"
)
def questionnaire_update(request: HttpRequest, campaign_id: int, group: str, payload: QuestionnaireChangesIn) -> Any:
    return services.questionnaire_update(
        actor=request.user,
        campaign_id=_campaign(request, campaign_id).pk,
        group=group,
        title=payload.title,
        intro=payload.intro,
        large_text=payload.large_text,
    )


def _question(payload: QuestionIn) -> services.QuestionIn:
    return services.QuestionIn(**payload.dict())


@router.post(
    "/campaigns/{campaign_id}/questionnaires/{group}/questions", response={201: QuestionOut}, summary="新增题目"
)
def question_add(request: HttpRequest, campaign_id: int, group: str, payload: QuestionIn) -> Any:
    campaign = _campaign(request, campaign_id)
    return Status(
        201,
        services.question_add(actor=request.user, campaign_id=campaign.pk, group=group, question=_question(payload)),
    )


@router.put(
    "/campaigns/{campaign_id}/questionnaires/{group}/questions/{code}", response=QuestionOut, summary="修改题目"
)
def question_update(request: HttpRequest, campaign_id: int, group: str, code: str, payload: QuestionIn) -> Any:
    campaign = _campaign(request, campaign_id)
    return services.question_update(
        actor=request.user, campaign_id=campaign.pk, group=group, code=code, question=_question(payload)
    )


@router.delete(
    "/campaigns/{campaign_id}/questionnaires/{group}/questions/{code}", response={204: None}, summary="删除题目"
)
def question_delete(request: HttpRequest, campaign_id: int, group: str, code: str) -> Any:
    services.question_delete(actor=request.user, campaign_id=_campaign(request, campaign_id).pk, group=group, code=code)
    return Status(204, None)


# ---------------------------------------------------------------- the sample plan


@router.put("/campaigns/{campaign_id}/quotas", response=ProgressOut, summary="设置定向样本配额")
def quotas(request: HttpRequest, campaign_id: int, payload: list[QuotaIn]) -> Any:
    campaign = _campaign(request, campaign_id)
    services.quotas_set(
        actor=request.user, campaign_id=campaign.pk, quotas={(row.street, row.group): row.quota for row in payload}
    )
    return selectors.progress(actor=request.user, campaign=campaign)


@router.put("/campaigns/{campaign_id}/population", response=ProgressOut, summary="设置各街道各群体总体数（加权用）")
def population(request: HttpRequest, campaign_id: int, payload: list[PopulationIn]) -> Any:
    campaign = _campaign(request, campaign_id)
    table = {(row.street, str(row.group)): row.population for row in payload}
    services.population_set(actor=request.user, campaign_id=campaign.pk, table=table, source="api")
    return selectors.progress(actor=request.user, campaign=campaign)


@router.post("/campaigns/{campaign_id}/population/file", response=ProgressOut, summary="上传总体数文件（CSV 或 Excel）")
def population_file(request: HttpRequest, campaign_id: int, file: UploadedFile = File(...)) -> Any:  # noqa: B008
    campaign = _campaign(request, campaign_id)
    table = services.population_from_file(campaign=campaign, filename=file.name or "", content=file.read())
    services.population_set(actor=request.user, campaign_id=campaign.pk, table=table, source=f"file:{file.name}")
    return selectors.progress(actor=request.user, campaign=campaign)


@router.put(
    "/campaigns/{campaign_id}/streets/{street_code}/spending", response={204: None}, summary="街道工作经费（成本指数）"
)
def spending(request: HttpRequest, campaign_id: int, street_code: str, payload: SpendingIn) -> Any:
    services.spending_set(
        actor=request.user,
        campaign_id=_campaign(request, campaign_id).pk,
        street_code=street_code,
        spending=None if payload.spending is None else round(payload.spending, 2),  # type: ignore[arg-type]
    )
    return Status(204, None)


@router.post("/campaigns/{campaign_id}/invitations", response={201: list[InvitationOut]}, summary="生成一批邀请码")
def invitations_create(request: HttpRequest, campaign_id: int, payload: InvitationsIn) -> Any:
    return Status(
        201,
        services.invitations_create(
            actor=request.user,
            campaign_id=_campaign(request, campaign_id).pk,
            street_code=payload.street,
            group=payload.group,
            count=payload.count,
            surveyor=payload.surveyor,
        ),
    )


@router.get("/campaigns/{campaign_id}/invitations", response=list[InvitationOut], summary="邀请码")
def invitations(request: HttpRequest, campaign_id: int, batch: int | None = None, used: bool | None = None) -> Any:
    rows = selectors.invitations(actor=request.user, campaign=_campaign(request, campaign_id))
    if batch is not None:
        rows = rows.filter(batch=batch)
    if used is not None:
        rows = rows.filter(used_at__isnull=not used)
    return list(rows[:5000])


@router.get("/campaigns/{campaign_id}/progress", response=ProgressOut, summary="回收进度（按街道、群体对照配额）")
def progress(request: HttpRequest, campaign_id: int) -> Any:
    return selectors.progress(actor=request.user, campaign=_campaign(request, campaign_id))


# ---------------------------------------------------------------- results


def _readable(request: HttpRequest, campaign: Campaign) -> list[str]:
    streets = [street.code for street in selectors.result_streets(actor=request.user, campaign=campaign)]
    if not streets:
        raise PermissionDenied(_("只有区级管理员和街道干部可以查看测评结果。"))
    return streets


@router.get("/campaigns/{campaign_id}/report", response=ReportOut, summary="测评报告（得分、误差、名次区间、进步指数）")
def report(request: HttpRequest, campaign_id: int) -> Any:
    """Per street: score, se, moe95, n, n_effective, rank with its 95 % bootstrap interval, dimensions, groups,
    progress and the online channel; pairs with Holm-corrected tests; rewards (administrators). A street officer
    gets their street only."""
    campaign = _campaign(request, campaign_id)
    streets = _readable(request, campaign)
    return reporting.for_reader(
        reporting.report(campaign), streets=streets, administrator=is_administrator(request.user)
    )


@router.get("/campaigns/{campaign_id}/export.xlsx", summary="报告 Excel", response={200: None})
def export_xlsx(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    streets = _readable(request, campaign)
    data = reporting.for_reader(
        reporting.report(campaign), streets=streets, administrator=is_administrator(request.user)
    )
    return _file(
        exports.workbook(campaign, data),
        f"evaluation-{campaign.pk}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@router.get("/campaigns/{campaign_id}/responses.csv", summary="答卷数据（匿名，SPSS/R 可读）", response={200: None})
def export_csv(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    return _file(
        exports.responses_csv(campaign, _readable(request, campaign)).encode("utf-8"),
        f"evaluation-{campaign.pk}-responses.csv",
        "text/csv; charset=utf-8",
    )


def _file(content: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ---------------------------------------------------------------- responses


class ReviewQuery(Schema):
    review: Review | None = None
    street: str | None = None
    limit: int = 100
    offset: int = 0


@router.get("/campaigns/{campaign_id}/responses", response=list[ResponseOut], summary="待审核与已审核的答卷")
def responses(request: HttpRequest, campaign_id: int, query: Query[ReviewQuery]) -> Any:
    rows = selectors.to_review(actor=request.user, campaign=_campaign(request, campaign_id))
    if query.review:
        rows = rows.filter(review=query.review)
    if query.street:
        rows = rows.filter(street__code=query.street)
    limit = max(1, min(query.limit, 500))
    return list(rows[max(0, query.offset) : max(0, query.offset) + limit])


@router.post("/responses/{response_id}/review", response=ResponseOut, summary="审核答卷：保留或剔除（须填理由）")
def review(request: HttpRequest, response_id: int, payload: ReviewIn) -> Any:
    return services.response_review(
        actor=request.user, response_id=response_id, action=payload.action, reason=payload.reason
    )


@router.post(
    "/campaigns/{campaign_id}/responses",
    response={201: ResponseOut, 200: ResponseOut},
    summary="调查员提交答卷（可离线后补传）",
)
def surveyor_submit(request: HttpRequest, campaign_id: int, payload: SurveyorResponseIn) -> Any:
    """Sent again with the same `client_key` (a retry), it answers 200 with the response stored the first time."""
    response, created = services.surveyor_submit(
        actor=request.user,
        campaign_id=campaign_id,
        street_code=payload.street,
        group=payload.group,
        answers=payload.answers,
        client_key=payload.client_key,
        token=payload.token,
        device_id=payload.device_id,
        collected_at=payload.collected_at,
        duration=payload.duration,
    )
    return Status(201 if created else 200, response)


@router.post("/campaigns/{campaign_id}/paper/{group}", response=ImportOut, summary="导入纸质问卷（Excel）")
def paper(request: HttpRequest, campaign_id: int, group: str, file: UploadedFile = File(...)) -> Any:  # noqa: B008
    result = services.paper_import(
        actor=request.user,
        campaign_id=_campaign(request, campaign_id).pk,
        group=group,
        filename=file.name or "",
        content=file.read(),
    )
    return result.__dict__


# ---------------------------------------------------------------- the reverse problem list


class ItemQuery(Schema):
    status: ItemStatus | None = None
    street: str | None = None
    topic: str | None = None


@router.get("/campaigns/{campaign_id}/reverse-items", response=list[ReverseItemOut], summary="反向问题清单")
def reverse_items(request: HttpRequest, campaign_id: int, query: Query[ItemQuery]) -> Any:
    rows = selectors.reverse_items(actor=request.user, campaign=_campaign(request, campaign_id))
    for name in ("status", "topic"):
        if getattr(query, name):
            rows = rows.filter(**{name: getattr(query, name)})
    if query.street:
        rows = rows.filter(street__code=query.street)
    return list(rows.order_by("-comment_count", "id")[:2000])  # type: ignore[misc]


def _item(request: HttpRequest, item_id: int) -> ReverseItem:
    found = selectors.reverse_items(actor=request.user).filter(pk=item_id).first()
    if found is None:
        raise HttpError(404, _("没有找到该反向问题，或它不在您的管辖范围内。"))
    return found


@router.post("/reverse-items/{reverse_item_id}/route", response=ReverseItemOut, summary="派发整改（生成工单）")
def route(request: HttpRequest, reverse_item_id: int, payload: RouteIn) -> Any:
    services.item_route(
        actor=request.user,
        item_id=reverse_item_id,
        due_on=payload.due_on,
        incident_type_code=payload.incident_type,
        department_key=payload.department,
        grid_code=payload.grid,
        note=payload.note,
    )
    return _item(request, reverse_item_id)


@router.post("/reverse-items/{reverse_item_id}/publish", response=ReverseItemOut, summary="公示整改结果")
def publish(request: HttpRequest, reverse_item_id: int, payload: PublishIn) -> Any:
    services.item_publish(
        actor=request.user, item_id=reverse_item_id, summary=payload.summary, action_text=payload.action_text
    )
    return _item(request, reverse_item_id)


@router.post("/reverse-items/{reverse_item_id}/dismiss", response=ReverseItemOut, summary="不予派发（须填理由）")
def dismiss(request: HttpRequest, reverse_item_id: int, payload: DismissIn) -> Any:
    services.item_dismiss(actor=request.user, item_id=reverse_item_id, reason=payload.reason)
    return _item(request, reverse_item_id)


@router.post("/reverse-items/{reverse_item_id}/restore", response=ReverseItemOut, summary="恢复待派发")
def restore(request: HttpRequest, reverse_item_id: int) -> Any:
    services.item_restore(actor=request.user, item_id=reverse_item_id)
    return _item(request, reverse_item_id)


# ---------------------------------------------------------------- residents (no account)


def _public_questionnaire(campaign: Campaign, group: str, street: Any) -> dict[str, Any]:
    questionnaire = selectors.questionnaires(campaign).get(group=group)
    return {
        "campaign": campaign.name,
        "group": group,
        "street": street.name if street else None,
        "title": questionnaire.title,
        "intro": questionnaire.intro,
        "large_text": questionnaire.large_text,
        "questions": selectors.questions_for(questionnaire, street),
    }


@router.get(
    "/public/invitations/{invitation_token}", response=PublicQuestionnaire, auth=None, summary="邀请码对应的问卷"
)
def invitation(request: HttpRequest, invitation_token: str) -> Any:
    found = services.invitation_usable(invitation_token, client_address=_address(request))
    return _public_questionnaire(found.campaign, found.stratum.group, found.stratum.street)


@router.post("/public/invitations/{invitation_token}", response={201: ThanksOut}, auth=None, summary="凭邀请码提交答卷")
def invitation_submit(request: HttpRequest, invitation_token: str, payload: AnswersIn) -> Any:
    response = services.invitation_submit(
        token=invitation_token,
        answers=payload.answers,
        device_id=payload.device_id,
        duration=payload.duration,
        client_address=_address(request),
    )
    return Status(201, {"channel": response.channel, "message": str(THANKS)})


@router.get("/public/online/{online_key}", response=OnlineOut, auth=None, summary="在线问卷：街道与三类问卷")
def online(request: HttpRequest, online_key: str) -> Any:
    campaign = services.online_campaign(online_key, client_address=_address(request))
    streets = [row.street for row in campaign.streets.select_related("street")]
    return {
        "campaign": campaign.name,
        "check": campaign.online_check,
        "streets": [{"code": s.code, "name": s.name} for s in streets],
        "questionnaires": [_public_questionnaire(campaign, q.group, None) for q in campaign.questionnaires.all()],
    }


@router.post("/public/online/{online_key}/code", response={202: None}, auth=None, summary="发送短信验证码")
def online_code(request: HttpRequest, online_key: str, payload: PhoneIn) -> Any:
    services.online_code_send(key=online_key, phone=payload.phone, client_address=_address(request))
    return Status(202, None)


@router.post("/public/online/{online_key}/verify", response=ProofOut, auth=None, summary="验证短信验证码")
def online_verify(request: HttpRequest, online_key: str, payload: CodeIn) -> Any:
    proof = services.online_code_verify(
        key=online_key, phone=payload.phone, code=payload.code, client_address=_address(request)
    )
    return {"proof": proof}


@router.post("/public/online/{online_key}", response={201: ThanksOut}, auth=None, summary="提交在线答卷")
def online_submit(request: HttpRequest, online_key: str, payload: OnlineAnswersIn) -> Any:
    response = services.online_submit(
        key=online_key,
        street_code=payload.street,
        group=payload.group,
        answers=payload.answers,
        proof=payload.proof,
        device_id=payload.device_id,
        duration=payload.duration,
        client_address=_address(request),
    )
    return Status(201, {"channel": response.channel, "message": str(THANKS)})


@router.get("/public/reverse-list", response=list[PublicItemOut], auth=None, summary="反向问题整改公示")
def public_list(request: HttpRequest, limit: int = 100, offset: int = 0) -> Any:
    limit, offset = max(1, min(limit, 500)), max(0, min(offset, 10_000_000))
    return list(selectors.published_items()[offset : offset + limit])
