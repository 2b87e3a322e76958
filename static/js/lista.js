/*
 * The case list (/casos/): progressive enhancements. No inline scripts (CSP-friendly).
 *
 * - The filter form [data-filtros] sends only the fields that are set, so the URL (and a
 *   bookmark of it) holds what the user chose, not a dozen empty parameters.
 * - Seguimiento de casos [data-seguimiento]: "select all" on the page, a live count of the
 *   selection, and the bar shown only while at least one case is ticked. Without JavaScript
 *   the bar is always shown and works the same (the row checkboxes belong to its form).
 */
(function () {
  "use strict";

  /* ---- Filters: leave empty fields out of the URL ---- */

  function camposVacios(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.disabled) { return false; }
      if (el.type === "checkbox" || el.type === "radio") { return false; }
      if (el.tagName === "BUTTON" || el.type === "submit") { return false; }
      return el.value === "";
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest && event.target.closest("[data-filtros]");
    if (!form || event.defaultPrevented) { return; }
    // Disabled fields are not submitted; marked so that they come back (see pageshow).
    camposVacios(form).forEach(function (el) {
      el.disabled = true;
      el.setAttribute("data-vacio-desactivado", "");
    });
  });

  // Back to this page from the results (the page may come from the back-forward cache):
  // the fields disabled for the submit must work again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-vacio-desactivado]").forEach(function (el) {
      el.disabled = false;
      el.removeAttribute("data-vacio-desactivado");
    });
  });

  /* ---- Seguimiento de casos: selection, count, the bar ---- */

  function texto(label, n) {
    if (!label) { return ""; }
    if (n === 1) { return label.dataset.uno || "1"; }
    return (label.dataset.varios || "%(n)s").replace("%(n)s", String(n));
  }

  function actualizar(anunciar) {
    var boxes = document.querySelectorAll("[data-seleccion]");
    var checked = document.querySelectorAll("[data-seleccion]:checked").length;
    var all = document.querySelector("[data-seleccionar-todos]");
    if (all) {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    var bar = document.querySelector("[data-seguimiento]");
    if (bar) { bar.hidden = checked === 0; }
    var label = document.querySelector("[data-seleccionados]");
    if (label && checked > 0) { label.textContent = texto(label, checked); }
    var anuncio = document.querySelector("[data-anuncio-seleccion]");
    if (anuncio && anunciar) { anuncio.textContent = checked > 0 ? texto(label, checked) : ""; }
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-seleccionar-todos]")) {
      document.querySelectorAll("[data-seleccion]").forEach(function (box) {
        box.checked = event.target.checked;
      });
      actualizar(true);
    } else if (event.target.matches("[data-seleccion]")) {
      actualizar(true);
    }
  });

  // On load (and back from the cache) the browser may restore ticked boxes.
  document.addEventListener("DOMContentLoaded", function () { actualizar(false); });
  window.addEventListener("pageshow", function () { actualizar(false); });
})();
