"""The base files over JSON (/api/v1/registry/...): lists restricted to the caller's jurisdiction and masked,
the household file and building dossier, reveal with a reason, completeness, ledgers, export and import."""

import io
import threading

import pytest
from django.db import connection
from django.test import Client
from openpyxl import load_workbook

from civicgrid.core.errors import Conflict, ValidationError
from civicgrid.core.models import PersonalDataAccess
from civicgrid.people.models import User
from civicgrid.registry import services
from civicgrid.registry.models import Resident
from tests.factories import PASSWORD
from tests.registry.conftest import GB_EXAMPLE, id_number
from tests.registry.test_imports import BAD, GOOD, csv_bytes

API = "/api/v1/registry"


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def elderly(places):
    return services.resident_register(
        actor=places.tree.admin, household_id=places.home_a1.pk, name="张秀英", id_number=GB_EXAMPLE, relation="02",
        phone="13912345678", tags=["elderly_alone"],
    )  # fmt: skip


def test_the_residents_list_is_masked_and_restricted(places, elderly):
    services.resident_register(
        actor=places.tree.admin, household_id=places.home_b1.pk, name="赵敏", id_number=id_number(), relation="02"
    )
    body = client_for(places.tree.worker_a1).get(f"{API}/residents").json()
    assert [item["name"] for item in body["items"]] == ["张秀英"]
    item = body["items"][0]
    assert (item["id_number"], item["phone"]) == ("110105********002X", "139****5678")
    assert item["is_key_person"] is None  # a grid worker may not know who is a key person
    assert [t["code"] for t in item["tags"]] == ["elderly_alone"]
    # the whole number finds the person; a part of it finds nobody (no guessing digit by digit)
    worker = client_for(places.tree.worker_a1)
    assert len(worker.get(f"{API}/residents", {"q": GB_EXAMPLE}).json()["items"]) == 1
    assert worker.get(f"{API}/residents", {"q": "110105"}).json()["items"] == []
    assert worker.get(f"{API}/residents", {"key_persons": "true"}).status_code == 403


def test_a_resident_of_another_street_answers_404(places, elderly):
    response = client_for(places.tree.worker_b1).get(f"{API}/residents/{elderly.pk}")
    assert response.status_code == 404
    assert "张秀英" not in response.content.decode()


def test_registering_with_a_bad_id_number_answers_422_and_writes_nothing(places):
    response = client_for(places.tree.worker_a1).post(
        f"{API}/residents",
        {"household_id": places.home_a1.pk, "name": "李四", "id_number": "110105194912310021", "relation": "02"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "校验位不对" in response.json()["detail"] and "110105194912310021" not in response.content.decode()
    assert not Resident.objects.exists()


def test_the_household_file_and_building_dossier(places, elderly):
    client = client_for(places.tree.worker_a1)
    file = client.get(f"{API}/households/{places.home_a1.pk}").json()
    assert file["household"]["address"] == "仙霞路 8 号阳光小区1幢1单元301室"
    assert [m["name"] for m in file["members"]] == ["张秀英"]
    assert [c["key"] for c in file["clears"]] == ["family", "categories", "facilities", "risks"]
    assert file["may_unmask"] is True
    dossier = client.get(f"{API}/buildings/{places.building_a1.pk}").json()
    assert dossier["households"] == 1 and dossier["residents"] == 1
    assert dossier["by_care_tag"] == [["独居老人", 1]]
    assert dossier["key_persons"] is None
    assert client.get(f"{API}/buildings/{places.building_b1.pk}").status_code == 404


def test_reveal_with_a_reason_is_logged(places, elderly):
    client = client_for(places.tree.worker_a1)
    response = client.post(
        f"{API}/reveal", {"kind": "resident", "id": elderly.pk, "fields": ["phone"], "reason": "联系本人"},
        content_type="application/json",
    )  # fmt: skip
    assert response.json() == {"values": {"phone": "13912345678"}}
    assert PersonalDataAccess.objects.get().fields == ["phone"]
    refused = client.post(
        f"{API}/reveal", {"kind": "resident", "id": elderly.pk, "reason": "x"}, content_type="application/json"
    )
    assert refused.status_code == 422 and PersonalDataAccess.objects.count() == 1


def test_completeness_and_ledgers(places, elderly):
    client = client_for(places.head_a)
    rows = client.get(f"{API}/completeness", {"by": "grid"}).json()
    assert [row["code"] for row in rows] == [places.tree.grid_a1.code, places.tree.grid_a2.code]
    ledgers = [item["key"] for item in client.get(f"{API}/ledgers").json()]
    assert "key_persons" in ledgers and "population" in ledgers
    page = client.get(f"{API}/ledgers/elderly_alone").json()
    assert page["total"] == 1 and page["rows"][0][0] == "张秀英"
    assert "110105********002X" in page["rows"][0]
    assert client.get(f"{API}/ledgers/no_such_ledger").status_code == 404


def test_export_and_import_over_the_api(places, elderly):
    client = client_for(places.tree.admin)
    response = client.get(f"{API}/ledgers/population/export")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Cache-Control"] == "no-store"
    assert "张秀英" in str(list(load_workbook(io.BytesIO(response.content)).active.values))
    upload = io.BytesIO(csv_bytes(GOOD[1:] + BAD))
    upload.name = "人口.csv"
    result = client.post(f"{API}/imports", {"file": upload, "kind": "residents", "mode": "clean"}).json()
    assert (result["status"], result["imported_rows"], result["error_rows"]) == ("partial", 2, 4)
    errors = client.get(result["error_file_url"])
    assert errors.status_code == 200 and errors["Content-Disposition"].startswith("attachment")
    # another street's officer does not find the batch nor its error file
    outsider = client_for(places.tree.officer_b)
    assert outsider.get(f"{API}/imports/{result['id']}").status_code == 404
    assert outsider.get(result["error_file_url"]).status_code == 404
    not_excel = io.BytesIO(b"\x00\x01\x02binary")
    not_excel.name = "photo.jpg"
    refused = client.post(f"{API}/imports", {"file": not_excel, "kind": "residents"})
    assert refused.status_code == 422 and "不是 Excel" in refused.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_two_clerks_registering_the_same_person_at_once_one_wins(tree):
    # given two households and two clerks registering the same person into each at the same moment
    services.codes_load(actor=None)
    building = services.building_create(
        actor=tree.admin, grid_code=tree.grid_a1.code, name="5幢", address="宁海路 5 号"
    )
    homes = [
        services.household_create(actor=tree.admin, building_id=building.pk, entrance="1", room=room).pk
        for room in ("101", "102")
    ]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def register(household_id: int) -> None:
        try:
            actor = User.objects.get(pk=tree.admin.pk)
            barrier.wait()
            outcomes.append(
                services.resident_register(
                    actor=actor, household_id=household_id, name="张秀英", id_number=GB_EXAMPLE, relation="02"
                )
            )
        except (Conflict, ValidationError) as error:
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(pk,)) for pk in homes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then one is registered and the other clerk is told the person is already on file
    assert sum(isinstance(o, Resident) for o in outcomes) == 1, outcomes
    refusal = next(o for o in outcomes if not isinstance(o, Resident))
    assert "已" in refusal.message and "登记" in refusal.message
    assert Resident.objects.count() == 1


def test_the_registry_is_in_the_openapi_file(places):
    paths = client_for(places.tree.admin).get("/api/v1/openapi.json").json()["paths"]
    wanted = ("residents", "households/{household_id}", "reveal", "completeness", "ledgers/{key}/export", "imports")
    for path in wanted:
        assert f"/api/v1/registry/{path}" in paths, path
