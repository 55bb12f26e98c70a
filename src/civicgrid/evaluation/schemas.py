"""Shapes of the evaluation over JSON. Respondents never appear: no phone, device or person in any of these."""

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from civicgrid.evaluation.choices import CampaignAction, Channel, Group, OnlineCheck, Polarity


class CampaignIn(Schema):
    district: str = Field(..., max_length=15, description="the district's code, e.g. 320106")
    year: int = Field(..., ge=2000, le=2100)
    name: str = Field("", max_length=100)
    copy_from: int | None = Field(
        None, description="an earlier campaign of the district to copy the design and plan of"
    )


class CampaignChangesIn(Schema):
    name: str | None = Field(None, max_length=100)
    online_open: bool | None = None
    online_check: OnlineCheck | None = None
    rewards: list[int] | None = Field(None, max_length=10, description="award in yuan per place, first place first")
    previous: int | None = Field(None, description="the campaign the progress index compares with")
    bootstrap_seed: int | None = Field(None, ge=0, lt=2**31)


class CampaignOut(Schema):
    id: int
    name: str
    year: int
    district: str
    status: str
    status_label: str
    previous: int | None
    online_open: bool
    online_check: str
    rewards: list[int]
    opened_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_district(obj: Any) -> str:
        return obj.district.code

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_previous(obj: Any) -> int | None:
        return obj.previous_id


class ActionIn(Schema):
    action: CampaignAction


class IndicatorOut(Schema):
    code: str
    name: str
    kind: str
    parent: str | None
    weight: float
    is_key: bool
    street: str | None

    @staticmethod
    def resolve_parent(obj: Any) -> str | None:
        return obj.parent.code if obj.parent_id else None

    @staticmethod
    def resolve_street(obj: Any) -> str | None:
        return obj.street.code if obj.street_id else None


class IndicatorIn(Schema):
    code: str = Field(..., max_length=12)
    name: str = Field(..., max_length=60)
    parent: str | None = Field(None, max_length=12, description="a dimension or focus area; none for a dimension")
    street: str | None = Field(None, max_length=15, description="a street's code: a special indicator of that street")
    weight: float = Field(1, gt=0, le=1)
    is_key: bool = False


class IndicatorChangesIn(Schema):
    name: str | None = Field(None, max_length=60)
    weight: float | None = Field(None, gt=0, le=1)
    is_key: bool | None = None


class QuestionIn(Schema):
    code: str = Field(..., max_length=12)
    text: str = Field(..., max_length=200)
    polarity: Polarity = Polarity.POSITIVE
    indicator: str | None = Field(None, max_length=12)
    scale: int = Field(5, ge=2, le=11)
    labels: list[str] = Field(default_factory=list, max_length=11)
    required: bool = True
    sort: int | None = Field(None, ge=0, le=999)


class QuestionOut(Schema):
    code: str
    text: str
    polarity: str
    indicator: str | None
    special_street: str | None
    scale: int
    labels: list[str]
    required: bool

    @staticmethod
    def resolve_indicator(obj: Any) -> str | None:
        return obj.indicator.code if obj.indicator_id else None

    @staticmethod
    def resolve_special_street(obj: Any) -> str | None:
        return obj.indicator.street.code if obj.indicator_id and obj.indicator.street_id else None


class QuestionnaireOut(Schema):
    group: str
    title: str
    intro: str
    large_text: bool
    frozen_at: datetime | None
    questions: list[QuestionOut]

    @staticmethod
    def resolve_questions(obj: Any) -> list[Any]:
        shown = getattr(obj, "shown_questions", None)  # set where some questions are not for this reader
        return list(obj.questions.all()) if shown is None else shown


class QuestionnaireChangesIn(Schema):
    title: str = Field(..., max_length=100)
    intro: str = Field("", max_length=500)
    large_text: bool = False


class OfStreet(Schema):
    """The street a row belongs to, by code and name."""

    street: str
    street_name: str

    @staticmethod
    def resolve_street(obj: Any) -> str:
        return obj.street.code

    @staticmethod
    def resolve_street_name(obj: Any) -> str:
        return obj.street.name


class StratumOut(OfStreet):
    group: str
    population: int | None
    quota: int
    directed: int
    online: int

    @staticmethod
    def resolve_directed(obj: Any) -> int:
        return obj.directed_count

    @staticmethod
    def resolve_online(obj: Any) -> int:
        return obj.online_count


class CampaignDetail(CampaignOut):
    """What the reader may see of the design (`shown`: set by the API from the reader's streets)."""

    indicators: list[IndicatorOut]
    questionnaires: list[QuestionnaireOut]
    strata: list[StratumOut]

    @staticmethod
    def resolve_indicators(obj: Any) -> list[Any]:
        return obj.shown["indicators"]

    @staticmethod
    def resolve_questionnaires(obj: Any) -> list[Any]:
        return obj.shown["questionnaires"]

    @staticmethod
    def resolve_strata(obj: Any) -> list[Any]:
        return obj.shown["strata"]


class QuotaIn(Schema):
    street: str = Field(..., max_length=15)
    group: Group
    quota: int = Field(..., ge=0, le=100_000)


class PopulationIn(Schema):
    street: str = Field(..., max_length=15)
    group: Group
    population: int = Field(..., ge=1, le=10_000_000)


class SpendingIn(Schema):
    spending: float | None = Field(None, gt=0, lt=1e12, description="yuan; null clears it")


class InvitationsIn(Schema):
    street: str = Field(..., max_length=15)
    group: Group
    count: int = Field(..., ge=1, le=500)
    surveyor: str | None = Field(None, max_length=150, description="username of the field surveyor who hands them out")


class InvitationOut(Schema):
    token: str
    street: str
    group: str
    batch: int
    surveyor: str | None
    used: bool
    url: str

    @staticmethod
    def resolve_street(obj: Any) -> str:
        return obj.stratum.street.code

    @staticmethod
    def resolve_group(obj: Any) -> str:
        return obj.stratum.group

    @staticmethod
    def resolve_surveyor(obj: Any) -> str | None:
        return obj.surveyor.username if obj.surveyor_id else None

    @staticmethod
    def resolve_used(obj: Any) -> bool:
        return obj.used_at is not None

    @staticmethod
    def resolve_url(obj: Any) -> str:
        from django.urls import reverse

        return reverse("evaluation:invitation", args=[obj.token])


class ProgressRow(Schema):
    street: str
    street_name: str
    group: str
    quota: int
    directed: int
    online: int
    flagged: int
    excluded: int


class ProgressOut(Schema):
    campaign: int
    status: str
    directed: int
    online: int
    quota: int
    rows: list[ProgressRow]


class SurveyorResponseIn(Schema):
    street: str = Field(..., max_length=15)
    group: Group
    answers: dict[str, int | str | None] = Field(..., description="question code -> 1..k (0: don't know) or text")
    client_key: str = Field(..., min_length=8, max_length=64, description="the phone's id for this questionnaire")
    token: str = Field("", max_length=16, description="the resident's invitation code, if they had one")
    device_id: str = Field("", max_length=64)
    collected_at: datetime | None = Field(None, description="when it was filled (offline: earlier than sent)")
    duration: int | None = Field(None, ge=0, le=86_400, description="seconds spent answering")


class ResponseOut(Schema):
    id: int
    street: str
    group: str
    channel: str
    entry: str
    submitted_at: datetime
    out_of_quota: bool
    flags: list[str]
    review: str
    review_reason: str
    surveyor: str | None

    @staticmethod
    def resolve_street(obj: Any) -> str:
        return obj.street.code

    @staticmethod
    def resolve_surveyor(obj: Any) -> str | None:
        return obj.surveyor.username if obj.surveyor_id else None


class ReviewIn(Schema):
    action: str = Field(..., pattern="^(keep|exclude)$")
    reason: str = Field(..., max_length=200)


class ImportOut(Schema):
    count: int
    flagged: int
    out_of_quota: int
    comments: int


# ---------------------------------------------------------------- the report


class Measure(Schema):
    score: float | None
    se: float | None
    n: int


class GroupScore(Schema):
    score: float | None
    n: int
    population: int | None = None
    weight: float | None = None
    pooled_out: bool = False


class Progress(Schema):
    delta: float
    se: float
    previous: float | None = None


class NextDifference(Schema):
    code: str | None
    z: float | None
    p_holm: float | None
    significant: bool


class KeyIndex(Schema):
    score: float | None
    se: float | None
    moe95: float | None
    n: int


class CostIndex(Schema):
    value: float | None
    se: float | None


class Special(Schema):
    code: str
    name: str
    score: float | None
    se: float | None
    moe95: float | None
    n: int


class RegionOut(Schema):
    code: str
    name: str
    score: float | None
    se: float | None
    moe95: float | None
    n: int
    n_effective: float | None
    rank: int | None
    rank_low: int | None
    rank_high: int | None
    dimensions: dict[str, float | None]
    focus_areas: dict[str, float | None]
    indicators: dict[str, float | None]
    groups: dict[str, GroupScore]
    pooled_groups: list[str]
    progress: Progress | None
    online: Measure
    online_groups: dict[str, Measure]
    key_index: KeyIndex | None
    cost_index: CostIndex | None
    spending: float | None
    special: list[Special]
    next_difference: NextDifference | None


class PairOut(Schema):
    a: str
    b: str
    difference: float | None
    z: float | None
    p: float | None
    p_holm: float | None
    significant: bool


class Place(Schema):
    rank: int
    code: str
    name: str
    amount: int
    score: float | None


class Rewards(Schema):
    places: list[Place]
    warnings: list[str]


class DistrictOut(Schema):
    score: float | None
    se: float | None
    moe95: float | None
    n: int
    n_effective: float | None
    online: Measure


class ReportOut(Schema):
    campaign: dict[str, Any]
    computed_at: str
    bootstrap: dict[str, int]
    district: DistrictOut
    excluded: int
    tree: dict[str, Any]
    regions: list[RegionOut]
    pairs: list[PairOut]
    rewards: Rewards


# ---------------------------------------------------------------- the reverse problem list


class ReverseItemOut(OfStreet):
    id: int
    topic: str
    topic_name: str
    title: str
    comments: int
    status: str
    status_label: str
    department_key: str
    incident_type: str
    work_order: str | None
    work_order_status: str | None
    routed_to: str
    due_on: date | None
    rectified_at: datetime | None
    published_at: datetime | None

    @staticmethod
    def resolve_comments(obj: Any) -> int:
        return getattr(obj, "comment_count", 0)

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_incident_type(obj: Any) -> str:
        return obj.incident_type_code

    @staticmethod
    def resolve_work_order(obj: Any) -> str | None:
        return obj.work_order.number if obj.work_order_id else None

    @staticmethod
    def resolve_work_order_status(obj: Any) -> str | None:
        return obj.work_order.status if obj.work_order_id else None


class RouteIn(Schema):
    due_on: date
    incident_type: str = Field("", max_length=12)
    department: str | None = Field(None, max_length=32, description="a department key; empty: the street itself")
    grid: str = Field("", max_length=15)
    note: str = Field("", max_length=500)


class PublishIn(Schema):
    summary: str = Field("", max_length=300)
    action_text: str = Field("", max_length=2000)


class DismissIn(Schema):
    reason: str = Field(..., max_length=200)


class PublicItemOut(Schema):
    campaign: str
    street: str
    topic: str
    title: str
    residents_said: str
    comments: int
    what_was_done: str
    routed_to: str
    rectified_at: datetime | None
    published_at: datetime | None

    @staticmethod
    def resolve_campaign(obj: Any) -> str:
        return obj.campaign.name

    @staticmethod
    def resolve_street(obj: Any) -> str:
        return obj.street.name

    @staticmethod
    def resolve_topic(obj: Any) -> str:
        return obj.topic_name

    @staticmethod
    def resolve_residents_said(obj: Any) -> str:
        return obj.public_summary

    @staticmethod
    def resolve_comments(obj: Any) -> int:
        return getattr(obj, "comment_count", 0)

    @staticmethod
    def resolve_what_was_done(obj: Any) -> str:
        return obj.public_action


# ---------------------------------------------------------------- residents


class PublicQuestionnaire(Schema):
    campaign: str
    group: str
    street: str | None
    title: str
    intro: str
    large_text: bool
    questions: list[QuestionOut]


class OnlineOut(Schema):
    campaign: str
    check: str
    streets: list[dict[str, str]]
    questionnaires: list[PublicQuestionnaire]


class AnswersIn(Schema):
    answers: dict[str, int | str | None]
    device_id: str = Field("", max_length=64)
    duration: int | None = Field(None, ge=0, le=86_400)


class OnlineAnswersIn(AnswersIn):
    street: str = Field(..., max_length=15)
    group: Group
    proof: str = Field("", max_length=400, description="from /verify, when the campaign checks phones")


class PhoneIn(Schema):
    phone: str = Field(..., max_length=20)


class CodeIn(PhoneIn):
    code: str = Field(..., max_length=8)


class ProofOut(Schema):
    proof: str


class ThanksOut(Schema):
    channel: Channel
    message: str
