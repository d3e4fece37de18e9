from django.urls import path

from gatehouse.people import views

app_name = "people"

CATEGORY = "<str:category>"

urlpatterns = [
    # the three manual pages, each under its own menu entry
    path("employees/", views.PersonListView.as_view(), {"category": "employees"}, "employee_list"),
    path("visitors/", views.PersonListView.as_view(), {"category": "visitors"}, "visitor_list"),
    path("blacklist/", views.PersonListView.as_view(), {"category": "blacklist"}, "blacklist_list"),
    path("import-template/", views.ImportTemplateView.as_view(), name="import_template"),
    path("persons/<int:pk>/", views.PersonDetailView.as_view(), name="person_detail"),
    path("persons/<int:pk>/edit/", views.PersonEditView.as_view(), name="person_edit"),
    path("persons/<int:pk>/delete/", views.PersonDeleteView.as_view(), name="person_delete"),
    path("persons/<int:pk>/photo/", views.PersonPhotoView.as_view(), name="person_photo"),
    path(
        "persons/<int:pk>/photo/capture/",
        views.PersonCaptureView.as_view(),
        name="person_photo_capture",
    ),
    path(
        "persons/<int:pk>/photo/remove/",
        views.PersonPhotoRemoveView.as_view(),
        name="person_photo_remove",
    ),
    path(
        "persons/<int:pk>/app-login/enable/",
        views.AppLoginEnableView.as_view(),
        name="person_app_login_enable",
    ),
    path(
        "persons/<int:pk>/app-login/disable/",
        views.AppLoginDisableView.as_view(),
        name="person_app_login_disable",
    ),
    path("departments/", views.DepartmentListView.as_view(), name="department_list"),
    path("departments/add/", views.DepartmentCreateView.as_view(), name="department_add"),
    path("departments/<int:pk>/edit/", views.DepartmentEditView.as_view(), name="department_edit"),
    path(
        "departments/<int:pk>/delete/",
        views.DepartmentDeleteView.as_view(),
        name="department_delete",
    ),
    path("groupings/", views.PersonGroupListView.as_view(), name="persongroup_list"),
    path("groupings/add/", views.PersonGroupCreateView.as_view(), name="persongroup_add"),
    path("groupings/<int:pk>/edit/", views.PersonGroupEditView.as_view(), name="persongroup_edit"),
    path(
        "groupings/<int:pk>/delete/",
        views.PersonGroupDeleteView.as_view(),
        name="persongroup_delete",
    ),
    # per-category pages last: their first segment is a variable
    path(f"{CATEGORY}/add/", views.PersonCreateView.as_view(), name="person_add"),
    path(f"{CATEGORY}/import/", views.PersonImportView.as_view(), name="person_import"),
    path(
        f"{CATEGORY}/import-portraits/",
        views.PortraitImportView.as_view(),
        name="portrait_import",
    ),
    path(f"{CATEGORY}/export/", views.PersonExportView.as_view(), name="person_export"),
]
