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
    for url in (
        "/console/",
        "/console/admin/departures",
        f"/console/admin/departures/{world.walk_a}",
        "/console/admin/guides",
        "/console/admin/guides/youssef",
        "/console/admin/accounts",
        "/console/admin/audit",
        f"/console/departures/{world.walk_b}",
    ):
        assert client.get(url).status_code == 200, url
