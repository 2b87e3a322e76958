/*
 * eFactory Casos: small progressive enhancements. No inline scripts (CSP-friendly).
 *
 * Formsets: a container [data-formset][data-prefix] holds the management form, a body
 * [data-formset-body] of rows [data-formset-row], a <template data-formset-template> with the
 * formset's empty form (index "__prefix__"), an add button [data-formset-add] and, in every
 * row, a remove button [data-formset-remove] next to the row's DELETE checkbox. Without
 * JavaScript the page still works: extra empty rows and visible DELETE checkboxes.
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function totalFormsInput(container) {
    return container.querySelector('input[name="' + container.dataset.prefix + '-TOTAL_FORMS"]');
  }

  function announce(container, text) {
    var status = container.querySelector("[data-formset-status]");
    if (status) { status.textContent = text; }
  }

  // The wrapping box that shows a row select's chosen name (see cases/filas.py).
  function showChosen(select) {
    var holder = select.closest && select.closest(".elegido");
    var box = holder && holder.querySelector("[data-nombre-elegido]");
    if (!box) { return; }
    var option = select.options[select.selectedIndex];
    box.textContent = option ? option.text : "";
  }

  // Widgets with data-default-from take the current value of another field of the page: a new
  // activity row's Ejecutor and Fact. follow the case's Ejecutor and Facturable. Each field
  // follows until the user changes that very field in that row (it is then data-tocado), so
  // ticking Facturable after typing a row's description still ticks the row's Fact.
  // A lupa select lists only its chosen option and, once lupa.js has put its search box in
  // its place, answers to id + "_valor" (the box took its id).
  function byFieldId(id) { return document.getElementById(id + "_valor") || document.getElementById(id); }
  function fieldId(el) { return el.id.replace(/_valor$/, ""); }
  function defaultSource(el) { return byFieldId(el.dataset.defaultFrom); }

  // The value a row takes from the case's field: an inactive ejecutor of the case (its option
  // is data-inactivo) is not offered to rows, which then stay empty (the server fills them in).
  function sourceValue(source) {
    if (source.type === "checkbox") { return source.checked; }
    var option = source.options ? source.options[source.selectedIndex] : null;
    return option && option.value && !option.hasAttribute("data-inactivo") ? option : null;
  }

  function sameAsSource(el, source) {
    if (el.type === "checkbox") { return el.checked === source.checked; }
    var option = sourceValue(source);
    return el.value === (option ? option.value : "");
  }

  function copyDefault(el, source) {
    if (el.type === "checkbox") {
      el.checked = source.checked;
      return;
    }
    var option = sourceValue(source);
    var value = option ? option.value : "";
    var text = option ? option.text : "";
    if (value && !Array.prototype.some.call(el.options, function (o) { return o.value === value; })) {
      el.add(new Option(text, value));
    }
    el.value = value;
    var lupa = el.closest("[data-lupa]");
    var box = lupa && lupa.querySelector("[data-lupa-texto]");
    if (box) { box.value = text; }
    showChosen(el);
  }

  function applyDefaults(row) {
    var changed = false;
    row.querySelectorAll("[data-default-from]:not([data-tocado])").forEach(function (el) {
      var source = defaultSource(el);
      if (source && !sameAsSource(el, source)) { copyDefault(el, source); changed = true; }
    });
    if (changed) { row.dispatchEvent(new CustomEvent("formset:defaults", { bubbles: true })); }
  }

  function addRow(container) {
    var total = totalFormsInput(container);
    var template = container.querySelector("template[data-formset-template]");
    var body = container.querySelector("[data-formset-body]");
    if (!total || !template || !body) { return; }
    var index = parseInt(total.value, 10) || 0;
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("tbody");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    body.appendChild(row);
    total.value = String(index + 1);
    applyDefaults(row);
    var first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) { first.focus(); }
    announce(container, container.dataset.msgAdded || "Renglón agregado");
    container.dispatchEvent(new CustomEvent("formset:added", { bubbles: true, detail: { row: row } }));
  }

  function removeRow(container, row) {
    var del = row.querySelector('input[type=checkbox][name$="-DELETE"]');
    if (del) { del.checked = true; }
    row.hidden = true;
    row.classList.add("eliminado");
    // Keep keyboard users in place: focus the next visible row's remove button, or the add button.
    var next = row.nextElementSibling;
    while (next && next.hidden) { next = next.nextElementSibling; }
    var target = next ? next.querySelector("[data-formset-remove]") : container.querySelector("[data-formset-add]");
    if (target) { target.focus(); }
    announce(container, container.dataset.msgRemoved || "Renglón eliminado");
    container.dispatchEvent(new CustomEvent("formset:removed", { bubbles: true, detail: { row: row } }));
  }

  // The user changing a following field of a new row makes it the user's (events only come
  // from the user or from the lupa acting for the user; copyDefault() fires none).
  ["input", "change"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var el = event.target;
      if (el.matches && el.matches("[data-fila-nueva] [data-default-from]")) {
        el.setAttribute("data-tocado", "");
      }
    });
  });
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.tagName === "SELECT") { showChosen(el); }
    // Only the field's value counts (a lupa's select), not its search box (which took its id).
    if (!el.id || byFieldId(fieldId(el)) !== el) { return; }
    document.querySelectorAll('[data-fila-nueva] [data-default-from="' + fieldId(el) + '"]:not([data-tocado])').forEach(function (field) {
      copyDefault(field, el);
      field.dispatchEvent(new CustomEvent("formset:defaults", { bubbles: true }));
    });
  });
  // A refused save shows the new rows as they were sent: a value there that differs from
  // the case's was the user's choice, so it stays.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-fila-nueva] [data-default-from]").forEach(function (el) {
      var source = defaultSource(el);
      if (source && !sameAsSource(el, source)) { el.setAttribute("data-tocado", ""); }
    });
  });

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-formset-add]");
    if (add) {
      var c = add.closest("[data-formset]");
      if (c) { event.preventDefault(); addRow(c); }
      return;
    }
    var remove = event.target.closest("[data-formset-remove]");
    if (remove) {
      var container = remove.closest("[data-formset]");
      var row = remove.closest("[data-formset-row]");
      if (container && row) { event.preventDefault(); removeRow(container, row); }
      return;
    }
    var print = event.target.closest("[data-accion=imprimir]");
    if (print) { window.print(); }
  });

  // Live hours of the Actividades rows (the server computes the stored totals).
  function minutes(value) {
    var m = /^(\d{1,2}):(\d{2})/.exec(value || "");
    return m ? parseInt(m[1], 10) * 60 + parseInt(m[2], 10) : null;
  }

  // Hours as the server shows them in Spanish: two decimals with a decimal comma.
  function hours(m) { return (m / 60).toFixed(2).replace(".", ","); }

  function recompute(container) {
    var total = 0, billable = 0;
    container.querySelectorAll("[data-formset-row]").forEach(function (row) {
      if (row.hidden) { return; }
      var start = row.querySelector('input[name$="-hora_inicio"]');
      var end = row.querySelector('input[name$="-hora_fin"]');
      var cell = row.querySelector("[data-horas]");
      if (!start || !end || !cell) { return; }
      var a = minutes(start.value), b = minutes(end.value);
      if (a === null || b === null || b <= a) { cell.textContent = ""; return; }
      var m = b - a;
      cell.textContent = hours(m);
      total += m;
      var fact = row.querySelector('input[type=checkbox][name$="-facturable"]');
      if (fact && fact.checked) { billable += m; }
    });
    var t = container.querySelector("[data-total-horas]");
    var f = container.querySelector("[data-total-facturables]");
    if (t) { t.textContent = hours(total); }
    if (f) { f.textContent = hours(billable); }
  }

  ["input", "change", "formset:added", "formset:removed", "formset:defaults"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var c = event.target.closest && event.target.closest("[data-formset]");
      if (c && c.querySelector("[data-total-horas]")) { recompute(c); }
    });
  });

  // After a refused save, bring the error summary into view for keyboard and screen readers.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("conflicto") || document.getElementById("resumen-errores");
    if (summary) { summary.focus(); }
  });

  // Compact Actividades rows (cases/filas.py: stored rows without errors) come without their
  // cells' column classes, the cell labels that small screens show and their remove buttons:
  // add them, as a new row (the formset's <template>) has them. Their DELETE box is the
  // no-JavaScript way (.sin-js).
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-formset]").forEach(function (c) {
      var rows = c.querySelectorAll("tr.fila-compacta");
      var template = c.querySelector("template[data-formset-template]");
      var button = template && template.content.querySelector("[data-formset-remove]");
      if (!rows.length || !button) { return; }
      var heads = c.querySelectorAll("thead th");
      var label = document.createElement("label");
      label.className = "etiqueta-celda";
      rows.forEach(function (row) {
        Array.prototype.forEach.call(row.cells, function (cell, i) {
          var th = heads[i];
          if (!th) { return; }
          cell.className = th.className;
          var control = cell.querySelector("input:not([type=hidden]), textarea, select");
          if (!control || cell === row.cells[row.cells.length - 1]) { return; }
          // The id a full row's control has (lupa.js hands a select's to its search box).
          control.id = "id_" + control.name;
          var l = label.cloneNode(false);
          l.htmlFor = control.id;
          l.textContent = th.textContent.trim();
          cell.insertBefore(l, cell.firstChild);
        });
        row.cells[row.cells.length - 1].appendChild(button.cloneNode(true));
      });
    });
  });

  // A refused save re-shows the rows the user removed, with their (hidden) DELETE box still
  // ticked: keep them removed, or they look alive and the next save deletes them unseen.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-formset]").forEach(function (c) {
      var removed = c.querySelectorAll('[data-formset-row] input[type=checkbox][name$="-DELETE"]:checked');
      removed.forEach(function (del) {
        var row = del.closest("[data-formset-row]");
        row.hidden = true;
        row.classList.add("eliminado");
      });
      if (removed.length && c.querySelector("[data-total-horas]")) { recompute(c); }
    });
  });

  // A long submission (validating or importing a file) says it is working and for how long,
  // and cannot be sent twice: the button says what it is doing, the status counts seconds.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter || form.querySelector("[data-ocupado]");
    if (!button || !button.hasAttribute("data-ocupado") || event.defaultPrevented) { return; }
    if (form.dataset.enviando) { event.preventDefault(); return; }
    form.dataset.enviando = "1";
    var texto = button.getAttribute("data-ocupado");
    var estado = form.querySelector("[data-estado]");
    var inicio = Date.now();
    button.setAttribute("aria-disabled", "true");
    button.classList.add("disabled");
    button.textContent = texto;
    if (estado) {
      setInterval(function () {
        estado.textContent = texto + " (" + Math.round((Date.now() - inicio) / 1000) + " s)";
      }, 1000);
    }
  });
})();
