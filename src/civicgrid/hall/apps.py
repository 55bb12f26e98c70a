from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HallConfig(AppConfig):
    name = "civicgrid.hall"
    verbose_name = _("街道服务中心")
