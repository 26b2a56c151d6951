from django.urls import path

from recoup.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
