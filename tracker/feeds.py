"""Atom feeds of published changes: all of them, one commitment's, and any
filtered list (the same query parameters as the public list)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker import selectors
from tracker.models import Assessment, Commitment
from tracker.models.base import typographic_colon
from tracker.templatetags.tracker_public import partial_date

# The <updated> of a feed with no entry: a fixed date, not "now" (Django's
# default), so an empty feed does not look new to a reader at every poll and
# its body (and any ETag of it) stays the same until something is published.
EMPTY_FEED_UPDATED = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class StableAtom1Feed(Atom1Feed):
    def latest_post_date(self) -> dt.datetime:
        if not any(item.get("updateddate") or item.get("pubdate") for item in self.items):
            return EMPTY_FEED_UPDATED
        return super().latest_post_date()


class ChangesFeed(Feed):
    """Every published assessment, latest published first."""

    feed_type = StableAtom1Feed
    title = gettext_lazy("SSR Commitment Tracker: published changes")
    subtitle = gettext_lazy("New published assessments of commitments.")

    def link(self) -> str:
        return reverse("tracker:changes")

    def items(self, obj=None) -> list[Assessment]:
        return selectors.feed_assessments()

    def item_title(self, item: Assessment) -> str:
        # The language's own colon ("PAG-01 : Amorcé" in French), as on the pages.
        colon = typographic_colon()
        return f"{item.commitment.reference}{colon} {item.get_status_display()} ({item.progress} %)"

    def item_description(self, item: Assessment) -> str:
        when = partial_date(item.as_of, item.as_of_precision)  # "1er janvier 2024" in French
        return f"{item.commitment.title} — {when}. {item.summary}"

    def item_link(self, item: Assessment) -> str:
        return f"{item.commitment.get_absolute_url()}#assessment-{item.pk}"

    def item_guid(self, item: Assessment) -> str:
        return f"{settings.SITE_URL}/assessments/{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Assessment):
        return item.published_at

    def item_updateddate(self, item: Assessment):
        return item.published_at


class CommitmentFeed(ChangesFeed):
    def get_object(self, request: HttpRequest, reference: str) -> Commitment:
        return get_object_or_404(Commitment, reference=reference)

    def title(self, obj: Commitment) -> str:
        return _("%(reference)s: published changes") % {"reference": obj.reference}

    def link(self, obj: Commitment) -> str:
        return obj.get_absolute_url()

    def items(self, obj: Commitment) -> list[Assessment]:
        return selectors.feed_assessments(Commitment.objects.filter(pk=obj.pk))


class FilteredFeed(ChangesFeed):
    """Published changes of the commitments a filtered list shows."""

    title = gettext_lazy("SSR Commitment Tracker: published changes (filtered list)")

    def get_object(self, request: HttpRequest):
        from tracker.views import commitment_filterset

        self.query = request.GET.urlencode()
        return commitment_filterset(request).qs

    def link(self, obj) -> str:
        url = reverse("tracker:commitment-list")
        return f"{url}?{self.query}" if self.query else url

    def feed_url(self, obj) -> str:
        """rel="self" names this very feed, filters included."""
        url = reverse("tracker:commitment-list-feed")
        return f"{url}?{self.query}" if self.query else url

    def items(self, obj) -> list[Assessment]:
        return selectors.feed_assessments(obj)


def commitment_list_feed(request: HttpRequest) -> HttpResponse:
    from tracker.views import BadRequest, _bad_request

    try:
        return FilteredFeed()(request)
    except BadRequest as exc:
        return _bad_request(request, exc.errors)
