from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "tracker.insights"
    label = "insights"
    verbose_name = _("Dashboard insights")

    def ready(self) -> None:
        from tracker.insights import version

        version.connect_signals()
