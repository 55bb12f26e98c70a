"""Reads of the satisfaction evaluation, restricted to the actor's jurisdiction.

A campaign is seen by everyone posted in its district (its streets' officers and surveyors too); what a campaign
holds per street (plan, invitations, responses, reverse items, results) only by those whose posts cover the street.
The public reads (a questionnaire behind an invitation or the open link, the published reverse list) take no actor.
"""

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from civicgrid.core.jurisdiction import jurisdiction_of, restrict
from civicgrid.evaluation.choices import RESULT_READERS, ItemStatus, Review
from civicgrid.evaluation.models import (
    Campaign,
    CampaignStreet,
    Indicator,
    Invitation,
    Question,
    Questionnaire,
    Response,
    ReverseComment,
    ReverseItem,
    Stratum,
)
from civicgrid.people.permissions import holds_role
from civicgrid.regions.models import Region


def _ancestor_paths(paths: tuple[str, ...]) -> set[str]:
    """Every prefix path of the given region paths: the districts (and cities) above a street officer's street."""
    result: set[str] = set()
    for path in paths:
        codes = [code for code in path.strip("/").split("/") if code]
        for end in range(1, len(codes) + 1):
            result.add("/" + "/".join(codes[:end]) + "/")
    return result


def campaigns(*, actor: Any) -> QuerySet[Campaign]:
    """Campaigns of the districts the actor works in or above."""
    reach = jurisdiction_of(actor)
    visible = restrict(actor, Campaign.objects.all())
    if reach.region_paths and not reach.everything:
        visible = visible | Campaign.objects.filter(region_path__in=sorted(_ancestor_paths(reach.region_paths)))
    return visible.select_related("district", "previous")


def campaign(*, actor: Any, campaign_id: int) -> Campaign:
    return campaigns(actor=actor).get(pk=campaign_id)


def campaign_streets(*, actor: Any, campaign: Campaign) -> QuerySet[CampaignStreet]:
    return restrict(actor, CampaignStreet.objects.filter(campaign=campaign).select_related("street"))


def result_streets(*, actor: Any, campaign: Campaign) -> list[Region]:
    """The campaign's streets whose results the actor may read: an administrator's or a street officer's."""
    streets = [row.street for row in campaign_streets(actor=actor, campaign=campaign)]
    return [street for street in streets if holds_role(actor, RESULT_READERS, at=street)]


def strata(*, actor: Any, campaign: Campaign) -> QuerySet[Stratum]:
    return restrict(actor, Stratum.objects.filter(campaign=campaign).select_related("street"))


def tree(campaign: Campaign) -> list[Indicator]:
    """The campaign's indicator tree, dimensions in order, each with its focus areas and their indicators loaded."""
    indicators = Indicator.objects.filter(kind="indicator").order_by("sort", "code")
    areas = Indicator.objects.filter(kind="focus_area").prefetch_related(Prefetch("children", queryset=indicators))
    return list(
        Indicator.objects.filter(campaign=campaign, kind="dimension")
        .prefetch_related(Prefetch("children", queryset=areas.order_by("sort", "code")))
        .order_by("sort", "code")
    )


def special_indicators(campaign: Campaign) -> QuerySet[Indicator]:
    return Indicator.objects.filter(campaign=campaign, street__isnull=False).select_related("street")


def questionnaires(campaign: Campaign) -> QuerySet[Questionnaire]:
    questions = Question.objects.select_related("indicator").order_by("sort", "id")
    return Questionnaire.objects.filter(campaign=campaign).prefetch_related(Prefetch("questions", queryset=questions))


def questions_for(questionnaire: Questionnaire, street: Region | None) -> list[Question]:
    """What a respondent of `street` is asked: the questionnaire's questions, special ones only of their street."""
    return [
        question
        for question in questionnaire.questions.all()
        if question.indicator is None or question.indicator.street_id in (None, street.pk if street else None)
    ]


def invitations(*, actor: Any, campaign: Campaign) -> QuerySet[Invitation]:
    return restrict(
        actor,
        Invitation.objects.filter(campaign=campaign).select_related("stratum", "stratum__street", "surveyor"),
    )


def invitation_by_token(token: str) -> Invitation:
    """The invitation behind a printed QR code (public: the token is the credential)."""
    return Invitation.objects.select_related("campaign", "campaign__district", "stratum", "stratum__street").get(
        token=token.strip().upper()
    )


def online_campaign(key: str) -> Campaign:
    return Campaign.objects.select_related("district").get(online_key=key)


def responses(*, actor: Any, campaign: Campaign) -> QuerySet[Response]:
    return restrict(actor, Response.objects.filter(campaign=campaign).select_related("street", "surveyor"))


def to_review(*, actor: Any, campaign: Campaign) -> QuerySet[Response]:
    """Flagged responses and what a person decided about them, newest first."""
    return responses(actor=actor, campaign=campaign).exclude(review=Review.NONE)


def reverse_items(*, actor: Any, campaign: Campaign | None = None) -> QuerySet[ReverseItem]:
    rows = ReverseItem.objects.all() if campaign is None else ReverseItem.objects.filter(campaign=campaign)
    return restrict(
        actor,
        rows.select_related("street", "work_order", "routed_by", "campaign").annotate(comment_count=Count("comments")),
    )


def reverse_comments(*, actor: Any, item: ReverseItem) -> QuerySet[ReverseComment]:
    return restrict(actor, ReverseComment.objects.filter(item=item))


def published_items(*, district: Region | None = None) -> QuerySet[ReverseItem]:
    """The public reverse problem list: published items with what residents said and what was done."""
    rows = ReverseItem.objects.filter(status=ItemStatus.PUBLISHED).select_related("street", "campaign")
    if district is not None:
        rows = rows.filter(campaign__district=district)
    return rows.annotate(comment_count=Count("comments")).order_by("-published_at", "-id")


def public_campaigns() -> QuerySet[Campaign]:
    """Campaigns with published items, for the public list's filter."""
    return Campaign.objects.filter(Q(reverse_items__status=ItemStatus.PUBLISHED)).distinct().select_related("district")


def visible_responses(*, actor: Any) -> QuerySet[Response]:
    return restrict(actor, Response.objects.all())


def progress(*, actor: Any, campaign: Campaign) -> dict[str, Any]:
    """Responses received per street and group against the quotas, with what waits for review or was excluded."""
    rows = list(strata(actor=actor, campaign=campaign).order_by("street__code", "group"))
    reviews = {
        (street, group, review): n
        for street, group, review, n in responses(actor=actor, campaign=campaign)
        .exclude(review=Review.NONE)
        .values_list("street_id", "group", "review")
        .annotate(n=Count("id"))
        .values_list("street_id", "group", "review", "n")
    }
    table = [
        {
            "street": row.street.code,
            "street_name": row.street.name,
            "group": row.group,
            "group_label": row.get_group_display(),
            "quota": row.quota,
            "directed": row.directed_count,
            "online": row.online_count,
            "percent": round(100 * row.directed_count / row.quota) if row.quota else None,
            "flagged": reviews.get((row.street_id, row.group, Review.PENDING), 0),
            "excluded": reviews.get((row.street_id, row.group, Review.EXCLUDED), 0),
        }
        for row in rows
    ]
    return {
        "campaign": campaign.pk,
        "status": campaign.status,
        "directed": sum(r["directed"] for r in table),
        "online": sum(r["online"] for r in table),
        "quota": sum(r["quota"] for r in table),
        "rows": table,
    }
