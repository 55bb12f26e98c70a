import pytest

from civicgrid.workorders import services
from civicgrid.workorders.choices import Action, Source, Status
from tests.workorders.conftest import IN_A1

pytestmark = pytest.mark.django_db


def test_smoke(linkage):
    t = linkage.tree
    order = services.report(actor=None, description="小区门口下水道堵了", source=Source.RESIDENT, lon=IN_A1[0], lat=IN_A1[1],
                            incident_type_code="0201", reporter_phone="13912345678", client_address="1.2.3.4")
    assert order.status == Status.REPORTED and order.region == t.grid_a1 and order.level == "street"
    order = services.act(actor=linkage.operator_a, work_order_id=order.pk, action=Action.DISPATCH)
    assert order.department == linkage.water
    order = services.act(actor=linkage.water_handler, work_order_id=order.pk, action=Action.SIGN)
    order = services.act(actor=linkage.water_handler, work_order_id=order.pk, action=Action.HANDLE, note="已疏通")
    order = services.act(actor=t.worker_a1, work_order_id=order.pk, action=Action.VERIFY_PASS)
    order = services.act(actor=None, tracking_key=order.tracking_key, work_order_id=order.pk, action=Action.RATE, rating=5)
    assert order.status == Status.RATED
    print(order.number, [e.action for e in order.events.all()])
