from django.http import HttpRequest, HttpResponse


def report(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def track(request: HttpRequest, number: str) -> HttpResponse:
    raise NotImplementedError


def detail(request: HttpRequest, number: str) -> HttpResponse:
    raise NotImplementedError
