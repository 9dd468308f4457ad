// demarc web UI: small enhancements over pages that work without script.
"use strict";

// Lay out the owner split bars from their data-width (percent).
function layoutSplits() {
  document.querySelectorAll(".split .seg[data-width]").forEach(function (seg) {
    seg.style.width = seg.dataset.width + "%";
  });
}

// Filter a table's rows as the user types in its filter box.
function wireFilters() {
  document.querySelectorAll("input[data-filter]").forEach(function (box) {
    var table = document.getElementById(box.dataset.filter);
    if (!table) { return; }
    box.addEventListener("input", function () {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        var text = tr.textContent.toLowerCase();
        tr.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
      });
    });
  });
}

// Submit a form when a select marked data-autosubmit changes.
function wireAutosubmit() {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });
}

// Move between heat-map cells with the arrow keys.
function wireHeatmap() {
  var grid = document.getElementById("heatmap");
  if (!grid) { return; }
  grid.addEventListener("keydown", function (e) {
    var moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    var m = moves[e.key];
    var td = e.target.closest("td.cell");
    if (!m || !td) { return; }
    var rows = Array.prototype.filter.call(grid.querySelectorAll("tbody tr"), function (tr) { return tr.querySelector("td.cell"); });
    var r = rows.indexOf(td.parentElement);
    var c = Array.prototype.indexOf.call(td.parentElement.querySelectorAll("td.cell"), td);
    var row = rows[r + m[0]];
    if (!row) { return; }
    var cells = row.querySelectorAll("td.cell a");
    var next = cells[Math.max(0, Math.min(cells.length - 1, c + m[1]))];
    if (next) { e.preventDefault(); next.focus(); }
  });
}

// Ask before a form marked data-confirm is sent.
function wireConfirm() {
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.dataset.confirm)) { e.preventDefault(); }
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  layoutSplits();
  wireFilters();
  wireAutosubmit();
  wireHeatmap();
  wireConfirm();
});

// Composer: add rows without a round trip, keep the component choices
// in step with the component names, and filter the service catalogue
// as the user types. Without script the same buttons submit the form
// and the server does each of these.
function wireComposer() {
  var form = document.getElementById("composer");
  if (!form) { return; }
  form.querySelectorAll("button[data-add-row]").forEach(function (b) {
    b.addEventListener("click", function (e) {
      e.preventDefault();
      var row = addComposerRow(form, b.dataset.addRow);
      var first = row && row.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    });
  });
  form.addEventListener("change", function (e) {
    if (e.target.matches("input[data-component-name]")) { refreshComponentChoices(form); }
  });
  wireCatalogue(form);
}

// addComposerRow copies the last row of a list, empty and renumbered.
function addComposerRow(form, list) {
  var box = form.querySelector('[data-rows="' + list + '"]');
  var rows = box ? box.querySelectorAll("[data-row]") : [];
  if (!rows.length) { return null; }
  var last = rows[rows.length - 1];
  var row = last.cloneNode(true);
  var n = rows.length;
  var pattern = new RegExp("^" + list + "([.-])\\d+");
  row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
    ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
      var v = el.getAttribute(attr);
      if (v) { el.setAttribute(attr, v.replace(pattern, list + "$1" + n)); }
    });
  });
  row.querySelectorAll("input, textarea").forEach(function (el) { el.value = ""; el.removeAttribute("aria-invalid"); el.removeAttribute("autofocus"); });
  row.querySelectorAll("select").forEach(function (el) {
    el.querySelectorAll("option").forEach(function (o) { if (/\(unknown\)$/.test(o.textContent)) { o.remove(); } });
    el.selectedIndex = 0;
    el.removeAttribute("aria-invalid");
  });
  row.querySelectorAll(".ferr").forEach(function (el) { el.remove(); });
  row.querySelectorAll("details").forEach(function (el) { el.open = false; });
  row.classList.remove("bad", "prefilled", "added");
  var legend = row.querySelector("legend");
  if (legend) { legend.textContent = legend.textContent.replace(/\d+$/, String(n + 1)); }
  box.appendChild(row);
  refreshComponentChoices(form);
  return row;
}

// refreshComponentChoices fills the runs-on and component selects with
// the names the component rows have now, keeping each selection.
function refreshComponentChoices(form) {
  var names = [];
  form.querySelectorAll("input[data-component-name]").forEach(function (i) {
    var v = i.value.trim();
    if (v && names.indexOf(v) < 0) { names.push(v); }
  });
  form.querySelectorAll("select[data-runs-on], select[data-component-select]").forEach(function (sel) {
    var own = "";
    if (sel.matches("[data-runs-on]")) {
      var input = sel.closest("[data-row]").querySelector("input[data-component-name]");
      own = input ? input.value.trim() : "";
    }
    var current = sel.value;
    var want = names.filter(function (n) { return n !== own; });
    if (current && want.indexOf(current) < 0) { want.push(current); }
    while (sel.options.length > 1) { sel.remove(1); }
    want.forEach(function (n) {
      var label = names.indexOf(n) < 0 || n === own ? n + " (unknown)" : n;
      sel.add(new Option(label, n, false, n === current));
    });
    sel.value = current;
  });
}

// wireCatalogue filters the catalogue in place and adds a service as a
// component without sending the form.
function wireCatalogue(form) {
  var q = document.getElementById("cat-q");
  var table = document.getElementById("catalogue-table");
  if (!q || !table) { return; }
  var provider = document.getElementById("cat-provider");
  var model = document.getElementById("cat-model");
  var count = document.getElementById("catalogue-count");
  var rows = table.tBodies[0].rows;
  function apply() {
    var words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    Array.prototype.forEach.call(rows, function (tr) {
      var text = tr.textContent.toLowerCase();
      var ok = (!provider.value || tr.dataset.provider === provider.value) && (!model.value || tr.dataset.model === model.value) &&
        words.every(function (w) { return text.indexOf(w) >= 0; });
      tr.hidden = !ok;
      if (ok) { shown++; }
    });
    count.textContent = shown + " of " + rows.length + " services";
  }
  q.addEventListener("input", apply);
  q.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); apply(); } });
  provider.addEventListener("change", apply);
  model.addEventListener("change", apply);
  var search = document.getElementById("cat-search");
  if (search) { search.addEventListener("click", function (e) { e.preventDefault(); apply(); }); }
  table.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-add-service]");
    if (!b) { return; }
    e.preventDefault();
    var name = addCatalogueService(form, b.dataset.addService);
    count.textContent = "Added " + b.dataset.addService + " as component " + name + ".";
  });
}

// addCatalogueService puts a service into the first empty component row,
// or a new one, named after the service; it returns the name.
function addCatalogueService(form, id) {
  var box = form.querySelector('[data-rows="components"]');
  var row = null;
  box.querySelectorAll("[data-row]").forEach(function (r) {
    if (row) { return; }
    var empty = Array.prototype.every.call(r.querySelectorAll("input, select, textarea"), function (el) { return !el.value; });
    if (empty) { row = r; }
  });
  if (!row) { row = addComposerRow(form, "components"); }
  var taken = [];
  form.querySelectorAll("input[data-component-name]").forEach(function (i) { taken.push(i.value.trim()); });
  var base = id.indexOf("/") >= 0 ? id.slice(id.indexOf("/") + 1) : id;
  var name = base;
  for (var i = 2; taken.indexOf(name) >= 0; i++) { name = base + "-" + i; }
  row.querySelector("input[data-component-name]").value = name;
  row.querySelector("input[data-service]").value = id;
  row.classList.remove("added");
  void row.offsetWidth;
  row.classList.add("added");
  refreshComponentChoices(form);
  return name;
}

// focusRequested puts the focus where the page asks for it. Browsers
// skip autofocus when the address names a fragment, as the gaps page's
// "assign a team" link (…/edit?area=…#teams) does.
function focusRequested() {
  var el = document.querySelector("#composer [autofocus]");
  if (el && document.activeElement !== el) { el.focus(); }
}

document.addEventListener("DOMContentLoaded", wireComposer);
// After load, when the browser has scrolled to the fragment.
window.addEventListener("load", focusRequested);

// Copy buttons beside a new token's secret and an invitation link.
// Without script (or clipboard access) the field is selected so that
// Ctrl+C copies it.
function wireCopy() {
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    var field = document.getElementById(b.dataset.copy);
    if (!field) { return; }
    var status = b.parentNode.querySelector(".copied");
    var say = function (msg) { if (status) { status.textContent = msg; } };
    b.hidden = false;
    field.addEventListener("focus", function () { field.select(); });
    b.addEventListener("click", function () {
      field.focus();
      field.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(function () { say("Copied."); }, function () { say("Selected: press Ctrl+C (⌘C) to copy."); });
      } else {
        say("Selected: press Ctrl+C (⌘C) to copy.");
      }
    });
  });
}

document.addEventListener("DOMContentLoaded", wireCopy);
