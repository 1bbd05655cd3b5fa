"""The guide console end to end through the test client: login, list, departure page."""

from tests.webapp.console.support import ADMIN, GUIDE_A, build_world, log_in


def test_guide_logs_in_and_sees_the_roster_and_scripts(app, client):
    world = build_world(app)
    response = log_in(client, GUIDE_A)
    assert response.status_code == 302
    index = client.get("/console/")
    assert index.status_code == 200
    assert f"/console/departures/{world.walk_a}" in index.get_data(as_text=True)
    page = client.get(f"/console/departures/{world.walk_a}").get_data(as_text=True)
    assert "Ane Visitor" in page and "tel:+34600000001" in page
    assert "Reúne al grupo bajo los árboles" in page  # the Spanish script of stop 1


def test_admin_pages_render(app, client):
    world = build_world(app)
    log_in(client, ADMIN)
    # Each page with something it must show from the world built above.
    for url, shown in (
        # The dashboard links each walk to the page where a coordinator changes it.
        ("/console/", f'href="/console/admin/departures/{world.walk_b}"'),
        ("/console/admin/calendar?view=week", ">Calendar: Week of"),
        ("/console/admin/departures", f'href="/console/admin/departures/{world.walk_a}"'),
        (f"/console/admin/departures/{world.walk_a}", "Ane Visitor"),
        ("/console/admin/guides", 'href="/console/admin/guides/youssef"'),
        ("/console/admin/guides/youssef", "<h1>Youssef</h1>"),
        ("/console/admin/accounts", ADMIN),
        ("/console/admin/audit", ">Audit log</h1>"),
        (f"/console/departures/{world.walk_b}", "Voix de San Francisco"),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert shown in page.get_data(as_text=True), url
