"""The registry's services: the only code that writes the base files. Each takes an explicit `actor`, runs in one
transaction, locks what it changes, checks the policy (`registry.policy`) and writes an audit row."""

from civicgrid.registry.services.codes import CodesLoaded, CodesRejected, codes_load, default_codes_path
from civicgrid.registry.services.exports import ExportFile, ledger_export
from civicgrid.registry.services.imports import ImportRejected, import_error_file, import_file, template_workbook
from civicgrid.registry.services.loader import FilesChunk, Loaded, bulk_load
from civicgrid.registry.services.organisations import (
    organisation_check_risks,
    organisation_create,
    organisation_update,
)
from civicgrid.registry.services.personal import reveal
from civicgrid.registry.services.places import (
    building_check_facilities,
    building_create,
    building_update,
    entrance_update,
    estate_create,
    estate_update,
    household_check_risks,
    household_create,
    household_update,
)
from civicgrid.registry.services.residents import (
    resident_leave,
    resident_move,
    resident_register,
    resident_set_key_person,
    resident_update,
)

__all__ = [
    "CodesLoaded",
    "CodesRejected",
    "ExportFile",
    "FilesChunk",
    "ImportRejected",
    "Loaded",
    "building_check_facilities",
    "building_create",
    "building_update",
    "bulk_load",
    "codes_load",
    "default_codes_path",
    "entrance_update",
    "estate_create",
    "estate_update",
    "household_check_risks",
    "household_create",
    "household_update",
    "import_error_file",
    "import_file",
    "ledger_export",
    "organisation_check_risks",
    "organisation_create",
    "organisation_update",
    "resident_leave",
    "resident_move",
    "resident_register",
    "resident_set_key_person",
    "resident_update",
    "reveal",
    "template_workbook",
]
