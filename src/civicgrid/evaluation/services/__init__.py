"""Writes of the satisfaction evaluation. Every service takes an explicit `actor` (None: the system, from the
command line or the demo), runs in one transaction, locks what two people could change at once and writes an audit
row; domain errors come from `civicgrid.core.errors`.

- campaigns: `campaign_create`, `campaign_update`, `campaign_act` (open, close, reopen), `indicator_add`,
  `indicator_update`, `indicator_delete`, `questionnaire_update`, `question_add`, `question_update`,
  `question_delete`, `quotas_set`, `population_set` (+ `population_from_file`), `spending_set`, `invitations_create`
- responses: `invitation_submit`, `online_code_send`, `online_code_verify`, `online_submit`, `surveyor_submit`,
  `response_review`; imports: `responses_import`, `paper_import` (+ `paper_template`)
- the reverse problem list: `item_route`, `item_publish`, `item_dismiss`, `item_restore`
"""

from civicgrid.evaluation.services.campaigns import (
    PopulationRejected,
    QuestionIn,
    campaign_act,
    campaign_create,
    campaign_update,
    indicator_add,
    indicator_delete,
    indicator_update,
    invitations_create,
    population_from_file,
    population_set,
    question_add,
    question_delete,
    question_update,
    questionnaire_update,
    quotas_set,
    readiness_problems,
    spending_set,
)
from civicgrid.evaluation.services.imports import (
    ImportResult,
    ResponseRow,
    ResponsesRejected,
    paper_import,
    paper_template,
    responses_import,
)
from civicgrid.evaluation.services.responses import (
    invitation_submit,
    invitation_usable,
    online_campaign,
    online_code_send,
    online_code_verify,
    online_submit,
    response_review,
    surveyor_submit,
)
from civicgrid.evaluation.services.reverse import (
    item_dismiss,
    item_publish,
    item_restore,
    item_route,
    mask_numbers,
    rectification_note,
)

__all__ = [
    "ImportResult",
    "PopulationRejected",
    "QuestionIn",
    "ResponseRow",
    "ResponsesRejected",
    "campaign_act",
    "campaign_create",
    "campaign_update",
    "indicator_add",
    "indicator_delete",
    "indicator_update",
    "invitation_submit",
    "invitation_usable",
    "invitations_create",
    "item_dismiss",
    "item_publish",
    "item_restore",
    "item_route",
    "mask_numbers",
    "online_campaign",
    "online_code_send",
    "online_code_verify",
    "online_submit",
    "paper_import",
    "paper_template",
    "population_from_file",
    "population_set",
    "question_add",
    "question_delete",
    "question_update",
    "questionnaire_update",
    "quotas_set",
    "readiness_problems",
    "rectification_note",
    "response_review",
    "responses_import",
    "spending_set",
    "surveyor_submit",
]
