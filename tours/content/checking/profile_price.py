"""The tour profile's rule for a tour's ``price``: free, pay-what-you-want or fixed."""

from __future__ import annotations

import re
from typing import Any

from tours.content.checking.findings import Findings
from tours.content.checking.geojson_positions import is_number
from tours.content.checking.profile_features import found

PRICE_MODELS = ("free", "pay-what-you-want", "fixed")
CURRENCY = re.compile(r"^[A-Z]{3}$")


class PriceRule:
    """Checks the route's ``price`` object (per person)."""

    def __init__(self, findings: Findings) -> None:
        self.error = findings.error

    def check(self, value: Any, ptr: str) -> dict[str, Any] | None:
        """The price as written when it is valid; None after reporting what is wrong."""
        ptr = f"{ptr}/price"
        if not isinstance(value, dict) or value.get("model") not in PRICE_MODELS:
            model = value.get("model") if isinstance(value, dict) else value
            self.error(
                "profile.price-model",
                ptr,
                f"price must be an object whose model is {', '.join(map(repr, PRICE_MODELS))},"
                f' such as {{"model": "fixed", "amount": 12, "currency": "EUR"}};'
                f" found {found(model)}.",
            )
            return None
        model = value["model"]
        amount_key = {"fixed": "amount", "pay-what-you-want": "suggested"}.get(model)
        if amount_key is None:
            return value
        amount = value.get(amount_key)
        required = model == "fixed"
        if amount is None and not required:
            return value
        amount_ok = self._amount(amount, model, amount_key, ptr)
        currency_ok = self._currency(value.get("currency"), ptr)
        return value if amount_ok and currency_ok else None

    def _amount(self, amount: Any, model: str, amount_key: str, ptr: str) -> bool:
        if is_number(amount) and amount >= 0:
            return True
        self.error(
            "profile.price-amount",
            f"{ptr}/{amount_key}",
            f"A {model} price needs {amount_key} as a number of at least 0 (per"
            f" person), such as 12 or 7.5; found {found(amount)}.",
        )
        return False

    def _currency(self, currency: Any, ptr: str) -> bool:
        if isinstance(currency, str) and CURRENCY.match(currency):
            return True
        self.error(
            "profile.price-currency",
            f"{ptr}/currency",
            "currency must be an ISO 4217 code in capitals, such as"
            f' "EUR"; found {found(currency)}.',
        )
        return False
