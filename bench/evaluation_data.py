"""The evaluation bench's data: a campaign of the demo district with 257,000 responses over its 13 streets and the 17
indicators (234,000 directed in 39 strata, 23,000 online), imported through `services.responses_import` in batches
as paper questionnaires would be. Writes var/bench/evaluation.json for the other evaluation benches.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cg_evaluation_bench .venv/bin/python bench/evaluation_data.py

Run after `civicgrid migrate` and `civicgrid demo --scale district` on that database (bench/evaluation.sh setup).
"""

import json
import os
import random
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
django.setup()

from django.utils import timezone  # noqa: E402

from civicgrid.evaluation import services  # noqa: E402
from civicgrid.evaluation.choices import Group  # noqa: E402
from civicgrid.evaluation.models import Campaign  # noqa: E402
from civicgrid.people.models import ApiToken, User  # noqa: E402
from civicgrid.regions.models import Region  # noqa: E402

YEAR = 2099  # a campaign of its own, beside the demo's
QUOTAS = {Group.ELDERLY: 6_000, Group.ADULT: 11_000, Group.ORGANISATION: 1_000}  # per street: 234,000 directed
ONLINE = 23_000
BATCH = 20_000
VAR = Path(os.environ.get("CIVICGRID_VAR_DIR", Path(__file__).resolve().parent.parent / "var")) / "bench"


def main() -> None:
    district = Region.objects.get(code="320106")
    streets = list(Region.objects.filter(parent=district, level="street").order_by("code"))
    campaign = Campaign.objects.filter(district=district, year=YEAR).first()
    if campaign is None:
        campaign = _fill(district, streets)
    admin = User.objects.get(username="admin")
    surveyor = User.objects.get(username=f"s{streets[0].code[-3:]}.surveyor")
    tokens = {}
    for who, user in (("admin", admin), ("surveyor", surveyor)):
        token = ApiToken.new_token()
        ApiToken.objects.create(user=user, name="bench", prefix=token[:8], digest=ApiToken.digest_of(token))
        tokens[who] = token
    questionnaires = {
        q.group: [question.code for question in q.questions.all() if question.is_scored]
        for q in campaign.questionnaires.prefetch_related("questions")
    }
    VAR.mkdir(parents=True, exist_ok=True)
    (VAR / "evaluation.json").write_text(
        json.dumps(
            {
                "campaign": campaign.pk,
                "online_key": campaign.online_key,
                "streets": [s.code for s in streets],
                "surveyor_street": streets[0].code,
                "questions": questionnaires,
                "tokens": tokens,
            },
            ensure_ascii=False,
        )
    )
    print(f"campaign {campaign.pk}: {campaign.responses.count():,} responses; var/bench/evaluation.json written")


def _fill(district: Region, streets: list[Region]) -> Campaign:
    started = time.monotonic()
    campaign = services.campaign_create(actor=None, district_code=district.code, year=YEAR, name="压测：25.7 万份答卷")
    rng = random.Random(257_000)
    services.quotas_set(
        actor=None,
        campaign_id=campaign.pk,
        quotas={(s.code, g): QUOTAS[Group(g)] for s in streets for g in Group.values},
    )
    services.population_set(
        actor=None,
        campaign_id=campaign.pk,
        table={
            (s.code, g): {"elderly": 20_000, "adult": 64_000, "organisation": 400}[g] + rng.randrange(0, 5_000)
            for s in streets
            for g in Group.values
        },
    )
    # the open link counts devices (a phone needs an SMS code first, which a load generator cannot read)
    services.campaign_update(actor=None, campaign_id=campaign.pk, changes={"online_check": "device"})
    services.campaign_act(actor=None, campaign_id=campaign.pk, action="open")
    asked = {
        q.group: [question for question in q.questions.all() if question.is_scored]
        for q in campaign.questionnaires.prefetch_related("questions")
    }
    level = {s.code: rng.uniform(85, 96) for s in streets}
    offset = {question.code: rng.uniform(-6, 4) for questions in asked.values() for question in questions}
    now = timezone.now()

    def answers(group: str, mood: float) -> dict[str, int]:
        return {
            q.code: 0 if rng.random() < 0.03 else 1 + round(max(0, min(100, rng.gauss(mood + offset[q.code], 11))) / 25)
            for q in asked[group]
        }

    plan = [(s.code, g, "directed") for s in streets for g in Group.values for _n in range(QUOTAS[Group(g)])]
    plan += [(rng.choice(streets).code, rng.choice([Group.ELDERLY, Group.ADULT]), "online") for _n in range(ONLINE)]
    rng.shuffle(plan)
    for start in range(0, len(plan), BATCH):
        rows = [
            services.ResponseRow(
                street=street,
                group=group,
                answers=answers(group, rng.gauss(level[street], 8)),
                channel=channel,
                entry="paper" if channel == "directed" else "online",
                key=f"bench-{start + n}",
                device=f"bench-device-{start + n}" if channel == "online" else "",
                submitted_at=now,
            )
            for n, (street, group, channel) in enumerate(plan[start : start + BATCH])
        ]
        services.responses_import(actor=None, campaign_id=campaign.pk, rows=rows, source="bench")
        print(f"  {start + len(rows):,} responses ({time.monotonic() - started:.0f} s)", flush=True)
    return campaign


if __name__ == "__main__":
    main()
