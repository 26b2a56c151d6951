from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("recoup.api.urls")),
    path("hooks/payments/", include("recoup.payments.urls")),
    path("hooks/", include("recoup.messaging.urls")),
    path("", include("recoup.web.urls")),
]
