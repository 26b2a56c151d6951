"""Payment plans, promises, settlements and disputes (issue 5)."""

from django.urls import path

from recoup.arrangements import views

urlpatterns = [
    path("", views.index, name="arrangements_home"),
]
