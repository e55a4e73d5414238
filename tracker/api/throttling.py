"""Rate limits (settings REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]). They count
in the default cache, which all workers share when REDIS_URL is set."""

from __future__ import annotations

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from .permissions import partner_key


class AnonymousThrottle(AnonRateThrottle):
    scope = "anon"


class KeyedThrottle(SimpleRateThrottle):
    """Per API key (or per signed-in editor): a higher limit than anonymous."""

    scope = "keyed"

    def get_cache_key(self, request, view):
        key = partner_key(request)
        if key is not None:
            ident = f"key-{key.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}
