"""The grid files pages (网格档案): a region's files and their four-clears completeness, the household file
(一户一档), the building dossier (一栋一卷), residents (their file, the phone-friendly correction form, moves, leaving,
key persons), organisations, and revealing one record's personal data with a reason.

Everything is read through the selectors (an object outside the user's reach answers 404, like one that does not
exist) and written through the services; a service's refusal comes back as a message on the page."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.core.errors import DomainError, NotFound
from civicgrid.core.errors import PermissionDenied as Refused
from civicgrid.core.masking import mask_id_number, mask_phone
from civicgrid.core.views import page_of, query_without_page
from civicgrid.registry import fourclears, policy, selectors, services
from civicgrid.registry.choices import CodeList, ResidenceStatus
from civicgrid.registry.forms import (
    FacilitiesForm,
    HouseholdForm,
    KeyPersonForm,
    LeaveForm,
    MoveForm,
    ResidentEditForm,
    ResidentNewForm,
    RevealForm,
    RiskCheckForm,
    changed_data,
)
from civicgrid.registry.models import Code, Household, Resident

TABS = ("overview", "households", "residents", "care", "key_persons", "buildings", "organisations")


def files_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A staff page of the base files: signed in; unknown or out-of-reach records answer 404; a role that may not
    do what the page does gets a page saying which posts may."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404 from error
        except Refused as error:
            return render(request, "registry/forbidden.html", {"message": error.message}, status=403)

    return wrapper


def _back(request: HttpRequest, error: DomainError) -> None:
    messages.error(request, error.message)


def _form_errors(request: HttpRequest, form: Any) -> None:
    for problems in form.errors.values():
        for problem in problems:
            messages.error(request, problem)


def _visits_of(request: HttpRequest, household: Household) -> dict[str, Any]:
    """The household's home visits, read from gridwork (who records them), with a link to its pages if it has one."""
    from civicgrid.gridwork import selectors as gridwork

    rows = gridwork.visits(actor=request.user).filter(household=household).order_by("-visited_at")
    link = ""
    for name, args in (("gridwork:household_visits", [household.pk]), ("gridwork:visit_new", [household.pk])):
        try:
            link = reverse(name, args=args)
            break
        except NoReverseMatch:
            continue
    return {"visits": list(rows.select_related("visitor")[:5]), "visit_count": rows.count(), "visits_url": link}


# ---------------------------------------------------------------- a region's files


@files_page
def home(request: HttpRequest) -> HttpResponse:
    """My grid files: straight to the one region the user's posts read, or a choice of them."""
    regions = selectors.home_regions(actor=request.user)
    if not regions:
        raise Refused(_("查看网格档案需要以下岗位之一：%(roles)s。") % {"roles": policy.role_names("read")})
    if len(regions) == 1:
        return redirect("registry:region", regions[0].code)
    return render(request, "registry/hub.html", {"regions": regions})


@files_page
def region(request: HttpRequest, code: str) -> HttpResponse:
    actor = request.user
    tab = request.GET.get("tab", "overview")
    tab = tab if tab in TABS else "overview"
    place = selectors.region(actor=actor, code=code)
    knows = selectors.may_see_key_persons(actor, place.path)
    if tab == "key_persons" and not knows:
        raise Refused(_("查看重点人员需要以下岗位之一：%(roles)s。") % {"roles": policy.role_names("key_persons")})
    context: dict[str, Any] = {
        "region": place,
        "tab": tab,
        "knows_key_persons": knows,
        "may_import": policy.may(actor, "import", place.path),
        "q": request.GET.get("q", "").strip()[:50],
        "query": query_without_page(request),
        "today": timezone.localdate(),
    }
    if tab == "overview":
        context["files"] = selectors.region_files(actor=actor, code=code)
        context["crumbs"] = context["files"].crumbs
    else:
        context["crumbs"] = selectors.crumbs(actor=actor, region=place)
        context.update(_tab(request, place, tab, context["q"]))
    return render(request, "registry/region.html", context)


def _tab(request: HttpRequest, place: Any, tab: str, q: str) -> dict[str, Any]:
    if tab == "households":
        return _households_tab(request, place, q)
    if tab in ("residents", "care", "key_persons"):
        return _residents_tab(request, place, tab, q)
    actor = request.user
    if tab == "buildings":
        done = {row["id"]: row for row in selectors.completeness(actor=actor, by="building", within=place.code)}
        page = page_of(request, selectors.buildings(actor=actor, within=place.code, q=q))
        return {"page": page, "building_completeness": done, "clears": fourclears.rules()}
    return {"page": page_of(request, selectors.organisations(actor=actor, within=place.code, q=q))}


def _households_tab(request: HttpRequest, place: Any, q: str) -> dict[str, Any]:
    """Households with each clear ticked or not; optionally only those not yet clear on all four."""
    rows = selectors.households(actor=request.user, within=place.code, q=q)
    only_incomplete = request.GET.get("incomplete") == "1"
    if only_incomplete:
        grids = list(selectors.grids(actor=request.user, within=place.code).values_list("pk", flat=True))
        rows = rows.filter(pk__in=fourclears.incomplete(grid_ids=grids))
    page = page_of(request, rows)
    return {
        "page": page,
        "clears": fourclears.rules(),
        "flags": fourclears.flags(household_ids=[h.pk for h in page]),
        "only_incomplete": only_incomplete,
    }


def _residents_tab(request: HttpRequest, place: Any, tab: str, q: str) -> dict[str, Any]:
    """Residents by category: residence status, a person category or care tag; care recipients; key persons."""
    category = request.GET.get("category", "")
    rows = selectors.residents(
        actor=request.user,
        within=place.code,
        q=q,
        residence_status=category if category in ResidenceStatus.values else None,
        tag=category if category and category not in ResidenceStatus.values else None,
        care_only=tab == "care",
        key_persons=True if tab == "key_persons" else None,
    )
    page = page_of(request, rows)
    if tab == "key_persons":
        categories: list[tuple[str, str]] = []
    else:
        lists = (CodeList.CARE_TAG,) if tab == "care" else (CodeList.PERSON_CATEGORY, CodeList.CARE_TAG)
        statuses = [] if tab == "care" else [(s.value, str(s.label)) for s in ResidenceStatus]
        categories = statuses + [(c.code, c.name) for c in Code.objects.filter(list__in=lists, is_active=True)]
    return {"page": page, "tags": selectors.tags_of(list(page)), "category": category, "categories": categories}


# ---------------------------------------------------------------- the household file, the building dossier


@files_page
def household(request: HttpRequest, household_id: int) -> HttpResponse:
    file = selectors.household_file(actor=request.user, household_id=household_id)
    home = file.household
    context: dict[str, Any] = {
        "file": file,
        "household": home,
        "crumbs": [*selectors.crumbs(actor=request.user, region=home.grid), home.grid],
        "today": timezone.localdate(),
        **_visits_of(request, home),
    }
    if file.may_edit:
        context["household_form"] = HouseholdForm(
            initial={
                "housing_status": home.housing_status,
                "housing_use": home.housing_use.code if home.housing_use else "",
                "area_m2": home.area_m2,
                "status": home.status,
                "notes": home.notes,
            }
        )
        context["risk_form"] = RiskCheckForm()
    return render(request, "registry/household.html", context)


@require_POST
@files_page
def household_update(request: HttpRequest, household_id: int) -> HttpResponse:
    form = HouseholdForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.household_update(actor=request.user, household_id=household_id, **form.cleaned_data)
        except DomainError as error:
            _back(request, error)
        else:
            messages.success(request, _("户信息已保存。"))
    return redirect("registry:household", household_id)


@require_POST
@files_page
def household_risk_check(request: HttpRequest, household_id: int) -> HttpResponse:
    form = RiskCheckForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.household_check_risks(actor=request.user, household_id=household_id, **form.cleaned_data)
        except DomainError as error:
            _back(request, error)
        else:
            messages.success(request, _("已记录隐患矛盾排查。"))
    return redirect("registry:household", household_id)


@files_page
def building(request: HttpRequest, building_id: int) -> HttpResponse:
    dossier = selectors.building_dossier(actor=request.user, building_id=building_id)
    place = dossier.building
    context: dict[str, Any] = {
        "dossier": dossier,
        "building": place,
        "crumbs": [*selectors.crumbs(actor=request.user, region=place.grid), place.grid],
        "clears": fourclears.rules(),
    }
    if dossier.may_edit:
        context["facilities_form"] = FacilitiesForm(initial={"facilities": [c.code for c in dossier.facilities]})
    return render(request, "registry/building.html", context)


@require_POST
@files_page
def building_facilities(request: HttpRequest, building_id: int) -> HttpResponse:
    form = FacilitiesForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.building_check_facilities(actor=request.user, building_id=building_id, **form.cleaned_data)
        except DomainError as error:
            _back(request, error)
        else:
            messages.success(request, _("已记录设施核查。"))
    return redirect("registry:building", building_id)


# ---------------------------------------------------------------- residents


@files_page
def resident(request: HttpRequest, resident_id: int) -> HttpResponse:
    actor = request.user
    person = selectors.resident(actor=actor, resident_id=resident_id)
    path = person.grid.path
    context: dict[str, Any] = {
        "person": person,
        "tags": selectors.tags_of([person])[person.pk],
        "history": list(selectors.past_memberships(actor=actor, resident_id=resident_id)),
        "crumbs": [*selectors.crumbs(actor=actor, region=person.grid), person.grid],
        "may_edit": policy.may(actor, "edit", path),
        "may_unmask": selectors.may_unmask(actor, path),
        "knows_key_persons": selectors.may_see_key_persons(actor, path),
        "reveal_form": RevealForm(),
        "today": timezone.localdate(),
    }
    if context["may_edit"] and person.status == "active":
        q = request.GET.get("move_q", "").strip()[:50]
        context["move_q"] = q
        if q:
            choices = selectors.households(actor=actor, q=q)
            if person.household_id is not None:
                choices = choices.exclude(pk=person.household_id)
            context["move_choices"] = list(choices[:20])
        context["move_form"] = MoveForm()
        context["leave_form"] = LeaveForm()
    if context["knows_key_persons"]:
        context["key_person_form"] = KeyPersonForm(
            initial={
                "is_key_person": person.is_key_person,
                "key_person_type": person.key_person_type.code if person.key_person_type else "",
            }
        )
    return render(request, "registry/resident.html", context)


def _tag_codes(person: Resident) -> list[str]:
    return [t.code for t in selectors.tags_of([person])[person.pk]]


@files_page
def resident_edit(request: HttpRequest, resident_id: int) -> HttpResponse:
    """A grid worker updates a resident's file from a phone (the page gridwork's phone pages link to)."""
    person = selectors.resident(actor=request.user, resident_id=resident_id)
    policy.require(request.user, "edit", person.grid.path)
    masked = {"id_number": mask_id_number(person.id_number), "phone": mask_phone(person.phone)}
    if request.method == "POST":
        form = ResidentEditForm(request.POST, masked=masked)
        if form.is_valid():
            data = changed_data(form, keep_blank=("id_number", "phone"))
            if person.household_id is None:
                data.pop("relation", None)
            try:
                services.resident_update(actor=request.user, resident_id=person.pk, **data)
            except DomainError as error:
                _onto(form, error)
            else:
                messages.success(request, _("%(name)s的档案已更新。") % {"name": person.name})
                return redirect("registry:resident", person.pk)
    else:
        form = ResidentEditForm(
            masked=masked,
            initial={
                **{
                    name: getattr(person, name)
                    for name in (
                        "name",
                        "residence_status",
                        "occupation",
                        "workplace",
                        "registered_address",
                        "native_place",
                        "floating_since",
                        "notes",
                    )
                },
                **{
                    name: getattr(person, name).code if getattr(person, name) else ""
                    for name in ResidentEditForm.CODE_FIELDS
                },
                "tags": _tag_codes(person),
                "expected_updated_at": person.updated_at,
            },
        )
    return render(
        request,
        "registry/resident_form.html",
        {"form": form, "person": person, "household": person.household, "editing": True},
        status=422 if request.method == "POST" else 200,
    )


def _onto(form: Any, error: DomainError) -> None:
    """A service's refusal on the form: at the field it names when the form has it, else above the form."""
    placed = False
    for name, problems in error.errors.items():
        if name in form.fields:
            for problem in problems:
                form.add_error(name, problem)
                placed = True
    if not placed:
        form.add_error(None, error.message)


@files_page
def resident_new(request: HttpRequest, household_id: int) -> HttpResponse:
    home = selectors.household(actor=request.user, household_id=household_id)
    policy.require(request.user, "edit", home.grid.path)
    form = ResidentNewForm(request.POST or None, initial={"residence_status": ResidenceStatus.REGISTERED})
    if request.method == "POST" and form.is_valid():
        try:
            person = services.resident_register(actor=request.user, household_id=home.pk, **form.cleaned_data)
        except DomainError as error:
            _onto(form, error)
        else:
            messages.success(request, _("已登记%(name)s。") % {"name": person.name})
            return redirect("registry:household", home.pk)
    return render(
        request,
        "registry/resident_form.html",
        {"form": form, "household": home, "editing": False},
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@files_page
def resident_move(request: HttpRequest, resident_id: int) -> HttpResponse:
    form = MoveForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.resident_move(actor=request.user, resident_id=resident_id, **form.cleaned_data)
        except DomainError as error:
            _back(request, error)
        else:
            messages.success(request, _("已办理迁移。"))
    return redirect("registry:resident", resident_id)


@require_POST
@files_page
def resident_leave(request: HttpRequest, resident_id: int) -> HttpResponse:
    form = LeaveForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.resident_leave(actor=request.user, resident_id=resident_id, **form.cleaned_data)
        except DomainError as error:
            _back(request, error)
        else:
            messages.success(request, _("已登记迁出或死亡，档案保留。"))
    return redirect("registry:resident", resident_id)


@require_POST
@files_page
def resident_key_person(request: HttpRequest, resident_id: int) -> HttpResponse:
    form = KeyPersonForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.resident_set_key_person(actor=request.user, resident_id=resident_id, **form.cleaned_data)
        except DomainError as error:
            _back(request, error)
        else:
            messages.success(request, _("重点人员标记已保存。"))
    return redirect("registry:resident", resident_id)


# ---------------------------------------------------------------- revealing personal data


def _reveal(request: HttpRequest, kind: str, pk: int, back: str) -> HttpResponse:
    """GET: the reason form. POST: the full values, logged; shown once, in this answer only (never stored in the
    page's address or a message)."""
    form = RevealForm(request.POST or None)
    values: dict[str, str] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            values = services.reveal(actor=request.user, kind=kind, pk=pk, reason=form.cleaned_data["reason"])
        except DomainError as error:
            if isinstance(error, (NotFound, Refused)):
                raise
            form.add_error("reason", error.message)
    else:
        selectors.revealable(actor=request.user, kind=kind, pk=pk)
    template = "registry/_revealed.html" if request.headers.get("HX-Request") == "true" else "registry/reveal.html"
    response = render(request, template, {"form": form, "values": values, "back": back, "action": request.path})
    response["Cache-Control"] = "no-store"
    return response


@files_page
def resident_reveal(request: HttpRequest, resident_id: int) -> HttpResponse:
    return _reveal(request, "resident", resident_id, reverse("registry:resident", args=[resident_id]))


@files_page
def organisation_reveal(request: HttpRequest, organisation_id: int) -> HttpResponse:
    return _reveal(request, "organisation", organisation_id, reverse("registry:organisation", args=[organisation_id]))


# ---------------------------------------------------------------- organisations


@files_page
def organisation(request: HttpRequest, organisation_id: int) -> HttpResponse:
    item = selectors.organisation(actor=request.user, organisation_id=organisation_id)
    path = item.grid.path
    return render(
        request,
        "registry/organisation.html",
        {
            "organisation": item,
            "crumbs": [*selectors.crumbs(actor=request.user, region=item.grid), item.grid],
            "may_edit": policy.may(request.user, "edit", path),
            "may_unmask": selectors.may_unmask(request.user, path),
            "reveal_form": RevealForm(),
            "risk_form": RiskCheckForm(),
        },
    )


@require_POST
@files_page
def organisation_risk_check(request: HttpRequest, organisation_id: int) -> HttpResponse:
    form = RiskCheckForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.organisation_check_risks(
                actor=request.user, organisation_id=organisation_id, checked_on=form.cleaned_data["checked_on"],
                note=form.cleaned_data["notes"],
            )  # fmt: skip
        except DomainError as error:
            _back(request, error)
        else:
            messages.success(request, _("已记录隐患排查。"))
    return redirect("registry:organisation", organisation_id)
