"""The rating pad: a resident rates the service they just had, 1 to 5 stars with quick reasons.

The pad is a tablet at the counter that holds the counter's pad key (its only credential). A rating is tied to the
ticket (one rating per ticket), the counter, the clerk who served it and the application it produced.
"""

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import Conflict, NotFound, TransitionNotAllowed, ValidationError
from civicgrid.hall import ratelimit, selectors
from civicgrid.hall.choices import SERVED_TICKET_STATUSES, RatingReason
from civicgrid.hall.models import Counter, Rating, Ticket

MAX_REASONS = 5


def rating_submit(
    *,
    pad_key: str,
    ticket_id: int,
    score: int,
    reasons: Sequence[str] = (),
    comment: str = "",
    client_address: str = "",
) -> Rating:
    ratelimit.check("rating", client_address)
    try:
        counter = selectors.counter_by_pad_key(pad_key)
    except Counter.DoesNotExist as error:
        raise NotFound(_("评价器未登记或已停用，请联系中心工作人员。")) from error
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError(_("请选择 1 到 5 星。"), errors={"score": [_("评分应为 1 到 5。")]})
    reasons = list(dict.fromkeys(reasons))
    unknown = [r for r in reasons if r not in RatingReason.values]
    if unknown or len(reasons) > MAX_REASONS:
        raise ValidationError(_("评价标签无效。"), errors={"reasons": [_("评价标签无效。")]})
    comment = (comment or "").strip()
    if len(comment) > 200:
        raise ValidationError(_("评价意见不超过 200 字。"), errors={"comment": [_("评价意见过长。")]})
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("clerk")
            .filter(pk=ticket_id, centre_id=counter.centre_id)
            .first()
        )
        if ticket is None:
            raise NotFound(_("本中心没有这个号。"))
        if ticket.status not in SERVED_TICKET_STATUSES:
            raise TransitionNotAllowed(
                _("%(code)s号尚未办理（%(status)s），不能评价。")
                % {"code": ticket.code, "status": ticket.get_status_display()}
            )
        if ticket.counter_id != counter.pk:
            raise ValidationError(_("%(code)s号不是在%(counter)s办理的。") % {"code": ticket.code, "counter": counter})
        if Rating.objects.filter(ticket=ticket).exists():
            raise Conflict(_("%(code)s号已经评价过了，感谢您的反馈。") % {"code": ticket.code})
        application = ticket.applications.order_by("-accepted_at").first()
        try:
            with transaction.atomic():
                rating = Rating.objects.create(
                    ticket=ticket,
                    application=application,
                    centre_id=counter.centre_id,
                    counter=counter,
                    clerk=ticket.clerk,
                    score=score,
                    reasons=reasons,
                    comment=comment,
                    created_at=timezone.now(),
                )
        except IntegrityError as error:  # the same pad tapped twice at once: the first tap counts
            raise Conflict(_("%(code)s号已经评价过了，感谢您的反馈。") % {"code": ticket.code}) from error
        audit.record(
            actor=None,
            action="rating.submit",
            obj=rating,
            region_path=counter.centre.region_path,
            after={"ticket": ticket.code, "score": score, "reasons": reasons, "clerk": ticket.clerk_id},
        )
    return rating
