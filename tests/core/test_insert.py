"""core.insert writes a new row as Model.save() does: the same columns, defaults, auto_now_add, JSON, and both save
signals (the statistics roll-up listens to them)."""

import pytest
from django.db.models.signals import post_save, pre_save
from django.forms.models import model_to_dict

from civicgrid.core import audit
from civicgrid.core.insert import insert
from civicgrid.core.models import AuditEntry
from civicgrid.people.models import User
from civicgrid.regions.models import Region

pytestmark = pytest.mark.django_db


def _columns(row):
    return {k: v for k, v in model_to_dict(type(row).objects.get(pk=row.pk)).items() if k not in ("id", "created_at")}


def test_an_inserted_audit_entry_reads_back_as_a_saved_one():
    # given an actor, an object, and JSON with Chinese text, a null and nesting
    actor = User.objects.create_user("insert.actor", password="x" * 12, full_name="张三")
    region = Region.objects.create(code="320106", name="鼓楼区", level="district", path="/320106/")
    values = dict(actor=actor, action="test.insert", obj=region, before={"名称": "旧"}, after={"a": [1, {"b": None}]})
    # when one is written by insert() and one by save()
    inserted = insert(audit.entry(**values))
    saved = audit.entry(**values)
    saved.save()
    # then both rows hold the same values, and insert() set the key and the time as save() does
    assert inserted.pk is not None and inserted.pk != saved.pk
    assert inserted.created_at is not None and not inserted._state.adding
    assert _columns(inserted) == _columns(saved)
    assert AuditEntry.objects.get(pk=inserted.pk).after == {"a": [1, {"b": None}]}
    assert AuditEntry.objects.get(pk=inserted.pk).actor_name == "insert.actor"


def test_insert_sends_both_save_signals_once():
    # given receivers of the save signals of audit entries
    seen = []

    def receiver(signal):
        return lambda sender, instance, **kw: seen.append((signal, instance.pk, kw.get("created"), kw["raw"]))

    on_pre, on_post = receiver("pre"), receiver("post")
    pre_save.connect(on_pre, sender=AuditEntry, weak=False)
    post_save.connect(on_post, sender=AuditEntry, weak=False)
    try:
        # when an entry is inserted
        row = insert(AuditEntry(action="test.signals"))
    finally:
        pre_save.disconnect(on_pre, sender=AuditEntry)
        post_save.disconnect(on_post, sender=AuditEntry)
    # then pre_save saw it without a key, post_save with it, as created
    assert seen == [("pre", None, None, False), ("post", row.pk, True, False)]


def test_insert_takes_the_models_defaults():
    # given an entry with nothing but its action, written once by insert() and once by save()
    inserted = insert(AuditEntry(action="test.defaults"))
    saved = AuditEntry.objects.create(action="test.defaults")
    # then the columns left out hold the model's defaults in both
    assert _columns(inserted) == _columns(saved)
    assert _columns(inserted)["object_id"] == "" and _columns(inserted)["before"] is None


def test_insert_refuses_a_row_that_exists():
    # given a saved entry
    row = AuditEntry.objects.create(action="test.twice")
    # when it is inserted again, then insert() refuses rather than writing a second row
    with pytest.raises(ValueError):
        insert(row)
    assert AuditEntry.objects.filter(action="test.twice").count() == 1
