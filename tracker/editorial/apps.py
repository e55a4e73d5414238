from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EditorialConfig(AppConfig):
    name = "tracker.editorial"
    label = "editorial"
    verbose_name = _("Editorial workflow")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import security  # noqa: F401  (connects the security-log receivers)
