"""The grid files pages, at /registry/. Every page is for staff and shows only the user's jurisdiction (a record
outside it answers 404). Stable names other apps link to: `registry:resident_edit` (a grid worker updates a resident's
file from the phone), `registry:household` (the household file), `registry:building` (the building dossier)."""

from django.urls import path

from civicgrid.registry import views, views_ledgers

app_name = "registry"
urlpatterns = [
    path("", views.home, name="home"),
    path("regions/<str:code>/", views.region, name="region"),
    # the household file and the building dossier
    path("households/<int:household_id>/", views.household, name="household"),
    path("households/<int:household_id>/edit/", views.household_update, name="household_update"),
    path("households/<int:household_id>/risk-check/", views.household_risk_check, name="household_risk_check"),
    path("households/<int:household_id>/residents/new/", views.resident_new, name="resident_new"),
    path("buildings/<int:building_id>/", views.building, name="building"),
    path("buildings/<int:building_id>/facilities/", views.building_facilities, name="building_facilities"),
    # residents
    path("residents/<int:resident_id>/", views.resident, name="resident"),
    path("residents/<int:resident_id>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:resident_id>/move/", views.resident_move, name="resident_move"),
    path("residents/<int:resident_id>/leave/", views.resident_leave, name="resident_leave"),
    path("residents/<int:resident_id>/key-person/", views.resident_key_person, name="resident_key_person"),
    path("residents/<int:resident_id>/reveal/", views.resident_reveal, name="resident_reveal"),
    # organisations
    path("organisations/<int:organisation_id>/", views.organisation, name="organisation"),
    path("organisations/<int:organisation_id>/risk-check/", views.organisation_risk_check, name="organisation_risk"),
    path("organisations/<int:organisation_id>/reveal/", views.organisation_reveal, name="organisation_reveal"),
    # ledgers: view, export; imports with their result and the file of bad rows
    path("ledgers/", views_ledgers.ledger_list, name="ledgers"),
    path("ledgers/<str:ledger_key>/", views_ledgers.ledger, name="ledger"),
    path("ledgers/<str:ledger_key>/export/", views_ledgers.ledger_export, name="ledger_export"),
    path("imports/", views_ledgers.imports, name="imports"),
    path("imports/template/<str:kind>.xlsx", views_ledgers.import_template, name="import_template"),
    path("imports/<int:batch_id>/", views_ledgers.import_result, name="import"),
    path("imports/<int:batch_id>/errors.xlsx", views_ledgers.import_errors, name="import_errors"),
]
