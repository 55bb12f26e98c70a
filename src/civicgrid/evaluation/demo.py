"""The satisfaction evaluation in the demo district: a field surveyor per street, last year's campaign closed and this
year's in progress, with Gulou's sample sizes at district scale (this year 3,721 directed questionnaires of a plan of
3,640 and 17,255 online ones, as the seed report counts), free-text complaints in the reverse problem list, some of
last year's routed as work orders, rectified and published, and a few suspicious responses flagged and reviewed.

Everything goes through the services (`responses_import` for the answers, as a batch of paper questionnaires would);
the numbers come from one seeded random stream, so every run makes the same district. A second run adds nothing.
"""

import random
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from civicgrid.demo.hooks import DemoContext, register
from civicgrid.evaluation import services
from civicgrid.evaluation.choices import Group, ItemStatus, Review
from civicgrid.evaluation.models import Campaign, Response, ReverseItem
from civicgrid.people import services as people
from civicgrid.people.choices import Role
from civicgrid.people.models import User
from civicgrid.regions.choices import GridKind, Level
from civicgrid.regions.models import Region

# directed responses per street and group come from the default quotas (100 / 150 / 30); online ones in total:
ONLINE = {"district": {"last": 5_000, "this": 17_255}, "small": {"last": 60, "this": 120}}
DIRECTED_FILL = {"last": (1.0, 1.04), "this": (1.0, 1.06)}  # share of the quota filled (a little over, flagged)
SMALL_QUOTAS = {Group.ELDERLY: 12, Group.ADULT: 18, Group.ORGANISATION: 4}
COMMENT_RATE = 0.16  # residents who write something in the reverse question
PUBLISHED = {"district": 24, "small": 2}  # last year's items routed, rectified and published

COMPLAINTS = [
    "小区电动车没地充电，充电桩太少，晚上只能拉线充电",
    "希望多装几个电动车充电桩",
    "楼道里有人飞线充电，很危险",
    "老小区没有电梯，老人上下楼太难，希望加装电梯",
    "加装电梯的事谈了两年还没有结果",
    "垃圾分类点太远，垃圾桶经常满了没人清运",
    "小区门口占道摆摊，早上出门很堵",
    "停车位太少，晚上车都停到人行道上",
    "遛狗不牵绳，狗屎没人清理",
    "晚上广场舞噪音太大，影响休息",
    "楼下饭店油烟很大",
    "物业服务差，楼道卫生没人打扫",
    "社区老年食堂菜价有点贵，希望增加助餐点",
    "路口车速太快，过斑马线不安全，希望装红绿灯",
    "人行道路面坑洼，老人容易摔倒",
    "社区活动室开放时间太短",
    "办事要跑好几趟，窗口排队时间长",
    "消防通道被杂物堵住了，请尽快清理",
    "希望多组织一些文化活动",
    "就业招聘信息太少",
]
NOTHING = ["没有", "无", "都挺好", "没意见", "很满意"]


@register("evaluation")
def load_evaluation(context: DemoContext) -> str:
    started = time.monotonic()
    district = context.district
    if Campaign.objects.filter(district=district).exists():
        return f"已有 {Campaign.objects.filter(district=district).count()} 次测评，未重复生成"
    streets = list(Region.objects.filter(parent=district, level=Level.STREET).order_by("code"))
    surveyors = _surveyors(context, streets)
    rng = context.rng("evaluation")
    today = timezone.localdate()
    # each street's level of satisfaction, and how much it improves this year
    base = {s.code: rng.uniform(86.0, 95.5) for s in streets}
    gain = {s.code: rng.uniform(-1.0, 3.5) for s in streets}
    last = _campaign(context, streets, today.year - 1)
    counts_last = _answer(context, last, streets, surveyors, base, "last", datetime(today.year - 1, 10, 9, 9, 0))
    published = _rectify(context, last)
    services.campaign_act(actor=None, campaign_id=last.pk, action="close")
    this = _campaign(context, streets, today.year)
    for street in streets:  # the cost index: the year's spending on street work, as each street stated it
        spending = rng.randrange(300, 1_500) * 10_000
        services.spending_set(actor=None, campaign_id=this.pk, street_code=street.code, spending=Decimal(spending))
    improved = {code: value + gain[code] for code, value in base.items()}
    start = timezone.now() - timedelta(days=20)
    counts_this = _answer(context, this, streets, surveyors, improved, "this", start)
    reviewed = _review(context, this)
    routed = _route(this, limit=6 if context.scale == "district" else 1)
    return (
        f"{last.year} 年测评已结束（定向 {counts_last[0]:,} 份、在线 {counts_last[1]:,} 份，整改公示 {published} 项）；"
        f"{this.year} 年测评进行中（定向 {counts_this[0]:,} 份、在线 {counts_this[1]:,} 份，审核 {reviewed} 份，"
        f"派发整改 {routed} 项）；反向问题 {ReverseItem.objects.filter(campaign__district=district).count():,} 项；"
        f"调查员 {len(surveyors)} 人；用时 {time.monotonic() - started:.1f} 秒"
    )


def _surveyors(context: DemoContext, streets: list[Region]) -> dict[str, str]:
    """One field surveyor per street (s001.surveyor ...)."""
    rng = context.rng("evaluation-staff")
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    rows = [
        people.StaffRow(
            f"surveyor#{n}",
            f"s{street.code[-3:]}.surveyor",
            rng.choice(surnames)
            + rng.choice(["晓", "海", "静", "敏", "伟", "芳", "军", "丽"])
            + rng.choice("明华霞燕强平"),
            Role.FIELD_SURVEYOR,
            street.code,
            phone=f"139{rng.randrange(10**8):08d}",
        )
        for n, street in enumerate(streets, start=1)
        if not User.objects.filter(username=f"s{street.code[-3:]}.surveyor").exists()
    ]
    if rows:
        people.staff_import(actor=None, rows=rows, password=context.password)
    return {street.code: f"s{street.code[-3:]}.surveyor" for street in streets}


def _campaign(context: DemoContext, streets: list[Region], year: int) -> Campaign:
    campaign = services.campaign_create(actor=None, district_code=context.district.code, year=year)
    rng = context.rng(f"evaluation-population-{year}")
    table: dict[tuple[str, str], int] = {}
    for street in streets:
        grids = Region.objects.filter(path__startswith=street.path, level=Level.GRID)
        people_count = sum(g.target_population or 0 for g in grids) or rng.randrange(40_000, 110_000)
        elderly = round(people_count * rng.uniform(0.21, 0.28))
        table[(street.code, Group.ELDERLY)] = elderly
        table[(street.code, Group.ADULT)] = people_count - elderly
        table[(street.code, Group.ORGANISATION)] = max(
            20, grids.filter(grid_kind=GridKind.DEDICATED).count() * 40 + rng.randrange(120, 420)
        )
    services.population_set(actor=None, campaign_id=campaign.pk, table=table, source="demo")
    if context.scale == "small":
        services.quotas_set(
            actor=None,
            campaign_id=campaign.pk,
            quotas={(s.code, g): SMALL_QUOTAS[Group(g)] for s in streets for g in Group.values},
        )
    services.campaign_act(actor=None, campaign_id=campaign.pk, action="open")
    return campaign


def _answers(
    rng: random.Random, questions: list[Any], offsets: dict[str, float], level: float, text: str | None
) -> dict[str, Any]:
    """A respondent around `level` (0..100): each item near it, now and then "don't know"."""
    result: dict[str, Any] = {}
    for question in questions:
        if not question.is_scored:
            if text:
                result[question.code] = text
            continue
        if rng.random() < 0.03:
            result[question.code] = 0
            continue
        point = max(0.0, min(100.0, rng.gauss(level + offsets[question.code], 11)))
        result[question.code] = 1 + round(point / 100 * (question.scale - 1))
    return result


def _answer(
    context: DemoContext,
    campaign: Campaign,
    streets: list[Region],
    surveyors: dict[str, str],
    level: dict[str, float],
    which: str,
    start: datetime,
) -> tuple[int, int]:
    rng = context.rng(f"evaluation-answers-{campaign.year}")
    questionnaires = {q.group: q for q in campaign.questionnaires.prefetch_related("questions__indicator")}
    asked: dict[str, list[Any]] = {}
    offsets: dict[str, float] = {}
    for group, questionnaire in questionnaires.items():
        asked[group] = [
            q for q in questionnaire.questions.all() if q.indicator is None or q.indicator.street_id is None
        ]
        offsets.update({q.code: rng.uniform(-6, 4) for q in asked[group]})  # some indicators do better than others
    group_shift = {Group.ELDERLY: 2.0, Group.ADULT: -1.5, Group.ORGANISATION: 1.0}
    if timezone.is_naive(start):
        start = timezone.make_aware(start)
    now = timezone.now()
    rows: list[services.ResponseRow] = []
    strata = {(s.street.code, s.group): s for s in campaign.strata.select_related("street")}

    def comment() -> str | None:
        if rng.random() >= COMMENT_RATE:
            return None
        if rng.random() < 0.2:
            return rng.choice(NOTHING)
        text = rng.choice(COMPLAINTS)
        return text + ("，我的电话 139" + f"{rng.randrange(10**8):08d}" if rng.random() < 0.05 else "")

    def when() -> datetime:
        return min(now, start + timedelta(minutes=rng.uniform(0, 60 * 24 * 18)))

    low, high = DIRECTED_FILL[which]
    for street in streets:
        for group in Group.values:
            quota = strata[(street.code, group)].quota
            for n in range(round(quota * rng.uniform(low, high))):
                mood = rng.gauss(level[street.code] + group_shift[Group(group)], 7)
                rows.append(
                    services.ResponseRow(
                        street=street.code,
                        group=group,
                        answers=_answers(rng, asked[group], offsets, mood, comment()),
                        entry="paper" if n % 3 == 0 else "surveyor",
                        surveyor=surveyors[street.code],
                        key=f"demo-{campaign.year}-{street.code}-{group}-{n}",
                        submitted_at=when(),
                        duration=rng.randrange(90, 400),
                    )
                )
    directed = len(rows)
    online = ONLINE[context.scale][which]
    for n in range(online):
        street = rng.choice(streets)
        group = Group.ELDERLY if rng.random() < 0.18 else Group.ADULT
        mood = rng.gauss(level[street.code] - 2.5, 10)  # the open link draws the less pleased a little more
        rows.append(
            services.ResponseRow(
                street=street.code,
                group=group,
                answers=_answers(rng, asked[group], offsets, mood, comment()),
                channel="online",
                entry="online",
                key=f"demo-{campaign.year}-online-{n}",
                submitted_at=when(),
                duration=rng.randrange(60, 300),
                device=f"demo-device-{campaign.year}-{n}",
            )
        )
    # a surveyor who filled the same questionnaire again and again in ten minutes: flagged for review
    street = streets[-1]
    same = _answers(rng, asked[Group.ADULT], offsets, 100, None)
    burst_at = min(now, start + timedelta(days=3))
    for n in range(4):
        rows.append(
            services.ResponseRow(
                street=street.code,
                group=Group.ADULT,
                answers=same,
                entry="surveyor",
                surveyor=surveyors[street.code],
                key=f"demo-{campaign.year}-burst-{n}",
                submitted_at=burst_at + timedelta(minutes=2 * n),
                duration=25,
            )
        )
    services.responses_import(actor=None, campaign_id=campaign.pk, rows=rows, source="demo")
    return directed + 4, online


def _admin() -> User:
    return User.objects.get(username="admin")


def _review(context: DemoContext, campaign: Campaign) -> int:
    """The administrator looks at the flagged responses: the burst is excluded, out-of-quota ones are kept."""
    admin = _admin()
    done = 0
    for response in Response.objects.filter(campaign=campaign, review=Review.PENDING).order_by("id")[:40]:
        burst = "burst" in response.flags
        services.response_review(
            actor=admin,
            response_id=response.pk,
            action="exclude" if burst else "keep",
            reason="同一调查员 10 分钟内提交相同答卷，经电话回访核实为重复录入"
            if burst
            else "超出配额的有效答卷，保留",
        )
        done += 1
    return done


def _route(campaign: Campaign, *, limit: int) -> int:
    """The largest items with a responsible department go out as work orders with a 30-day deadline."""
    admin = _admin()
    routed = 0
    items = (
        ReverseItem.objects.filter(campaign=campaign, status=ItemStatus.NEW).exclude(department_key="").order_by("id")
    )
    ranked = sorted(items, key=lambda item: -item.comments.count())[:limit]
    for item in ranked:
        services.item_route(actor=admin, item_id=item.pk, due_on=timezone.localdate() + timedelta(days=30))
        routed += 1
    return routed


def _rectify(context: DemoContext, campaign: Campaign) -> int:
    """Last year's biggest items: routed, handled by the department, verified on site, published."""
    from civicgrid.workorders import services as workorders

    _route(campaign, limit=PUBLISHED[context.scale])
    admin = _admin()
    done = 0
    for item in ReverseItem.objects.filter(campaign=campaign, status=ItemStatus.ROUTED).select_related("work_order"):
        order = item.work_order
        assert order is not None
        handler = (
            User.objects.filter(posts__department=order.department, posts__is_active=True).order_by("username").first()
        )
        worker = User.objects.filter(
            posts__region=order.region, posts__role=Role.GRID_WORKER, posts__is_active=True
        ).first()
        if handler is None or worker is None:
            continue
        workorders.act(actor=handler, work_order_id=order.pk, action="sign")
        workorders.act(actor=handler, work_order_id=order.pk, action="handle", note=_FIXES.get(item.title, _FIX))
        workorders.act(actor=worker, work_order_id=order.pk, action="verify_pass")
        services.item_publish(actor=admin, item_id=item.pk)
        done += 1
    return done


_FIX = "已会同社区、物业现场查看并完成整改，后续纳入日常巡查。"
_FIXES = {
    "电动车充电设施不足": "在小区内新建集中充电棚 2 处、充电桩 40 个，已投入使用。",
    "加装电梯与老旧小区改造": "已完成 3 个单元加装电梯的协商和公示，2 部电梯已开工。",
    "垃圾分类与清运": "增设垃圾分类投放点 2 处，清运改为每日两次。",
    "停车难与乱停车": "利用边角地新增停车位 60 个，交警加强夜间巡查。",
    "不文明养犬": "开展文明养犬宣传，联合派出所对不牵绳行为劝导 30 余次。",
    "噪声扰民": "与广场舞队协商调整时间和音量，晚上 9 点后停止活动。",
    "治安与交通安全": "路口安装不礼让行人抓拍设备并设置减速标志，改造绿化带消除视线盲区。",
    "道路设施与规划建设": "已修补人行道破损路面 300 平方米。",
}
