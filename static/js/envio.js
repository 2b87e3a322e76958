/*
 * One submission, one save. Editor and quick-add pages carry a one-time token
 * (input[data-envio]); the server saves a page once per token. A page shown again by Back
 * (and submitted again) must post the token of its first submission, not the fresh one the
 * server put in the re-fetched page: the token a page submitted is kept for this tab
 * (sessionStorage, per path) and put back when the page is reached by Back or Forward. The
 * server then answers "ya se había guardado" with the saved case instead of a copy.
 */
(function () {
  "use strict";

  function clave() { return "envio:" + window.location.pathname; }

  function guardar(token) {
    try { window.sessionStorage.setItem(clave(), token); } catch (e) { /* storage off */ }
  }

  function leer() {
    try { return window.sessionStorage.getItem(clave()); } catch (e) { return null; }
  }

  function porHistorial() {
    var nav = window.performance && window.performance.getEntriesByType
      ? window.performance.getEntriesByType("navigation")[0] : null;
    return nav ? nav.type === "back_forward" : false;
  }

  document.addEventListener("submit", function (event) {
    var el = event.target.querySelector && event.target.querySelector("input[data-envio]");
    if (el && el.value) { guardar(el.value); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var anterior = porHistorial() ? leer() : null;
    if (!anterior) { return; }
    document.querySelectorAll("input[data-envio]").forEach(function (el) {
      el.value = anterior;
    });
  });
})();
