from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = _("SSR commitment tracker")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tracker.roles import on_post_migrate

        # After every migrate and flush (like auth's permissions): see tracker/roles.py.
        post_migrate.connect(on_post_migrate, dispatch_uid="tracker-role-groups")
