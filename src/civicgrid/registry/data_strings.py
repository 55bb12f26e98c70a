"""The words of the registry's data files that the pages show (ledger names, the four clears' names and what each
means), marked here so that `makemessages` puts them into the registry's catalog; the pages translate them when they
show them. `tests/registry/test_pages.py` fails when a data file gains a word that is not listed here."""

from django.utils.translation import gettext_noop

LEDGER_NAMES = (
    gettext_noop("实有人口台账"),
    gettext_noop("流动人口台账"),
    gettext_noop("独居老人台账"),
    gettext_noop("高龄老人台账"),
    gettext_noop("残疾人台账"),
    gettext_noop("低保对象台账"),
    gettext_noop("关爱对象台账"),
    gettext_noop("重点人员台账"),
    gettext_noop("实有房屋台账"),
    gettext_noop("出租房屋台账"),
    gettext_noop("楼栋台账"),
    gettext_noop("实有单位台账"),
    gettext_noop("重点单位台账"),
)
FOUR_CLEARS = (
    gettext_noop("家庭情况清"),
    gettext_noop("户内成员齐全，有户主，每名成员与户主关系和身份证号码都已登记。"),
    gettext_noop("人员类别清"),
    gettext_noop("每名成员的人口类型、人员类别和关爱标签在 12 个月内核实过；流动人口登记了流入原因和来本地日期。"),
    gettext_noop("设施情况清"),
    gettext_noop("所在楼栋有楼栋长，消防设施齐备，设施在 12 个月内核查过。"),
    gettext_noop("隐患矛盾清"),
    gettext_noop("6 个月内入户排查过安全隐患和矛盾纠纷。"),
)
