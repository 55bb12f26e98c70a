"""API authentication: the browser's session (with CSRF on writes) or a bearer token made on the account page."""

from datetime import timedelta
from typing import Any

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

# Every call with a token runs this lookup. Written out once: building the same join with the ORM cost about three
# times what running it costs (bench/README.md, "Service centre"). The token's expiry and whether its last use is
# worth recording are decided here too, so that no dates come back to be parsed.
_TOKEN_USER = """
    SELECT u.*, t.id AS token_id,
           CASE WHEN t.last_used_at IS NULL OR t.last_used_at < %s THEN 1 ELSE 0 END AS token_use_unrecorded
    FROM people_apitoken t JOIN people_user u ON u.id = t.user_id
    WHERE t.digest = %s AND t.is_active AND u.is_active AND (t.expires_at IS NULL OR t.expires_at > %s)
"""
LAST_USED_EVERY = timedelta(seconds=60)  # the account page shows when a token was last used, to the minute


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from civicgrid.people.models import ApiToken, User

        now = timezone.now()
        adapt = connection.ops.adapt_datetimefield_value
        found = User.objects.raw(_TOKEN_USER, [adapt(now - LAST_USED_EVERY), ApiToken.digest_of(token), adapt(now)])
        user: Any = next(iter(found), None)  # a User with the token's columns beside its own
        if user is None:
            return None
        if user.token_use_unrecorded:
            ApiToken.objects.filter(pk=user.token_id).update(last_used_at=now)
        request.user = user
        return user
