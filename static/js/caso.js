/*
 * The case editor and quick add: fields that follow from others, filled as the user chooses
 * (CSP-friendly: no inline code). The server applies the same rules when saving
 * (Caso.aplicar_derivados), so the page works the same without JavaScript.
 *
 * - Ejecutor: an empty Grupo and Depto. take that ejecutor's.
 * - Cliente: a client that is interno ticks Caso interno.
 * - Etapa Completada: Avance becomes 100.
 *
 * The ejecutor's grupo and departamento and the client's interno flag come from the lupa's
 * JSON (data-lupa-url of the field's [data-lupa] container, ?formato=json&id=<pk>). A value
 * this script filled is marked data-derivado and follows the next choice (another ejecutor,
 * another client); a value the user set is never touched.
 */
(function () {
  "use strict";

  // The latest request per field: an older answer arriving late is ignored.
  var ultimo = {};

  function editor(el) { return el.closest ? el.closest("form.editor-caso") : null; }
  function campo(form, nombre) { return form.querySelector('[name="' + nombre + '"]'); }

  function datosDe(select, usar) {
    var clave = select.name;
    var mio = (ultimo[clave] || 0) + 1;
    ultimo[clave] = mio;
    var contenedor = select.closest("[data-lupa]");
    if (!select.value || !contenedor || !contenedor.dataset.lupaUrl) { usar(null); return; }
    var url = contenedor.dataset.lupaUrl + "?formato=json&inactivos=1&id=" +
      encodeURIComponent(select.value);
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { resultados: [] }; })
      .then(function (datos) {
        if (ultimo[clave] === mio) { usar((datos.resultados || [])[0] || null); }
      })
      .catch(function () { /* offline: the server fills the fields on save */ });
  }

  // Puts ``valor`` in a select the user has not set (empty, or filled by this script).
  function derivar(select, valor) {
    if (!select || (select.value && !select.hasAttribute("data-derivado"))) { return; }
    var texto = valor === null || valor === undefined ? "" : String(valor);
    var existe = Array.prototype.some.call(select.options, function (o) { return o.value === texto; });
    if (!existe) { texto = ""; }
    if (!texto && !select.hasAttribute("data-derivado")) { return; }
    select.value = texto;
    if (texto) { select.setAttribute("data-derivado", ""); } else { select.removeAttribute("data-derivado"); }
  }

  function ejecutorElegido(form, select) {
    datosDe(select, function (ejecutor) {
      derivar(campo(form, "grupo"), ejecutor ? ejecutor.grupo : null);
      derivar(campo(form, "departamento"), ejecutor ? ejecutor.departamento : null);
    });
  }

  function clienteElegido(form, select) {
    var interno = campo(form, "interno");
    if (!interno) { return; }
    datosDe(select, function (cliente) {
      if (cliente && cliente.interno) {
        if (!interno.checked) {
          interno.checked = true;
          interno.setAttribute("data-derivado", "");
        }
      } else if (interno.hasAttribute("data-derivado")) {
        interno.checked = false;
        interno.removeAttribute("data-derivado");
      }
    });
  }

  document.addEventListener("change", function (e) {
    var el = e.target;
    var form = editor(el);
    if (!form || !el.name) { return; }
    if (el.name === "ejecutor") { ejecutorElegido(form, el); }
    else if (el.name === "cliente") { clienteElegido(form, el); }
    else if (el.name === "etapa" && el.value === "completada") {
      var avance = campo(form, "avance");
      if (avance) { avance.value = "100"; }
    } else if (el.hasAttribute("data-derivado")) {
      // The user set it: from now on it is theirs.
      el.removeAttribute("data-derivado");
    }
  });
})();
