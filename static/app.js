/*
 * The page's only script (SPEC §6). The strict Content-Security-Policy allows no inline code,
 * so every behaviour lives here, attached by event listeners on the document (delegation:
 * content htmx swaps in needs no rebinding). htmx, loaded before this file, does the requests;
 * this module adds what htmx cannot know:
 *   - requests: the CSRF header, failures made visible in the status region;
 *   - keyboard: shortcuts, roving focus over the rows, the dialogs (help, delete, discard);
 *   - focus: where it goes when the focused element is swapped away with nothing in its place;
 *   - reading: More/Less (and `o`) swap a row for its expanded or compact self;
 *   - nothing lost: Undo after a delete (`u`), a question before unsaved changes go;
 *   - the status toast: cleared when what it said is over, never covering the focused field;
 *   - skills: the form's chips, its combobox (ARIA 1.2 pattern) and its suggestions;
 *   - rows (SPEC §8, a lean page): each row's controls are cloned from the page's one
 *     <template id="row-actions"> (the row's HTML has none), and a row's edit form is fetched
 *     ahead when the row has had focus or hover for a moment, then used by Edit/`e`/Enter
 *     only while the row is at the version the form was made from.
 *
 * No hx-trigger key filters and no hx-on anywhere: under our CSP they fail open and fire on
 * every key. Focus after a swap comes from `autofocus` in the returned fragment (htmx focuses
 * it on settle). Timers: the status message's fade, the end of an Undo's window and the
 * moment before an edit form is fetched ahead (the skill searches and suggestions wait with htmx's own `delay:` trigger modifier).
 */
(function () {
  "use strict";

  var SETTING = "portfolio.single-key-shortcuts"; // "off" turns single-key shortcuts off
  // Rows that j/k move between: artifacts (own or a colleague's), the people list and the
  // skills' evidence.
  var ROWS = "#artifacts > li.artifact, #people > li.person, #skills > li.person";
  var PICKER = "[data-skill-picker]";
  var SKILLS_MAX = 20;
  var FIELDS = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";
  var FIRST_FIELD = "[aria-invalid='true'], input:not([type='hidden']), textarea, select";
  var CONTROLS = "a[href], button, input:not([type='hidden']), select, textarea";
  var FADE_AFTER_MS = 6000;
  var ARTIFACTS = "#artifacts > li.artifact";
  var PRELOAD_AFTER_MS = 120; // focus or hover this long fetches the row's edit form ahead
  var PRELOAD_FOR_MS = 60000; // a form fetched ahead is used for this long at most

  var singleKeysFallback = true; // used when localStorage is unavailable (blocked storage)
  var pendingFocus = new WeakMap(); // xhr -> where focus goes if its target vanishes
  var confirmed = null; // {dialog, answer, send}: what a confirmation dialog's answer sends
  var cancelByKey = false; // the cancel in progress came from Escape (see onConfirm)
  var preloads = {}; // row id -> {version, url, at, promise}: edit forms fetched ahead
  var preloadTimer = null;
  var preloadRow = null; // the row whose form the timer will fetch
  var opening = new WeakSet(); // rows whose form fetched ahead is still on its way to them
  var helpLoading = false; // the shortcuts dialog is on its way

  // --- Helpers ------------------------------------------------------------------------------
  function byId(id) { return document.getElementById(id); }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll(ROWS)); }
  function rowOf(node) { return node && node.closest ? node.closest(ROWS) : null; }
  function isField(node) { return Boolean(node && node.closest && node.closest(FIELDS)); }
  function dialogOpen() { return document.querySelector("dialog[open]") !== null; }
  function searchBox() { return byId("search-q"); }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // The status region stays in the page (a replaced live region is often not announced).
  // `options.error` styles the message as a failure; `options.reload` adds a reload button.
  function announce(text, options) {
    var region = byId("status");
    if (!region) { return; }
    options = options || {};
    region.textContent = text;
    region.classList.toggle("status-error", Boolean(options.error));
    if (options.reload) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button-quiet status-action";
      button.textContent = "Reload the page";
      button.addEventListener("click", function () { window.location.reload(); });
      region.append(" ", button);
    }
  }

  // After a while a message fades from view but remains for assistive technology. An Undo
  // stays up for its window (the seconds the server gave), then goes with its message: what
  // it offered is over.
  function fadeLater(region) {
    window.clearTimeout(region._fadeTimer);
    region.classList.remove("status-faded");
    var undo = region.querySelector("form.undo-form");
    if (undo) {
      var seconds = parseInt(undo.getAttribute("data-undo-seconds"), 10) || 0;
      region._fadeTimer = window.setTimeout(function () { clearStatus(region); },
        Math.max(0, seconds) * 1000);
    } else if (region.textContent.trim() && !region.classList.contains("status-error")) {
      region._fadeTimer = window.setTimeout(function () {
        region.classList.add("status-faded");
      }, FADE_AFTER_MS);
    }
    placeStatus();
  }

  function clearStatus(region) {
    region.textContent = "";
    region.classList.remove("status-error", "status-faded");
  }

  // The toast sits at the bottom; when it would cover the field that has focus (its label,
  // hint and error included: a field after an error, on a phone), it moves to the top, and
  // back when that is no longer so. Measured a frame later, once focus has scrolled the
  // field into view.
  function placeStatus() {
    window.requestAnimationFrame(function () {
      var region = byId("status");
      var focused = document.activeElement;
      if (!region || region.contains(focused)) { return; } // its own Undo button: stay put
      region.classList.remove("status-top");
      if (!region.textContent.trim() || !focused || focused === document.body) { return; }
      var field = focused.closest(".field") || focused;
      if (covers(region, field)) { region.classList.add("status-top"); }
    });
  }

  function covers(a, b) {
    var r = a.getBoundingClientRect();
    var s = b.getBoundingClientRect();
    return r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom;
  }

  // --- Requests -----------------------------------------------------------------------------
  // Every htmx request carries the page's CSRF token as a header. A hidden form field is not
  // enough: htmx 2 sends DELETE parameters in the URL, and the delete forms send none.
  function onConfigRequest(event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  }

  // htmx swaps only 2xx, 422 and 409 answers (see the htmx-config meta). Other errors carry
  // their message in a status fragment that htmx ignores, so read it from there; a failed
  // CSRF check (400: the page expired) also offers a reload instead of failing silently.
  function onResponseError(event) {
    var xhr = event.detail.xhr;
    var text = "";
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var fragment = doc.getElementById("status");
      text = fragment ? fragment.textContent.replace(/\s*Reload the page\.?/, "").trim() : "";
    } catch (ignored) { /* not HTML: use the generic text */ }
    if (!text) {
      text = "That did not work (error " + xhr.status + "). Nothing was changed; please try again.";
    }
    announce(text, { error: true, reload: xhr.status === 400 });
  }

  function onSendError() {
    announce("The server could not be reached. Check your connection and try again.",
      { error: true });
  }

  // The skills box's options and the suggestions are fetched while the user types: not an
  // action of theirs, so they neither clear a message nor move focus.
  function inBackground(event) {
    var target = event.detail.target;
    return Boolean(target && target.matches && target.matches(".skill-options, .skill-suggestions"));
  }

  function onBeforeRequest(event) {
    if (inBackground(event)) { return; }
    // A new request makes the last message old news: clear it (the answer brings its own),
    // except an Undo, which lasts its window whatever else happens meanwhile.
    var region = byId("status");
    if (region && !region.querySelector("form.undo-form")) { clearStatus(region); }
    // The New buttons open one form: a second click focuses the open one instead of adding a
    // duplicate #artifact-new.
    var source = event.detail.elt;
    var open = byId("artifact-new");
    if (open && source.matches && source.matches('a[hx-target="#artifacts"]')) {
      event.preventDefault();
      focusFirstField(open);
      return;
    }
    rememberFocusFallback(event);
  }

  // --- The WCAG 2.1.4 switch ----------------------------------------------------------------
  function singleKeysOn() {
    try {
      return window.localStorage.getItem(SETTING) !== "off";
    } catch (err) {
      return singleKeysFallback;
    }
  }

  function setSingleKeys(on) {
    singleKeysFallback = on;
    try {
      window.localStorage.setItem(SETTING, on ? "on" : "off");
    } catch (err) { /* storage blocked: the choice lasts for this page only */ }
  }

  // --- Roving tabindex: the list is one tab stop --------------------------------------------
  // Only the current row and its own controls are in the tab order, so Tab crosses a list of
  // fifty rows in one step; j/k and the arrows move between rows. Forms being edited keep all
  // their controls reachable.
  function makeCurrent(row) {
    rows().forEach(function (each) {
      var current = each === row;
      each.tabIndex = current ? 0 : -1;
      if (each.classList.contains("artifact-editing")) { return; }
      each.querySelectorAll(CONTROLS).forEach(function (control) {
        if (current) { control.removeAttribute("tabindex"); } else { control.tabIndex = -1; }
      });
    });
  }

  function syncRoving() {
    var all = rows();
    if (!all.length) { return; }
    var active = rowOf(document.activeElement);
    var current = all.filter(function (each) { return each.tabIndex === 0; })[0];
    makeCurrent(active || current || all[0]);
  }

  function focusRow(row) {
    makeCurrent(row);
    row.focus();
  }

  function move(step, from) {
    var all = rows();
    if (!all.length) { return false; }
    var index = all.indexOf(from);
    if (index < 0) {
      var current = all.filter(function (each) { return each.tabIndex === 0; })[0];
      focusRow(current || all[0]);
    } else {
      focusRow(all[Math.min(all.length - 1, Math.max(0, index + step))]);
    }
    return true;
  }

  // Click `selector` inside `container`, as a mouse would; false when there is none.
  function press(container, selector) {
    var control = container.querySelector(selector);
    if (!control) { return false; }
    control.click();
    return true;
  }

  function focusFirstField(container) {
    var field = container.querySelector(FIRST_FIELD);
    if (field) { field.focus(); }
    return Boolean(field);
  }

  // --- Actions ------------------------------------------------------------------------------
  // Edit: the form fetched ahead when there is one for the row as it is now (ready or still
  // on its way), else a request. Either way the form arrives with autofocus on the title.
  function edit(row) {
    if (row.classList.contains("artifact-editing")) { return focusFirstField(row); }
    var link = row.querySelector("a.artifact-edit");
    if (!link || !window.htmx) { return false; }
    if (opening.has(row)) { return true; } // a second `e` while the form is on its way
    var ahead = preloaded(row);
    delete preloads[row.id]; // used once: the next edit starts from the row as it is then
    if (!ahead) {
      request("GET", link.getAttribute("href"), link, row);
      return true;
    }
    var version = row.getAttribute("data-v");
    opening.add(row);
    ahead.promise.then(function (html) {
      opening.delete(row);
      if (!row.isConnected || row.classList.contains("artifact-editing")) { return; }
      if (!html || row.getAttribute("data-v") !== version) { edit(row); return; } // ask anew
      var region = byId("status"); // as a request would (onBeforeRequest)
      if (region && !region.querySelector("form.undo-form")) { clearStatus(region); }
      window.htmx.swap(row, html, { swapStyle: "outerHTML", swapDelay: 0,
        settleDelay: window.htmx.config.defaultSettleDelay });
    });
    return true;
  }

  // Delete: through htmx, whose htmx:confirm event (onConfirm) asks first.
  function deleteRow(row, button) {
    var url = rowUrl(row);
    if (!url || !window.htmx) { return false; }
    request("DELETE", url, button, row);
    return true;
  }

  // A request as the control's own hx-* attributes would send it. A failure is already
  // announced (onSendError, onResponseError): the promise's rejection needs no more.
  function request(verb, url, source, row) {
    window.htmx.ajax(verb, url, { source: source, target: row, swap: "outerHTML" })
      .catch(function () { /* announced */ });
  }

  // --- Rows: their controls, cloned from the page's template, and edit forms fetched ahead --
  function rowUrl(row) {
    var link = row.querySelector(":scope > h2 > a");
    return link ? link.getAttribute("href") : null;
  }

  // Label each row by its title and give it the page's controls (not a form being edited,
  // nor a row that has them already): More/Less as the row is, Edit and Delete named with the
  // title, all pointing at the row's URL. makeCurrent (syncRoving) runs afterwards.
  function enhanceRows(root) {
    var list = root.querySelectorAll ? Array.prototype.slice.call(root.querySelectorAll(ARTIFACTS)) : [];
    if (root.matches && root.matches(ARTIFACTS)) { list.push(root); }
    var template = byId("row-actions");
    list.forEach(function (row) {
      var title = row.querySelector(":scope > h2");
      if (!title || row.classList.contains("artifact-editing")) { return; }
      if (!title.id) { title.id = row.id + "-title"; }
      row.setAttribute("aria-labelledby", title.id);
      var url = rowUrl(row);
      if (!template || !url || row.querySelector(".artifact-actions")) { return; }
      var actions = template.content.firstElementChild.cloneNode(true);
      var name = title.textContent.trim();
      var open = row.classList.contains("artifact-open");
      var more = actions.querySelector(".artifact-more");
      more.setAttribute("href", url);
      more.setAttribute("aria-expanded", open ? "true" : "false");
      more.textContent = open ? "Less" : "More";
      var link = actions.querySelector(".artifact-edit");
      if (link) {
        link.setAttribute("href", url + "/edit");
        link.setAttribute("aria-label", "Edit “" + name + "”");
      }
      var button = actions.querySelector(".artifact-delete");
      if (button) { button.setAttribute("aria-label", "Delete “" + name + "”"); }
      row.appendChild(actions);
      // A saved or cancelled row arrives focused (autofocus) before it has its Edit link, so
      // the focusin could not schedule its form: now it can, and the next `e` is ready too.
      if (row.contains(document.activeElement)) { schedulePreload(row); }
    });
  }

  // The form fetched ahead for `row`, if it is still good: made from the row's version, for
  // its URL, and recent. Anything else is dropped.
  function preloaded(row) {
    var ahead = preloads[row.id];
    if (!ahead) { return null; }
    if (ahead.version !== row.getAttribute("data-v") || ahead.url !== editUrl(row)
        || Date.now() - ahead.at > PRELOAD_FOR_MS) {
      delete preloads[row.id];
      return null;
    }
    return ahead;
  }

  function editUrl(row) {
    var link = row.querySelector("a.artifact-edit");
    return link ? link.getAttribute("href") : null;
  }

  // The version a form was made from: its hidden `version` field.
  function formVersion(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var input = doc.querySelector("input[name='version']");
    return input ? input.value : null;
  }

  function preload(row) {
    var url = editUrl(row);
    if (!url || !row.isConnected || row.classList.contains("artifact-editing") || preloaded(row)
        || !window.fetch) { return; }
    var version = row.getAttribute("data-v");
    var ahead = { version: version, url: url, at: Date.now() };
    // Resolves to the form's HTML, or null when it cannot be used (an error, another version).
    ahead.promise = window.fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.status === 200 ? response.text() : null; })
      .then(function (html) { return html && formVersion(html) === version ? html : null; })
      .catch(function () { return null; })
      .then(function (html) {
        if (!html && preloads[row.id] === ahead) { delete preloads[row.id]; }
        return html;
      });
    preloads[row.id] = ahead;
  }

  // Focus or hover on a row (or anything in it) starts the timer; leaving it stops it.
  function schedulePreload(row) {
    if (row === preloadRow) { return; }
    window.clearTimeout(preloadTimer);
    preloadRow = row && row.matches(ARTIFACTS) && editUrl(row) ? row : null;
    if (!preloadRow) { return; }
    preloadTimer = window.setTimeout(function () {
      var target = preloadRow;
      preloadRow = null;
      preload(target);
    }, PRELOAD_AFTER_MS);
  }

  function onPointer(event) {
    var row = rowOf(event.target);
    if (row || preloadRow !== rowOf(document.activeElement)) { schedulePreload(row); }
  }

  // A row without an edit link (a person, a skill) opens its main link.
  function openNew() {
    var open = byId("artifact-new");
    if (open) { return focusFirstField(open); }
    var button = byId("new-artifact");
    if (!button) { return false; }
    if (button.getAttribute("aria-disabled") === "true") { // at the limit: say why
      var reason = byId(button.getAttribute("aria-describedby"));
      announce(reason ? reason.textContent.trim() : "You cannot add another artifact.");
      return true;
    }
    button.click();
    return true;
  }

  // More/Less: fetch the row's expanded (or compact) self in its place. Focus stays where it
  // was: on the row (`o`) or on the toggle (a click or Enter on it).
  function toggle(row) {
    var link = row.querySelector("a.artifact-more");
    if (!link || !window.htmx) { return false; }
    var open = link.getAttribute("aria-expanded") === "true";
    var onLink = document.activeElement === link;
    var id = row.id;
    window.htmx.ajax("GET", link.getAttribute("href") + "?expanded=" + (open ? "0" : "1"),
      { source: link, target: row, swap: "outerHTML" }).then(function () {
      var fresh = byId(id);
      var now = document.activeElement;
      // Only put back focus that the swap took away: the user may have moved on meanwhile.
      if (!fresh || (now && now !== document.body && !fresh.contains(now))) { return; }
      var target = onLink ? fresh.querySelector("a.artifact-more") : fresh;
      if (target === fresh) { focusRow(fresh); } else if (target) { target.focus(); }
    });
    return true;
  }

  function undo() {
    var form = document.querySelector("#status form.undo-form");
    if (!form) {
      announce("Nothing to undo.");
      return true;
    }
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    return true;
  }

  function focusSearch() {
    var box = searchBox();
    if (!box) { return false; }
    box.focus();
    box.select();
    return true;
  }

  // Escape in the search box clears it, and the list follows.
  function clearSearch(box) {
    if (!box.value) { return false; }
    box.value = "";
    submitFilters();
    return true;
  }

  function submitFilters() {
    var form = byId("search-form");
    if (form && form.requestSubmit) { form.requestSubmit(); }
  }

  // "Clear the search and filters": back to the whole list without leaving the page.
  function clearFilters(link) {
    var form = byId("search-form");
    if (!form || !form.requestSubmit) { return false; }
    form.querySelectorAll("input[type='search']").forEach(function (box) { box.value = ""; });
    form.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
    var skill = form.querySelector("input[name='skill']");
    if (skill) { // the skill filter lives in the URL: leave through the plain link
      window.location.assign(link.href);
      return true;
    }
    form.requestSubmit();
    var box = searchBox();
    if (box) { box.focus(); }
    return true;
  }

  function openPerson(row) { return press(row, "a.person-name"); }

  function cancel(from) {
    var editing = from.closest ? from.closest("li.artifact-editing") : null;
    var link = editing ? editing.querySelector("a.cancel") : null;
    if (!link) { return false; }
    cancelByKey = true;
    try {
      link.click(); // the row comes back with autofocus; a new form just goes (see below)
    } finally {
      cancelByKey = false;
    }
    return true;
  }

  // A form differs from what it was loaded with when any field does, or its chosen skills do
  // (the text in the skills box is a search, not a value); a conflict's form holds input that
  // was never saved, so it always does.
  function isDirty(form) {
    if (!form) { return false; }
    if (form.getAttribute("data-unsaved") === "true") { return true; }
    var skills = Array.prototype.some.call(form.querySelectorAll(PICKER), function (field) {
      return field.hasAttribute("data-initial-skills")
        && chosenValues(field) !== field.getAttribute("data-initial-skills");
    });
    return skills || Array.prototype.some.call(form.elements, function (el) {
      if (el.type === "hidden" || el.type === "submit" || el.type === "button") { return false; }
      if (isSkillBox(el)) { return false; }
      if (el.type === "checkbox" || el.type === "radio") { return el.checked !== el.defaultChecked; }
      if (el.tagName === "SELECT") {
        return Array.prototype.some.call(el.options, function (o) {
          return o.selected !== o.defaultSelected;
        });
      }
      return "defaultValue" in el && el.value !== el.defaultValue;
    });
  }

  function save(from) {
    var form = from.closest ? from.closest("form.artifact-form") : null;
    if (!form) { return false; }
    var button = form.querySelector("button.save");
    if (form.requestSubmit) { form.requestSubmit(button || undefined); } else if (button) { button.click(); }
    return true;
  }

  // As a click on the row's Delete: htmx's htmx:confirm event (onConfirm) asks first.
  function remove(row) { return press(row, "button.artifact-delete"); }

  // One's own list: the rows have Delete (and so Undo).
  function ownList() {
    var template = byId("row-actions");
    return Boolean(template && template.content.querySelector(".artifact-delete"));
  }

  // The dialog is not in the page (SPEC §8): the first time, fetch it, put it after its
  // button, then open it.
  function openHelp() {
    var dialog = byId("shortcuts-dialog");
    if (!dialog) { return loadHelp(); }
    if (typeof dialog.showModal !== "function") { return false; }
    var toggle = byId("single-key-shortcuts");
    if (toggle) { toggle.checked = singleKeysOn(); }
    dialog.returnValue = "";
    dialog.showModal(); // focus moves in; Escape closes; focus returns to the opener
    return true;
  }

  function loadHelp() {
    var button = byId("shortcuts-help");
    var url = button ? button.getAttribute("data-dialog-url") : null;
    if (!url || !window.fetch) { return false; }
    if (helpLoading) { return true; }
    helpLoading = true;
    window.fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        helpLoading = false;
        if (!byId("shortcuts-dialog")) {
          button.insertAdjacentHTML("afterend", html);
          button.setAttribute("aria-controls", "shortcuts-dialog");
        }
        if (!dialogOpen()) { openHelp(); }
      })
      .catch(function () {
        helpLoading = false;
        announce("The keyboard shortcuts could not be loaded. Please try again.", { error: true });
      });
    return true;
  }

  // --- The one keydown listener -------------------------------------------------------------
  function onKey(key, row, target) {
    var single = key.length === 1 && singleKeysOn();
    var person = Boolean(row) && row.matches("li.person");
    switch (key) {
      case "j": return single && move(1, row);
      case "k": return single && move(-1, row);
      case "ArrowDown": return Boolean(row) && move(1, row);
      case "ArrowUp": return Boolean(row) && move(-1, row);
      case "e": return single && Boolean(row) && edit(row);
      case "Enter":
        if (target !== row || !row) { return false; }
        return person ? openPerson(row) : edit(row);
      case "o":
        if (!single || !row) { return false; }
        return person ? openPerson(row) : toggle(row);
      case "n": return single && openNew();
      case "d": return single && Boolean(row) && remove(row);
      case "Delete": return Boolean(row) && remove(row);
      case "u": return single && ownList() && undo(); // one's own list
      case "/": return single && focusSearch();
      case "?": return single && openHelp();
      default: return false;
    }
  }

  function onKeydown(event) {
    if (event.defaultPrevented || event.isComposing || event.keyCode === 229) { return; }
    // Chrome's autofill dispatches plain "keydown" Events without a key: not a keystroke.
    if (typeof event.key !== "string") { return; }
    if (dialogOpen()) { return; } // the dialog owns Tab, Enter and Escape
    var target = event.target;
    if (isSkillBox(target) && onSkillKey(event, target)) {
      event.preventDefault();
      return;
    }
    var commandKey = event.ctrlKey || event.metaKey;
    if (event.key === "Enter" && commandKey && !event.altKey && !event.shiftKey) {
      if (save(target)) { event.preventDefault(); }
      return;
    }
    if (event.altKey || commandKey) { return; }
    if (event.key === "Escape") {
      if ((target === searchBox() && clearSearch(target)) || cancel(target)) {
        event.preventDefault();
      }
      return;
    }
    if (isField(target)) { return; } // typing: letters are text, Enter submits, arrows move
    if (event.shiftKey && event.key.length > 1) { return; } // Shift+arrow selects text
    if (onKey(event.key, rowOf(target), target)) { event.preventDefault(); }
  }

  // --- Skills: chips, the combobox and suggestions (SPEC §9) --------------------------------
  // The server renders a text box (no JavaScript) and, hidden, the picker: chosen skills as
  // chips with disabled hidden inputs, a combobox whose options htmx fetches (GET /skills) and
  // a suggestions area that the title and description fill (POST /skills/suggest). Enhancing
  // swaps the two; after that only the chips' inputs carry the field.
  function pickerOf(node) { return node && node.closest ? node.closest(PICKER) : null; }
  function isSkillBox(node) { return Boolean(node && node.matches && node.matches(".skill-search")); }
  function listOf(box) { return byId(box.getAttribute("aria-controls")); }
  function boxOf(list) { return document.querySelector('[aria-controls="' + list.id + '"]'); }
  function optionsOf(box) {
    return Array.prototype.slice.call(listOf(box).querySelectorAll("[role='option']"));
  }
  function chosenValues(field) {
    return chosenInputs(field).map(function (input) { return input.value; }).join("\n");
  }
  function chosenInputs(field) {
    return Array.prototype.slice.call(
      field.querySelectorAll(".chips-chosen input[name='suggested_skill_ids']"));
  }

  function enhanceSkills(root) {
    var fields = root.querySelectorAll ? Array.prototype.slice.call(root.querySelectorAll(PICKER)) : [];
    if (root.matches && root.matches(PICKER)) { fields.push(root); }
    fields.forEach(function (field) {
      if (field.getAttribute("data-enhanced")) { return; }
      field.setAttribute("data-enhanced", "true");
      var text = field.querySelector(".skills-text");
      var box = field.querySelector(".skill-search");
      var focused = document.activeElement === text || text.hasAttribute("autofocus");
      text.removeAttribute("autofocus");
      text.disabled = true;
      text.hidden = true;
      var hint = byId(text.id.replace("suggested_skill_ids-", "suggested_skill_ids-hint-"));
      if (hint) { hint.hidden = true; }
      var label = field.querySelector("label");
      if (label) { label.htmlFor = box.id; }
      field.querySelector(".skill-picker").hidden = false;
      field.querySelectorAll(".skill-picker input[type='hidden']").forEach(function (input) {
        input.disabled = false;
      });
      box.disabled = false;
      field.setAttribute("data-initial-skills", chosenValues(field));
      if (text.getAttribute("aria-invalid") === "true") { box.setAttribute("aria-invalid", "true"); }
      if (focused) { box.focus(); }
    });
  }

  function addSkill(field, value, label) {
    value = value.trim();
    label = (label || value).trim();
    if (!value) { return false; }
    var inputs = chosenInputs(field);
    var known = inputs.some(function (input) { return input.value.toLowerCase() === value.toLowerCase(); });
    if (known) {
      announce("“" + label + "” is already one of the skills.");
      return false;
    }
    if (inputs.length >= SKILLS_MAX) {
      announce("An artifact has at most " + SKILLS_MAX + " skills. Remove one to add another.",
        { error: true });
      return false;
    }
    var chip = field.querySelector(".skill-chip-template").content.firstElementChild.cloneNode(true);
    chip.querySelector(".chip-label").textContent = label;
    chip.querySelector(".chip-remove").setAttribute("aria-label", "Remove " + label);
    var input = chip.querySelector("input");
    input.value = value;
    input.disabled = false;
    field.querySelector(".chips-chosen").appendChild(chip);
    field.querySelectorAll(".chip-suggestion").forEach(function (button) {
      if (button.getAttribute("data-value") === value) { button.parentElement.remove(); }
    });
    announce("Added “" + label + "”.");
    return true;
  }

  // Remove a chosen skill; focus goes to the next chip's button (or the previous, or the box)
  // when the removal came from a button that is now gone.
  function removeChip(chip, moveFocus) {
    var field = pickerOf(chip);
    var label = chip.querySelector(".chip-label").textContent;
    var next = chip.nextElementSibling || chip.previousElementSibling;
    chip.remove();
    announce("Removed “" + label + "”.");
    if (moveFocus) {
      (next ? next.querySelector(".chip-remove") : field.querySelector(".skill-search")).focus();
    }
  }

  function setExpanded(box, open) {
    var list = listOf(box);
    open = open && optionsOf(box).length > 0;
    list.hidden = !open;
    box.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) { setActive(box, null); }
  }

  function setActive(box, option) {
    optionsOf(box).forEach(function (each) {
      each.setAttribute("aria-selected", each === option ? "true" : "false");
    });
    if (option) {
      box.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      box.removeAttribute("aria-activedescendant");
    }
  }

  function activeOption(box) {
    var id = box.getAttribute("aria-activedescendant");
    return id ? byId(id) : null;
  }

  function moveActive(box, step) {
    var all = optionsOf(box);
    if (!all.length) { return; }
    setExpanded(box, true);
    var index = all.indexOf(activeOption(box));
    var next = index < 0 ? (step > 0 ? 0 : all.length - 1) : (index + step + all.length) % all.length;
    setActive(box, all[next]);
  }

  // Enter: the highlighted option, else the text as typed (a name saving resolves, or the
  // user's own skill).
  function accept(box, option) {
    var field = pickerOf(box);
    var added = option ? addSkill(field, option.getAttribute("data-value"), option.getAttribute("data-label"))
      : addSkill(field, box.value, box.value);
    if (added || option) {
      box.value = "";
      listOf(box).innerHTML = "";
      setExpanded(box, false);
    }
  }

  // The combobox's keys; true when handled (the caller prevents the default). Escape closes an
  // open list and nothing else; with the list closed it falls through to the form's Escape.
  function onSkillKey(event, box) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return false; }
    var open = box.getAttribute("aria-expanded") === "true";
    switch (event.key) {
      case "ArrowDown": moveActive(box, 1); return true;
      case "ArrowUp": moveActive(box, -1); return true;
      case "Enter":
        if (open && activeOption(box)) { accept(box, activeOption(box)); return true; }
        if (box.value.trim()) { accept(box, null); return true; }
        return false;
      case "Escape":
        if (!open) { return false; }
        setExpanded(box, false);
        return true;
      case "Backspace": {
        if (box.value !== "" || box.selectionStart !== 0) { return false; }
        var chips = pickerOf(box).querySelectorAll(".chips-chosen > li");
        if (!chips.length) { return false; }
        removeChip(chips[chips.length - 1], false);
        return true;
      }
      case "Tab": setExpanded(box, false); return false;
      default: return false;
    }
  }

  function addSuggestion(button) {
    var item = button.parentElement;
    var next = item.nextElementSibling || item.previousElementSibling;
    var field = pickerOf(button);
    if (addSkill(field, button.getAttribute("data-value"), button.getAttribute("data-label"))) {
      // The button is gone: focus the next suggestion, else the search box.
      (next ? next.querySelector("button") : field.querySelector(".skill-search")).focus();
    }
  }

  function onSkillClick(target) {
    var remove = target.closest(".chip-remove");
    if (remove) { removeChip(remove.parentElement, true); return true; }
    var suggestion = target.closest(".chip-suggestion");
    if (suggestion) { addSuggestion(suggestion); return true; }
    var option = target.closest(".skill-option");
    if (option) {
      var box = boxOf(option.parentElement);
      accept(box, option);
      box.focus();
      return true;
    }
    return false;
  }

  // New options: give them ids (aria-activedescendant) and open the list while the box still
  // has focus and text. New suggestions: leave out chosen ones and say how many, politely.
  function onAfterSwap(event) {
    var target = event.detail.target;
    if (!target || !target.matches) { return; }
    if (target.matches(".skill-options")) {
      var box = boxOf(target);
      optionsOf(box).forEach(function (option, i) { option.id = target.id + "-" + i; });
      setExpanded(box, document.activeElement === box && box.value.trim() !== "");
    } else if (target.matches(".skill-suggestions")) {
      var field = pickerOf(target);
      var chosen = chosenInputs(field).map(function (input) { return input.value; });
      target.querySelectorAll(".chip-suggestion").forEach(function (button) {
        if (chosen.indexOf(button.getAttribute("data-value")) >= 0) { button.parentElement.remove(); }
      });
      var n = target.querySelectorAll(".chip-suggestion").length;
      var note = byId(target.id.replace("skill-suggestions-", "skill-suggestions-note-"));
      var text = n ? n + (n === 1 ? " skill" : " skills") + " suggested for this text." : "";
      if (note && note.textContent !== text) { note.textContent = text; }
    }
  }

  // --- Confirmations: every delete asks first, and so does throwing away unsaved changes ---
  function titleOf(row) {
    var heading = row ? row.querySelector(":scope > h2") : null;
    if (heading) { return heading.textContent.trim(); }
    var title = row ? row.querySelector("input[name='title']") : null;
    return title && title.defaultValue.trim() ? title.defaultValue.trim() : "this artifact";
  }

  function ask(dialogId, answer, row, send) {
    var dialog = byId(dialogId);
    if (!dialog || !dialog.showModal) { return false; }
    var name = dialog.querySelector("[data-confirm-name]");
    if (name) { name.textContent = titleOf(row); }
    confirmed = { dialog: dialog, answer: answer, send: send };
    dialog.returnValue = "";
    dialog.showModal(); // autofocus puts focus on the safe choice
    return true;
  }

  function onConfirm(event) {
    var elt = event.detail.elt;
    if (elt.matches(".artifact-delete")) {
      if (ask("confirm-delete", "delete", rowOf(elt), event.detail.issueRequest)) {
        event.preventDefault();
      }
      return;
    }
    // Cancel (or Escape) on a changed form asks; "Discard mine" says what it does, so only
    // Escape, which is easy to press by accident, asks there.
    if (elt.matches("a.cancel") && isDirty(elt.closest("form"))
        && (cancelByKey || elt.getAttribute("data-discards") !== "true")) {
      if (ask("confirm-discard", "discard", rowOf(elt), event.detail.issueRequest)) {
        event.preventDefault();
      }
    }
  }

  function onDialogClose(event) {
    if (!confirmed || event.target !== confirmed.dialog) { return; }
    // A close event is a queued task: the one from a dialog closed just before it was opened
    // again can arrive after the new question was asked. The dialog is open then, and the
    // answer still to come belongs to the new question.
    if (event.target.open) { return; }
    var pending = confirmed;
    confirmed = null;
    // The browser has already returned focus to the opener (the row, a field, a button).
    if (event.target.returnValue === pending.answer) { pending.send(true); }
  }

  // --- Focus when the focused element is swapped away with nothing in its place -------------
  function rememberFocusFallback(event) {
    var target = event.detail.target;
    if (!target || !target.matches || !target.matches(ROWS)) { return; }
    var source = event.detail.elt;
    if (source && source.matches && source.matches("a.artifact-more")) { return; } // toggle()
    // The New button by id, looked up afterwards: the answer may replace it (out of band).
    var fallback;
    if (target.id === "artifact-new") {
      fallback = ["new-artifact"]; // back to the opener
    } else {
      var all = rows();
      var index = all.indexOf(target);
      fallback = [all[index + 1], all[index - 1], "new-artifact"];
    }
    pendingFocus.set(event.detail.xhr, { target: target, fallback: fallback });
  }

  function onAfterRequest(event) {
    var pending = pendingFocus.get(event.detail.xhr);
    if (!pending) { return; }
    pendingFocus.delete(event.detail.xhr);
    var lost = !document.activeElement || document.activeElement === document.body;
    // A fragment with autofocus gets focus from htmx on settle; leave that to htmx.
    if (pending.target.isConnected || !lost || document.querySelector("#artifacts [autofocus]")) {
      return;
    }
    var next = pending.fallback.map(function (el) {
      return typeof el === "string" ? byId(el) : el;
    }).filter(function (el) { return el && el.isConnected; })[0];
    if (!next) { return; }
    if (next.matches(ROWS)) { focusRow(next); } else { next.focus(); }
  }

  function onLoad(event) {
    var root = event.target;
    // htmx has just focused the fragment's autofocus field: put the caret after its text
    // (the edit form's title), where typing continues it, instead of before.
    var focused = document.activeElement;
    if (focused && focused.hasAttribute("autofocus") && root.contains && root.contains(focused)
        && focused.setSelectionRange && /^(text|search|url)$/.test(focused.type)) {
      focused.setSelectionRange(focused.value.length, focused.value.length);
    }
    // autofocus is a one-shot instruction: once htmx applied it, drop it so a later check
    // for "content about to take focus" is not misled by an old row.
    enhanceSkills(root); // before autofocus goes: a focused skills box hands focus on
    enhanceRows(root);
    if (root.removeAttribute) { root.removeAttribute("autofocus"); }
    if (root.querySelectorAll) {
      root.querySelectorAll("[autofocus]").forEach(function (el) {
        if (!el.closest("dialog")) { el.removeAttribute("autofocus"); }
      });
    }
    syncRoving();
  }

  // "M shown" is the number of rows on screen: it follows rows added, removed and restored.
  // Written only when it changes (the observer that calls this sees its own writes).
  function countShown() {
    var count = document.querySelector("#artifacts-shown [data-shown-count]");
    if (!count) { return; }
    var n = String(document.querySelectorAll("#artifacts > li.artifact:not(#artifact-new)").length);
    if (count.textContent !== n) { count.textContent = n; }
  }

  function onClick(event) {
    var target = event.target.closest ? event.target : null;
    if (!target) { return; }
    if (target.closest("#shortcuts-help")) { openHelp(); return; }
    if (target.closest("#new-artifact[aria-disabled='true']")) { openNew(); return; } // why not
    var more = target.closest("a.artifact-more");
    var row = rowOf(more);
    if (more && row && !event.ctrlKey && !event.metaKey && !event.shiftKey && toggle(row)) {
      event.preventDefault();
      return;
    }
    var editLink = target.closest("a.artifact-edit");
    row = rowOf(editLink);
    if (editLink && row && !event.ctrlKey && !event.metaKey && !event.shiftKey && edit(row)) {
      event.preventDefault();
      return;
    }
    var button = target.closest("button.artifact-delete");
    row = rowOf(button);
    if (button && row && deleteRow(row, button)) { return; }
    var clear = target.closest("a[data-clear-filters]");
    if (clear && clearFilters(clear)) { event.preventDefault(); return; }
    onSkillClick(target);
  }

  // --- Wiring: one listener per event -------------------------------------------------------
  function init() {
    var help = byId("shortcuts-help");
    if (help) { help.hidden = false; }
    enhanceSkills(document);
    enhanceRows(document);
    syncRoving();
    var region = byId("status");
    if (region) {
      fadeLater(region);
      new MutationObserver(function () { fadeLater(region); })
        .observe(region, { childList: true, characterData: true, subtree: true });
    }
    var main = byId("main");
    if (main) { new MutationObserver(countShown).observe(main, { childList: true, subtree: true }); }
    document.documentElement.setAttribute("data-keyboard", "ready");
  }

  document.addEventListener("keydown", onKeydown);
  document.addEventListener("focusin", function (event) {
    var row = rowOf(event.target);
    if (row) { makeCurrent(row); }
    schedulePreload(row);
    placeStatus();
  });
  document.addEventListener("mouseover", onPointer);
  document.addEventListener("click", onClick);
  document.addEventListener("change", function (event) {
    if (event.target.id !== "single-key-shortcuts") { return; }
    setSingleKeys(event.target.checked);
    announce(event.target.checked ? "Single-key shortcuts on." : "Single-key shortcuts off.");
  });
  document.addEventListener("close", onDialogClose, true); // close does not bubble
  document.addEventListener("htmx:configRequest", onConfigRequest);
  document.addEventListener("htmx:beforeRequest", onBeforeRequest);
  document.addEventListener("htmx:afterRequest", onAfterRequest);
  document.addEventListener("htmx:afterSwap", onAfterSwap);
  document.addEventListener("htmx:responseError", onResponseError);
  document.addEventListener("htmx:sendError", onSendError);
  document.addEventListener("htmx:confirm", onConfirm);
  document.addEventListener("htmx:load", onLoad);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
