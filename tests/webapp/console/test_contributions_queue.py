"""The console's pages of residents' stories: the queue (pending first, consent at a
glance, every word escaped), a story's page, a coordinator's decisions, a facilitator's
home page and their workshop form with paper or spoken consent."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from guides.accounts import GUIDE_NOT_WANTED, AccountError, create_account, find_account
from guides.audit import AuditEntry
from tests.webapp.console.contribution_support import (
    FACILITATOR,
    RECORDING_KEY,
    add_contribution,
    add_facilitator,
    stop_of,
)
from tests.webapp.console.support import ADMIN, SLUG, build_world, log_in
from tours.stories.models import ACCEPTED, DECLINED, PENDING, WITHDRAWN, Contribution
from tours.tour.store import newest_version
from webapp.common.database import get_db

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def world(app):
    found = build_world(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        add_facilitator(db_session)
    return found


def _add(app, **kwargs) -> int:
    with get_db(app).transaction(write_lock=True) as db_session:
        return add_contribution(db_session, **kwargs).id


def _row(app, contribution_id: int) -> Contribution:
    with get_db(app).transaction() as db_session:
        found = db_session.get(Contribution, contribution_id)
        db_session.expunge(found)
        return found


def test_the_queue_lists_pending_stories_first_with_their_consent(app, client, world):
    older = _add(app, title="Declined one")
    pending = _add(app, title="Waiting one", with_recording=True, audio=False)
    log_in(client, ADMIN)
    client.post(
        f"/console/admin/contributions/{older}/decline", data={"decline-reason": "Repeated."}
    )
    page = client.get("/console/contributions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index("Waiting one") < html.index("Declined one")
    start = html.index(f'data-contribution="{pending}"')
    line = html[start : html.index("</li>\n", html.index('class="badges"', start))]
    for words in (
        "Waiting for a decision",
        "Spanish",
        "pin at 43.25610, -2.92690",
        "1 photo",
        "recording, 0:12",
        "Credit: First name",
        "Tour pages",
        "Guides&#39; scripts",
        "Photos allowed",
        "No recording",
        "CC BY 4.0",
        "Web form",
    ):
        assert words in line, words


def test_titles_stories_and_names_are_escaped(app, client, world):
    found = _add(
        app,
        title=HOSTILE,
        story=f"{HOSTILE} story",
        credit_name=f"{HOSTILE} name",
        email="x@example.org",
    )
    log_in(client, ADMIN)
    for url in ("/console/contributions", f"/console/contributions/{found}"):
        html = client.get(url).get_data(as_text=True)
        assert HOSTILE not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_a_storys_page_shows_it_in_its_language_with_its_recording_and_consent(app, client, world):
    found = _add(app, language="ar", title="بيت جدتي", story="كانت جدتي تسكن هنا.")
    log_in(client, ADMIN)
    html = client.get(f"/console/contributions/{found}").get_data(as_text=True)
    assert '<div class="story-text" lang="ar" dir="auto">كانت جدتي تسكن هنا.</div>' in html
    assert f'<audio controls preload="none" src="/media/audio/{RECORDING_KEY}.ogg">' in html
    assert 'class="consent-wording" lang="fr"' in html and "Your story is credited." in html
    assert "version 2026-12" in html
    for form in ("accept-form", "edit-form", "decline-form", "withdraw-form"):
        assert f'id="{form}"' in html


def test_a_coordinator_accepts_into_a_draft_and_lands_in_the_editor(app, client, world):
    found = _add(app)
    log_in(client, ADMIN)
    response = client.post(
        f"/console/admin/contributions/{found}/accept",
        data={"accept-target": "new_stop", "accept-tour": SLUG},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/console/tours/{SLUG}")
    row = _row(app, found)
    assert row.status == ACCEPTED and row.accepted_tour == SLUG
    with get_db(app).transaction() as db_session:
        document = newest_version(db_session, SLUG, lock=False).document
    assert stop_of(document, row.accepted_stop)["properties"]["contributions"][0]["id"] == (
        row.public_id
    )


def test_accepting_onto_a_stop_that_has_its_language_says_why_beside_the_field(app, client, world):
    found = _add(app, language="es")
    log_in(client, ADMIN)
    response = client.post(
        f"/console/admin/contributions/{found}/accept",
        data={"accept-target": "stop", "accept-stop": f"{SLUG}:sf-02"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="accept-stop-error"' in html and "has a story in that language already" in html
    assert _row(app, found).status == PENDING


def test_a_decline_needs_a_reason_said_beside_the_field(app, client, world):
    found = _add(app)
    log_in(client, ADMIN)
    refused = client.post(f"/console/admin/contributions/{found}/decline", data={})
    assert refused.status_code == 400
    assert 'id="decline-reason-error"' in refused.get_data(as_text=True)
    done = client.post(
        f"/console/admin/contributions/{found}/decline",
        data={"decline-reason": "Outside the district."},
    )
    assert done.status_code == 302 and _row(app, found).status == DECLINED


def test_an_edit_with_a_transcript_is_saved_and_kept(app, client, world):
    found = _add(app, language="es")
    log_in(client, ADMIN)
    response = client.post(
        f"/console/admin/contributions/{found}/edit",
        data={
            "edit-title": "Nuevo título",
            "edit-story": "Nueva historia.",
            "edit-transcript-es": "Transcripción.",
            "edit-new_language": "en",
            "edit-new_transcript": "Transcript.",
        },
    )
    assert response.status_code == 302
    row = _row(app, found)
    assert (row.title, row.story) == ("Nuevo título", "Nueva historia.")
    assert row.transcript == {"es": "Transcripción.", "en": "Transcript."}
    html = client.get(f"/console/contributions/{found}").get_data(as_text=True)
    assert "The text after this edit" in html and "coordinator@example.org" in html


def test_a_coordinator_withdraws_a_story_on_request(app, client, world):
    found = _add(app)
    log_in(client, ADMIN)
    unconfirmed = client.post(f"/console/admin/contributions/{found}/withdraw", data={})
    assert unconfirmed.status_code == 400 and _row(app, found).status == PENDING
    done = client.post(
        f"/console/admin/contributions/{found}/withdraw", data={"withdraw-requested": "y"}
    )
    assert done.status_code == 302
    row = _row(app, found)
    assert row.status == WITHDRAWN and row.story == "" and row.title == ""
    with get_db(app).transaction() as db_session:
        actions = db_session.scalars(
            select(AuditEntry.action).where(AuditEntry.target == f"contribution:{found}")
        ).all()
    assert "contribution.withdraw" in actions
    # Its page and the queue still show that it was, and nothing of what it said.
    for url in (f"/console/contributions/{found}", "/console/contributions"):
        page = client.get(url)
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "Withdrawn" in html
        assert "La tienda de mi madre" not in html and "Mi madre abrió" not in html
    assert 'id="withdraw-form"' not in client.get(f"/console/contributions/{found}").get_data(
        as_text=True
    )


def test_a_facilitator_starts_at_the_stories_not_at_walks(app, client, world):
    _add(app)
    assert log_in(client, FACILITATOR).status_code == 302
    html = client.get("/console/").get_data(as_text=True)
    assert 'href="/console/contributions"' in html
    assert 'href="/console/contributions/new"' in html
    assert "1 waits for a decision" in html
    assert "Your walks" not in html and "/console/departures/" not in html
    nav = html[html.index("<nav") : html.index("</nav>")]
    assert "/console/admin/" not in nav


def test_the_dashboard_counts_stories_waiting(app, client, world):
    _add(app)
    log_in(client, ADMIN)
    html = client.get("/console/").get_data(as_text=True)
    assert "1 story waits for a decision" in html


def test_a_facilitator_sees_a_story_but_not_the_coordinators_forms(app, client, world):
    found = _add(app)
    log_in(client, FACILITATOR)
    html = client.get(f"/console/contributions/{found}").get_data(as_text=True)
    assert "La tienda de mi madre" in html
    for form in ("accept-form", "edit-form", "decline-form", "withdraw-form"):
        assert f'id="{form}"' not in html
    refused = client.post(
        f"/console/admin/contributions/{found}/decline", data={"decline-reason": "No."}
    )
    assert refused.status_code == 403 and _row(app, found).status == PENDING


def test_the_storys_proposal_prefills_the_accept_form(app, client, world):
    found = _add(app, pin=None, tour_slug=SLUG, stop_id="sf-03")
    log_in(client, ADMIN)
    html = client.get(f"/console/contributions/{found}").get_data(as_text=True)
    assert re.search(r'<input checked id="accept-target-1"[^>]*value="stop"', html)
    assert f'<option selected value="{SLUG}:sf-03">' in html


def test_a_facilitators_account_has_no_guide_profile(app, client, world):
    with (
        get_db(app).transaction(write_lock=True) as db_session,
        pytest.raises(AccountError) as refused,
    ):
        create_account(db_session, "tied@example.org", "facilitator", guide_id="youssef")
    assert refused.value.reason == GUIDE_NOT_WANTED
    log_in(client, ADMIN)
    tied = client.post(
        "/console/admin/accounts",
        data={"email": "tied@example.org", "role": "facilitator", "guide": "youssef"},
    )
    assert tied.status_code == 422
    assert "Only a guide&#39;s account is tied to a guide profile" in tied.get_data(as_text=True)
    made = client.post(
        "/console/admin/accounts",
        data={"email": "workshops@example.org", "role": "facilitator", "language": "eu"},
    )
    assert made.status_code == 200
    with get_db(app).transaction() as db_session:
        account = find_account(db_session, "workshops@example.org")
        assert (account.role, account.guide_id, account.language) == ("facilitator", None, "eu")
    listing = client.get("/console/admin/accounts").get_data(as_text=True)
    row = listing[listing.index("workshops@example.org") :]
    assert "Facilitator" in row[: row.index("</tr>")]


def test_the_command_line_makes_a_facilitator_without_a_guide(app, runner):
    made = runner.invoke(
        args=["users", "add", "--role", "facilitator", "--email", "koop@example.org"]
    )
    assert made.exit_code == 0, made.output
    assert "Account koop@example.org (facilitator) created." in made.output
    refused = runner.invoke(
        args=["users", "add", "--role", "facilitator", "--email", "x@example.org", "--guide", "y"]
    )
    assert refused.exit_code != 0 and "not tied to a guide" in refused.output
    with get_db(app).transaction() as db_session:
        account = find_account(db_session, "koop@example.org")
        assert (account.role, account.guide_id) == ("facilitator", None)
        assert find_account(db_session, "x@example.org") is None
