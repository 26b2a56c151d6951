"""Escalation: reviews, letters before action, agencies, evidence packs, cases, write-offs (issue 7)."""

from django.urls import path

from recoup.escalation import views

urlpatterns = [
    path("", views.index, name="escalation_home"),
    path("agencies/new/", views.agency_new, name="escalation_agency_new"),
    path("customers/<int:pk>/", views.review, name="escalation_review"),
    path("customers/<int:pk>/evidence/", views.evidence_pdf, name="escalation_evidence"),
    path("customers/<int:pk>/cases/new/", views.case_new, name="escalation_case_new"),
    path("customers/<int:pk>/documents/new/", views.document_new, name="escalation_document_new"),
    path("letters/<int:pk>/letter.pdf", views.letter_pdf, name="escalation_letter_pdf"),
    path("placements/<int:pk>/placement.csv", views.placement_file, name="escalation_placement_file"),
    path("placements/<int:pk>/<slug:action>/", views.placement_action, name="escalation_placement_action"),
    path("cases/<int:pk>/events/new/", views.case_event_new, name="escalation_case_event_new"),
    path("bad-debts/<int:year>.csv", views.bad_debts, name="escalation_bad_debts"),
]
