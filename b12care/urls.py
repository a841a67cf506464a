from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from b12care.accounts.views import InviteAcceptView
from b12care.api import web as api_web
from b12care.clinic import views as clinic_views
from b12care.core import views as core_views

handler404 = api_web.not_found

admin.site.site_header = "B12 Care administration"
admin.site.site_title = "B12 Care admin"
# The admin signs in through allauth's page: the same throttling and the same MFA challenge.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", clinic_views.home, name="home"),
    path("me/", clinic_views.patient_home, name="patient_home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon),
    path("accounts/", include("b12care.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path(
        "welcome/<uidb64>/<token>/",
        InviteAcceptView.as_view(),
        name="invite_accept",
    ),
    path("clinic/", include("b12care.clinic.urls")),
    path("injections/", include("injections.urls")),
    path("diary/", include("symptoms.urls")),
    path("labs/", include("labs.urls")),
    path("alerts/", include("b12care.alerts.urls")),
    path("exports/", include("b12care.exports.urls")),
    path("api/", include("b12care.api.urls")),
    path("devices/", api_web.devices, name="devices"),
    path("devices/<int:pk>/revoke/", api_web.device_revoke, name="device_revoke"),
    path("admin/", admin.site.urls),
]

# A database outage answers 503 "try again in a minute" instead of the bare 500 page.
handler500 = "b12care.core.views.server_error"
