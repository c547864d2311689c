// The payment step with Stripe.js (docs/payments.md, "Pages"). Loaded only where the lot page
// draws Stripe's card field; the section carries the publishable key (data-stripe-key).
//
// - The card form: Stripe's card field is mounted in [data-card-mount]; on submit the card
//   becomes a PaymentMethod (stripe.createPaymentMethod), whose pm_… id alone is posted in the
//   hidden payment_method field. The card number never reaches this site.
// - The bank's confirmation (3-D Secure): stripe.handleNextAction shows the bank's challenge
//   (for a charge its bank stopped off session, stripe.confirmCardPayment confirms it with the
//   saved card, data-payment-method, now the buyer is here), then the form is posted whatever
//   came of it: the server looks the payment up at Stripe
//   and records what it came to (the client secret is in the page only, never posted).
//
// Stripe's errors are shown in the form's [data-card-errors] (role=alert).
(function () {
  "use strict";

  var section = document.querySelector("#payment[data-stripe-key]");
  if (!section) {
    return;
  }
  var cardForm = section.querySelector("form[data-card-form]");
  var confirmForm = section.querySelector("form[data-confirm-form]");

  function show(form, message) {
    var box = form.querySelector("[data-card-errors]");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function busy(form, on) {
    var button = form.querySelector("button[type=submit]");
    button.disabled = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
  }

  if (typeof window.Stripe !== "function") {
    [cardForm, confirmForm].forEach(function (form) {
      if (form) {
        show(form, section.dataset.stripeMissing);
        busy(form, true);
      }
    });
    return;
  }
  var stripe = window.Stripe(section.dataset.stripeKey, {locale: section.dataset.stripeLocale});

  if (cardForm) {
    var card = stripe.elements().create("card");
    card.mount(cardForm.querySelector("[data-card-mount]"));
    card.on("change", function (event) {
      show(cardForm, event.error ? event.error.message : "");
    });
    cardForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      busy(cardForm, true);
      var result;
      try {
        result = await stripe.createPaymentMethod({type: "card", card: card});
      } catch (error) {
        result = {error: {message: section.dataset.stripeMissing}};
      }
      if (result.error) {
        show(cardForm, result.error.message);
        busy(cardForm, false);
        return;
      }
      show(cardForm, "");
      cardForm.querySelector("input[name=payment_method]").value = result.paymentMethod.id;
      cardForm.submit();
    });
  }

  if (confirmForm) {
    confirmForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      busy(confirmForm, true);
      try {
        var secret = confirmForm.dataset.clientSecret;
        var method = confirmForm.dataset.paymentMethod;
        var result = method  // a charge its bank stopped off session: confirmed on session
          ? await stripe.confirmCardPayment(secret, {payment_method: method})
          : await stripe.handleNextAction({clientSecret: secret});
        if (result.error) {
          show(confirmForm, result.error.message);
        }
      } catch (error) {
        show(confirmForm, section.dataset.stripeMissing);
      }
      confirmForm.submit();  // the server asks Stripe what came of it, and records it
    });
  }
})();
