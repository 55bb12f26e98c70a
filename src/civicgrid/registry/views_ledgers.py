"""Ledger pages (台账): the ledgers a user may open, one ledger's rows (masked), its Excel export (masked for all;
unmasked with a reason for the roles that may), and importing ledgers from Excel or CSV with the result of every row
and the file of bad rows to download."""

from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from civicgrid.core.errors import DomainError
from civicgrid.core.errors import PermissionDenied as Refused
from civicgrid.core.views import page_of, query_without_page
from civicgrid.registry import ledgers, policy, selectors, services
from civicgrid.registry.choices import ImportKind, ImportMode
from civicgrid.registry.forms import ExportForm, ImportForm
from civicgrid.registry.services.imports import MAX_STORED_ERRORS
from civicgrid.registry.views import files_page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(content: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file_name)}"
    response["Cache-Control"] = "no-store"  # personal data: never kept by a proxy or the browser's cache
    return response


@files_page
def ledger_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    available = selectors.available_ledgers(actor=actor)
    if not available or not policy.may_anywhere(actor, "read"):
        raise Refused(_("查看台账需要以下岗位之一：%(roles)s。") % {"roles": policy.role_names("read")})
    return render(
        request,
        "registry/ledgers.html",
        {"ledgers": available, "may_import": policy.may_anywhere(actor, "import")},
    )


@files_page
def ledger(request: HttpRequest, ledger_key: str) -> HttpResponse:
    actor = request.user
    within = request.GET.get("within", "").strip()[:15] or None
    q = request.GET.get("q", "").strip()[:50]
    definition, rows = selectors.ledger_queryset(actor=actor, key=ledger_key, within=within, q=q)
    page = page_of(request, rows)
    ctx = ledgers.context(unmasked=False, key_person_paths=policy.allowed_paths(actor, "key_persons"))
    return render(
        request,
        "registry/ledger.html",
        {
            "ledger": definition,
            "headers": [str(c.label) for c in definition.column_defs],
            "page": page,
            "rows": list(ledgers.rows(definition, list(page), ctx)),
            "within": within or "",
            "q": q,
            "regions": selectors.region_options(actor=actor),
            "query": query_without_page(request),
            "may_export_unmasked": policy.may_anywhere(actor, "export_unmasked"),
            "export_form": ExportForm(initial={"within": within or "", "q": q}),
            "max_rows": ledgers.MAX_EXPORT_ROWS,
        },
    )


@files_page
def ledger_export(request: HttpRequest, ledger_key: str) -> HttpResponse:
    """GET: the masked export. POST (with a reason): the unmasked export for the roles that may."""
    actor = request.user
    try:
        if request.method == "POST":
            form = ExportForm(request.POST)
            if not form.is_valid():
                messages.error(request, str(next(iter(form.errors.values()))[0]))
                return redirect("registry:ledger", ledger_key)
            exported = services.ledger_export(
                actor=actor, key=ledger_key, within=form.cleaned_data["within"] or None, q=form.cleaned_data["q"],
                unmasked=True, reason=form.cleaned_data["reason"],
            )  # fmt: skip
        else:
            exported = services.ledger_export(
                actor=actor, key=ledger_key, within=request.GET.get("within", "").strip()[:15] or None,
                q=request.GET.get("q", "").strip()[:50],
            )  # fmt: skip
    except DomainError as error:
        if isinstance(error, Refused) or error.status == 404:
            raise
        messages.error(request, error.message)
        return redirect("registry:ledger", ledger_key)
    return xlsx_response(exported.content, exported.file_name)


# ---------------------------------------------------------------- imports


@files_page
def imports(request: HttpRequest) -> HttpResponse:
    """The upload form and the imports the user may see; a POST imports the file and shows its result."""
    actor = request.user
    if not policy.may_anywhere(actor, "import"):
        raise Refused(_("导入台账需要以下岗位之一：%(roles)s。") % {"roles": policy.role_names("import")})
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = services.import_file(
                    actor=actor, kind=form.cleaned_data["kind"], data=upload.read(), file_name=upload.name or "",
                    mode=form.cleaned_data["mode"],
                )  # fmt: skip
            except DomainError as error:
                form.add_error("file", error.message)
            else:
                return redirect("registry:import", batch.pk)
        status = 422
    return render(
        request,
        "registry/imports.html",
        {
            "form": form,
            "page": page_of(request, selectors.import_batches(actor=actor)),
            "kinds": ImportKind.choices,
            "modes": ImportMode,
        },
        status=status,
    )


@files_page
def import_result(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = selectors.import_batch(actor=request.user, batch_id=batch_id)
    truncated = len(batch.errors) >= MAX_STORED_ERRORS  # the page lists what the batch keeps; the file has all
    return render(request, "registry/import.html", {"batch": batch, "errors": batch.errors, "truncated": truncated})


@files_page
def import_errors(request: HttpRequest, batch_id: int) -> HttpResponse:
    content, number = services.import_error_file(actor=request.user, batch_id=batch_id)
    return xlsx_response(content, _("导入错误行-%(n)s.xlsx") % {"n": number})


@files_page
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in ImportKind.values:
        raise Http404
    name = _("%(what)s导入模板.xlsx") % {"what": ImportKind(kind).label}
    return xlsx_response(services.template_workbook(kind), name)
