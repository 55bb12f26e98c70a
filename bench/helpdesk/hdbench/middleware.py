"""`Authorization: Token <key>` for helpdesk's staff pages (its REST API uses DRF's TokenAuthentication itself).

helpdesk's datatables list is a Django view behind `helpdesk_staff_member_required`, which reads `request.user`
before DRF authenticates anything; this sets it from the same token, one indexed lookup, as CivicGrid's bearer
token does. No session, no CSRF: a bench client, like CivicGrid's API clients.
"""

from django.utils.functional import SimpleLazyObject


class TokenUserMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.headers.get("Authorization", "")
        if header.startswith("Token ") and not request.path.startswith("/api/"):
            from rest_framework.authtoken.models import Token

            key = header.removeprefix("Token ").strip()
            anonymous = request.user

            def user():
                token = Token.objects.select_related("user").filter(key=key).first()
                return token.user if token else anonymous

            request.user = SimpleLazyObject(user)
        return self.get_response(request)
