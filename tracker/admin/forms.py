"""Admin forms whose saves go through the services.

`ServiceModelForm` runs the service at the end of validation (`_post_clean`),
inside the admin's transaction: a rule the service refuses becomes a form
error next to the field, and the editor's input is kept on the page.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin
from django.contrib.admin import widgets
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from tracker import services
from tracker.models import (
    Assessment,
    Commitment,
    Evidence,
    Framework,
    Indicator,
    Institution,
    Measurement,
    Membership,
    Organisation,
    Pillar,
    Region,
)
from tracker.services.locking import parse_read_stamp


class ServiceModelForm(forms.ModelForm):
    """Subclasses implement `save_through_service(user) -> instance`."""

    user = None  # set by the ModelAdmin

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors:
            return
        try:
            self.instance = self.save_through_service(self.user)
        except ValidationError as exc:
            self._update_errors(exc)
            if getattr(exc, "details", ""):  # a stale save: show what changed meanwhile
                self.add_error(None, exc.details)
        except PermissionDenied as exc:
            self.add_error(None, str(exc))

    def disable(self, *names: str) -> None:
        # Absent when the admin shows the record read-only.
        for name in names:
            if name in self.fields:
                self.fields[name].disabled = True

    def save_through_service(self, user):  # pragma: no cover - abstract
        raise NotImplementedError

    def save(self, commit: bool = True):
        # The service has saved everything already.
        return self.instance

    def save_m2m(self) -> None:
        pass

    def model_fields(self, names) -> dict:
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}


class VersionedServiceForm(ServiceModelForm):
    """For records with a `version`: the version the editor read travels in a
    hidden field, and the service refuses the save if it moved meanwhile."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["expected_version"] = self.instance.version

    @property
    def expected_version_value(self) -> int | None:
        return self.cleaned_data.get("expected_version")


class ReadStampForm(ServiceModelForm):
    """For records with no `version` column (a measurement, an assessment
    draft): the time the editor read the record (its `updated_at`) travels in
    a hidden field, and the service refuses the save, on the locked row, if
    the row was saved since (services.locking.check_saved_since). No
    migration needed."""

    read_stamp = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["read_stamp"] = self.instance.updated_at.isoformat()

    @property
    def expected_updated_at(self) -> dt.datetime | None:
        """The stamp for the service; a forged or malformed one is refused
        there as stale (a form error, nothing written)."""
        stamp = self.cleaned_data.get("read_stamp")
        return parse_read_stamp(stamp) if stamp else None


class CommitmentForm(VersionedServiceForm):
    lead_institution = forms.ModelChoiceField(queryset=Institution.objects.all(), label=_("Lead institution"))
    supporting_institutions = forms.ModelMultipleChoiceField(
        queryset=Institution.objects.all(), required=False, label=_("Supporting institutions")
    )
    regions_field = forms.ModelMultipleChoiceField(
        queryset=Region.objects.all(), required=False, label=_("Regions")
    )
    related_field = forms.ModelMultipleChoiceField(
        queryset=Commitment.objects.all(), required=False, label=_("Related commitments")
    )

    class Meta:
        model = Commitment
        fields = [
            "reference",
            "framework",
            "pillar",
            "parent",
            "title_fr",
            "title_en",
            "description_fr",
            "description_en",
            "provision",
            "start_date",
            "start_date_precision",
            "due_date",
            "due_date_precision",
            "budget_amount",
            "budget_currency",
            "wps_marker",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        site = admin.site
        autocompletes = {
            "lead_institution": (widgets.AutocompleteSelect, "institutions"),
            "supporting_institutions": (widgets.AutocompleteSelectMultiple, "institutions"),
            "regions_field": (widgets.AutocompleteSelectMultiple, "regions"),
            "related_field": (widgets.AutocompleteSelectMultiple, "related"),
        }
        for name, (widget_class, model_field) in autocompletes.items():
            field = self.fields[name]
            field.widget = widget_class(Commitment._meta.get_field(model_field), site)
            field.widget.choices = field.choices
        if self.instance.pk:
            self.disable("reference")  # stable public code
            roles = list(self.instance.responsibilities.all())
            self.initial.setdefault(
                "lead_institution", next((r.institution_id for r in roles if r.role == "lead"), None)
            )
            self.initial.setdefault(
                "supporting_institutions", [r.institution_id for r in roles if r.role != "lead"]
            )
            self.initial.setdefault("regions_field", list(self.instance.regions.all()))
            self.initial.setdefault("related_field", list(self.instance.related.all()))

    def save_through_service(self, user):
        data = self.cleaned_data
        editable = [f for f in services.commitments.EDITABLE_FIELDS if f in data]
        common = {
            "lead_institution": data["lead_institution"],
            "supporting_institutions": data["supporting_institutions"],
            "regions": data["regions_field"],
            "related": data["related_field"],
        }
        if self.instance.pk:
            return services.commitment_update(
                actor=user,
                commitment=self.instance,
                expected_version=self.expected_version_value,
                **common,
                **self.model_fields(editable),
            )
        return services.commitment_create(
            actor=user, reference=data["reference"], **common, **self.model_fields(editable)
        )


class EvidenceForm(VersionedServiceForm):
    class Meta:
        model = Evidence
        fields = [
            "commitment",
            "kind",
            "publisher",
            "title",
            "published_on",
            "published_on_precision",
            "url",
            "file",
            "excerpt",
            "language",
            "reliability",
            "visibility",
            "source_document",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.disable("commitment")
            self.disable("file")  # a file is evidence: replace, never overwrite

    def save_through_service(self, user):
        fields = self.model_fields(services.updates.EVIDENCE_FIELDS)
        if self.instance.pk:
            return services.evidence_update(
                actor=user, evidence=self.instance, expected_version=self.expected_version_value, **fields
            )
        return services.evidence_attach(
            actor=user,
            commitment=self.cleaned_data["commitment"],
            file=self.cleaned_data.get("file") or None,
            **fields,
        )


class AssessmentForm(ReadStampForm):
    # Not a model field of the form: empty means "the methodology's value",
    # which the service works out.
    progress = forms.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        label=_("Progress (%)"),
        help_text=_("Leave empty to use the methodology's value for the status."),
    )

    class Meta:
        model = Assessment
        fields = [
            "commitment",
            "status",
            "as_of",
            "as_of_precision",
            "summary_fr",
            "summary_en",
            "delay_reason",
            "delay_note",
            "blocking_party",
            "evidence",
            "supersedes",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.disable("commitment")
            self.disable("supersedes")

    def save_through_service(self, user):
        data = self.cleaned_data
        fields = self.model_fields(services.assessments.DRAFT_FIELDS)
        if self.instance.pk:
            if data.get("progress") is None:
                fields.pop("progress", None)
            return services.assessment_update(
                actor=user,
                assessment=self.instance,
                evidence=data["evidence"],
                expected_updated_at=self.expected_updated_at,  # the author's other tab
                **fields,
            )
        return services.assessment_create(
            actor=user,
            commitment=data["commitment"],
            evidence=data["evidence"],
            supersedes=data.get("supersedes"),
            **fields,
        )


class IndicatorForm(VersionedServiceForm):
    class Meta:
        model = Indicator
        fields = ["commitment", "key", *services.updates.INDICATOR_FIELDS]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.disable("commitment")
            self.disable("key")

    def save_through_service(self, user):
        fields = self.model_fields(services.updates.INDICATOR_FIELDS)
        if self.instance.pk:
            return services.indicator_update(
                actor=user, indicator=self.instance, expected_version=self.expected_version_value, **fields
            )
        return services.indicator_create(
            actor=user,
            commitment=self.cleaned_data["commitment"],
            key=self.cleaned_data["key"],
            **fields,
        )


class MeasurementForm(ReadStampForm):
    class Meta:
        model = Measurement
        fields = ["indicator", *services.updates.MEASUREMENT_FIELDS]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.disable("indicator")

    def save_through_service(self, user):
        fields = self.model_fields(services.updates.MEASUREMENT_FIELDS)
        if self.instance.pk:
            return services.measurement_update(
                actor=user, measurement=self.instance, expected_updated_at=self.expected_updated_at, **fields
            )
        return services.measurement_record(actor=user, indicator=self.cleaned_data["indicator"], **fields)


class KeyedServiceForm(VersionedServiceForm):
    """Records with creation-only keys (a slug or code in public URLs, a
    membership's person) and plain editable fields, saved through a
    `<model>_create` / `<model>_update` service pair."""

    key_fields: tuple[str, ...] = ()
    editable_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.disable(*self.key_fields)

    def save_through_service(self, user):
        name = self._meta.model._meta.model_name
        fields = self.model_fields(self.editable_fields)
        if self.instance.pk:
            update = getattr(services, f"{name}_update")
            return update(
                actor=user, **{name: self.instance}, expected_version=self.expected_version_value, **fields
            )
        keys = {key: self.cleaned_data[key] for key in self.key_fields}
        return getattr(services, f"{name}_create")(actor=user, **keys, **fields)


def keyed_form(model, keys: tuple[str, ...], editable: tuple[str, ...]) -> type[KeyedServiceForm]:
    meta = type("Meta", (), {"model": model, "fields": [*keys, *editable]})
    attrs = {"Meta": meta, "key_fields": keys, "editable_fields": editable, "__module__": __name__}
    return type(f"{model.__name__}Form", (KeyedServiceForm,), attrs)


_ref = services.reference
InstitutionForm = keyed_form(Institution, ("slug",), _ref.INSTITUTION_FIELDS)
FrameworkForm = keyed_form(Framework, ("code",), _ref.FRAMEWORK_FIELDS)
PillarForm = keyed_form(Pillar, ("slug",), _ref.PILLAR_FIELDS)
RegionForm = keyed_form(Region, ("slug",), _ref.REGION_FIELDS)
OrganisationForm = keyed_form(Organisation, ("slug",), _ref.ORGANISATION_FIELDS)
MembershipForm = keyed_form(Membership, ("user",), _ref.MEMBERSHIP_FIELDS)


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("Why is it returned?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
