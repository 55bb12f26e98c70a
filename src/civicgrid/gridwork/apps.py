from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridworkConfig(AppConfig):
    name = "civicgrid.gridwork"
    verbose_name = _("网格工作")
