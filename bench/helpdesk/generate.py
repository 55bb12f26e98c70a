"""django-helpdesk's bench data: a staff user with a token, 15 queues, and N tickets with their follow-ups.

helpdesk has no bulk import, so tickets and follow-ups are written with PostgreSQL COPY, shaped as helpdesk
itself writes them (a ticket, its "opened" follow-up, and for resolved and closed tickets the follow-ups that
changed the status). Run inside helpdesk's own virtual environment (bench/helpdesk/build.sh does it):

    HELPDESK_DATABASE_URL=postgres://…/cg_helpdesk DJANGO_SETTINGS_MODULE=hdbench.settings \\
        var/bench/helpdesk/venv/bin/python bench/helpdesk/generate.py --tickets 1000000
"""

import argparse
import base64
import json
import os
import random
import secrets
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "var" / "bench" / "helpdesk" / "bench.json"
# CivicGrid's 15 departments as helpdesk's queues; ticket titles from the commonest incident types
QUEUES = ["城市管理", "水务", "公安", "民政", "人社", "住建", "市场监管", "生态环境"]
QUEUES += ["交通", "园林", "应急", "卫健", "残联", "司法", "水电气"]
TITLES = ["机动车乱停放", "垃圾满溢未清运", "下水道堵塞", "路灯不亮", "社会生活噪声", "占道经营", "飞线充电"]
BATCH = 50_000


def setup() -> tuple[str, list[int]]:
    user, _created = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True, "email": "bench@example.org"}
    )
    token, _created = Token.objects.get_or_create(user=user)
    ids = []
    for n, title in enumerate(QUEUES, start=1):
        queue, _created = Queue.objects.get_or_create(slug=f"q{n}", defaults={"title": title})
        ids.append(queue.pk)
    return token.key, ids


def tickets(count: int, queues: list[int], user_id: int) -> None:
    rng = random.Random(1)
    now = timezone.now()
    ticket_fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
    followup_fields = [f for f in FollowUp._meta.concrete_fields if not f.primary_key]
    start_id = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    with connection.cursor() as cursor:
        for first in range(0, count, BATCH):
            ticket_rows, followup_rows = [], []
            for n in range(first, min(count, first + BATCH)):
                created = now - timedelta(seconds=rng.randint(0, 395 * 86400))
                status = rng.choices((1, 2, 3, 4), weights=(3, 1, 6, 90))[0]
                ended = created + timedelta(hours=rng.uniform(1, 120))
                modified = ended if status >= 3 and ended < now else created
                values = {
                    "title": f"{rng.choice(TITLES)} {n}",
                    "queue_id": rng.choice(queues),
                    "created": created,
                    "modified": modified,
                    "submitter_email": f"resident{rng.randint(1, 50000)}@example.org",
                    "assigned_to_id": user_id if rng.random() < 0.8 else None,
                    "status": status,
                    "on_hold": False,
                    "description": "居民反映：某小区门口问题，请尽快处理。",
                    "resolution": "已处理完毕。" if status >= 3 else "",
                    "priority": rng.randint(1, 5),
                    "due_date": created + timedelta(days=3),
                    "last_escalation": None,
                    "secret_key": secrets.token_hex(18)[:36],
                    "kbitem_id": None,
                    "merged_to_id": None,
                }
                ticket_rows.append([values[f.column] for f in ticket_fields])
                ticket_id = start_id + n
                for date, title, new_status in [(created, "Ticket Opened", None)] + (
                    [(ended, "Resolved", 3)] + ([(ended + timedelta(hours=2), "Closed", 4)] if status == 4 else [])
                    if status >= 3 and ended < now
                    else []
                ):
                    followup = {
                        "ticket_id": ticket_id,
                        "date": date,
                        "title": title,
                        "comment": "已处理。" if new_status else "居民反映：某小区门口问题，请尽快处理。",
                        "public": True,
                        "user_id": user_id,
                        "new_status": new_status,
                        "message_id": None,
                        "time_spent": None,
                        "email_recipients": None,
                    }
                    followup_rows.append([followup.get(f.column) for f in followup_fields])
            columns = ", ".join(["id", *(f.column for f in ticket_fields)])
            with cursor.cursor.copy(f"COPY helpdesk_ticket ({columns}) FROM STDIN") as copy:
                for offset, row in enumerate(ticket_rows):
                    copy.write_row([start_id + first + offset, *row])
            columns = ", ".join(f.column for f in followup_fields)
            with cursor.cursor.copy(f"COPY helpdesk_followup ({columns}) FROM STDIN") as copy:
                for row in followup_rows:
                    copy.write_row(row)
            print(f"  {min(count, first + BATCH):,} tickets", flush=True)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('helpdesk_ticket', 'id'), (SELECT MAX(id) FROM helpdesk_ticket))"
        )
        cursor.execute("VACUUM ANALYZE helpdesk_ticket")
        cursor.execute("VACUUM ANALYZE helpdesk_followup")


def datatables(query: dict) -> str:
    return base64.b64encode(json.dumps(query).encode()).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    options = parser.parse_args()
    started = time.monotonic()
    key, queues = setup()
    have = Ticket.objects.count()
    if options.tickets > have:
        user_id = get_user_model().objects.get(username="bench").pk
        tickets(options.tickets - have, queues, user_id)
    month_end = timezone.localdate().replace(day=1) - timedelta(days=1)
    month = (month_end.replace(day=1).isoformat(), month_end.isoformat())
    sort = {"sorting": "created", "sortreverse": True}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "authorization": f"Token {key}",
                "queues": queues,
                # helpdesk's REST list takes only `status`. Its view loads every matching ticket into Python before
                # it pages, so only the open ones (~40,000) are asked for: all of them would take minutes and GBs
                "list_queries": [{"status": "1"}, {"status": "1,2"}],
                # the staff ticket list (the page's datatables feed): filters as its saved queries hold them
                "datatables": [
                    datatables({**sort, "filtering": {}}),
                    datatables({**sort, "filtering": {"status__in": [1, 2]}}),
                    datatables({**sort, "filtering": {"queue__id__in": [queues[2]], "status__in": [4]}}),
                    datatables({**sort, "filtering": {"created__gte": month[0], "created__lte": month[1]}}),
                    datatables({**sort, "filtering": {"queue__id__in": [queues[0]], "created__gte": month[0]}}),
                ],
                "run": uuid.uuid4().hex,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    elapsed = time.monotonic() - started
    print(f"{Ticket.objects.count():,} tickets, {FollowUp.objects.count():,} follow-ups ({elapsed:.0f} s)")


if __name__ == "__main__":
    main()
