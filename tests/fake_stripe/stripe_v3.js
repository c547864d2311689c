// The fake Stripe.js, served by the fake Stripe at /v3/ (see stripe_js.py): Stripe(key) with
// what the marketplace's payment page uses of Stripe.js, calling the fake this script came
// from with the publishable key, as Stripe.js calls api.stripe.com.
//
//   Stripe(key).elements().create("card").mount(target)  a card number input in target
//   element.on("change", handler)                        {complete, empty, error} as typed
//   stripe.createPaymentMethod({type: "card", card})     {paymentMethod} or {error}
//   stripe.handleNextAction({clientSecret})              the bank's (test) challenge, then
//                                                        {paymentIntent}/{setupIntent} or {error}
//   stripe.confirmCardPayment(secret, {payment_method}) the intent confirmed on session (the
//                                                        challenge if the bank asks), as above
(function () {
  "use strict";

  var api = new URL(document.currentScript.src).origin;
  var UNREACHABLE = "We could not reach Stripe. Check your connection and try again.";

  function call(method, path, params) {
    var form = new URLSearchParams(params);
    var request = method === "GET"
      ? fetch(api + path + "?" + form.toString(), {method: "GET"})
      : fetch(api + path, {method: "POST", body: form});
    return request
      .then(function (response) { return response.json(); })
      .catch(function () {
        return {error: {type: "api_connection_error", message: UNREACHABLE}};
      });
  }

  function luhn(digits) {
    var total = 0;
    for (var i = 0; i < digits.length; i += 1) {
      var value = Number(digits[digits.length - 1 - i]) * (i % 2 ? 2 : 1);
      total += value > 9 ? value - 9 : value;
    }
    return total % 10 === 0;
  }

  function CardElement() {
    this.input = null;
    this.handlers = [];
  }

  CardElement.prototype.mount = function (target) {
    var node = typeof target === "string" ? document.querySelector(target) : target;
    var input = document.createElement("input");  // no name: never sent with the page's form
    input.type = "text";
    input.inputMode = "numeric";
    input.autocomplete = "cc-number";
    input.placeholder = "1234 1234 1234 1234";
    input.setAttribute("aria-label", "Card number");
    input.setAttribute("data-fake-stripe", "card-number");
    input.style.width = "100%";
    input.style.border = "none";
    var element = this;
    input.addEventListener("input", function () {
      var state = element.state();
      element.handlers.forEach(function (handler) { handler(state); });
    });
    node.appendChild(input);
    this.input = input;
  };

  CardElement.prototype.on = function (kind, handler) {
    if (kind === "change") {
      this.handlers.push(handler);
    }
  };

  CardElement.prototype.digits = function () {
    return this.input ? this.input.value.replace(/\s+/g, "") : "";
  };

  CardElement.prototype.state = function () {
    var digits = this.digits();
    var wrong = /\D/.test(digits) || (digits.length >= 16 && !luhn(digits));
    return {
      elementType: "card", empty: digits === "", complete: digits.length >= 16 && !wrong,
      error: wrong
        ? {type: "validation_error", code: "invalid_number", message: "Your card number is invalid."}
        : undefined,
    };
  };

  function challenge() {
    // Stripe's test challenge: complete or fail the authentication.
    return new Promise(function (resolve) {
      var dialog = document.createElement("div");
      dialog.setAttribute("role", "dialog");
      dialog.setAttribute("aria-modal", "true");
      dialog.setAttribute("aria-label", "3D Secure test authentication");
      dialog.setAttribute("data-fake-stripe", "three-d-secure");
      dialog.style.position = "fixed";
      dialog.style.inset = "20% 30%";
      dialog.style.padding = "1.5rem";
      dialog.style.background = "#fff";
      dialog.style.border = "2px solid #635bff";
      var text = document.createElement("p");
      text.textContent = "3D Secure test page (fake Stripe): complete or fail the authentication.";
      dialog.appendChild(text);
      [["complete", "Complete authentication"], ["fail", "Fail authentication"]].forEach(
        function (choice) {
          var button = document.createElement("button");
          button.type = "button";
          button.textContent = choice[1];
          button.setAttribute("data-fake-stripe-outcome", choice[0]);
          button.addEventListener("click", function () {
            dialog.remove();
            resolve(choice[0]);
          });
          dialog.appendChild(button);
        });
      document.body.appendChild(dialog);
      dialog.querySelector("button").focus();
    });
  }

  function Stripe(key) {
    if (typeof key !== "string" || key.indexOf("pk_") !== 0) {
      throw new Error("IntegrationError: You should not use your secret key with Stripe.js. "
                      + "Please pass a publishable key instead.");
    }
    var stripe = {
      elements: function () {
        return {create: function () { return new CardElement(); }};
      },
      createPaymentMethod: function (options) {
        var card = options.card;
        if (!card || card.digits() === "") {
          return Promise.resolve({error: {type: "validation_error", code: "incomplete_number",
                                          message: "Your card number is incomplete."}});
        }
        if (card.state().error) {  // Stripe.js checks the number before sending it
          return Promise.resolve({error: card.state().error});
        }
        return call("POST", "/v1/payment_methods", {
          type: "card", "card[number]": card.digits(), "card[exp_month]": "12",
          "card[exp_year]": "2034", "card[cvc]": "123", key: key,
        }).then(function (made) {
          return made.error ? {error: made.error} : {paymentMethod: made};
        });
      },
      handleNextAction: function (options) {
        var secret = options.clientSecret;
        var kind = secret.indexOf("seti_") === 0 ? "setupIntent" : "paymentIntent";
        return call("GET", "/fake/intents", {client_secret: secret, key: key})
          .then(function (intent) {
            if (intent.error) {
              return {error: intent.error};
            }
            if (intent.status !== "requires_action") {
              return {error: {type: "invalid_request_error", code: "unexpected_state",
                              message: "This intent is not waiting for authentication (it is "
                                       + intent.status + ")."}};
            }
            return challenge().then(function (outcome) {
              return call("POST", "/fake/three_d_secure",
                          {client_secret: secret, key: key, outcome: outcome});
            }).then(function (answered) {
              if (answered.error) {
                return {error: answered.error};
              }
              if (answered.last_error && answered.status === "requires_payment_method") {
                return {error: answered.last_error};
              }
              var result = {};
              result[kind] = answered;
              return result;
            });
          });
      },
      confirmCardPayment: function (secret, data) {
        return call("POST", "/fake/confirm", {client_secret: secret, key: key,
                                               payment_method: (data || {}).payment_method})
          .then(function (intent) {
            if (intent.error) {
              return {error: intent.error};
            }
            if (intent.status === "requires_action") {
              return stripe.handleNextAction({clientSecret: secret});
            }
            if (intent.last_error && intent.status === "requires_payment_method") {
              return {error: intent.last_error};
            }
            return {paymentIntent: intent};
          });
      },
    };
    return stripe;
  }

  window.Stripe = Stripe;
})();
