"""The reference for bench/booking_bench.py: the seat transaction alone, in minimal Flask.

``POST /book/<departure id>`` with the same JSON body as the API takes the seats with the
same conditional ``UPDATE`` and inserts the booking in one transaction (BEGIN, UPDATE,
INSERT, COMMIT: four round trips) through SQLAlchemy Core, and answers 201 with the
reference or 409.  No validation, idempotency, rate limits, outbox, i18n or security
headers: what any Flask + SQLAlchemy endpoint doing this transaction costs on this
machine.  The bench serves it with the same gunicorn settings as Bidean.
"""

from __future__ import annotations

import os
import secrets

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TAKE = text(
    "UPDATE departures SET seats_taken = seats_taken + :n "
    "WHERE id = :id AND status = 'scheduled' AND starts_at > now() AND max_party >= :n "
    "AND seats_taken + seats_held + :n <= capacity RETURNING id"
)
INSERT = text(
    "INSERT INTO bookings (reference, departure_id, party_size, status, language, name, "
    "email, created_at) VALUES (:reference, :id, :n, 'confirmed', :language, :name, :email, "
    "now())"
)


def create_app() -> Flask:
    engine = create_engine(os.environ["BIDEAN_DATABASE_URL"])
    app = Flask(__name__)

    @app.get("/healthz")
    def healthz():
        return "ok"

    @app.post("/book/<int:departure_id>")
    def book(departure_id: int):
        body = request.get_json()
        reference = "".join(secrets.choice(ALPHABET) for _ in range(8))
        values = {
            "id": departure_id,
            "n": int(body["party_size"]),
            "reference": reference,
            "language": body.get("language", "es"),
            "name": body["name"],
            "email": body["email"],
        }
        with engine.begin() as conn:
            if conn.execute(TAKE, values).first() is None:
                return jsonify(error="full"), 409
            conn.execute(INSERT, values)
        return jsonify(reference=reference), 201

    return app
