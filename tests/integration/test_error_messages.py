"""The domain's refusals as pages show them: on a Japanese page the rule in Japanese, then the
specific English message; on an English page the English message alone."""

from __future__ import annotations

from tests.integration.test_need_pages import FORM
from tests.pages import Site

#: QuantityNotPositiveError's rule ("Quantities are more than zero.") in Japanese.
RULE_JA = "数量は0より大きい値を入力してください。"
MESSAGE_EN = "the quantity must be more than zero, not -5"


def test_a_bad_need_is_refused_in_the_pages_language(site: Site) -> None:
    member, visitor = site.member_visitor(roles=("buyer",))
    marketplace = site.accounts.marketplace

    visitor.client.headers["Accept-Language"] = "ja"
    japanese = visitor.post("/needs", {**FORM, "quantity": "-5"})
    visitor.client.headers["Accept-Language"] = "en"
    english = visitor.post("/needs", {**FORM, "quantity": "-5"})

    assert [japanese.status_code, english.status_code] == [422, 422]
    assert '<html lang="ja"' in japanese.text
    assert f'<span class="field-error" id="quantity-error">{RULE_JA}（{MESSAGE_EN}）</span>' \
        in japanese.text
    assert '<html lang="en"' in english.text
    assert f'<span class="field-error" id="quantity-error">{MESSAGE_EN}</span>' in english.text
    assert RULE_JA not in english.text
    assert marketplace.lots.needs(member.organisation_id) == []
