"""Writes of the service centre. Every service takes an explicit `actor`, runs in one transaction, locks what two
people could change at once, and writes an audit row; domain errors come from `civicgrid.core.errors`.

- catalogue: `catalogue_load` (YAML or Excel, all or nothing), `catalogue_workbook`, `item_update`
- centres: `centre_create`, `centre_update`, `centre_items_set`, `counter_create`, `counter_update`,
  `counter_sign_in`, `counter_sign_out`, `pad_key_rotate`
- queue: `ticket_issue`, `call_next`, `call_ticket`, `ticket_act`, `appointment_book`, `appointment_cancel`,
  `appointment_check_in`, `queue_sweep`
- applications: `application_accept`, `application_act`, `application_reveal`, `delivery_deliver`,
  `delivery_attempt`, `delivery_assign`, `applications_sweep`
- ratings: `rating_submit`; exports: `scores_export`
"""

from civicgrid.hall.services.applications import (
    Proxy,
    application_accept,
    application_act,
    application_reveal,
    applications_sweep,
    delivery_assign,
    delivery_attempt,
    delivery_deliver,
)
from civicgrid.hall.services.catalogue import (
    CatalogueRejected,
    LoadResult,
    catalogue_load,
    catalogue_load_document,
    catalogue_workbook,
    default_catalogue_path,
    item_update,
)
from civicgrid.hall.services.centres import (
    centre_create,
    centre_items_set,
    centre_update,
    counter_create,
    counter_sign_in,
    counter_sign_out,
    counter_update,
    next_in_series,
    pad_key_rotate,
)
from civicgrid.hall.services.exports import scores_export
from civicgrid.hall.services.queue import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    call_next,
    call_ticket,
    queue_sweep,
    ticket_act,
    ticket_issue,
)
from civicgrid.hall.services.ratings import rating_submit

__all__ = [
    "CatalogueRejected",
    "LoadResult",
    "Proxy",
    "application_accept",
    "application_act",
    "application_reveal",
    "applications_sweep",
    "appointment_book",
    "appointment_cancel",
    "appointment_check_in",
    "call_next",
    "call_ticket",
    "catalogue_load",
    "catalogue_load_document",
    "catalogue_workbook",
    "centre_create",
    "centre_items_set",
    "centre_update",
    "counter_create",
    "counter_sign_in",
    "counter_sign_out",
    "counter_update",
    "default_catalogue_path",
    "delivery_assign",
    "delivery_attempt",
    "delivery_deliver",
    "item_update",
    "next_in_series",
    "pad_key_rotate",
    "queue_sweep",
    "rating_submit",
    "scores_export",
    "ticket_act",
    "ticket_issue",
]
