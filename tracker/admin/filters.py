"""List filters of the assessments' changelist that the editor home's
"see them all" links use, so that each link lists exactly its section's rows
(tracker.editorial.selectors.editor_home)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tracker.models import Organisation


class WrittenByFilter(admin.SimpleListFilter):
    """The viewer's own assessments, or everyone else's (my drafts; the
    review queue, where no one reviews their own work)."""

    title = _("author")
    parameter_name = "written_by"

    def lookups(self, request, model_admin):
        return [("me", _("me")), ("others", _("others"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(author_id=request.user.pk)
        if self.value() == "others":
            return queryset.exclude(author_id=request.user.pk)
        return queryset


class OrganisationKindFilter(admin.SimpleListFilter):
    """By the kind of the author's organisation (partner submissions)."""

    title = _("organisation kind")
    parameter_name = "organisation_kind"

    def lookups(self, request, model_admin):
        return Organisation.Kind.choices

    def queryset(self, request, queryset):
        if self.value() in Organisation.Kind.values:
            return queryset.filter(organisation__kind=self.value())
        return queryset
