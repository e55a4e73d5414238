"""The admin's autocomplete answers (select2 pickers).

A piece of evidence is named with its commitment's reference first
("LPS-2017-01 · Le Journal: Décret ..."): the assessment and measurement
pickers list evidence of every commitment, many with the same title (one
report cited by ten commitments), and an editor must see which one belongs to
the commitment being assessed (the service refuses another commitment's).
Typing the reference narrows the list (it is one of the search fields)."""

from __future__ import annotations

from django.contrib.admin.views.autocomplete import AutocompleteJsonView

from tracker.models import Evidence


class TrackerAutocompleteJsonView(AutocompleteJsonView):
    def get_queryset(self):
        queryset = super().get_queryset()
        if queryset.model is Evidence:
            queryset = queryset.select_related("commitment")  # the label below: no query per row
        return queryset

    def serialize_result(self, obj, to_field_name) -> dict:
        result = super().serialize_result(obj, to_field_name)
        if isinstance(obj, Evidence):
            result["text"] = f"{obj.commitment.reference} · {result['text']}"
        return result
