"""A supplier's payout account: made at the payment processor, set up there, ready (issue 8).

With Stripe a supplier is paid into an Express connected account, which takes transfers only
once the supplier has given Stripe its details on Stripe's own pages (onboarding) and Stripe
has checked them. The marketplace records the account when it makes it, and each state Stripe
reports it in (``PayoutAccount.StateChanged``): asked again when the supplier comes back from
Stripe's pages, when Stripe tells of a change to it, and before a transfer to an account not
yet recorded ready. With invoices there is nothing to set up: suppliers are paid by bank
transfer to the account on their invoices.
"""

from __future__ import annotations

from uuid import UUID

from marketplace.commands.settlement import SettlementCommands
from marketplace.domain import NotFoundError, RuleViolationError
from marketplace.domain.organisation import Role
from marketplace.domain.payments import PayoutAccount, Purpose
from marketplace.payments import AccountState, idempotency_key


class PaidByBankTransferError(RuleViolationError):
    """Suppliers are paid by bank transfer here: there is no payout account to set up."""


class _NoAccountError(NotFoundError):
    """No payout account is recorded for the organisation yet."""


class PayoutAccountCommands(SettlementCommands):
    """Suppliers' payout accounts made, set up at the processor, and their states recorded."""

    def start_payout_onboarding(self, organisation_id: UUID, *, return_url: str,
                                refresh_url: str) -> str | None:
        """The processor's page where the supplier gives its details, its payout account made
        first if it has none; None when the account is ready already (nothing to give)."""
        self._require_onboarding(organisation_id)
        return self._onboarding_link(self._connected(organisation_id), return_url,
                                     refresh_url)

    def continue_payout_onboarding(self, organisation_id: UUID, *, return_url: str,
                                   refresh_url: str) -> str | None:
        """A new page for a supplier whose link expired or was used (the processor's refresh
        URL); its account must exist: this never makes one."""
        self._require_onboarding(organisation_id)
        known = self._payout_account_of(organisation_id)
        if known is None:
            raise _NoAccountError("your organisation has not started setting up payouts; "
                                  "start from your dashboard")
        return self._onboarding_link(known, return_url, refresh_url)

    def payout_account_state(self, organisation_id: UUID) -> AccountState | None:
        """The state recorded of the organisation's payout account (no call to the
        processor); None before it has one."""
        known = self._payout_account_of(organisation_id)
        return None if known is None else AccountState(known.state)

    def _require_onboarding(self, organisation_id: UUID) -> None:
        self._participant(organisation_id).require(Role.SUPPLIER, "set up payouts")
        if self.payments.name == "invoice":
            raise PaidByBankTransferError(
                "this marketplace pays its suppliers by bank transfer to the account on their "
                "invoices; there is nothing to set up")

    def _onboarding_link(self, known: PayoutAccount, return_url: str,
                         refresh_url: str) -> str | None:
        if known.state == AccountState.READY:
            return None
        return self.payments.onboarding_link(known.account, return_url=return_url,
                                             refresh_url=refresh_url)

    def _payout_account_of(self, organisation_id: UUID) -> PayoutAccount | None:
        try:
            return self._load(PayoutAccount, PayoutAccount.create_id(
                organisation_id, self.payments.name), _NoAccountError, "payout account")
        except _NoAccountError:
            return None

    def _connected(self, organisation_id: UUID) -> PayoutAccount:
        """The supplier's account at the processor, made if it has none (the same one for the
        same key, should the record fail after the call)."""
        known = self._payout_account_of(organisation_id)
        if known is not None:
            return known
        processor = self.payments.name
        aggregate_id = PayoutAccount.create_id(organisation_id, processor)
        account = self.payments.payout_account(
            organisation_id, key=idempotency_key(aggregate_id, 1, Purpose.ACCOUNT.value))

        def record() -> PayoutAccount:
            found = self._payout_account_of(organisation_id)
            if found is not None:
                return found
            made = PayoutAccount.connect(organisation_id, processor, account)
            self.save(made)
            return made
        return self.command(record)

    def _payout_account(self, organisation_id: UUID) -> str:
        """The id of the supplier's account at the processor, made if it has none."""
        return self._connected(organisation_id).account

    def _take_account_notice(self, known: PayoutAccount, event_id: str, event_type: str,
                             state: AccountState) -> bool:
        """A webhook about the account, taken once by its event id in the transaction of the
        state it reported; True if that state is new."""
        def record() -> bool:
            account = self._load(PayoutAccount, known.id, _NoAccountError, "payout account")
            if not account.notice(event_id, event_type):
                return False
            changed = account.change_state(state.value)
            self.save(account)
            return changed
        return self.command(record)

    def _checked_state(self, known: PayoutAccount) -> AccountState:
        """Asks the processor how the account stands, and records it if it changed."""
        state = self.payments.account_state(known.account)
        if state == known.state:
            return state

        def record() -> None:
            account = self._load(PayoutAccount, known.id, _NoAccountError, "payout account")
            if account.change_state(state.value):
                self.save(account)
        self.command(record)
        return state
