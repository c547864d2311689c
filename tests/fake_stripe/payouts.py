"""Money going back or onward: refunds of a captured charge, connected accounts, and transfers
to them, each bounded by what its source charge still holds."""

from __future__ import annotations

from tests.fake_stripe.errors import invalid, missing
from tests.fake_stripe.forms import Params
from tests.fake_stripe.state import Obj, Store

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def create_refund(store: Store, p: Params) -> Obj:
    if p.has("payment_intent") == p.has("charge"):
        raise invalid("You must pass either a payment_intent or a charge, and not both.",
                      param="payment_intent" if p.has("charge") else "charge")
    amount = p.optional_amount("amount")
    reason = p.choice("reason", REFUND_REASONS, None)
    metadata = p.metadata()
    if p.has("payment_intent"):
        intent = store.get("payment_intent", p.required("payment_intent"),
                           param="payment_intent")
        charge_id = intent["latest_charge"] if intent["status"] == "succeeded" else None
        if charge_id is None:
            raise invalid(f"This PaymentIntent ({intent['id']}) does not have a successful "
                          "charge to refund.", param="payment_intent")
        charge = store.objects[charge_id]
    else:
        charge = store.get("charge", p.required("charge"), param="charge")
    if not charge["captured"] or charge["status"] != "succeeded":
        raise invalid(f"Charge {charge['id']} has not been captured: it cannot be refunded "
                      "(cancel its PaymentIntent instead).", param="charge")
    left = charge["amount_captured"] - charge["amount_refunded"]
    if left == 0:
        raise invalid(f"Charge {charge['id']} has already been refunded.",
                      code="charge_already_refunded")
    amount = left if amount is None else amount
    if amount > left:
        raise invalid(f"Refund amount ({amount} {charge['currency']}) is greater than unrefunded "
                      f"amount on charge ({left} {charge['currency']})", param="amount")
    refund = store.add({
        "object": "refund", "amount": amount, "balance_transaction": store.new_id("txn"),
        "charge": charge["id"], "currency": charge["currency"], "metadata": metadata,
        "payment_intent": charge["payment_intent"], "reason": reason, "status": "succeeded"})
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount_captured"]
    store.emit("refund.created", refund)
    store.emit("charge.refunded", charge)
    return refund


def create_account(store: Store, p: Params) -> Obj:
    kind = p.choice("type", ("express", "custom"), None)
    if kind is None:
        raise invalid("Missing required param: type.", param="type", code="parameter_missing")
    country, email, metadata = p.text("country") or "JP", p.text("email"), p.metadata()
    # Stripe's accounts need onboarding before they can take transfers; the fake's are ready
    # at once (the tests of onboarding are not the fake's business).
    account = store.add({
        "object": "account", "type": kind, "country": country, "email": email,
        "metadata": metadata, "charges_enabled": True, "payouts_enabled": True,
        "details_submitted": True, "default_currency": "jpy" if country == "JP" else "usd",
        "capabilities": {"card_payments": "active", "transfers": "active"}})
    store.emit("account.updated", account)
    return account


def create_transfer(store: Store, p: Params) -> Obj:
    amount, currency = p.amount("amount"), p.currency()
    destination = p.required("destination")
    if destination not in store.objects or store.objects[destination]["object"] != "account":
        raise missing("destination", destination, param="destination")
    source = p.text("source_transaction")
    metadata = p.metadata()
    if source is not None:
        charge = store.get("charge", source, param="source_transaction")
        _check_source(store, charge, amount, currency)
    transfer = store.add({
        "object": "transfer", "amount": amount, "amount_reversed": 0,
        "balance_transaction": store.new_id("txn"), "currency": currency,
        "description": p.text("description"), "destination": destination,
        "destination_payment": store.new_id("py"), "metadata": metadata,
        "reversals": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                      "url": "/v1/transfers/{id}/reversals"},
        "reversed": False, "source_transaction": source,
        "source_type": "card", "transfer_group": p.text("transfer_group")})
    transfer["reversals"]["url"] = f"/v1/transfers/{transfer['id']}/reversals"
    store.emit("transfer.created", transfer)
    return transfer


def _check_source(store: Store, charge: Obj, amount: int, currency: str) -> None:
    """A transfer funded by a charge: the charge must be captured, in the transfer's currency,
    and hold enough: what was captured, less refunds, less the transfers it already funds."""
    if not charge["captured"] or charge["status"] != "succeeded":
        raise invalid(f"The source_transaction {charge['id']} has not been captured.",
                      param="source_transaction")
    if charge["currency"] != currency:
        raise invalid(f"The currency of source_transaction's balance transaction "
                      f"({charge['currency']}) must be the same as the transfer currency "
                      f"({currency}).", param="currency")
    funded = sum(t["amount"] - t["amount_reversed"] for t in store.all("transfer")
                 if t["source_transaction"] == charge["id"])
    left = charge["amount_captured"] - charge["amount_refunded"] - funded
    if amount > left:
        raise invalid(f"Insufficient funds in source_transaction {charge['id']}: the transfer "
                      f"({amount} {currency}) is more than it has left to transfer ({left} "
                      f"{currency}).", param="amount")
