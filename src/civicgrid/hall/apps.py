from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HallConfig(AppConfig):
    name = "civicgrid.hall"
    verbose_name = _("街道服务中心")

    def ready(self) -> None:
        from civicgrid.hall import rollup

        rollup.connect()  # a change to a past day's tickets, applications or ratings marks its stored figures stale
