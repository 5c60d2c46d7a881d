from django.urls import path

from dpf.services import child_rehab_views, views

app_name = "services"

urlpatterns = [
    path("institutions/", views.institutions, name="institutions"),
    path("institutions/new/", views.institution_new, name="institution_new"),
    path("institutions/<int:institution_id>/", views.institution, name="institution"),
    path(
        "institutions/<int:institution_id>/edit/",
        views.institution_edit,
        name="institution_edit",
    ),
    path("devices/", views.device_catalogue, name="device_catalogue"),
    path("devices/new/", views.device_item_new, name="device_item_new"),
    path("devices/<int:item_id>/end/", views.device_item_end, name="device_item_end"),
    path("rehab/", views.rehab_queue, name="rehab_queue"),
    path("rehab/plan/<int:plan_id>/", views.rehab_plan, name="rehab_plan"),
    path("rehab/new/<int:person_id>/", views.rehab_plan_new, name="rehab_plan_new"),
    path("renovations/", views.renovation_queue, name="renovation_queue"),
    path("renovations/<int:renovation_id>/", views.renovation, name="renovation"),
    path(
        "renovations/<int:renovation_id>/photos/<int:number>/",
        views.renovation_photo,
        name="renovation_photo",
    ),
    path("renovations/new/<int:person_id>/", views.renovation_new, name="renovation_new"),
    path("schooling/", views.schooling_queue, name="schooling_queue"),
    path("schooling/child/<int:person_id>/", views.schooling_child, name="schooling_child"),
    path("children/referrals/", child_rehab_views.child_referrals, name="child_referrals"),
    path(
        "children/referrals/<int:referral_id>/",
        child_rehab_views.child_referral,
        name="child_referral",
    ),
    path(
        "children/referrals/new/<int:person_id>/",
        child_rehab_views.child_referral_new,
        name="child_referral_new",
    ),
    path("children/transitions/", child_rehab_views.child_transitions, name="child_transitions"),
    path(
        "children/transitions/<int:transition_id>/",
        child_rehab_views.child_transition,
        name="child_transition",
    ),
    path("care/", views.care_queue, name="care_queue"),
    path("care/<int:placement_id>/", views.care_placement, name="care_placement"),
    path("care/new/<int:person_id>/", views.care_placement_new, name="care_placement_new"),
]
