"""Pages residents and field surveyors use on a phone: the questionnaire behind an invitation's QR code, the open
link (one response per verified phone or per device), the surveyor's offline page, and the public reverse list.

No account and no personal data on the residents' pages; the phone number only travels to the SMS backend and is
kept as a keyed hash. A device is a random id in a cookie (`cg_eval_device`), kept as a keyed hash as well.
"""

import secrets
import time
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civicgrid.core.errors import DomainError, ValidationError
from civicgrid.evaluation import selectors, services
from civicgrid.evaluation.choices import SURVEYOR_ROLES, CampaignStatus, Group, OnlineCheck
from civicgrid.evaluation.models import Campaign, Questionnaire
from civicgrid.people.permissions import holds_role
from civicgrid.regions.models import Region

DEVICE_COOKIE = "cg_eval_device"
STARTED_SALT = "evaluation.started"


def _device(request: HttpRequest) -> str:
    return request.COOKIES.get(DEVICE_COOKIE, "")[:64]


def _with_device(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if not _device(request):
        response.set_cookie(
            DEVICE_COOKIE,
            secrets.token_urlsafe(18),
            max_age=400 * 86400,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def _address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _duration(request: HttpRequest) -> int | None:
    """Seconds since the questionnaire was shown (a signed time in the form, so it cannot be made up)."""
    try:
        started = signing.loads(request.POST.get("started", ""), salt=STARTED_SALT, max_age=86400)
    except signing.BadSignature:
        return None
    return max(0, int(time.time() - float(started)))


def _answers(request: HttpRequest, questions: list[Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for question in questions:
        value = request.POST.get(f"q-{question.code}")
        if value not in (None, ""):
            result[question.code] = value
    return result


def _unavailable(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(request, "evaluation/unavailable.html", {"message": error.message}, status=error.status)


def _questionnaire_page(
    request: HttpRequest,
    *,
    campaign: Campaign,
    questionnaire: Questionnaire,
    street: Region,
    action: str,
    hidden: dict[str, str],
    error: ValidationError | None = None,
) -> HttpResponse:
    questions = selectors.questions_for(questionnaire, street)
    context = {
        "campaign": campaign,
        "questionnaire": questionnaire,
        "street": street,
        "questions": questions,
        "action": action,
        "hidden": hidden,
        "started": signing.dumps(time.time(), salt=STARTED_SALT),
        "values": {q.code: request.POST.get(f"q-{q.code}", "") for q in questions} if error else {},
        "errors": error.errors if error else {},
        "error": error.message if error else "",
    }
    return _with_device(request, render(request, "evaluation/respond.html", context, status=422 if error else 200))


# ---------------------------------------------------------------- a sampled resident with an invitation


def invitation(request: HttpRequest, invitation_token: str) -> HttpResponse:
    try:
        found = services.invitation_usable(invitation_token, client_address=_address(request))
    except DomainError as error:
        return _unavailable(request, error)
    questionnaire = selectors.questionnaires(found.campaign).get(group=found.stratum.group)
    page: dict[str, Any] = {
        "campaign": found.campaign,
        "questionnaire": questionnaire,
        "street": found.stratum.street,
        "action": request.path,
        "hidden": {},
    }
    if request.method == "POST":
        try:
            services.invitation_submit(
                token=invitation_token,
                answers=_answers(request, selectors.questions_for(questionnaire, found.stratum.street)),
                device_id=_device(request),
                duration=_duration(request),
                client_address=_address(request),
            )
        except ValidationError as error:
            return _questionnaire_page(request, **page, error=error)
        except DomainError as error:
            return _unavailable(request, error)
        return render(request, "evaluation/thanks.html", {"campaign": found.campaign}, status=201)
    return _questionnaire_page(request, **page)


# ---------------------------------------------------------------- the open link


def _proof_key(campaign: Campaign) -> str:
    return f"evaluation-proof-{campaign.pk}"


def online(request: HttpRequest, online_key: str) -> HttpResponse:
    """Step by step: (verify the phone,) choose street and who you are, answer."""
    try:
        campaign = services.online_campaign(online_key, client_address=_address(request))
    except DomainError as error:
        return _unavailable(request, error)
    needs_phone = campaign.online_check == OnlineCheck.PHONE
    proof = request.session.get(_proof_key(campaign), "") if needs_phone else ""
    streets = [row.street for row in campaign.streets.select_related("street")]
    context: dict[str, Any] = {
        "campaign": campaign,
        "streets": streets,
        "groups": Group.choices,
        "needs_phone": needs_phone,
        "verified": bool(proof),
    }
    what = request.POST.get("do") if request.method == "POST" else None
    try:
        if what == "code":
            services.online_code_send(
                key=online_key, phone=request.POST.get("phone", ""), client_address=_address(request)
            )
            context.update(phone=request.POST.get("phone", ""), code_sent=True)
        elif what == "verify":
            proof = services.online_code_verify(
                key=online_key,
                phone=request.POST.get("phone", ""),
                code=request.POST.get("code", ""),
                client_address=_address(request),
            )
            request.session[_proof_key(campaign)] = proof
            context["verified"] = True
    except DomainError as error:
        context.update(error=error.message, phone=request.POST.get("phone", ""), code_sent=what == "verify")
        return _with_device(request, render(request, "evaluation/online.html", context, status=error.status))
    street_code = request.POST.get("street") or request.GET.get("street", "")
    group = request.POST.get("group") or request.GET.get("group", "")
    street = next((s for s in streets if s.code == street_code), None)
    if street is None or group not in Group.values or (needs_phone and not proof):
        return _with_device(request, render(request, "evaluation/online.html", context))
    questionnaire = selectors.questionnaires(campaign).get(group=group)
    page: dict[str, Any] = {
        "campaign": campaign,
        "questionnaire": questionnaire,
        "street": street,
        "action": request.path,
        "hidden": {"street": street.code, "group": group, "do": "submit"},
    }
    if what == "submit":
        try:
            services.online_submit(
                key=online_key,
                street_code=street.code,
                group=group,
                answers=_answers(request, selectors.questions_for(questionnaire, street)),
                proof=proof,
                device_id=_device(request),
                duration=_duration(request),
                client_address=_address(request),
            )
        except ValidationError as error:
            return _questionnaire_page(request, **page, error=error)
        except DomainError as error:
            return _unavailable(request, error)
        request.session.pop(_proof_key(campaign), None)
        return render(request, "evaluation/thanks.html", {"campaign": campaign}, status=201)
    return _questionnaire_page(request, **page)


# ---------------------------------------------------------------- the field surveyor's phone


@login_required
def field(request: HttpRequest) -> HttpResponse:
    """The surveyor's page: questionnaires kept in the browser, answers queued in localStorage and sent to the API
    whenever the phone is online (each with its own id, so a resend stores nothing twice)."""
    user = request.user
    campaigns = []
    for campaign in selectors.campaigns(actor=user).filter(status=CampaignStatus.OPEN):
        streets = [
            s.street for s in campaign.streets.select_related("street") if holds_role(user, SURVEYOR_ROLES, at=s.street)
        ]
        if not streets:
            continue
        campaigns.append(
            {
                "id": campaign.pk,
                "name": campaign.name,
                "streets": [{"code": s.code, "name": s.name} for s in streets],
                "questionnaires": [
                    {
                        "group": q.group,
                        "groupLabel": q.get_group_display(),
                        "title": q.title,
                        "largeText": q.large_text,
                        "questions": [
                            {
                                "code": question.code,
                                "text": question.text,
                                "scored": question.is_scored,
                                "labels": question.labels,
                                "required": question.required,
                                "street": _special_street(question),
                            }
                            for question in q.questions.all()
                        ],
                    }
                    for q in selectors.questionnaires(campaign)
                ],
            }
        )
    if not campaigns and not holds_role(user, SURVEYOR_ROLES):
        raise PermissionDenied
    return render(request, "evaluation/field.html", {"campaigns": campaigns})


def _special_street(question: Any) -> str | None:
    """The street a special question is asked in (None: asked everywhere)."""
    indicator = question.indicator
    return indicator.street.code if indicator is not None and indicator.street is not None else None


# ---------------------------------------------------------------- the public reverse list


def public_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.published_items()
    campaign = request.GET.get("campaign", "")
    if campaign.isdigit():
        rows = rows.filter(campaign_id=int(campaign))
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/public_list.html",
        {"page": page, "campaigns": selectors.public_campaigns(), "campaign": campaign},
    )
