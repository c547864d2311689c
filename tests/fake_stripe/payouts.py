"""Money going back or onward: refunds of a captured charge, connected accounts, their
onboarding (account links to a hosted page), and transfers to them, each bounded by what its
source charge still holds and refused while the account's ``transfers`` capability is not
active.

Differences from Stripe: the hosted onboarding page asks nothing; visiting it submits the
account's details and, unless ``Store.checks_pass_at_once`` is off, activates its
capabilities at once (Stripe checks the details first, for minutes or days). Accounts are made
ready at once when ``Store.accounts_ready`` is on (the default, for the tests that do not care
about onboarding); off, they start as Stripe's do: nothing submitted, capabilities inactive.
"""

from __future__ import annotations

import secrets

from tests.fake_stripe.errors import invalid, missing
from tests.fake_stripe.forms import Params
from tests.fake_stripe.state import Obj, Store

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
#: How long an account link may be used (Stripe's are short-lived, a few minutes).
LINK_SECONDS = 300
#: Where the hosted onboarding pages are served on the fake (Stripe: connect.stripe.com).
ONBOARDING_PATH = "/setup/e/"


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
    account = store.add({
        "object": "account", "type": kind, "country": country, "email": email,
        "metadata": metadata, "charges_enabled": False, "payouts_enabled": False,
        "details_submitted": False, "default_currency": "jpy" if country == "JP" else "usd",
        "capabilities": {"card_payments": "inactive", "transfers": "inactive"}})
    if store.accounts_ready:
        account["details_submitted"] = True
        activate(account)
    store.emit("account.updated", account)
    return account


def activate(account: Obj) -> None:
    """The account's details checked: it may take charges, transfers and payouts."""
    account.update(charges_enabled=True, payouts_enabled=True,
                   capabilities={name: "active" for name in account["capabilities"]})


def restrict(account: Obj) -> None:
    """Stripe wants more of the supplier (a requirement past due): no transfers until then."""
    account.update(charges_enabled=False, payouts_enabled=False,
                   capabilities={name: "inactive" for name in account["capabilities"]})


def create_account_link(store: Store, p: Params) -> Obj:
    account = store.get("account", p.required("account"), param="account")
    kind = p.choice("type", ("account_onboarding", "account_update"), None)
    if kind is None:
        raise invalid("Missing required param: type.", param="type", code="parameter_missing")
    if kind == "account_update" and account["type"] != "custom":
        raise invalid("You cannot create `account_update` type Account Links for accounts "
                      "that have access to a Stripe-hosted Dashboard.", param="type")
    return_url, refresh_url = p.required("return_url"), p.required("refresh_url")
    url = f"{store.base_url}{ONBOARDING_PATH}{account['id']}/{secrets.token_urlsafe(9)}"
    expires_at = store.now + LINK_SECONDS
    store.links[url] = {"account": account["id"], "return_url": return_url,
                        "refresh_url": refresh_url, "expires_at": expires_at, "used": False}
    return {"object": "account_link", "created": store.now, "expires_at": expires_at,
            "url": url}


def onboarding_page(store: Store, url: str) -> str | None:
    """The hosted onboarding page at ``url``: where it sends the browser (the return URL
    once the details are submitted; the refresh URL for a link expired or used already);
    None for a page that never was."""
    link = store.links.get(url)
    if link is None:
        return None
    if link["used"] or store.now > link["expires_at"]:
        return str(link["refresh_url"])
    link["used"] = True
    account = store.objects[link["account"]]
    account["details_submitted"] = True
    if store.checks_pass_at_once:
        activate(account)
    else:
        account["capabilities"] = {name: "pending" for name in account["capabilities"]}
    store.emit("account.updated", account)
    return str(link["return_url"])


def create_transfer(store: Store, p: Params) -> Obj:
    amount, currency = p.amount("amount"), p.currency()
    destination = p.required("destination")
    if destination not in store.objects or store.objects[destination]["object"] != "account":
        raise missing("destination", destination, param="destination")
    if store.objects[destination]["capabilities"].get("transfers") != "active":
        raise invalid("Your destination account needs to have at least one of the following "
                      "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                      param="destination", code="insufficient_capabilities_for_transfer")
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
