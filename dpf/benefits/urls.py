from django.urls import path

from dpf.benefits import views

app_name = "benefits"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("queue/", views.queue, name="queue"),
    path("queue/<int:item_id>/", views.item, name="item"),
    path("rules/preview/", views.rule_preview, name="rule_preview"),
]
