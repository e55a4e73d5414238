from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "tracker.insights"
    label = "insights"
    verbose_name = _("Dashboard insights")

    def ready(self) -> None:
        from tracker.insights import trend, version

        # The trend's invalidation first: it runs in the writing transaction,
        # before the token's bump on commit and the warming that follows it.
        trend.connect_signals()
        version.connect_signals()
