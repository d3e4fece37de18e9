from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "gatehouse.people"
    label = "people"
    verbose_name = _("Personnel management")

    def ready(self) -> None:
        from gatehouse.core import permissions

        permissions.register("people", _("Personnel"), extra={"import": _("Import and export")})

        from gatehouse.console import navigation
        from gatehouse.console.navigation import NavItem

        navigation.section(navigation.PEOPLE, _("Personnel management"), "users-group", 20)
        for label, url_name, icon in (
            (_("Employee list"), "people:employee_list", "id-badge-2"),
            (_("Visitor management"), "people:visitor_list", "user-question"),
            (_("Blacklist management"), "people:blacklist_list", "user-off"),
            (_("Departments"), "people:department_list", "hierarchy-2"),
            (_("Person groupings"), "people:persongroup_list", "folders"),
        ):
            navigation.add(navigation.PEOPLE, NavItem(label, url_name, "people.view", icon))

        from gatehouse.people import selectors

        navigation.add_dashboard_cards(selectors.dashboard_counts)

        from gatehouse.core.events import register_labels
        from gatehouse.people.events import EVENT_LABELS

        register_labels(EVENT_LABELS)

        from gatehouse.people.services import remove_enterprise_people
        from gatehouse.tenancy.services import ENTERPRISE_DELETE_STEPS

        if remove_enterprise_people not in ENTERPRISE_DELETE_STEPS:
            ENTERPRISE_DELETE_STEPS.append(remove_enterprise_people)
