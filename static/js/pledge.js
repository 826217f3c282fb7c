/* Tremplin funding: saving a card (SetupIntent) and confirming a payment (3-D Secure) with
   Stripe.js, loaded by the page from STRIPE_JS_URL. No inline script (CSP): everything the
   page knows arrives in data- attributes. Card details go from the browser to Stripe only.

   The server never trusts what comes back in the return URL: it reads the SetupIntent or
   PaymentIntent it stored from Stripe. This file only drives the browser side.

   Stripe.js offers the Payment Element (elements.create("payment") + stripe.confirmSetup).
   A test double of Stripe.js (localstripe) only implements the older card Element with
   stripe.confirmCardSetup: the code uses the Payment Element when it exists and falls
   back to the card Element otherwise. */
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  var form = document.getElementById("card-form") || document.getElementById("confirm-form");
  if (!form) { return; }
  var errors = document.getElementById("card-errors");
  var submit = document.getElementById("card-submit");

  function showError(message) {
    errors.textContent = message || (document.documentElement.lang === "en"
      ? "The payment could not be completed. Please try again."
      : "Le paiement n’a pas pu aboutir. Réessayez.");
    errors.hidden = false;
    submit.disabled = false;
    submit.removeAttribute("aria-busy");
  }

  function busy() {
    errors.hidden = true;
    submit.disabled = true;
    submit.setAttribute("aria-busy", "true");
  }

  if (typeof window.Stripe !== "function") {
    showError(document.documentElement.lang === "en"
      ? "The secure payment form could not be loaded. Check your connection and reload the page."
      : "Le formulaire de paiement sécurisé n’a pas pu se charger. Vérifiez votre connexion et rechargez la page.");
    submit.disabled = true;
    return;
  }

  var data = form.dataset;
  var stripe = window.Stripe(data.stripeKey, { locale: data.locale || "fr" });
  var returnUrl = data.returnUrl;

  if (data.mode === "setup") {
    var usePaymentElement = typeof stripe.confirmSetup === "function";
    var elements, element;
    if (usePaymentElement) {
      elements = stripe.elements({
        clientSecret: data.clientSecret, locale: data.locale || "fr",
        appearance: { theme: "stripe", variables: { colorPrimary: "#0f5d63", borderRadius: "6px" } }
      });
      element = elements.create("payment", { layout: "tabs" });
    } else {
      elements = stripe.elements();
      element = elements.create("card");
    }
    var mountPoint = document.getElementById("payment-element");
    mountPoint.querySelectorAll(".js-hide-when-ready").forEach(function (node) { node.remove(); });
    element.mount(mountPoint);
    mountPoint.setAttribute("data-ready", "1");
    submit.disabled = false;

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      busy();
      var confirmation = usePaymentElement
        ? stripe.confirmSetup({ elements: elements, confirmParams: { return_url: returnUrl }, redirect: "if_required" })
        : stripe.confirmCardSetup(data.clientSecret, { payment_method: { card: element } });
      confirmation.then(function (result) {
        if (result && result.error) {
          showError(result.error.message);
          return;
        }
        window.location.assign(returnUrl);
      }, function () { showError(); });
    });
  } else if (data.mode === "confirm") {
    submit.disabled = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      busy();
      var options = data.paymentMethod ? { payment_method: data.paymentMethod } : undefined;
      stripe.confirmCardPayment(data.clientSecret, options).then(function (result) {
        // Success or not, the server reads the PaymentIntent from Stripe on return.
        if (result && result.error && !result.paymentIntent) {
          showError(result.error.message);
          return;
        }
        window.location.assign(returnUrl);
      }, function () { showError(); });
    });
  }
})();
