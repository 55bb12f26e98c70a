"""Answers coming in: through a one-use invitation, the open link (one per phone or device), a field surveyor's phone
(also sent later from the phone's offline store), or a batch of paper questionnaires from Excel; and a person's review.

Every way in checks the answers against the questionnaire (a question of another questionnaire, an answer out of
scale, a missing required answer: refused, nothing stored), locks the stratum it counts in (so a quota holds under
concurrent submissions: what comes in beyond it is kept and flagged), and flags suspicious patterns for review.
A flag never excludes a response: only a person does, with a reason, and that is audited.
"""

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit, notifications
from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from civicgrid.evaluation import ratelimit, selectors
from civicgrid.evaluation.choices import (
    REVIEW_TRANSITIONS,
    SURVEYOR_ROLES,
    CampaignStatus,
    Channel,
    Entry,
    Flag,
    Group,
    OnlineCheck,
    Review,
    ReviewAction,
)
from civicgrid.evaluation.models import (
    Campaign,
    CampaignStreet,
    Invitation,
    OneTimeCode,
    Question,
    Questionnaire,
    Response,
    Stratum,
)
from civicgrid.evaluation.services import reverse
from civicgrid.evaluation.services.common import digest
from civicgrid.people.choices import Role
from civicgrid.people.models import User
from civicgrid.people.permissions import require_role
from civicgrid.regions.models import Region

MAX_TEXT = 500
MIN_SECONDS = 20  # a whole questionnaire answered faster than this is flagged
STRAIGHT_LINE_MIN = 6  # this many scored answers, all the same: flagged
BURST_WINDOW = timedelta(minutes=10)
CODE_MINUTES = 10
CODE_ATTEMPTS = 5
PROOF_SECONDS = 3600
PHONE_DIGITS = 11


# ---------------------------------------------------------------- checking answers


@dataclass
class Cleaned:
    answers: dict[str, int]  # scored questions: 0 (don't know) or 1..scale
    texts: list[tuple[Question, str]]  # reverse answers, not empty
    scores: dict[str, float]  # indicator code -> mean item score
    answers_hash: str
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Form:
    """What one questionnaire asks a respondent of one street, prepared once for checking many answers."""

    questionnaire: Questionnaire
    questions: dict[str, Question]
    scored: dict[str, tuple[int, str | None]]  # code -> (scale, indicator code)
    required: tuple[str, ...]


# Forms of frozen questionnaires, per process: a frozen questionnaire's questions never change again. The moment it
# froze is part of the key, so a database whose ids were used again (a test's, a restored one) never meets a stale form.
_FROZEN_FORMS: dict[tuple[int, Any, int], Form] = {}


def form_for(questionnaire: Questionnaire, street: Region) -> Form:
    key = (questionnaire.pk, questionnaire.frozen_at, street.pk)
    if questionnaire.frozen_at is not None and key in _FROZEN_FORMS:
        return _FROZEN_FORMS[key]
    if "questions" not in getattr(questionnaire, "_prefetched_objects_cache", {}):
        questionnaire = selectors.questionnaires(questionnaire.campaign).get(pk=questionnaire.pk)
    questions = {q.code: q for q in selectors.questions_for(questionnaire, street)}
    scored = {
        code: (q.scale, q.indicator.code if q.indicator is not None else None)
        for code, q in questions.items()
        if q.is_scored
    }
    required = tuple(code for code, q in questions.items() if q.is_scored and q.required)
    form = Form(questionnaire, questions, scored, required)
    if questionnaire.frozen_at is not None:
        _FROZEN_FORMS[key] = form
    return form


def clean(form: Form, raw: Mapping[str, Any], *, duration: int | None = None) -> Cleaned:
    """Check a respondent's answers against what the form asks.

    Unknown questions, answers out of scale, over-long text and missing required answers are refused, each named.
    """
    if not isinstance(raw, Mapping):
        raise ValidationError(_("答案格式有误。"))
    errors: dict[str, list[str]] = {}
    answers: dict[str, int] = {}
    texts: list[tuple[Question, str]] = []
    for code, value in raw.items():
        code = str(code)
        if code in form.scored:
            scale = form.scored[code][0]
            number = _as_int(value)
            if number is None or not 0 <= number <= scale:
                errors[code] = [
                    _("第 %(code)s 题的答案应为 1 到 %(k)s（或 0 表示不了解），收到“%(value)s”。")
                    % {"code": code, "k": scale, "value": str(value)[:20]}
                ]
            else:
                answers[code] = number
        elif code in form.questions:
            if value is None:
                continue
            if not isinstance(value, str):
                errors[code] = [_("第 %(code)s 题应填写文字。") % {"code": code}]
                continue
            text = " ".join(value.split())
            if len(text) > MAX_TEXT:
                errors[code] = [
                    _("第 %(code)s 题不超过 %(n)s 字（现有 %(m)s 字）。")
                    % {"code": code, "n": MAX_TEXT, "m": len(text)}
                ]
            elif text:
                texts.append((form.questions[code], text))
        else:
            errors[code] = [_("第 %(code)s 题不属于“%(title)s”。") % {"code": code, "title": form.questionnaire.title}]
    for code in form.required:
        if code not in answers and code not in errors:
            errors[code] = [_("请回答第 %(code)s 题。") % {"code": code}]
    if not errors and not any(answers.values()):
        errors["answers"] = [_("请至少对一道评分题作出评价。")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationError(
            _("答卷有 %(n)s 处需要修改：%(first)s") % {"n": len(errors), "first": first} if len(errors) > 1 else first,
            errors=errors,
        )
    cleaned = Cleaned(
        answers, texts, indicator_scores(form.scored, answers), answers_hash(form.questionnaire.group, answers)
    )
    given = [value for value in answers.values() if value]
    if len(given) >= STRAIGHT_LINE_MIN and len(set(given)) == 1:
        cleaned.flags.append(Flag.STRAIGHT_LINE)
    if duration is not None and duration < MIN_SECONDS:
        cleaned.flags.append(Flag.TOO_FAST)
    return cleaned


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def indicator_scores(scored: Mapping[str, tuple[int, str | None]], answers: Mapping[str, int]) -> dict[str, float]:
    """A respondent's indicator scores: the mean of their item scores (x - 1) / (k - 1) * 100 per indicator.
    "Don't know" (0) is no item score; an indicator with none has no score."""
    items: dict[str, list[float]] = {}
    for code, value in answers.items():
        scale, indicator = scored[code]
        if value and indicator is not None:
            items.setdefault(indicator, []).append((value - 1) / (scale - 1) * 100)
    return {code: sum(values) / len(values) for code, values in items.items()}


def answers_hash(group: str, answers: Mapping[str, int]) -> str:
    text = group + ";" + ";".join(f"{code}={answers[code]}" for code in sorted(answers))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- storing one response


def _open_campaign(campaign_id: int) -> None:
    """Read the status again once the stratum is locked: a close that got in first is seen, a later one waits."""
    status = Campaign.objects.filter(pk=campaign_id).values_list("status", flat=True).first()
    if status != CampaignStatus.OPEN:
        raise TransitionNotAllowed(_("本次测评未开始或已经结束，感谢您的关注。"))


def _questionnaire(campaign: Campaign, group: str) -> Questionnaire:
    """The group's questionnaire; the first answer freezes it (under its lock, so an administrator's edit in progress
    either finishes first or is refused). Its questions are read by `form_for` (once per process when frozen)."""
    found = Questionnaire.objects.filter(campaign=campaign, group=group).first()
    if found is None:
        raise ValidationError(_("本次测评没有该调查对象的问卷。"))
    if found.frozen_at is None:
        locked = Questionnaire.objects.select_for_update().get(pk=found.pk)
        if locked.frozen_at is None:
            locked.frozen_at = timezone.now()
            locked.save(update_fields=["frozen_at"])
        return locked
    return found


def _street(campaign: Campaign, code: str) -> Region | None:
    row = CampaignStreet.objects.filter(campaign=campaign, street__code=code or "").select_related("street").first()
    return row.street if row else None


def _stratum(campaign: Campaign, street: Region, group: str) -> Stratum:
    found = Stratum.objects.select_for_update().filter(campaign=campaign, street=street, group=group).first()
    if found is None:
        raise ValidationError(_("%(street)s不在本次测评的范围内。") % {"street": street.name})
    found.street = street  # the row already read: no second query for it
    return found


def _bursts(campaign: Campaign, digest_: str, *, device_hash: str, surveyor: User | None, at: datetime) -> list[int]:
    """Earlier responses with the same answers from the same device or surveyor within the burst window."""
    who = Q(pk__in=[])
    if device_hash:
        who |= Q(device_hash=device_hash)
    if surveyor is not None:
        who |= Q(surveyor=surveyor)
    return list(
        Response.objects.filter(who, campaign=campaign, answers_hash=digest_, submitted_at__gte=at - BURST_WINDOW)
        .filter(submitted_at__lte=at + BURST_WINDOW)
        .values_list("pk", flat=True)[:50]
    )


def _flag_earlier(ids: Sequence[int]) -> None:
    for earlier in Response.objects.filter(pk__in=ids).select_for_update():
        if Flag.BURST not in earlier.flags:
            earlier.flags = [*earlier.flags, Flag.BURST]
            if earlier.review == Review.NONE:
                earlier.review = Review.PENDING
            earlier.save(update_fields=["flags", "review"])


def _store(
    *,
    campaign: Campaign,
    stratum: Stratum,
    questionnaire: Questionnaire,
    cleaned: Cleaned,
    channel: str,
    entry: str,
    submitted_at: datetime,
    duration: int | None,
    invitation: Invitation | None = None,
    surveyor: User | None = None,
    device_hash: str = "",
    phone_hash: str = "",
    client_key: str | None = None,
) -> Response:
    flags = list(cleaned.flags)
    out_of_quota = channel == Channel.DIRECTED and stratum.directed_count >= stratum.quota
    if out_of_quota:
        flags.append(Flag.OUT_OF_QUOTA)
    earlier = _bursts(campaign, cleaned.answers_hash, device_hash=device_hash, surveyor=surveyor, at=submitted_at)
    if earlier:
        flags.append(Flag.BURST)
        _flag_earlier(earlier)
    response = Response.objects.create(
        campaign=campaign,
        questionnaire=questionnaire,
        street=stratum.street,
        group=stratum.group,
        channel=channel,
        entry=entry,
        invitation=invitation,
        surveyor=surveyor,
        device_hash=device_hash,
        phone_hash=phone_hash,
        client_key=client_key,
        answers=cleaned.answers,
        scores=cleaned.scores,
        answers_hash=cleaned.answers_hash,
        submitted_at=submitted_at,
        duration_seconds=duration,
        out_of_quota=out_of_quota,
        flags=flags,
        review=Review.PENDING if flags else Review.NONE,
    )
    counter = "directed_count" if channel == Channel.DIRECTED else "online_count"
    Stratum.objects.filter(pk=stratum.pk).update(**{counter: F(counter) + 1})
    reverse.attach(response, cleaned.texts)
    audit.record(
        actor=surveyor,
        action="evaluation.response.submit",
        obj=response,
        after={"channel": channel, "entry": entry, "group": stratum.group, "flags": flags},
    )
    return response


def _duration(value: Any) -> int | None:
    number = _as_int(value)
    return number if number is not None and 0 <= number <= 86_400 else None


# ---------------------------------------------------------------- a resident with an invitation


def invitation_usable(token: str, *, client_address: str = "") -> Invitation:
    """The invitation a printed QR code carries, if it can still be answered; a clear refusal otherwise."""
    ratelimit.check("open", client_address)
    try:
        invitation = selectors.invitation_by_token(token)
    except Invitation.DoesNotExist as error:
        raise NotFound(_("邀请码 %(token)s 无效，请核对后重新输入。") % {"token": token[:16]}) from error
    if invitation.used_at is not None:
        raise Conflict(_("该邀请码已经使用过了，每个邀请码只能填写一次问卷。感谢您的参与！"))
    if invitation.campaign.status != CampaignStatus.OPEN:
        raise TransitionNotAllowed(_("本次测评未开始或已经结束，感谢您的关注。"))
    return invitation


def invitation_submit(
    *, token: str, answers: Mapping[str, Any], device_id: str = "", duration: Any = None, client_address: str = ""
) -> Response:
    """A sampled resident's answers behind a one-use invitation: two submissions of one token, one success and one
    conflict."""
    ratelimit.check("submit", client_address)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(token=(token or "").strip().upper()).first()
        if invitation is None:
            raise NotFound(_("邀请码 %(token)s 无效，请核对后重新输入。") % {"token": str(token)[:16]})
        if invitation.used_at is not None:
            raise Conflict(_("该邀请码已经使用过了，每个邀请码只能填写一次问卷。感谢您的参与！"))
        stratum = Stratum.objects.select_for_update().select_related("street").get(pk=invitation.stratum_id)
        _open_campaign(invitation.campaign_id)
        campaign = Campaign.objects.get(pk=invitation.campaign_id)
        questionnaire = _questionnaire(campaign, stratum.group)
        seconds = _duration(duration)
        cleaned = clean(form_for(questionnaire, stratum.street), answers, duration=seconds)
        now = timezone.now()
        invitation.used_at = now
        invitation.save(update_fields=["used_at"])
        return _store(
            campaign=campaign,
            stratum=stratum,
            questionnaire=questionnaire,
            cleaned=cleaned,
            channel=Channel.DIRECTED,
            entry=Entry.INVITATION,
            submitted_at=now,
            duration=seconds,
            invitation=invitation,
            surveyor=invitation.surveyor,
            device_hash=digest("device", device_id) if device_id else "",
        )


# ---------------------------------------------------------------- the open link


def online_campaign(key: str, *, client_address: str = "") -> Campaign:
    ratelimit.check("open", client_address)
    try:
        campaign = selectors.online_campaign(key)
    except Campaign.DoesNotExist as error:
        raise NotFound(_("问卷链接无效。")) from error
    if campaign.status != CampaignStatus.OPEN or not campaign.online_open:
        raise TransitionNotAllowed(_("本次在线测评未开始或已经结束，感谢您的关注。"))
    return campaign


def _phone(phone: str) -> str:
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    if len(digits) != PHONE_DIGITS or not digits.startswith("1"):
        message = _("请输入 11 位手机号码。")
        raise ValidationError(message, errors={"phone": [message]})
    return digits


def _answered_by_phone(campaign: Campaign, phone_hash: str) -> bool:
    return Response.objects.filter(campaign=campaign, channel=Channel.ONLINE, phone_hash=phone_hash).exists()


def online_code_send(*, key: str, phone: str, client_address: str = "") -> None:
    """Send a one-time code to the phone (through the notification backend); the phone must not have answered."""
    campaign = online_campaign(key, client_address=client_address)
    if campaign.online_check != OnlineCheck.PHONE:
        raise ValidationError(_("本次在线测评无需短信验证。"))
    number = _phone(phone)
    ratelimit.check("code", client_address)
    ratelimit.check("code_phone", number)
    phone_hash = digest("phone", number)
    if _answered_by_phone(campaign, phone_hash):
        raise Conflict(_("该手机号已经参加过本次测评，每个手机号只能填写一次。感谢您的参与！"))
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        OneTimeCode.objects.create(
            campaign=campaign,
            phone_hash=phone_hash,
            code_hash=digest("code", f"{phone_hash}:{code}"),
            expires_at=timezone.now() + timedelta(minutes=CODE_MINUTES),
        )
        notifications.to_phone(
            number,
            notifications.Message(
                _("满意度测评验证码"),
                _("您的验证码是 %(code)s，%(minutes)s 分钟内有效。") % {"code": code, "minutes": CODE_MINUTES},
            ),
        )


def online_code_verify(*, key: str, phone: str, code: str, client_address: str = "") -> str:
    """Check the code; a signed proof that this respondent holds the phone, valid for an hour."""
    campaign = online_campaign(key, client_address=client_address)
    number = _phone(phone)
    phone_hash = digest("phone", number)
    wrong = _("验证码不正确或已过期，请重新获取。")
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update()
            .filter(campaign=campaign, phone_hash=phone_hash, used_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("-created_at")
            .first()
        )
        if row is None or row.attempts >= CODE_ATTEMPTS:
            raise ValidationError(wrong, errors={"code": [wrong]})
        row.attempts += 1
        matches = secrets.compare_digest(row.code_hash, digest("code", f"{phone_hash}:{(code or '').strip()}"))
        if matches:
            row.used_at = timezone.now()
        row.save(update_fields=["attempts", "used_at"])
    if not matches:
        raise ValidationError(wrong, errors={"code": [wrong]})
    return signing.dumps({"c": campaign.pk, "p": phone_hash}, salt="evaluation.phone")


def _proof_phone(campaign: Campaign, proof: str) -> str:
    try:
        data = signing.loads(proof or "", salt="evaluation.phone", max_age=PROOF_SECONDS)
    except signing.BadSignature as error:
        raise PermissionDenied(_("请先通过短信验证码验证手机号。")) from error
    if data.get("c") != campaign.pk:
        raise PermissionDenied(_("请先通过短信验证码验证手机号。"))
    return str(data["p"])


def online_submit(
    *,
    key: str,
    street_code: str,
    group: str,
    answers: Mapping[str, Any],
    proof: str = "",
    device_id: str = "",
    duration: Any = None,
    client_address: str = "",
) -> Response:
    """An open-link response: its own channel, one per verified phone (or per device, as the campaign says)."""
    ratelimit.check("submit", client_address)
    campaign = online_campaign(key)
    phone_hash = _proof_phone(campaign, proof) if campaign.online_check == OnlineCheck.PHONE else ""
    if campaign.online_check == OnlineCheck.DEVICE and not device_id:
        raise ValidationError(_("无法识别您的设备，请允许浏览器保存本站数据后重试。"))
    device_hash = digest("device", device_id) if device_id else ""
    if group not in Group.values:
        raise ValidationError(_("请选择您的身份。"), errors={"group": [_("请选择您的身份。")]})
    street = _street(campaign, street_code)
    if street is None:
        raise ValidationError(_("请选择您所在的街道。"), errors={"street": [_("请选择您所在的街道。")]})
    repeated = Conflict(
        _("该手机号已经参加过本次测评，每个手机号只能填写一次。感谢您的参与！")
        if phone_hash
        else _("本设备已经提交过本次测评的问卷，感谢您的参与！")
    )
    try:
        with transaction.atomic():
            stratum = _stratum(campaign, street, group)
            _open_campaign(campaign.pk)
            if phone_hash and _answered_by_phone(campaign, phone_hash):
                raise repeated
            if (
                not phone_hash
                and Response.objects.filter(
                    campaign=campaign, channel=Channel.ONLINE, phone_hash="", device_hash=device_hash
                ).exists()
            ):
                raise repeated
            questionnaire = _questionnaire(campaign, group)
            seconds = _duration(duration)
            return _store(
                campaign=campaign,
                stratum=stratum,
                questionnaire=questionnaire,
                cleaned=clean(form_for(questionnaire, street), answers, duration=seconds),
                channel=Channel.ONLINE,
                entry=Entry.ONLINE,
                submitted_at=timezone.now(),
                duration=seconds,
                device_hash=device_hash,
                phone_hash=phone_hash,
            )
    except IntegrityError as error:  # the same phone or device twice at once: the first one counts
        raise repeated from error


# ---------------------------------------------------------------- a field surveyor


def surveyor_submit(
    *,
    actor: Any,
    campaign_id: int,
    street_code: str,
    group: str,
    answers: Mapping[str, Any],
    client_key: str,
    token: str = "",
    device_id: str = "",
    collected_at: datetime | None = None,
    duration: Any = None,
) -> tuple[Response, bool]:
    """A questionnaire a surveyor filled with a resident, maybe offline hours ago. Sent twice (a retry after a lost
    answer), it is stored once: (response, created). With the resident's invitation code it uses that too."""
    campaign = selectors.campaigns(actor=actor).filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("没有找到该测评活动，或它不在您的管辖范围内。"))
    key = (client_key or "").strip()
    if not 8 <= len(key) <= 64:
        raise ValidationError(_("缺少答卷编号（client_key），无法防止重复提交。"))
    stored_key = f"s{actor.pk}:{key}"
    existing = Response.objects.filter(campaign=campaign, client_key=stored_key).first()
    if existing is not None:
        return existing, False
    street = _street(campaign, street_code)
    if street is None:
        raise ValidationError(_("街道 %(code)s 未参加本次测评。") % {"code": street_code})
    require_role(actor, SURVEYOR_ROLES, at=street)
    if group not in Group.values:
        raise ValidationError(_("请选择调查对象。"))
    now = timezone.now()
    at = collected_at or now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    at = min(at, now)
    if campaign.opened_at and at < campaign.opened_at - timedelta(minutes=5):
        raise ValidationError(_("采集时间早于本次测评开始的时间，请检查手机的时间设置。"))
    try:
        with transaction.atomic():
            invitation = None
            if token:
                invitation = Invitation.objects.select_for_update().filter(token=token.strip().upper()).first()
                if invitation is None or invitation.campaign_id != campaign.pk:
                    raise NotFound(_("邀请码 %(token)s 无效。") % {"token": token[:16]})
                if invitation.used_at is not None:
                    raise Conflict(_("邀请码 %(token)s 已经使用过了。") % {"token": invitation.token})
            stratum = _stratum(campaign, street, group)
            if invitation is not None and invitation.stratum_id != stratum.pk:
                raise ValidationError(_("邀请码属于其他街道或调查对象。"))
            _open_campaign(campaign.pk)
            questionnaire = _questionnaire(campaign, group)
            seconds = _duration(duration)
            cleaned = clean(form_for(questionnaire, street), answers, duration=seconds)
            if invitation is not None:
                invitation.used_at = now
                invitation.save(update_fields=["used_at"])
            return (
                _store(
                    campaign=campaign,
                    stratum=stratum,
                    questionnaire=questionnaire,
                    cleaned=cleaned,
                    channel=Channel.DIRECTED,
                    entry=Entry.SURVEYOR,
                    submitted_at=at,
                    duration=seconds,
                    invitation=invitation,
                    surveyor=actor,
                    device_hash=digest("device", device_id) if device_id else "",
                    client_key=stored_key,
                ),
                True,
            )
    except IntegrityError:
        existing = Response.objects.filter(campaign=campaign, client_key=stored_key).first()
        if existing is None:
            raise
        return existing, False


# ---------------------------------------------------------------- a person's review


@transaction.atomic
def response_review(*, actor: Any, response_id: int, action: str, reason: str) -> Response:
    """Keep or exclude a response, with a reason: the only way a response leaves the scores."""
    if action not in ReviewAction.values:
        raise ValidationError(_("未知的审核操作：%(action)s。") % {"action": action})
    reason = (reason or "").strip()
    if len(reason) < 2 or len(reason) > 200:
        message = _("请填写审核理由（2 到 200 字）。")
        raise ValidationError(message, errors={"reason": [message]})
    response = (
        selectors.visible_responses(actor=actor)
        .select_for_update(of=("self",))
        .select_related("campaign", "campaign__district", "street")
        .filter(pk=response_id)
        .first()
    )
    if response is None:
        raise NotFound(_("没有找到该答卷，或它不在您的管辖范围内。"))
    require_role(actor, {Role.DISTRICT_ADMIN}, at=response.campaign.district)
    target = REVIEW_TRANSITIONS[response.review].get(action)
    if target is None:
        raise TransitionNotAllowed(
            _("该答卷当前为“%(status)s”，不能“%(action)s”。")
            % {"status": response.get_review_display(), "action": ReviewAction(action).label}
        )
    before = {"review": response.review, "reason": response.review_reason}
    response.review, response.review_reason = target, reason
    response.reviewed_by, response.reviewed_at = actor, timezone.now()
    response.save(update_fields=["review", "review_reason", "reviewed_by", "reviewed_at"])
    audit.record(
        actor=actor,
        action=f"evaluation.response.{action}",
        obj=response,
        before=before,
        after={"review": target, "reason": reason, "flags": response.flags},
    )
    return response
