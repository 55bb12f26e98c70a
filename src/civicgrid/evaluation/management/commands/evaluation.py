"""`civicgrid evaluation load-defaults` and `civicgrid evaluation report CAMPAIGN [--json]`.

civicgrid evaluation load-defaults                          # check the default tree, questionnaires and rules
civicgrid evaluation load-defaults --district 320106 --year 2026   # ... and create a campaign from them
civicgrid evaluation report 3 --json                        # the report of campaign 3 (id, or YEAR for the
                                                              # district's campaign of that year)
"""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.core.errors import DomainError
from civicgrid.core.management_utils import command_actor, fail_with_report
from civicgrid.evaluation import defaults, reporting, services
from civicgrid.evaluation.models import Campaign


class Command(BaseCommand):
    help = "居民满意度测评：检查并载入默认指标体系与问卷（load-defaults），输出测评报告（report）。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        load = sub.add_parser(
            "load-defaults", help="check the default data files; with --district and --year create a campaign"
        )
        load.add_argument("--district", default=None, help="district code, e.g. 320106")
        load.add_argument("--year", type=int, default=None)
        load.add_argument("--as-user", default=None, help="username recorded in the audit log")
        report = sub.add_parser("report", help="a campaign's report")
        report.add_argument("campaign", help="campaign id, or a year (the district's campaign of that year)")
        report.add_argument("--district", default=None, help="with a year: the district's code")
        report.add_argument(
            "--json", action="store_true", help="the JSON of GET /api/v1/evaluation/campaigns/{id}/report"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["what"] == "load-defaults":
                self._load(options)
            else:
                self._report(options)
        except DomainError as error:
            raise fail_with_report(self.stderr, error) from error

    def _load(self, options: dict[str, Any]) -> None:
        counts = defaults.check_all()
        self.stdout.write(
            "默认数据文件检查通过：{dimensions} 个维度、{focus_areas} 个重点、{indicators} 项指标，"
            "{questionnaires} 类问卷 {questions} 道题，反向问题分类规则 {rules} 条。".format(**counts)
        )
        if options["district"] or options["year"]:
            if not (options["district"] and options["year"]):
                raise CommandError("--district and --year go together")
            campaign = services.campaign_create(
                actor=command_actor(options["as_user"]), district_code=options["district"], year=options["year"]
            )
            self.stdout.write(f"已建立测评 {campaign.pk}：{campaign.name}")

    def _report(self, options: dict[str, Any]) -> None:
        value = str(options["campaign"])
        rows = Campaign.objects.all()
        if options["district"]:
            rows = rows.filter(district__code=options["district"])
        found = rows.filter(pk=int(value)).first() if value.isdigit() and len(value) < 4 else None
        if found is None and value.isdigit():
            matches = list(rows.filter(year=int(value))) or list(rows.filter(pk=int(value)))
            if len(matches) > 1:
                raise CommandError(f"{len(matches)} campaigns of {value}: give --district or the id")
            found = matches[0] if matches else None
        if found is None:
            raise CommandError(f"no campaign {value}")
        data = reporting.report(found)
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{found.name}（{found.get_status_display()}，{data['seconds']} 秒）")
        for region in sorted(data["regions"], key=lambda r: r["rank"] or 999):
            score = "—" if region["score"] is None else f"{region['score']:.2f} ± {region['moe95']:.2f}"
            interval = f"{region['rank_low']}–{region['rank_high']}" if region["rank_low"] else ""
            self.stdout.write(
                f"  {region['rank'] or '—':>3} {interval:>6} {region['name']:<10} {score}  n={region['n']}"
            )
        for warning in data["rewards"]["warnings"]:
            self.stdout.write(f"  ⚠ {warning}")
