/*
 * The lupa search assistant (CSP-friendly: no inline code).
 *
 * Markup (templates/includes/lupa_select.html): a container [data-lupa] with
 * data-lupa-url (/buscar/<tabla>/), data-lupa-titulo, optional data-lupa-depende (id of the
 * field that scopes the search: the contact's client) and data-lupa-combo (big tables),
 * holding the real <select name=…> and a [data-lupa-abrir] magnifier button.
 *
 * - The button opens #lupa-modal: a search box whose results table is fed by htmx from
 *   data-lupa-url; arrows move through the results, Enter (or a click) picks, Esc closes.
 * - With data-lupa-combo the select is replaced on screen by a text box that suggests as you
 *   type (role=combobox, results from the same endpoint as JSON); the hidden select still
 *   carries the primary key under the field's own name. The select lists only its chosen
 *   option (cases/widgets.py): a pick adds the option it needs. In the Actividades rows the
 *   box lies transparent over the wrapping name (.nombre-elegido) until it has the focus.
 */
(function () {
  "use strict";

  var modalEl, modal, form, current;
  // The search text of the request on its way and of the results on screen: Enter in the
  // search box must not pick from results that belong to an older text.
  var pedido = null, cargado = null, elegirAlCargar = false;

  function sel(c) { return c.querySelector("select"); }
  function combo(c) { return c.querySelector("[data-lupa-texto]"); }

  function dependsValue(c) {
    var id = c.dataset.lupaDepende;
    if (!id) { return ""; }
    var dep = document.getElementById(id + "_valor") || document.getElementById(id);
    return dep ? dep.value : "";
  }

  function setValue(c, id, text) {
    var select = sel(c);
    var value = id === null || id === undefined ? "" : String(id);
    var option = Array.prototype.find.call(select.options, function (o) { return o.value === value; });
    if (!option) {
      option = new Option(text, value);
      select.add(option);
    }
    select.value = value;
    var box = combo(c);
    if (box) { box.value = value ? text : ""; }
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function selectedText(c) {
    var select = sel(c);
    var o = select.options[select.selectedIndex];
    return o && o.value ? o.text : "";
  }

  /* ---- the modal ---- */

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#lupa-resultados [data-lupa-opcion]")); }

  function openModal(c) {
    if (!modalEl || !window.bootstrap || !window.htmx) { return; }
    current = c;
    document.getElementById("lupa-modal-titulo").textContent = c.dataset.lupaTitulo || "";
    form.setAttribute("data-hx-get", c.dataset.lupaUrl);
    document.getElementById("lupa-cliente").value = dependsValue(c);
    document.getElementById("lupa-q").value = "";
    document.getElementById("lupa-resultados").innerHTML = "";
    cargado = null;
    elegirAlCargar = false;
    window.htmx.process(form);
    modal.show();
  }

  function pick(row) {
    if (!current || !row) { return; }
    setValue(current, row.dataset.id, row.dataset.texto);
    var back = combo(current) || sel(current);
    modal.hide();
    if (back) { back.focus(); }
  }

  function moveFocus(delta) {
    var list = rows();
    if (!list.length) { return; }
    var i = list.indexOf(document.activeElement);
    var next = i + delta;
    if (next < 0) { document.getElementById("lupa-q").focus(); return; }
    if (next >= list.length) { next = list.length - 1; }
    list[next].focus();
  }

  function initModal() {
    modalEl = document.getElementById("lupa-modal");
    if (!modalEl || !window.bootstrap) { return; }
    modal = window.bootstrap.Modal.getOrCreateInstance(modalEl);
    form = document.getElementById("lupa-form");
    modalEl.addEventListener("shown.bs.modal", function () {
      document.getElementById("lupa-q").focus();
      window.htmx.trigger(form, "lupa:buscar");
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    form.addEventListener("htmx:configRequest", function () {
      pedido = document.getElementById("lupa-q").value;
    });
    modalEl.addEventListener("htmx:afterSwap", function () {
      cargado = pedido;
      if (elegirAlCargar && cargado === document.getElementById("lupa-q").value) {
        elegirAlCargar = false;
        if (rows().length) { pick(rows()[0]); }
      }
    });
    document.getElementById("lupa-q").addEventListener("input", function () { elegirAlCargar = false; });
    modalEl.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); moveFocus(1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); moveFocus(-1); }
      else if (e.key === "Enter") {
        var row = document.activeElement && document.activeElement.closest("[data-lupa-opcion]");
        var q = document.getElementById("lupa-q");
        if (!row && document.activeElement === q) {
          e.preventDefault();
          if (cargado === q.value) { row = rows()[0]; }
          else {
            // Typed faster than the results came: search now, take the first when they come.
            elegirAlCargar = true;
            window.htmx.trigger(form, "lupa:buscar");
            return;
          }
        }
        if (row) { e.preventDefault(); pick(row); }
      }
    });
    document.getElementById("lupa-inactivos").addEventListener("change", function () {
      window.htmx.trigger(form, "lupa:buscar");
    });
    modalEl.addEventListener("click", function (e) {
      var row = e.target.closest("[data-lupa-opcion]");
      if (row) { pick(row); }
    });
  }

  /* ---- the type-to-search box (big tables) ---- */

  var seq = 0;

  function enhanceCombo(c) {
    var select = sel(c);
    if (!select || combo(c)) { return; }
    var box = document.createElement("input");
    box.type = "text";
    box.autocomplete = "off";
    box.className = "form-control" + (select.classList.contains("form-select-sm") ? " form-control-sm" : "") +
      (select.classList.contains("is-invalid") ? " is-invalid" : "");
    box.setAttribute("data-lupa-texto", "");
    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-expanded", "false");
    // The box is what the user sees and types in: it carries the field's error state and
    // its links to the help text and the error message (the select is hidden).
    if (select.getAttribute("aria-describedby")) { box.setAttribute("aria-describedby", select.getAttribute("aria-describedby")); }
    if (select.getAttribute("aria-invalid") === "true") { box.setAttribute("aria-invalid", "true"); }
    if (select.required) { box.setAttribute("aria-required", "true"); }
    // A compact row's select is named by its aria-label, not by a <label for>.
    if (select.hasAttribute("aria-label")) {
      box.setAttribute("aria-label", select.getAttribute("aria-label"));
      select.removeAttribute("aria-label");
    }
    box.placeholder = c.dataset.lupaTitulo ? c.dataset.lupaTitulo + "…" : "";
    // The field's <label for> now names the text box; the select keeps the value.
    box.id = select.id;
    select.id = select.id + "_valor";
    select.hidden = true;
    select.tabIndex = -1;
    var list = document.createElement("ul");
    list.className = "dropdown-menu lupa-sugerencias";
    list.id = box.id + "_sugerencias";
    list.setAttribute("role", "listbox");
    box.setAttribute("aria-controls", list.id);
    box.value = selectedText(c);
    select.insertAdjacentElement("afterend", box);
    c.appendChild(list);

    // mostrado: the text the suggestions on screen are for; elegir: Enter came before them.
    var timer = null, active = -1, items = [], mostrado = null, elegir = false;

    function close() {
      list.classList.remove("show");
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(i) {
      items.forEach(function (li, j) { li.classList.toggle("active", j === i); li.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
      if (i >= 0) { box.setAttribute("aria-activedescendant", items[i].id); items[i].scrollIntoView({ block: "nearest" }); }
    }
    function choose(i) {
      var li = items[i];
      if (!li) { return; }
      setValue(c, li.dataset.id, li.dataset.texto);
      close();
    }
    function render(results, q) {
      mostrado = q;
      list.innerHTML = "";
      items = results.map(function (r, i) {
        var li = document.createElement("li");
        li.id = list.id + "_" + i;
        li.className = "dropdown-item";
        li.setAttribute("role", "option");
        li.dataset.id = r.id;
        li.dataset.texto = r.texto;
        li.textContent = r.texto + (r.codigo ? " (" + r.codigo + ")" : "");
        if (r.detalle) {
          var small = document.createElement("small");
          small.className = "d-block text-body-secondary";
          small.textContent = r.detalle;
          li.appendChild(small);
        }
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
        return li;
      });
      if (!items.length) {
        var none = document.createElement("li");
        none.className = "dropdown-item-text text-body-secondary small";
        none.textContent = "Sin coincidencias";
        list.appendChild(none);
      }
      list.classList.add("show");
      box.setAttribute("aria-expanded", "true");
      highlight(items.length ? 0 : -1);
      if (elegir) { elegir = false; choose(0); }
    }
    function search() {
      var mine = ++seq;
      var q = box.value;
      var url = c.dataset.lupaUrl + "?formato=json&q=" + encodeURIComponent(q) +
        "&cliente=" + encodeURIComponent(dependsValue(c));
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { resultados: [] }; })
        .then(function (data) { if (mine === seq && document.activeElement === box) { render(data.resultados || [], q); } })
        .catch(function () { /* offline: keep what is there */ });
    }
    box.addEventListener("input", function () {
      elegir = false;
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    box.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (!list.classList.contains("show")) { search(); return; }
        highlight(Math.min(active + 1, items.length - 1));
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (e.key === "Enter") {
        var alDia = list.classList.contains("show") && mostrado === box.value;
        if (alDia) {
          e.preventDefault();
          choose(active);
        } else if (box.value.trim() && box.value !== selectedText(c)) {
          // Typed text not turned into a row yet: never submit the form with it; search
          // now and take the first suggestion when it comes (what waiting would have shown).
          e.preventDefault();
          clearTimeout(timer);
          elegir = true;
          search();
        }
      } else if (e.key === "Escape" && list.classList.contains("show")) {
        e.preventDefault();
        close();
      }
    });
    box.addEventListener("blur", function () {
      setTimeout(function () {
        close();
        if (!box.value.trim()) { if (sel(c).value) { setValue(c, "", ""); } }
        else { box.value = selectedText(c); }
      }, 150);
    });
  }

  /* ---- wiring ---- */

  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-lupa-abrir]");
    if (button) { e.preventDefault(); openModal(button.closest("[data-lupa]")); }
  });

  // A field scoped by another (contacto by cliente) is cleared when that one changes.
  document.addEventListener("change", function (e) {
    if (!e.target.matches || !e.target.matches("select")) { return; }
    var changedId = e.target.id.replace(/_valor$/, "");
    document.querySelectorAll('[data-lupa-depende="' + changedId + '"]').forEach(function (c) {
      if (sel(c).value) { setValue(c, "", ""); }
    });
  });

  // A compact Actividades row (cases/filas.py) carries a bare select named by its
  // aria-label: put it in the lupa's markup, from the table's <template data-lupa-plantilla>
  // for its column, as a full row has it (the select takes the id a full row gives it).
  function wrapRowSelects(root) {
    root.querySelectorAll("select[data-lupa-fila]").forEach(function (select) {
      var plantilla = document.querySelector('template[data-lupa-plantilla="' + select.dataset.lupaFila + '"]');
      if (!plantilla) { return; }
      var lupa = plantilla.content.firstElementChild.cloneNode(true);
      select.removeAttribute("data-lupa-fila");
      select.id = "id_" + select.name;
      select.className = "form-select form-select-sm";
      select.replaceWith(lupa);
      lupa.querySelector("[data-lupa-aqui]").replaceWith(select);
      var o = select.options[select.selectedIndex];
      lupa.querySelector("[data-nombre-elegido]").textContent = o ? o.text : "";
    });
  }

  function init(root) {
    root = root || document;
    wrapRowSelects(root);
    root.querySelectorAll("[data-lupa][data-lupa-combo]").forEach(enhanceCombo);
  }

  document.addEventListener("DOMContentLoaded", function () { initModal(); init(document); });
  document.addEventListener("formset:added", function (e) { init(e.detail.row); });
})();
