"""Spreadsheet import and export (CSV, XLSX) with django-import-export.

Every imported row is saved by the same service as the admin form
(`save_instance` is overridden), so every rule, permission and history row
applies. The admin runs the whole file in one transaction: the dry run
executes the services and rolls back (an exact preview); "confirm" applies
every row or none (IMPORT_EXPORT_USE_TRANSACTIONS). Related records are named
by their stable codes (framework code, pillar slug, institution slug,
commitment reference), so an export imports back unchanged. The `version`
column is the record's version when exported: a row is refused if the record
was saved since (optimistic locking, as in the forms).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats

from tracker import services
from tracker.models import Commitment, Evidence, Framework, Indicator, Institution, Pillar, Region

SEPARATOR = ";"


class CodeWidget(widgets.ForeignKeyWidget):
    """A related record named by its code; an unknown code is a row error."""

    def clean(self, value, row=None, **kwargs):
        value = (value or "").strip() if isinstance(value, str) else value
        if value in (None, ""):
            return None
        try:
            return self.model.objects.get(**{self.field: value})
        except self.model.DoesNotExist as exc:
            raise ValueError(
                _("No %(model)s has the code “%(code)s”.")
                % {"model": self.model._meta.verbose_name, "code": value}
            ) from exc


class CodeListWidget(widgets.Widget):
    """Several codes in one cell, separated by ";" (kept sorted)."""

    def clean(self, value, row=None, **kwargs):
        return SEPARATOR.join(sorted({p.strip() for p in str(value or "").split(SEPARATOR) if p.strip()}))

    def render(self, value, obj=None, **kwargs):
        return value or ""


def _resolve(model, codes: str, field: str, column: str) -> list:
    wanted = [c for c in codes.split(SEPARATOR) if c]
    found = {getattr(o, field): o for o in model.objects.filter(**{f"{field}__in": wanted})}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise ValidationError(
            {
                column: _("No %(model)s has the code “%(code)s”.")
                % {"model": model._meta.verbose_name, "code": ", ".join(missing)}
            }
        )
    return [found[c] for c in wanted]


class ServiceResource(resources.ModelResource):
    """Saves rows through a service; subclasses implement `save_through_service`."""

    version = fields.Field(attribute="version", column_name="version", readonly=True)

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        # An empty spreadsheet cell (XLSX gives None) is an empty text.
        for field in instance._meta.concrete_fields:
            if isinstance(field, (models.CharField, models.TextField)) and not field.null:
                if getattr(instance, field.attname, "") is None:
                    setattr(instance, field.attname, "")

    def save_instance(self, instance, is_create, row, **kwargs):
        if not self._is_using_transactions(kwargs) and self._is_dry_run(kwargs):
            return
        user = kwargs.get("user")
        raw = row.get("version")
        expected = int(raw) if raw not in (None, "") and str(raw).strip().isdigit() else None
        try:
            saved = self.save_through_service(instance, is_create, row, user, expected)
        except PermissionDenied as exc:
            raise ValidationError(str(exc)) from exc
        except ValidationError as exc:
            if getattr(exc, "details", ""):  # stale row: say what changed meanwhile
                raise ValidationError([*exc.messages, exc.details]) from exc
            raise
        instance.pk = saved.pk
        instance.version = getattr(saved, "version", None)

    def values(self, instance, names) -> dict:
        return {name: getattr(instance, name) for name in names}


class CommitmentResource(ServiceResource):
    framework = fields.Field("framework", "framework", CodeWidget(Framework, "code"))
    pillar = fields.Field("pillar", "pillar", CodeWidget(Pillar, "slug"))
    parent = fields.Field("parent", "parent", CodeWidget(Commitment, "reference"))
    lead_institution = fields.Field("import_lead", "lead_institution", CodeListWidget())
    supporting_institutions = fields.Field("import_supporting", "supporting_institutions", CodeListWidget())
    regions = fields.Field("import_regions", "regions", CodeListWidget())
    current_status = fields.Field("current_status", "current_status", readonly=True)

    class Meta:
        model = Commitment
        import_id_fields = ["reference"]
        fields = [
            "reference",
            *services.commitments.EDITABLE_FIELDS,
            "lead_institution",
            "supporting_institutions",
            "regions",
            "current_status",
            "version",
        ]
        export_order = fields
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return Commitment.objects.select_related("framework", "pillar", "parent").prefetch_related(
            "responsibilities__institution", "regions"
        )

    def get_instance(self, instance_loader, row):
        instance = super().get_instance(instance_loader, row)
        if instance is not None:
            self._annotate(instance)
        return instance

    def init_instance(self, row=None):
        instance = super().init_instance(row)
        instance.import_lead = instance.import_supporting = instance.import_regions = ""
        return instance

    @staticmethod
    def _annotate(commitment: Commitment) -> Commitment:
        roles = list(commitment.responsibilities.all())
        commitment.import_lead = SEPARATOR.join(r.institution.slug for r in roles if r.role == "lead")
        commitment.import_supporting = SEPARATOR.join(
            sorted(r.institution.slug for r in roles if r.role != "lead")
        )
        commitment.import_regions = SEPARATOR.join(sorted(r.slug for r in commitment.regions.all()))
        return commitment

    def export_resource(self, instance, selected_fields=None, **kwargs):
        return super().export_resource(self._annotate(instance), selected_fields, **kwargs)

    def save_through_service(self, instance, is_create, row, user, expected):
        leads = _resolve(Institution, instance.import_lead, "slug", "lead_institution")
        if len(leads) != 1:
            raise ValidationError({"lead_institution": _("Give exactly one lead institution.")})
        common = {
            "lead_institution": leads[0],
            "supporting_institutions": _resolve(
                Institution, instance.import_supporting, "slug", "supporting_institutions"
            ),
            "regions": _resolve(Region, instance.import_regions, "slug", "regions"),
        }
        editable = self.values(instance, services.commitments.EDITABLE_FIELDS)
        if is_create:
            return services.commitment_create(actor=user, reference=instance.reference, **common, **editable)
        return services.commitment_update(
            actor=user, commitment=instance, expected_version=expected, **common, **editable
        )


class InstitutionResource(ServiceResource):
    parent = fields.Field("parent", "parent", CodeWidget(Institution, "slug"))

    class Meta:
        model = Institution
        import_id_fields = ["slug"]
        fields = ["slug", *services.reference.INSTITUTION_FIELDS, "version"]
        export_order = fields
        skip_unchanged = True
        report_skipped = True

    def save_through_service(self, instance, is_create, row, user, expected):
        values = self.values(instance, services.reference.INSTITUTION_FIELDS)
        if is_create:
            name_fr = values.pop("name_fr")
            return services.institution_create(actor=user, slug=instance.slug, name_fr=name_fr, **values)
        return services.institution_update(
            actor=user, institution=instance, expected_version=expected, **values
        )


class EvidenceResource(ServiceResource):
    commitment = fields.Field("commitment", "commitment", CodeWidget(Commitment, "reference"))

    class Meta:
        model = Evidence
        import_id_fields = ["key"]
        fields = ["key", "commitment", *services.updates.EVIDENCE_FIELDS, "version"]
        export_order = fields
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return Evidence.objects.select_related("commitment")

    def save_through_service(self, instance, is_create, row, user, expected):
        values = self.values(instance, services.updates.EVIDENCE_FIELDS)
        if is_create:
            if instance.commitment_id is None:
                raise ValidationError({"commitment": _("Name the commitment (its reference).")})
            return services.evidence_attach(
                actor=user, commitment=instance.commitment, key=instance.key or None, **values
            )
        return services.evidence_update(actor=user, evidence=instance, expected_version=expected, **values)


class IndicatorResource(ServiceResource):
    commitment = fields.Field("commitment", "commitment", CodeWidget(Commitment, "reference"))

    class Meta:
        model = Indicator
        import_id_fields = ["key"]
        fields = ["key", "commitment", *services.updates.INDICATOR_FIELDS, "version"]
        export_order = fields
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return Indicator.objects.select_related("commitment")

    def save_through_service(self, instance, is_create, row, user, expected):
        values = self.values(instance, services.updates.INDICATOR_FIELDS)
        if is_create:
            if instance.commitment_id is None:
                raise ValidationError({"commitment": _("Name the commitment (its reference).")})
            return services.indicator_create(
                actor=user, commitment=instance.commitment, key=instance.key, **values
            )
        return services.indicator_update(actor=user, indicator=instance, expected_version=expected, **values)


class ImportExportServiceMixin(ImportExportMixin):
    """CSV and XLSX; import needs the model's add permission, export its view."""

    import_formats = [base_formats.CSV, base_formats.XLSX]
    export_formats = [base_formats.CSV, base_formats.XLSX]
    skip_admin_log = False
