from django.urls import path

from . import views

app_name = "editorial"

urlpatterns = [
    path("editorial/", views.home, name="home"),
    path("editorial/account/two-factor/", views.otp_setup, name="otp-setup"),
    path("commitments/<str:reference>/changes/", views.commitment_changelog, name="commitment-changelog"),
    # Before the generic follow/<kind>/<key>/ pattern, which would match them.
    path("follow/confirm/<str:token>/", views.follow_confirm, name="follow-confirm"),
    path("follow/stop/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("follow/<str:kind>/<str:key>/", views.follow, name="follow"),
]
