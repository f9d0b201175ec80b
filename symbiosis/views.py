"""Pages that belong to no app: the landing page, about/credits, health and readiness."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from symbiosis import health


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("matching:dashboard")
    return render(request, "home.html")


def about(request: HttpRequest) -> HttpResponse:
    return render(request, "about.html")


def _report(problems: list[str | None]) -> JsonResponse:
    failing = [problem for problem in problems if problem]
    if failing:
        return JsonResponse({"status": "fail", "problems": failing}, status=503)
    return JsonResponse({"status": "ok"})


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process serves and reaches its database."""
    return _report([health.check_database()])


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database, Redis when configured, a worker when a broker is."""
    return _report([health.check_database(), health.check_redis(), health.check_worker()])
