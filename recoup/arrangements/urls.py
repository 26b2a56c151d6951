"""Payment plans, promises, settlements and disputes (issue 5), under /o/<slug>/arrangements/."""

from django.urls import path

from recoup.arrangements import views

urlpatterns = [
    path("", views.index, name="arrangements_home"),
    path("settings/", views.settings_page, name="arrangements_settings"),
    path("plans/new/", views.plan_new, name="arrangements_plan_new"),
    path("plans/<int:pk>/", views.plan_detail, name="arrangements_plan"),
    path("plans/<int:pk>/<slug:action>/", views.plan_action, name="arrangements_plan_action"),
    path("promises/new/", views.promise_new, name="arrangements_promise_new"),
    path("promises/<int:pk>/cancel/", views.promise_cancel, name="arrangements_promise_cancel"),
    path("settlements/new/", views.settlement_new, name="arrangements_settlement_new"),
    path("settlements/<int:pk>/", views.settlement_detail, name="arrangements_settlement"),
    path("settlements/<int:pk>/letter.pdf", views.settlement_letter, name="arrangements_settlement_letter"),
    path("disputes/<int:pk>/", views.dispute_detail, name="arrangements_dispute"),
    path("disputes/<int:pk>/<slug:action>/", views.dispute_action, name="arrangements_dispute_action"),
    path("disputes/<int:pk>/attachments/<int:attachment_pk>/", views.dispute_attachment,
         name="arrangements_dispute_attachment"),
]
