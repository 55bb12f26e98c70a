"""The demo district's base files: estates and buildings inside every grid, households in their rooms, residents
(registered and floating, by a city's age and household structure), care recipients at realistic shares, key persons,
and organisations (shops and firms in the comprehensive grids, the large units of the dedicated grids).

`--scale district` fills each comprehensive grid up to its planned households and population (Gulou: about 380,000
households and 1.1 million residents in 991 grids); `--scale small` puts a few households in each grid (a few hundred
residents), for tests. Everything is drawn from a seeded random stream, so the same seed gives the same district.

No real person's data: names are drawn from Faker's zh_CN name lists; phones use the 140 segment (reserved for
machine-to-machine cards, never a person's mobile); ID numbers are valid in form, date, place and check digit but
their order code (digits 15-17) is always 990-999: **a demo ID number has "99" in positions 15-16**. Residents are
written in bulk through `services.bulk_load` (indexes built once at the end of the load).
"""

import time
from bisect import bisect
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from itertools import accumulate
from random import Random
from typing import Any

import numpy as np
import shapely
from django.utils import timezone
from faker.providers.person.zh_CN import Provider as ChineseNames

from civicgrid.demo.hooks import DemoContext, register
from civicgrid.regions.choices import GridKind, Level
from civicgrid.regions.models import Region
from civicgrid.registry import services
from civicgrid.registry.choices import HouseholdStatus, HousingStatus, ResidenceStatus, Sex
from civicgrid.registry.models import Code, Household
from civicgrid.registry.services.loader import FilesChunk
from civicgrid.registry.services.places import format_address

DEMO_ORDER_CODE = "99"  # digits 15-16 of every demo ID number
MALE_DIGITS, FEMALE_DIGITS = (1, 3, 5, 7, 9), (0, 2, 4, 6, 8)
YOUNG_SCHOOLING, OLD_SCHOOLING = ("10", "20", "20", "30", "60"), ("20", "30", "60", "70", "80")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
SMALL_HOUSEHOLDS = (4, 6)  # per comprehensive grid at --scale small
VACANT = 0.04
NANJING = ("320106",) * 3 + ("320102", "320103", "320104", "320105", "320107", "320111", "320113", "320114",
                              "320115", "320116", "320124", "320125")  # fmt: skip
ELSEWHERE = (
    "320321", "321323", "340102", "341222", "410526", "420106", "510521", "320382", "321281", "320723", "340881",
    "341125", "370828", "411424", "360428", "430524", "320623", "340322", "341623",
)  # fmt: skip
PLACE_NAMES = {
    "320321": "江苏省徐州市丰县",
    "321323": "江苏省宿迁市泗阳县",
    "340102": "安徽省合肥市瑶海区",
    "341222": "安徽省阜阳市太和县",
    "410526": "河南省安阳市滑县",
    "420106": "湖北省武汉市武昌区",
    "510521": "四川省泸州市泸县",
    "320382": "江苏省徐州市邳州市",
    "321281": "江苏省泰州市兴化市",
    "320723": "江苏省连云港市灌云县",
    "340881": "安徽省安庆市桐城市",
    "341125": "安徽省滁州市定远县",
    "370828": "山东省济宁市金乡县",
    "411424": "河南省商丘市柘城县",
    "360428": "江西省九江市都昌县",
    "430524": "湖南省邵阳市隆回县",
    "320623": "江苏省南通市如东县",
    "340322": "安徽省蚌埠市五河县",
    "341623": "安徽省亳州市利辛县",
}
ROADS = (
    "中山路", "北京西路", "宁海路", "湖南路", "广州路", "汉口路", "上海路", "天津路", "青岛路", "云南路", "虎踞路",
    "清凉门大街", "草场门大街", "江东北路", "凤凰西街", "模范马路", "中央路", "湖北路", "西康路", "江苏路", "福建路",
    "热河路", "建宁路", "幕府西路", "南秀村", "山西路", "察哈尔路", "萨家湾", "定淮门大街", "龙江路",
)  # fmt: skip
ESTATE_WORDS = (
    "阳光", "清凉", "汉中", "龙江", "凤凰", "银城", "金陵", "秀山", "翠竹", "兰园", "颐和", "云锦", "天润", "华侨",
    "芳草", "紫金", "玄武", "石城", "江畔", "锦绣", "怡景", "宁新", "苏宁", "鸿福", "康乐", "安居", "和平", "幸福",
)  # fmt: skip
ESTATE_KINDS = ("小区", "花园", "新村", "苑", "公寓", "家园")
# (floors above, entrances, households per floor per entrance, weight): old six-storey walk-ups dominate Gulou
BUILDING_KINDS = (
    ((6, 7), (2, 4), 2, 50),
    ((11, 18), (1, 2), 3, 25),
    ((24, 33), (1, 2), 4, 12),
    ((2, 3), (1, 1), 3, 13),
)
OCCUPATIONS = (
    "教师", "医生", "护士", "工程师", "公司职员", "个体经营", "销售", "司机", "快递员", "厨师", "公务员", "会计",
    "程序员", "自由职业", "保安", "服务员", "律师", "设计师", "工人", "研究人员",
)  # fmt: skip
RELATIONS = {"head": "02", "spouse": "10", "son": "20", "daughter": "30", "father": "51", "mother": "52",
             "other": "99"}  # fmt: skip
INFLOW = (("work", 55), ("business", 15), ("family", 10), ("study", 6), ("marriage", 4), ("accompany", 6),
          ("medical", 1), ("other", 3))  # fmt: skip
COMPANY_WORDS = ("科技", "商贸", "物业", "餐饮", "文化")
FACILITY_SHARES = (("extinguisher", 0.92), ("cctv", 0.6), ("access_control", 0.7), ("ebike_charging", 0.45),
                   ("smoke_alarm", 0.4), ("aed", 0.04))  # fmt: skip
SHOPS = (
    "超市",
    "便利店",
    "面馆",
    "理发店",
    "药店",
    "水果店",
    "五金店",
    "早点铺",
    "茶叶店",
    "洗衣店",
    "培训中心",
    "诊所",
)


@lru_cache(maxsize=256)
def _place_sum(place: str) -> int:
    return sum(int(c) * w for c, w in zip(place, WEIGHTS[:6], strict=True))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def date_parts(day: date) -> tuple[str, str, int]:
    """A date as ISO text, as the digits 7-14 of an ID number, and those digits' weighted sum."""
    text = f"{day.year:04d}{day.month:02d}{day.day:02d}"
    return day.isoformat(), text, sum(int(c) * w for c, w in zip(text, WEIGHTS[6:14], strict=True))


ORDER_SUM = sum(int(c) * w for c, w in zip(DEMO_ORDER_CODE, WEIGHTS[14:16], strict=True))


def demo_id_number(place: str, birth_digits: str, birth_sum: int, last: int) -> str:
    """A valid 18-character number with the demo order code 99x (x odd for men, even for women): GB 11643's
    weighted sum, from parts computed once (a million numbers)."""
    total = _place_sum(place) + birth_sum + ORDER_SUM + last * WEIGHTS[16]
    return f"{place}{birth_digits}{DEMO_ORDER_CODE}{last}{CHECK[total % 11]}"


def demo_uscc(rng: Random, kind: str, area: str = "320106") -> str:
    """A unified social credit code of the right shape with a right check character (cn.uscc)."""
    from stdnum.cn import uscc

    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = kind + area + "MA" + "".join(rng.choice(alphabet) for _ in range(7))
    return body + uscc.calc_check_digit(body + "0")


class Generator:
    """Draws one grid's files at a time (a `FilesChunk`), from its own random stream."""

    def __init__(self, context: DemoContext) -> None:
        self.rng = context.rng("registry")
        self.random = self.rng.random
        self.small = context.scale == "small"
        self.today = timezone.localdate()
        self.taken: set[str] = set()
        surnames = ChineseNames.last_names
        self.surnames = list(surnames)
        self.surname_weights = list(accumulate(surnames.values()))
        self.surname_total = self.surname_weights[-1]
        # every day back to 115 years ago: ISO text, the YYYYMMDD of an ID number, and its weighted digit sum
        start = self.today.toordinal()
        self.days = [date_parts(date.fromordinal(start - ago)) for ago in range(115 * 366)]
        # days back to the first day one is `age` years old (birthdays on 29 February fall on 28 February)
        self.years_ago = [start - _years_before(self.today, age).toordinal() for age in range(112)]
        self.male_names = list(ChineseNames.first_names_male)
        self.female_names = list(ChineseNames.first_names_female)
        self.counts = {"elderly_alone": 0, "disabled": 0, "low_income": 0, "floating": 0, "key_persons": 0}
        codes: dict[str, dict[str, int]] = {}
        for code in Code.objects.all():
            codes.setdefault(code.list, {})[code.code] = code.pk
        self.relation = {key: codes["relation"][code] for key, code in RELATIONS.items()}
        self.han, self.hui = codes["ethnicity"]["01"], codes["ethnicity"]["03"]
        self.tag = {**codes["care_tag"], **codes["person_category"]}
        self.residential = codes["housing_use"]["residential"]
        self.structures = [codes["building_structure"][s] for s in ("brick_concrete", "steel_concrete")]
        self.facility = codes["facility"]
        self.inflow = [codes["inflow_reason"][r] for r, _weight in INFLOW]
        self.inflow_weights = list(accumulate(weight for _r, weight in INFLOW))
        self.education = codes["education"]
        self.marital = codes["marital_status"]
        self.party, self.league, self.masses = (codes["political_status"][p] for p in ("01", "03", "13"))
        self.key_types = [pk for code, pk in codes["key_person_type"].items() if code != "other"]
        self.org_types = codes["organisation_type"]
        self.industry = codes["industry"]

    # ---------------------------------------------------------------- drawing fast
    # A million residents: `random()` and arithmetic instead of randint/choice (a tenth of the time each).

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def pick[T](self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    def day(self, ago: int) -> str:
        """The date `ago` days before today, as ISO text (what both databases take for a date column)."""
        return self.days[ago][0]

    # ---------------------------------------------------------------- people

    def name(self, surname: str | None = None, male: bool = True) -> str:
        random = self.random
        surname = surname or self.surnames[bisect(self.surname_weights, random() * self.surname_total)]
        pool = self.male_names if male else self.female_names
        given = pool[int(random() * len(pool))]
        if len(given) == 1 and random() < 0.5:
            given += pool[int(random() * len(pool))][0]
        return surname + given

    def phone(self) -> str:
        return f"140{int(self.random() * 10**8):08d}"

    def id_number(self, ago: int, male: bool, floating: bool) -> tuple[str, int]:
        """A demo number not given out yet for someone born `ago` days ago (another order digit, another place,
        then the day before), and the day of birth it carries."""
        random, taken = self.random, self.taken
        digits = MALE_DIGITS if male else FEMALE_DIGITS
        places = ELSEWHERE if floating else NANJING
        for _attempt in range(12):
            place = places[int(random() * len(places))]
            _iso, text, date_sum = self.days[ago]
            start = int(random() * 5)
            for k in range(5):
                number = demo_id_number(place, text, date_sum, digits[(start + k) % 5])
                if number not in taken:
                    taken.add(number)
                    return number, ago
            ago += 1
        return "", ago  # nothing free (never at the demo's size): the resident is filed without a number

    def members(self, owner: bool) -> list[tuple[int, bool, str]]:
        """(age, male, relation) of a household's people, by a city's household structure."""
        random, between = self.random, self.between
        r = random()
        if not owner:  # tenants: young singles, couples, a child, or flatmates
            if r < 0.35:
                return [(between(21, 40), random() < 0.55, "head")]
            if r < 0.60:
                age = between(23, 40)
                return [(age, True, "head"), (age + between(-3, 2), False, "spouse")]
            if r < 0.85:
                age = between(27, 42)
                return [
                    (age, True, "head"),
                    (age - between(0, 3), False, "spouse"),
                    (between(0, 12), random() < 0.5, "son"),
                ]
            return [(between(20, 32), random() < 0.5, "head" if i == 0 else "other") for i in range(3)]
        if r < 0.08:  # an elderly person living alone, more often a woman
            return [(between(62, 95), random() < 0.35, "head")]
        if r < 0.13:
            return [(between(23, 45), random() < 0.55, "head")]
        if r < 0.29:  # an elderly couple whose children live elsewhere
            age = between(60, 90)
            return [(age, True, "head"), (max(55, age - between(0, 5)), False, "spouse")]
        if r < 0.37:
            age = between(25, 38)
            return [(age, True, "head"), (age - between(0, 3), False, "spouse")]
        if r < 0.41:
            age = between(35, 55)
            return [(age, random() < 0.3, "head"), (between(8, 22), random() < 0.5, "son")]
        age = between(30, 52)
        family = [(age, True, "head"), (age - between(0, 4), False, "spouse")]
        for _child in range(1 if r < 0.67 else 2):
            family.append((max(0, min(age - 24, between(0, 24))), random() < 0.51, "son"))
        if r >= 0.80:  # three generations
            for _parent in range(1 if random() < 0.65 else 2):
                family.append((age + between(24, 34), random() < 0.4, "father"))
        return family

    def person(self, age: int, male: bool, relation: str, surname: str, floating: bool, home: tuple[Any, ...],
               quality: float) -> tuple[tuple[Any, ...], list[str]]:  # fmt: skip
        """One resident row (bulk_load.RESIDENT without the household index) and their tag codes."""
        random = self.random
        if relation == "son":
            relation = "son" if male else "daughter"
        elif relation == "father":
            relation = "father" if male else "mother"
        first, last = self.years_ago[age], self.years_ago[age + 1]  # born within that year of age exactly
        ago = first + int(random() * (last - first))
        name = self.name(surname if relation in ("head", "son", "daughter") else None, male)
        adult = age >= 18
        tags: list[str] = []
        if age >= 80:
            tags.append("elderly_80")
        if age >= 60 or (age >= 55 and not male):
            if random() < 0.95:
                tags.append("retired")
        elif age < 6:
            tags.append("preschool")
        elif age <= 22 and random() < 0.9:
            tags.append("student")
        if random() < 0.006 + max(0, age - 50) * 0.0012:
            tags.append("disabled")
        if adult:
            if random() < 0.006:
                tags.append("serious_illness")
            if male and 25 <= age <= 80 and random() < 0.015:
                tags.append("veteran")
            if age <= 75 and random() < 0.02:
                tags.append("volunteer")
            if age < 60 and random() < (0.065 if floating else 0.015):
                tags.append("flexible_employment" if floating and random() < 0.75 else "unemployed")
        political = self.masses
        if adult and random() < 0.09:
            political = self.party
            if age < 60 and random() < 0.3:
                tags.append("party_reporting")
        elif 14 <= age <= 28 and random() < 0.4:
            political = self.league
        marital = self.marital
        if age < 22:
            married = marital["10"]
        elif age < 30:
            married = marital["20" if random() < 0.5 else "10"]
        elif age < 60:
            married = marital["20" if random() < 0.88 else ("40" if random() < 0.5 else "10")]
        else:
            married = marital["20" if random() < 0.7 else "30"]
        education = self.education[self.pick(YOUNG_SCHOOLING if age < 45 else OLD_SCHOOLING)] if adult else None
        occupation = "退休" if "retired" in tags else (self.pick(OCCUPATIONS) if adult and age < 60 else "")
        inflow = floating_since = None
        registered_address, native_place = home[5], ""
        number, ago = self.id_number(ago, male, floating)
        if floating:
            inflow = self.inflow[bisect(self.inflow_weights, random() * self.inflow_weights[-1])]
            floating_since = self.day(self.between(30, 8 * 365))
            registered_address = PLACE_NAMES.get(number[:6], "")
            native_place = registered_address[:6]
        reviewed = self.day(self.between(0, 360) if random() < quality else self.between(380, 900))
        key_type = None
        if adult and age <= 70 and random() < 0.0012:
            key_type = self.pick(self.key_types)
            self.counts["key_persons"] += 1
        row = (
            name, number, Sex.MALE if male else Sex.FEMALE, self.days[ago][0],
            self.hui if random() < 0.012 else self.han, education, married if adult else None,
            political if age >= 14 else None, occupation, "",
            self.phone() if adult and random() < 0.88 else "",
            ResidenceStatus.FLOATING if floating else ResidenceStatus.REGISTERED, inflow, floating_since,
            registered_address, native_place, self.relation[relation], home[4], None, reviewed, key_type is not None,
            key_type,
        )  # fmt: skip
        return row, tags

    # ---------------------------------------------------------------- places

    def points(self, grid: Region, count: int) -> list[tuple[float | None, float | None]]:
        """`count` points inside the grid's boundary (rejection sampling in its bounding box)."""
        if not grid.boundary or count == 0:
            return [(None, None)] * count
        shape = shapely.geometry.shape(grid.boundary)
        x0, y0, x1, y1 = shape.bounds
        found: list[tuple[float | None, float | None]] = []
        generator = np.random.default_rng(self.rng.randrange(2**32))
        for _round in range(8):
            xs = generator.uniform(x0, x1, count * 3)
            ys = generator.uniform(y0, y1, count * 3)
            inside = shapely.contains_xy(shape, xs, ys)
            found += [(round(float(x), 6), round(float(y), 6)) for x, y in zip(xs[inside], ys[inside], strict=True)]
            if len(found) >= count:
                break
        return (found + [(None, None)] * count)[:count]

    def grid_files(self, grid: Region, estate_names: dict[int, set[str]]) -> FilesChunk:
        """One comprehensive grid: its estates, buildings until the planned households fit, their entrances and
        facilities, households in the rooms (a few vacant) and the residents of each."""
        rng = self.rng
        chunk = FilesChunk()
        target = rng.randint(*SMALL_HOUSEHOLDS) if self.small else (grid.target_households or rng.randint(300, 500))
        wanted = round(target * (1 + VACANT))
        quality = rng.uniform(0.55, 0.98)  # how well this grid's worker keeps the files
        road = ROADS[int(grid.code[-6:]) % len(ROADS)]
        community = grid.parent
        assert community is not None
        taken = estate_names.setdefault(community.pk, set())
        rooms: list[tuple[int, int, int, str]] = []  # (building, entrance, floor, room)
        kinds = list(accumulate(k[3] for k in BUILDING_KINDS))
        shapes: list[tuple[int, int, int]] = []
        while len(rooms) < wanted:
            (low, high), (ent_low, ent_high), per_floor, _weight = rng.choices(BUILDING_KINDS, cum_weights=kinds)[0]
            floors, entrances = rng.randint(low, high), rng.randint(ent_low, ent_high)
            if self.small:
                floors, entrances = min(floors, 6), 1
            b = len(shapes)
            shapes.append((floors, entrances, per_floor))
            rooms += [
                (b, e, floor, f"{floor}{n:02d}")
                for e in range(entrances)
                for floor in range(1, floors + 1)
                for n in range(1, per_floor + 1)
            ]
        numbers: list[int] = []  # buildings so far in each of this grid's estates
        for b, ((floors, entrances, _per), (lon, lat)) in enumerate(
            zip(shapes, self.points(grid, len(shapes)), strict=True)
        ):
            if not chunk.estates or (rng.random() < 0.15 and numbers[-1] >= 3):
                name = f"{rng.choice(ESTATE_WORDS)}{rng.choice(ESTATE_KINDS)}"
                while name in taken:
                    name = f"{rng.choice(ESTATE_WORDS)}{rng.choice(ESTATE_WORDS)}{rng.choice(ESTATE_KINDS)}"
                taken.add(name)
                chunk.estates.append(
                    (f"{community.code}{len(taken):03d}", name, community.pk, f"{road}{rng.randint(1, 200)}号",
                     "", rng.randint(1980, 2018))
                )  # fmt: skip
                numbers.append(0)
            numbers[-1] += 1
            captain = rng.random() < quality + 0.05
            checked_recently = rng.random() < quality + 0.1
            checked = self.day(self.between(0, 360) if checked_recently else self.between(380, 800))
            chunk.buildings.append((
                len(chunk.estates) - 1, f"{grid.code}{b + 1:04d}", f"{numbers[-1]}幢", grid.pk,
                f"{road}{rng.randint(1, 300)}号", floors, 1 if floors >= 11 else 0, self.residential,
                self.structures[floors >= 7], rng.randint(1982, 2020), lon, lat, "",
                self.name() if captain else "", self.phone() if captain else "", checked,
            ))  # fmt: skip
            for facility, share in FACILITY_SHARES:
                if rng.random() < share:
                    chunk.facilities.append((b, self.facility[facility]))
            if floors >= 7:
                chunk.facilities += [(b, self.facility["elevator"]), (b, self.facility["fire_hydrant"])]
            chunk.entrances += [(b, str(e + 1)) for e in range(entrances)]
        self._households(grid, chunk, rooms[:wanted], target, quality)  # the last building's other rooms: no file
        return chunk

    def _households(
        self, grid: Region, chunk: FilesChunk, rooms: list[tuple[int, int, int, str]], target: int, quality: float
    ) -> None:
        rng = self.rng
        first_entrance: dict[int, int] = {}
        for index, (b, _number) in enumerate(chunk.entrances):
            first_entrance.setdefault(b, index)
        occupied = set(rng.sample(range(len(rooms)), min(target, len(rooms))))
        random, between = self.random, self.between
        for index, (b, e, floor, room) in enumerate(rooms):
            building = chunk.buildings[b]
            estate = chunk.estates[building[0]][1]
            address = format_address(building[4], estate, building[2], str(e + 1), room)
            active = index in occupied
            roll = random()
            housing = (
                HousingStatus.OWNER if roll < 0.72 else HousingStatus.TENANT if roll < 0.97 else HousingStatus.OTHER
            )
            checked = None
            if active and random() < quality:
                checked = self.day(between(0, 180))
            elif active and random() < 0.6:
                checked = self.day(between(190, 540))
            home = (b, first_entrance[b] + e, floor, room, grid.pk, address, housing, self.residential,
                    round(38 + random() * 102, 2), HouseholdStatus.ACTIVE if active else HouseholdStatus.VACANT,
                    checked)  # fmt: skip
            chunk.households.append(home)
            if active:
                self._people(chunk, len(chunk.households) - 1, home, housing, quality)

    def _people(self, chunk: FilesChunk, h: int, home: tuple[Any, ...], housing: str, quality: float) -> None:
        random = self.random
        owner = housing != HousingStatus.TENANT
        floating = not owner and random() < 0.85
        family = self.members(owner)
        surname = self.surnames[bisect(self.surname_weights, random() * self.surname_total)]
        shared: list[str] = []  # a household's own care tags (low income is assessed per household)
        roll = random()
        if owner and roll < 0.006:
            shared.append("low_income")
        elif owner and roll < 0.009:
            shared.append("low_income_margin")
        alone = len(family) == 1
        couple = len(family) == 2 and family[1][0] >= 55
        counts, tag_ids = self.counts, self.tag
        for age, male, relation in family:
            row, tags = self.person(age, male, relation, surname, floating, home, quality)
            chunk.residents.append((h, *row))
            r = len(chunk.residents) - 1
            if age >= 60 and alone:
                tags.append("elderly_alone")
                counts["elderly_alone"] += 1
                if random() < 0.05:
                    tags.append("special_hardship")
            elif age >= 60 and couple:
                tags.append("empty_nest")
            if age >= 70 and random() < 0.01:
                tags.append("entitled_group")
            tags += shared
            counts["disabled"] += "disabled" in tags
            counts["low_income"] += "low_income" in tags
            counts["floating"] += floating
            chunk.tags += [(r, tag_ids[t]) for t in tags]

    def organisations(self, grid: Region, chunk: FilesChunk) -> None:
        """Shops and firms on the ground floors of a comprehensive grid; large units in a dedicated one."""
        rng = self.rng
        dedicated = grid.grid_kind == GridKind.DEDICATED
        count = (rng.randint(2, 5) if dedicated else rng.randint(12, 30)) if not self.small else rng.randint(1, 2)
        kind_name = grid.name.removesuffix("专属网格")
        for n in range(count):
            if dedicated:
                org_type = next((t for word, t in (("医院", "medical"), ("大学", "institution"), ("中学", "school"),
                                                   ("小学", "school"), ("政务", "government")) if word in kind_name),
                                "enterprise")  # fmt: skip
                name = f"{kind_name}{'' if n == 0 else f'第{n + 1}单位'}"
                employees, key = rng.randint(80, 3000), True
            else:
                roll = rng.random()
                org_type = "individual" if roll < 0.55 else ("enterprise" if roll < 0.85 else rng.choice(
                    ("social_organisation", "institution", "medical", "school")))  # fmt: skip
                name = f"{rng.choice(ESTATE_WORDS)}{rng.choice(SHOPS)}" if org_type == "individual" else \
                    f"南京{rng.choice(ESTATE_WORDS)}{rng.choice(COMPANY_WORDS)}有限公司"  # fmt: skip
                employees, key = rng.randint(1, 60), rng.random() < 0.05
            prefix = {"individual": "92", "enterprise": "91", "government": "11", "institution": "12", "school": "12",
                      "medical": "12", "social_organisation": "52"}[org_type]  # fmt: skip
            industry = {"individual": rng.choice(("F", "H", "O")), "enterprise": rng.choice(("I", "L", "M", "F")),
                        "government": "S", "institution": "M", "school": "P", "medical": "Q",
                        "social_organisation": "S"}[org_type]  # fmt: skip
            building = rng.randrange(len(chunk.buildings)) if chunk.buildings else -1
            address = (
                chunk.buildings[building][4] if building >= 0 else f"{ROADS[n % len(ROADS)]}{rng.randint(1, 300)}号"
            )
            lon, lat = self.points(grid, 1)[0] if building < 0 else chunk.buildings[building][10:12]
            checked = self.day(rng.randint(0, 400)) if rng.random() < 0.8 else None
            chunk.organisations.append((
                building, name, demo_uscc(rng, prefix), self.org_types[org_type], self.industry[industry],
                self.name(), self.name(), self.phone(), address, grid.pk, lon, lat, employees, key, checked,
            ))  # fmt: skip


@register("registry")
def load_registry(context: DemoContext) -> str:
    started = time.monotonic()
    if not Code.objects.exists():
        services.codes_load(actor=None)
    district = context.district
    if Household.objects.filter(grid__path__startswith=district.path).exists():
        return "已有人口房屋档案，未重复生成"
    generator = Generator(context)
    grids = list(
        Region.objects.filter(level=Level.GRID, path__startswith=district.path)
        .select_related("parent")
        .order_by("code")
    )
    estate_names: dict[int, set[str]] = {}

    def chunks() -> Any:
        for grid in grids:
            dedicated = grid.grid_kind == GridKind.DEDICATED
            chunk = FilesChunk() if dedicated else generator.grid_files(grid, estate_names)
            generator.organisations(grid, chunk)
            yield chunk

    fresh = not Household.objects.exists()
    loaded = services.bulk_load(actor=None, chunks=chunks(), label="演示数据", fresh=fresh)
    counts = generator.counts
    return (
        f"小区 {loaded.estates:,} 个、楼栋 {loaded.buildings:,} 栋、户 {loaded.households:,} 户、"
        f"居民 {loaded.residents:,} 人"
        f"（流动人口 {counts['floating']:,}、独居老人 {counts['elderly_alone']:,}、残疾人 {counts['disabled']:,}、"
        f"低保 {counts['low_income']:,}、重点人员 {counts['key_persons']:,}）、单位 {loaded.organisations:,} 个；"
        f"用时 {time.monotonic() - started:.1f} 秒"
    )
