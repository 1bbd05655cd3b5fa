"""The impact report's booking side: walks held, bookings, people booked, waiting lists
and walkers' feedback over a period, with the report's filters.

Every figure is one aggregate statement (``GROUP BY`` on the walk's language, the booker's
language, the tour, the month or the guide), whatever the number of bookings: Python only
merges a handful of grouped rows (tours into districts, for instance). The tours' city and
district come from their catalogue facts (``tours.tour.catalogue``): a tour's district is the
first it names, as the catalogue lists it. Check-ins belong to ``guides.impact``.

A walk belongs to a period by the UTC date of its start. A walk *held* is one not cancelled
that has started (before the end of the period and before ``now``); private walks (groups'
own) are walks held like the others, counted apart as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from tours.booking.models import (
    CANCELLED,
    CLAIMED,
    CONFIRMED,
    SCHEDULED,
    Booking,
    Departure,
    WaitlistEntry,
    WalkFeedback,
    WalkRatingFigures,
)
from tours.errors import BideanError
from tours.tour.models import TourCatalogueRecord, TourRecord, TourVersionRecord

MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
CUSTOM = "custom"
PERIODS = (MONTH, QUARTER, YEAR, CUSTOM)
#: The longest period a report covers (its months are one ``CASE`` expression).
MAX_DAYS = 5 * 366
#: Quotes a report lists at most, newest first (their total count stands beside them).
QUOTE_LIMIT = 30

# The breakdowns: fields of ``Dimensions``.
WALK_LANGUAGE = "walk_language"
INTERFACE_LANGUAGE = "interface_language"
TOUR = "tour_id"
BY_MONTH = "month"
GUIDE = "guide_id"


class PeriodError(BideanError):
    """A period the report cannot cover: an end before its start, or longer than five years."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code  # what the interface says: period_reversed, period_too_long


@dataclass(frozen=True)
class ImpactQuery:
    """A period (first and last day, both included) and the report's filters (None: any)."""

    start: date
    end: date
    period: str = CUSTOM
    city: str | None = None
    tour: str | None = None  # a tour's slug
    district: str | None = None
    language: str | None = None  # the walk's language
    guide_id: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError("the period ends before it starts", code="period_reversed")
        if (self.end - self.start).days >= MAX_DAYS:
            raise PeriodError("the period is longer than five years", code="period_too_long")

    @classmethod
    def for_month(cls, year: int, month: int, **filters: Any) -> ImpactQuery:
        end = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        return cls(date(year, month, 1), end, MONTH, **filters)

    @classmethod
    def for_quarter(cls, year: int, quarter: int, **filters: Any) -> ImpactQuery:
        first = 3 * (quarter - 1) + 1
        end = date(year + (first + 2) // 12, (first + 2) % 12 + 1, 1) - timedelta(days=1)
        return cls(date(year, first, 1), end, QUARTER, **filters)

    @classmethod
    def for_year(cls, year: int, **filters: Any) -> ImpactQuery:
        return cls(date(year, 1, 1), date(year, 12, 31), YEAR, **filters)

    @property
    def window(self) -> tuple[datetime, datetime]:
        """The period as a UTC range, end excluded."""
        return (
            datetime.combine(self.start, time(), UTC),
            datetime.combine(self.end + timedelta(days=1), time(), UTC),
        )

    @property
    def months(self) -> list[str]:
        """The period's months, ``YYYY-MM``, in order."""
        found, day = [], self.start.replace(day=1)
        while day <= self.end:
            found.append(f"{day.year:04d}-{day.month:02d}")
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return found


@dataclass(frozen=True)
class TourPlace:
    """A tour as the report names and places it."""

    id: int
    slug: str
    city: str
    district: str  # the first district its catalogue facts name ("" if none)
    title: Mapping[str, str]


def tour_places(db_session: Session) -> dict[int, TourPlace]:
    """Every tour (withdrawn ones too: they had walks) with its city and district, one query."""
    rows = db_session.execute(
        select(
            TourRecord.id,
            TourRecord.slug,
            TourRecord.city,
            TourVersionRecord.title,
            TourCatalogueRecord.facts,
        )
        .join(
            TourVersionRecord,
            (TourVersionRecord.tour_id == TourRecord.id)
            & (TourVersionRecord.version == TourRecord.current_version),
        )
        .outerjoin(TourCatalogueRecord, TourCatalogueRecord.tour_version_id == TourVersionRecord.id)
    )
    places = {}
    for tour_id, slug, city, title, facts in rows:
        districts = (facts or {}).get("districts") or []
        places[tour_id] = TourPlace(
            tour_id, slug, city, str(districts[0]) if districts else "", title or {}
        )
    return places


@dataclass(frozen=True)
class Scope:
    """What the statements of one report share: the window, the filters, the cut-off."""

    query: ImpactQuery
    now: datetime
    tour_ids: tuple[int, ...] | None  # None: every tour

    def walks(self, *, held: bool = True) -> list[ColumnElement[bool]]:
        """Conditions on ``Departure`` for the period's walks held (or cancelled)."""
        start, end = self.query.window
        conditions = [Departure.starts_at >= start, Departure.starts_at < min(end, self.now)]
        if not held:
            conditions = [Departure.starts_at >= start, Departure.starts_at < end]
        conditions.append(Departure.status == (SCHEDULED if held else CANCELLED))
        if self.tour_ids is not None:
            conditions.append(Departure.tour_id.in_(self.tour_ids))
        if self.query.language:
            conditions.append(Departure.language == self.query.language)
        if self.query.guide_id:
            conditions.append(Departure.guide_id == self.query.guide_id)
        return conditions

    def walk_ids(self, stored: bool | None = None) -> Select:
        """The ids of the walks held, as a subquery: those whose stored figures are current
        (``stored=True``), those counted from their rows (``False``), or all (None)."""
        conditions = self.walks()
        if stored is not None:
            conditions.append(figures_current(stored))
        return select(Departure.id).where(*conditions)

    def bookings(self) -> Select:
        """The confirmed bookings of the walks held (join ``Departure``)."""
        return (
            select()
            .select_from(Booking)
            .join(Departure, Departure.id == Booking.departure_id)
            .where(Booking.status == CONFIRMED, *self.walks())
        )

    def dimensions(self) -> tuple[ColumnElement[Any], ...]:
        """The columns of ``Dimensions`` a walk has: tour, language, month, guide."""
        return (
            Departure.tour_id,
            Departure.language,
            _month_case(self.query).label("month"),
            Departure.guide_id,
        )


def _month_case(query: ImpactQuery) -> ColumnElement[str]:
    """``YYYY-MM`` of a walk's start by UTC month boundaries (the same on every backend)."""
    whens = []
    for month in query.months[:-1]:
        year, number = int(month[:4]), int(month[5:])
        boundary = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
        whens.append((Departure.starts_at < boundary, month))
    if not whens:
        return literal(query.months[-1])
    return case(*whens, else_=query.months[-1])


def scope_for(
    db_session: Session, query: ImpactQuery, now: datetime, places: Mapping[int, TourPlace]
) -> Scope:
    """The report's scope: city, tour and district filters become a set of tour ids."""
    del db_session  # the places are read once by the caller
    if not (query.city or query.tour or query.district):
        return Scope(query, now, None)
    ids = tuple(
        sorted(
            place.id
            for place in places.values()
            if (not query.city or place.city == query.city)
            and (not query.tour or place.slug == query.tour)
            and (not query.district or place.district == query.district)
        )
    )
    return Scope(query, now, ids)


@dataclass(frozen=True)
class Tally:
    """Walks, bookings and people of one group (a language, a tour, a month, a guide...)."""

    walks: int = 0
    seats: int = 0  # capacity of the walks held
    bookings: int = 0
    booked: int = 0  # people booked
    came: int = 0  # people checked in as arrived
    no_show: int = 0  # people checked in as not come

    @property
    def unrecorded(self) -> int:
        """People booked whose arrival nobody recorded."""
        return self.booked - self.came - self.no_show


class Dimensions(NamedTuple):
    """Where a group of walks or bookings falls: every breakdown of the report is a sum
    over these (a few hundred grouped rows, whatever the number of bookings)."""

    tour_id: int
    walk_language: str
    month: str
    guide_id: str | None
    interface_language: str | None = None  # the booker's (bookings only)

    def key(self, name: str | None) -> Any:
        """The value this group has for the breakdown ``name`` ("all" for the totals)."""
        return "all" if name is None else getattr(self, name)


def walk_cube(db_session: Session, scope: Scope) -> dict[Dimensions, tuple[int, int]]:
    """``{dimensions: (walks held, their seats)}``, one grouped statement."""
    columns = scope.dimensions()
    rows = db_session.execute(
        select(*columns, func.count(Departure.id), func.coalesce(func.sum(Departure.capacity), 0))
        .where(*scope.walks())
        .group_by(*columns)
    )
    return {Dimensions(*row[:4]): (int(row[4]), int(row[5])) for row in rows}


@dataclass(frozen=True)
class WalkTotals:
    """The period's walks as a whole."""

    held: int
    private: int  # of the walks held, groups' own
    cancelled: int
    full: int  # walks held whose seats were all taken


def walk_totals(db_session: Session, scope: Scope) -> WalkTotals:
    held = db_session.execute(
        select(
            func.count(Departure.id),
            func.coalesce(func.sum(case((Departure.private, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((Departure.seats_taken >= Departure.capacity, 1), else_=0)), 0
            ),
        ).where(*scope.walks())
    ).one()
    cancelled = db_session.scalar(select(func.count(Departure.id)).where(*scope.walks(held=False)))
    return WalkTotals(int(held[0]), int(held[1]), int(cancelled or 0), int(held[2]))


@dataclass(frozen=True)
class UnmetDemand:
    """Waiting-list entries of the walks held that never got a seat, and full walks."""

    entries: int
    people: int
    full_walks: int


def unmet_demand(db_session: Session, scope: Scope, full_walks: int) -> UnmetDemand:
    entries, people = db_session.execute(
        select(func.count(WaitlistEntry.id), func.coalesce(func.sum(WaitlistEntry.party_size), 0))
        .join(Departure, Departure.id == WaitlistEntry.departure_id)
        .where(WaitlistEntry.status != CLAIMED, WaitlistEntry.booking_id.is_(None), *scope.walks())
    ).one()
    return UnmetDemand(int(entries), int(people), full_walks)


@dataclass(frozen=True)
class Quote:
    """What a walker learned, allowed to be quoted, and how they asked to be credited."""

    text: str
    credit: str  # the name to show, or "" for anonymous
    rating: int | None
    language: str | None  # the walk's language


@dataclass(frozen=True)
class FeedbackFigures:
    """Walkers' feedback on the walks held: asked, answered, ratings, recommendations."""

    asked: int
    answered: int
    ratings: dict[int, int] = field(default_factory=dict)  # {1..5: answers}
    recommend_yes: int = 0
    recommend_answers: int = 0  # answers that said yes or no
    quotes: tuple[Quote, ...] = ()
    quotes_total: int = 0


def figures_current(current: bool = True) -> ColumnElement[bool]:
    """A walk's stored figures are current: made at its version (``guides.impact``); or,
    with ``current=False``, missing or stale."""
    if current:
        return Departure.figures_rolled == Departure.figures_version
    return Departure.figures_rolled.is_(None) | (
        Departure.figures_rolled != Departure.figures_version
    )


_ANSWERED = WalkFeedback.answered_at.is_not(None)
_QUOTABLE = (
    _ANSWERED
    & WalkFeedback.quote_consent.is_(True)
    & WalkFeedback.learned.is_not(None)
    & (WalkFeedback.learned != "")
)
#: What ``walk_rating_figures`` stores per walk and rating, in its columns' order.
RATING_COUNTS = ("asked", "answered", "recommend_yes", "recommend_said", "quotable")


def _feedback_of(walks: ColumnElement[bool]) -> Select:
    """The feedback of confirmed bookings on ``walks`` (a condition on its departure id)."""
    return (
        select()
        .select_from(WalkFeedback)
        .join(Booking, Booking.id == WalkFeedback.booking_id)
        .where(Booking.status == CONFIRMED, walks)
    )


def rating_counts(walks: ColumnElement[bool], per_walk: bool) -> Select:
    """(departure id if ``per_walk``, rating, ``RATING_COUNTS``) of ``walks``' feedback."""

    def counted(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    keys = (WalkFeedback.departure_id, WalkFeedback.rating) if per_walk else (WalkFeedback.rating,)
    return (
        _feedback_of(walks)
        .add_columns(
            *keys,
            func.count(WalkFeedback.id).label("asked"),
            counted(_ANSWERED).label("answered"),
            counted(_ANSWERED & WalkFeedback.recommend.is_(True)).label("recommend_yes"),
            counted(_ANSWERED & WalkFeedback.recommend.is_not(None)).label("recommend_said"),
            counted(_QUOTABLE).label("quotable"),
        )
        .group_by(*keys)
    )


def store_rating_figures(db_session: Session, walk_ids: list[int]) -> None:
    """Store (again) the feedback counts of ``walk_ids`` by rating."""
    db_session.execute(
        delete(WalkRatingFigures).where(WalkRatingFigures.departure_id.in_(walk_ids))
    )
    db_session.execute(
        insert(WalkRatingFigures).from_select(
            ["departure_id", "rating", *RATING_COUNTS],
            rating_counts(WalkFeedback.departure_id.in_(walk_ids), per_walk=True),
        )
    )


def feedback_figures(db_session: Session, scope: Scope) -> FeedbackFigures:
    """Two statements: the counts by rating, and the quotes allowed (newest first)."""
    # The walks held as a list of ids (their index on departure_id) rather than a join:
    # SQLite then reads only those walks' answers.  Walks with current stored figures are
    # summed from those; the others from their answers, in the same statement (so one
    # snapshot on PostgreSQL).
    stored = select(
        WalkRatingFigures.rating, *(getattr(WalkRatingFigures, n) for n in RATING_COUNTS)
    ).where(WalkRatingFigures.departure_id.in_(scope.walk_ids(stored=True)))
    live = rating_counts(WalkFeedback.departure_id.in_(scope.walk_ids(stored=False)), False)
    both = union_all(live, stored).subquery()
    asked = answers = yes = said = total = 0
    ratings: dict[int, int] = {}
    for rating, *counts in db_session.execute(
        select(both.c.rating, *(func.sum(both.c[name]) for name in RATING_COUNTS)).group_by(
            both.c.rating
        )
    ):
        group_asked, group_answers, group_yes, group_said, group_allowed = map(int, counts)
        asked, answers = asked + group_asked, answers + group_answers
        yes, said, total = yes + group_yes, said + group_said, total + group_allowed
        if rating is not None and group_answers:
            ratings[int(rating)] = group_answers
    quotable = (
        _feedback_of(WalkFeedback.departure_id.in_(scope.walk_ids()))
        .join(Departure, Departure.id == WalkFeedback.departure_id)
        .where(_QUOTABLE)
    )
    rows = db_session.execute(
        quotable.add_columns(
            WalkFeedback.learned,
            WalkFeedback.credit,
            WalkFeedback.credit_name,
            WalkFeedback.rating,
            Departure.language,
        )
        .order_by(WalkFeedback.answered_at.desc(), WalkFeedback.id.desc())
        .limit(QUOTE_LIMIT)
    )
    quotes = tuple(
        Quote(learned.strip(), credit_shown(credit, credit_name), rating, language)
        for learned, credit, credit_name, rating, language in rows
    )
    return FeedbackFigures(asked, answers, ratings, yes, said, quotes, total)


def credit_shown(credit: str | None, credit_name: str | None) -> str:
    """The name a quote is credited to: the walker's chosen credit, never their contact data
    (the booking's name and email are not read); "" for anonymous or none given."""
    if credit in (None, "anonymous"):
        return ""
    return (credit_name or "").strip()


def walk_language_choices(db_session: Session) -> list[str]:
    """Every language a walk was ever scheduled in (for the report's filter)."""
    return list(
        db_session.scalars(
            select(Departure.language).group_by(Departure.language).order_by(Departure.language)
        )
    )
