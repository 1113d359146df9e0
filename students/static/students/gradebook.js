/* The grade-entry grid (students/templates/students/sheet_detail.html), on top of a plain form
   that works without this script.

   - Keyboard: arrow keys move between cells (left/right once the caret is at the edge of the
     text), Enter moves down and Shift+Enter up, Tab as usual; Ctrl+S saves.
   - Paste: a column or block copied from Excel (text/plain, tabs and newlines, a trailing
     newline, decimal commas) fills the cells from the focused one down and right.
   - Every change is checked at once (the same rules as students.rules.parse_cell; the server
     stays the judge) and kept in localStorage (per sheet and user) until it is saved. Every
     write reads the stored cells, changes only its own cells and writes them back, so two tabs
     of one sheet do not wipe each other's unsaved cells; each tab picks up the other's unsaved
     cells (the `storage` event) and what it saved.
   - "Lưu" sends ONE request with a batch id made before sending and kept with the cells: a
     network error keeps them and offers "Gửi lại" with the SAME id, so a save that reached
     the server is not applied twice; an expired session opens a log-in dialog in the page and
     then resends (only for the same user as the page's); on load, cells left unsaved are
     restored and the page says so.
   - A cell somebody else changed meanwhile (409) is marked as a conflict (not as invalid): the
     next "Lưu" sends the user's value over the current one.
*/
(function () {
  "use strict";

  var TIMEOUT_MS = 20000;
  var config = JSON.parse(document.getElementById("gradebook-config").textContent);
  var M = config.messages;
  var table = document.getElementById("gb-grid");
  var form = document.getElementById("gb-form");
  var info = document.getElementById("gb-cell-info");
  var statusBox = document.getElementById("gb-status");
  var saveButton = document.getElementById("gb-save");
  var resendButton = document.getElementById("gb-resend");
  var storeKey = "sms.gradebook." + config.sheet + "." + config.user;
  if (!table) { return; }
  if (!config.editable || !form || !saveButton) { keptButClosed(); return; }

  /* The sheet no longer takes entries (sent, locked, past the deadline) but this browser still
     holds cells typed earlier: list them so nothing typed is lost silently. */
  function keptButClosed() {
    var saved = readStore();
    var cells = outboxCells(saved).concat(Object.keys(saved.pending).map(function (k) { return saved.pending[k]; }));
    if (!cells.length) { return; }
    var region = document.getElementById("gb-restore");
    var lines = cells.map(function (c) {
      var tr = table.querySelector('tr[data-enrolment="' + c.enrolment + '"]');
      var name = tr ? tr.querySelector("th").firstChild.textContent.trim() : "học sinh " + c.enrolment;
      var label = config.columns[c.column] ? config.columns[c.column].label : c.column;
      return name + ", cột " + label + ": " + c.value;
    });
    document.getElementById("gb-restore-text").textContent =
      "Trình duyệt còn giữ " + cells.length + " ô chưa lưu từ lần trước, nhưng bảng điểm hiện không nhận thêm điểm: " +
      lines.join("; ") + ". Hãy ghi lại nếu cần, rồi bấm Bỏ.";
    document.getElementById("gb-restore-send").hidden = true;
    document.getElementById("gb-restore-drop").addEventListener("click", function () {
      window.localStorage.removeItem(storeKey);
      region.hidden = true;
    });
    region.hidden = false;
  }

  /* --- the cells, as a matrix of table rows × columns -------------------------------------- */

  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var columnKeys = Object.keys(config.columns);
  var byKey = {};
  var matrix = rows.map(function (tr) {
    return columnKeys.map(function (key) {
      var input = tr.querySelector('input.gb-cell[data-column="' + key + '"]');
      if (input) { byKey[cellKey(input.dataset.enrolment, key)] = input; }
      return input;
    });
  });
  function cellKey(enrolment, column) { return enrolment + "|" + column; }
  function keyOf(input) { return cellKey(input.dataset.enrolment, input.dataset.column); }
  function position(input) {
    for (var r = 0; r < matrix.length; r++) {
      var c = matrix[r].indexOf(input);
      if (c >= 0) { return { row: r, col: c }; }
    }
    return null;
  }
  function cellAt(row, col) {
    return row >= 0 && row < matrix.length && col >= 0 && col < columnKeys.length ? matrix[row][col] : null;
  }
  /* the next cell with an input (exempt rows have none) in a direction */
  function step(input, dRow, dCol) {
    var p = position(input);
    if (!p) { return null; }
    var r = p.row + dRow, c = p.col + dCol;
    while (r >= 0 && r < matrix.length && c >= 0 && c < columnKeys.length) {
      if (matrix[r][c]) { return matrix[r][c]; }
      r += dRow; c += dCol;
    }
    return null;
  }
  function go(target) {
    if (!target) { return false; }
    target.focus();
    target.select();
    return true;
  }

  /* --- checking a cell: mirrors students.rules.parse_cell ---------------------------------- */

  var NUMBER = /^(-?)([0-9]+)(?:[.,]([0-9]+))?$/;
  var COMMENT_WORDS = {
    "đ": "Đ", "d": "Đ", "đạt": "Đ", "dat": "Đ",
    "cđ": "CĐ", "cd": "CĐ", "chưa đạt": "CĐ", "chua dat": "CĐ"
  };
  function parse(kind, text) {
    var raw = (text || "").normalize("NFKC").trim();
    if (!raw) { return { value: "" }; }
    var m;
    if (kind === "score") {
      m = NUMBER.exec(raw);
      if (!m) { return { error: M.score_invalid }; }
      var fraction = (m[3] || "").replace(/0+$/, "");
      var whole = parseInt(m[2], 10);
      if (m[1] || whole > 10 || (whole === 10 && fraction)) { return { error: M.score_range }; }
      if (fraction.length > 1) { return { error: M.score_decimals }; }
      return { value: fraction ? whole + "." + fraction : String(whole) };
    }
    if (kind === "test") {
      m = NUMBER.exec(raw);
      if (!m || m[1] || (m[3] || "").replace(/0+$/, "") || parseInt(m[2], 10) > 10) { return { error: M.test }; }
      return { value: String(parseInt(m[2], 10)) };
    }
    if (kind === "comment") {
      var words = (text || "").normalize("NFC").replace(/Ð/g, "Đ").replace(/ð/g, "đ").toLowerCase().split(/\s+/).filter(Boolean).join(" ");
      return COMMENT_WORDS[words] ? { value: COMMENT_WORDS[words] } : { error: M.comment };
    }
    var level = raw.toUpperCase();
    return ["T", "H", "C"].indexOf(level) >= 0 ? { value: level } : { error: M.level };
  }
  function display(value) { return (value || "").replace(".", ","); }

  /* --- what the user changed: pending cells and the batch being sent ------------------------ */

  // state.pending: key → {enrolment, column, value, old}; state.outbox: {batchId, cells} or null
  // (this tab's batch on its way). The browser's copy, shared by the sheet's tabs:
  // {pending: key → cell, outboxes: batchId → {batchId, cells}, saved: key → {value, by, at, t}}
  // ("saved": cells a tab saved lately, so the other tabs learn the new stored values).
  var SAVED_KEEP_MS = 10 * 60 * 1000;
  function readStore() {
    var saved = null;
    try { saved = JSON.parse(window.localStorage.getItem(storeKey) || "null"); } catch (e) { saved = null; }
    if (!saved || typeof saved !== "object") { saved = {}; }
    var outboxes = saved.outboxes && typeof saved.outboxes === "object" ? saved.outboxes : {};
    if (saved.outbox && saved.outbox.batchId) { outboxes[saved.outbox.batchId] = saved.outbox; } // older format
    return { pending: saved.pending || {}, outboxes: outboxes, saved: saved.saved || {} };
  }
  function outboxCells(store) {
    var cells = [];
    Object.keys(store.outboxes).forEach(function (id) { cells = cells.concat(store.outboxes[id].cells || []); });
    return cells;
  }
  /* read the shared copy, let `change` alter it, write it back (or remove it when empty) */
  function update(change) {
    try {
      var store = readStore();
      change(store);
      var now = Date.now();
      Object.keys(store.saved).forEach(function (k) { if (!(now - store.saved[k].t < SAVED_KEEP_MS)) { delete store.saved[k]; } });
      if (!Object.keys(store.pending).length && !Object.keys(store.outboxes).length && !Object.keys(store.saved).length) {
        window.localStorage.removeItem(storeKey);
      } else {
        window.localStorage.setItem(storeKey, JSON.stringify({ pending: store.pending, outboxes: store.outboxes, saved: store.saved, at: now }));
      }
    } catch (e) {
      say("Trình duyệt không cho lưu tạm các ô chưa gửi (bộ nhớ đầy hoặc chế độ riêng tư): hãy bấm Lưu ngay.", "error");
    }
  }
  function sameCell(a, b) { return !!a && !!b && a.value === b.value && (a.old || "") === (b.old || ""); }
  /* this tab's cell `key` is now `cell` (null: no longer pending) */
  function storeCell(key, cell) {
    update(function (store) {
      if (cell) { store.pending[key] = cell; } else { delete store.pending[key]; }
    });
  }
  var state = (function () {
    var store = readStore();
    // a batch left by a closed tab is this page's to resend (same id: applied once)
    var ids = Object.keys(store.outboxes);
    var outbox = ids.length ? store.outboxes[ids[0]] : null;
    var pending = {};
    Object.keys(store.pending).forEach(function (k) { pending[k] = store.pending[k]; });
    // further left batches go back to the pending cells (a resend would conflict at worst, never double)
    ids.slice(1).forEach(function (id) {
      (store.outboxes[id].cells || []).forEach(function (c) { var k = cellKey(c.enrolment, c.column); if (!pending[k]) { pending[k] = c; } });
    });
    return { pending: pending, outbox: outbox };
  })();
  function unsavedCount() {
    var keys = {};
    Object.keys(state.pending).forEach(function (k) { keys[k] = 1; });
    if (state.outbox) { state.outbox.cells.forEach(function (c) { keys[cellKey(c.enrolment, c.column)] = 1; }); }
    return Object.keys(keys).length;
  }

  /* An invalid cell (aria-invalid, refused by save()) or, without `message`, a valid one that
     still shows its conflict note if it has one (data-conflict: somebody else changed it). */
  function setError(input, message) {
    var td = input.parentNode;
    var id = input.id + "-error";
    var box = document.getElementById(id);
    var note = message || input.dataset.conflict || "";
    if (note) {
      if (!box) {
        box = document.createElement("span");
        box.id = id;
        td.appendChild(box);
      }
      box.className = message ? "gb-cell-error" : "gb-cell-error gb-cell-conflict";
      box.textContent = note;
      input.setAttribute("aria-describedby", id);
    } else {
      if (box) { box.parentNode.removeChild(box); }
      input.removeAttribute("aria-describedby");
    }
    if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    td.classList.toggle("gb-invalid", !!message);
    td.classList.toggle("gb-conflict", !!input.dataset.conflict);
  }
  /* a conflict (409): noted under the cell and in its description, NOT invalid, so Lưu overwrites */
  function setConflict(input, message) {
    if (message) { input.dataset.conflict = message; } else { delete input.dataset.conflict; }
    var parsed = parse(input.dataset.kind, input.value);
    setError(input, parsed.error || "");
  }
  function markDirty(input, dirty) {
    input.parentNode.classList.toggle("gb-dirty", dirty);
    input.dataset.dirty = dirty ? "1" : "";
  }

  /* A cell's text changed: check it, remember it (or forget it when back to the stored value). */
  function changed(input) {
    var parsed = parse(input.dataset.kind, input.value);
    setError(input, parsed.error || "");
    var key = keyOf(input);
    var same = !parsed.error && parsed.value === (input.dataset.old || "");
    if (same) {
      delete state.pending[key];
      if (input.dataset.conflict) { setConflict(input, ""); } // the user took the other value
    } else {
      state.pending[key] = {
        enrolment: parseInt(input.dataset.enrolment, 10),
        column: input.dataset.column,
        value: input.value,
        old: input.dataset.old || ""
      };
    }
    markDirty(input, !same || inOutbox(key));
    storeCell(key, same ? null : state.pending[key]);
    if (document.activeElement === input) { describe(input); }
  }
  function inOutbox(key) {
    return !!(state.outbox && state.outbox.cells.some(function (c) { return cellKey(c.enrolment, c.column) === key; }));
  }

  /* --- the line under the grid: which cell, who changed it last, what is wrong ------------- */

  function describe(input) {
    var row = input.closest("tr");
    var name = row.querySelector("th").firstChild.textContent.trim();
    var label = config.columns[input.dataset.column].label;
    var text = "Dòng " + input.dataset.row + " – " + name + ", cột " + label + ". ";
    var box = document.getElementById(input.id + "-error");
    if (box) {
      text += box.textContent;
    } else if (input.dataset.dirty) {
      text += "Đã sửa, chưa lưu.";
    } else if (input.dataset.updatedBy) {
      text += "Sửa lần cuối: " + input.dataset.updatedBy + ", " + input.dataset.updatedAt + ".";
    } else {
      text += "Chưa nhập.";
    }
    info.textContent = text;
  }

  function say(text, tone) {
    statusBox.textContent = text;
    statusBox.className = "gb-status" + (tone ? " gb-" + tone : "");
  }

  /* --- keyboard ------------------------------------------------------------------------------ */

  table.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("gb-cell")) { return; }
    var moved = false;
    var atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    var all = input.selectionStart === 0 && input.selectionEnd === input.value.length;
    var atEnd = input.selectionStart === input.value.length && input.selectionEnd === input.value.length;
    switch (event.key) {
      case "Enter": moved = go(step(input, event.shiftKey ? -1 : 1, 0)); event.preventDefault(); break;
      case "ArrowDown": moved = go(step(input, 1, 0)); break;
      case "ArrowUp": moved = go(step(input, -1, 0)); break;
      case "ArrowLeft": if (atStart || all) { moved = go(step(input, 0, -1)); } break;
      case "ArrowRight": if (atEnd || all) { moved = go(step(input, 0, 1)); } break;
      default: return;
    }
    if (moved) { event.preventDefault(); }
  });
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "S")) {
      event.preventDefault();
      save();
    }
  });
  table.addEventListener("input", function (event) {
    if (event.target.classList.contains("gb-cell")) { changed(event.target); }
  });
  table.addEventListener("focusin", function (event) {
    if (event.target.classList.contains("gb-cell")) { describe(event.target); }
  });
  table.addEventListener("change", function (event) {
    // show the accepted value the Vietnamese way ("8.5" → "8,5"; "d" → "Đ")
    var input = event.target;
    if (!input.classList.contains("gb-cell")) { return; }
    var parsed = parse(input.dataset.kind, input.value);
    if (!parsed.error && parsed.value && display(parsed.value) !== input.value) {
      input.value = display(parsed.value);
      changed(input);
    }
  });

  /* --- pasting from Excel -------------------------------------------------------------------- */

  table.addEventListener("paste", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("gb-cell")) { return; }
    var text = (event.clipboardData || window.clipboardData).getData("text/plain");
    if (!text || !/[\t\n\r]/.test(text)) { return; } // one value: the browser pastes it
    event.preventDefault();
    var lines = text.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n");
    var start = position(input);
    var filled = 0, skipped = 0;
    lines.forEach(function (line, i) {
      line.split("\t").forEach(function (value, j) {
        var r = start.row + i, c = start.col + j;
        if (r >= matrix.length || c >= columnKeys.length) { skipped++; return; }
        var target = cellAt(r, c);
        if (!target) { skipped++; return; } // an exempt learner's row keeps its place
        target.value = value.trim();
        changed(target);
        filled++;
      });
    });
    describe(input);
    say("Đã dán " + filled + " ô" + (skipped ? " (bỏ qua " + skipped + " giá trị ngoài bảng hoặc của học sinh được miễn)" : "") + ". Chưa lưu.");
  });

  /* --- saving ----------------------------------------------------------------------------------- */

  var sending = false;
  var wrongUser = false;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  function newBatchId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function save() {
    if (sending) { return; }
    if (!state.outbox) {
      var cells = Object.keys(state.pending).map(function (k) { return state.pending[k]; });
      if (!cells.length) { say("Không có ô nào thay đổi."); return; }
      var invalid = cells.filter(function (c) { var i = byKey[cellKey(c.enrolment, c.column)]; return i && i.getAttribute("aria-invalid") === "true"; });
      if (invalid.length) {
        say("Còn " + invalid.length + " ô không hợp lệ (viền đỏ). Hãy sửa rồi lưu.", "error");
        go(byKey[cellKey(invalid[0].enrolment, invalid[0].column)]);
        return;
      }
      // the batch id is made and stored with the cells BEFORE anything is sent
      var outbox = state.outbox = { batchId: newBatchId(), cells: cells };
      state.pending = {};
      update(function (store) {
        store.outboxes[outbox.batchId] = outbox;
        // the cells go from the pending ones to the batch, unless changed meanwhile in another tab
        cells.forEach(function (c) {
          var k = cellKey(c.enrolment, c.column);
          if (sameCell(store.pending[k], c)) { delete store.pending[k]; }
        });
      });
    }
    send();
  }

  function send() {
    var outbox = state.outbox;
    if (!outbox) { return; }
    if (wrongUser) { askLogin(); return; } // another account is logged in: never send this page's cells as theirs
    sending = true;
    saveButton.disabled = true;
    resendButton.hidden = true;
    say("Đang lưu " + outbox.cells.length + " ô…");
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) { controller.abort(); } }, TIMEOUT_MS);
    fetch(config.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken(), "X-Requested-With": "XMLHttpRequest" },
      body: JSON.stringify({ batch_id: outbox.batchId, cells: outbox.cells }),
      signal: controller ? controller.signal : undefined,
      redirect: "manual"
    }).then(function (response) {
      clearTimeout(timer);
      return response.json().catch(function () { return {}; }).then(function (body) { handle(response.status, body); });
    }, function () {
      clearTimeout(timer);
      failed("Không gửi được (mất kết nối hoặc máy chủ không trả lời). Các ô chưa lưu vẫn được giữ trong trình duyệt.");
    }).then(function () {
      sending = false;
      saveButton.disabled = false;
    });
  }

  function failed(message) {
    say(message, "error");
    resendButton.hidden = false;
  }

  function handle(status, body) {
    if (status === 200) { return saved(body); }
    if (status === 401 || status === 0 || (status === 403 && /CSRF/i.test(body.detail || ""))) {
      failed("Phiên làm việc đã hết hạn. Đăng nhập lại để gửi tiếp; các ô chưa lưu vẫn được giữ.");
      return askLogin();
    }
    var outbox = state.outbox;
    if (status === 400 || status === 409) {
      // nothing was saved: the cells go back to the pending ones, marked
      state.outbox = null;
      outbox.cells.forEach(function (c) {
        var key = cellKey(c.enrolment, c.column);
        if (!state.pending[key]) { state.pending[key] = c; }
      });
      (body.errors || []).forEach(function (e) {
        var input = byKey[cellKey(e.enrolment, e.column)];
        if (!input) { return; }
        if (status === 409) {
          // somebody else saved this cell meanwhile: show who and what; saving again overwrites it
          input.dataset.old = e.current || "";
          input.dataset.updatedBy = e.updated_by || "";
          input.dataset.updatedAt = e.updated_at_display || "";
          var hidden = form.querySelector('input[type=hidden][name="o-' + e.enrolment + "-" + e.column + '"]');
          if (hidden) { hidden.value = e.current || ""; }
          var key = keyOf(input);
          if (state.pending[key]) { state.pending[key].old = e.current || ""; }
          setConflict(input, e.message + " Bấm Lưu để ghi đè bằng giá trị của bạn.");
        } else {
          setError(input, e.message);
        }
      });
      update(function (store) {
        delete store.outboxes[outbox.batchId];
        outbox.cells.forEach(function (c) {
          var key = cellKey(c.enrolment, c.column);
          if (state.pending[key]) { store.pending[key] = state.pending[key]; }
        });
      });
      say(body.detail || "Chưa lưu.", "error");
      var first = (body.errors || [])[0];
      if (first && byKey[cellKey(first.enrolment, first.column)]) { go(byKey[cellKey(first.enrolment, first.column)]); }
      return;
    }
    if (status >= 500 || status === 502 || status === 503 || status === 504) {
      return failed("Máy chủ đang bận hoặc gặp lỗi (" + status + "). Các ô chưa lưu vẫn được giữ; hãy gửi lại sau ít phút.");
    }
    // 403 (not allowed), 404: saving again will not help; keep the cells so nothing is lost
    failed((body.detail || "Không lưu được.") + " Các ô chưa lưu vẫn được giữ trong trình duyệt.");
  }

  function saved(reply) {
    var outbox = state.outbox;
    var sent = outbox ? outbox.cells : [];
    state.outbox = null;
    var written = {};
    (reply.cells || []).forEach(function (c) { written[cellKey(c.enrolment, c.column)] = c; });
    // a sent cell the server found already holding the value was not written, but that value
    // is now what the cell holds: later edits start from it (no false conflict)
    var stored = [];
    sent.forEach(function (c) {
      var key = cellKey(c.enrolment, c.column);
      var input = byKey[key];
      if (written[key] || !input) { return; }
      var parsed = parse(input.dataset.kind, c.value);
      if (parsed.error) { return; }
      stored.push({ enrolment: c.enrolment, column: c.column, value: parsed.value, updated_by: input.dataset.updatedBy || "", updated_at_display: input.dataset.updatedAt || "" });
    });
    stored.concat(reply.cells || []).forEach(function (c) {
      var input = byKey[cellKey(c.enrolment, c.column)];
      if (!input) { return; }
      input.dataset.old = c.value;
      input.dataset.updatedBy = c.updated_by;
      input.dataset.updatedAt = c.updated_at_display;
      input.title = "Sửa lần cuối: " + c.updated_by + ", " + c.updated_at_display;
      var hidden = form.querySelector('input[type=hidden][name="o-' + c.enrolment + "-" + c.column + '"]');
      if (hidden) { hidden.value = c.value; }
      // a cell edited again while this batch was on its way now starts from the saved value
      var again = state.pending[cellKey(c.enrolment, c.column)];
      if (again) { again.old = c.value; }
    });
    sent.forEach(function (c) {
      var input = byKey[cellKey(c.enrolment, c.column)];
      if (!input) { return; }
      var key = keyOf(input);
      delete input.dataset.conflict;
      input.parentNode.classList.remove("gb-conflict");
      if (!state.pending[key]) {
        if (document.activeElement !== input) {
          var parsed = parse(input.dataset.kind, input.value);
          if (!parsed.error) { input.value = display(parsed.value); }
        }
        setError(input, "");
        markDirty(input, false);
      }
    });
    Object.keys(reply.results || {}).forEach(function (enrolment) {
      var cell = table.querySelector('td[data-result="' + enrolment + '"]');
      if (cell) { cell.textContent = reply.results[enrolment].display || ""; }
    });
    if (reply.version !== undefined) { config.version = reply.version; }
    // the shared copy: only this batch and the cells it saved go (a cell changed since, in this
    // tab or another, stays pending); the other tabs learn the saved values
    update(function (store) {
      if (outbox) { delete store.outboxes[outbox.batchId]; }
      var now = Date.now();
      sent.forEach(function (c) {
        var key = cellKey(c.enrolment, c.column);
        if (sameCell(store.pending[key], c)) { delete store.pending[key]; }
      });
      stored.concat(reply.cells || []).forEach(function (c) {
        var key = cellKey(c.enrolment, c.column);
        store.saved[key] = { value: c.value, by: c.updated_by || "", at: c.updated_at_display || "", t: now };
        if (state.pending[key]) { store.pending[key] = state.pending[key]; } // its `old` moved on
      });
    });
    var rest = Object.keys(state.pending).length;
    say("Đã lưu " + reply.saved + " ô lúc " + new Date().toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" }) + "." +
        (rest ? " Còn " + rest + " ô sửa sau đó chưa lưu." : ""), "ok");
    hideRestore();
    if (document.activeElement && document.activeElement.classList.contains("gb-cell")) { describe(document.activeElement); }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    save();
  });
  resendButton.addEventListener("click", function () { if (state.outbox) { send(); } else { save(); } });

  /* --- logging in again without leaving the page -------------------------------------------- */

  var dialog = document.getElementById("gb-login");
  var loginForm = document.getElementById("gb-login-form");
  var loginError = document.getElementById("gb-login-error");

  function askLogin() {
    if (!dialog) { return; }
    loginError.textContent = "";
    if (!dialog.open) {
      if (dialog.showModal) { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
    }
    var field = document.getElementById(document.getElementById("gb-login-username").value ? "gb-login-password" : "gb-login-username");
    field.focus();
  }
  function closeLogin() {
    if (dialog.close) { dialog.close(); } else { dialog.removeAttribute("open"); }
  }

  function post(url, data) {
    var body = new URLSearchParams(data);
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" }
    });
  }

  function fetchToken() {
    // a fresh CSRF cookie (a login rotates it): any page sets it; the log-in page is light
    return fetch(config.loginUrl, { credentials: "same-origin" }).catch(function () { return null; });
  }

  if (loginForm) {
    loginForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var username = document.getElementById("gb-login-username").value.trim();
      var password = document.getElementById("gb-login-password").value;
      if (!username || !password) { loginError.textContent = "Nhập tên đăng nhập và mật khẩu."; return; }
      loginError.textContent = "Đang đăng nhập…";
      fetchToken().then(function () {
        return post(config.loginUrl, { username: username, password: password, next: window.location.pathname });
      }).then(function (response) {
        var url = new URL(response.url, window.location.href);
        if (url.pathname === config.loginUrl) {
          loginError.textContent = "Tên đăng nhập hoặc mật khẩu không đúng (hoặc tài khoản đang bị tạm khoá). Hãy thử lại.";
          return null;
        }
        document.getElementById("gb-login-password").value = "";
        // only the user who opened the page may send its cells: ask the server who logged in
        return fetch(config.meUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } }).then(function (me) {
          return me.ok ? me.json() : null;
        }).then(function (me) {
          if (!me || String(me.id) !== String(config.user)) {
            var text = "Bạn vừa đăng nhập bằng tài khoản khác" + (me && me.username ? " (" + me.username + ")" : "") +
              ", không phải tài khoản đã mở bảng điểm này. Chưa gửi gì; các ô chưa lưu vẫn được giữ trong trình duyệt. " +
              "Hãy đăng nhập bằng đúng tài khoản của giáo viên bộ môn.";
            loginError.textContent = text;
            say(text, "error");
            resendButton.hidden = false;
            wrongUser = true;
            return null;
          }
          wrongUser = false;
          // act again in the same unit and role as before the session ended
          return post(config.switchUrl, { membership: config.membership, next: window.location.pathname }).then(function () {
            loginError.textContent = "";
            closeLogin();
            say("Đã đăng nhập lại; đang gửi lại các ô chưa lưu…");
            if (state.outbox) { send(); } else { save(); }
          });
        });
      }).catch(function () {
        loginError.textContent = "Không kết nối được tới máy chủ. Kiểm tra kết nối mạng rồi thử lại.";
      });
    });
    document.getElementById("gb-login-cancel").addEventListener("click", function () {
      closeLogin();
      resendButton.hidden = false;
    });
  }

  /* --- cells left from last time -------------------------------------------------------------- */

  var restore = document.getElementById("gb-restore");
  function hideRestore() { if (restore) { restore.hidden = true; } }

  function restoreCells() {
    var cells = [];
    if (state.outbox) { cells = cells.concat(state.outbox.cells); }
    Object.keys(state.pending).forEach(function (k) { cells.push(state.pending[k]); });
    var shown = 0;
    cells.forEach(function (c) {
      var input = byKey[cellKey(c.enrolment, c.column)];
      if (!input) { return; }
      input.value = c.value;
      var parsed = parse(input.dataset.kind, c.value);
      setError(input, parsed.error || "");
      markDirty(input, true);
      shown++;
    });
    // cells of learners no longer in the grid (exempted, moved) cannot be sent: name them, then drop them
    var gone = cells.filter(function (c) {
      var input = byKey[cellKey(c.enrolment, c.column)];
      return !input;
    });
    if (gone.length) {
      gone.forEach(function (c) {
        var key = cellKey(c.enrolment, c.column);
        delete state.pending[key];
        if (state.outbox) {
          state.outbox.cells = state.outbox.cells.filter(function (o) { return cellKey(o.enrolment, o.column) !== key; });
        }
      });
      var emptied = state.outbox && !state.outbox.cells.length ? state.outbox.batchId : null;
      if (emptied) { state.outbox = null; }
      update(function (store) {
        gone.forEach(function (c) { delete store.pending[cellKey(c.enrolment, c.column)]; });
        if (emptied) { delete store.outboxes[emptied]; } else if (state.outbox) { store.outboxes[state.outbox.batchId] = state.outbox; }
      });
    }
    if (!shown && !gone.length) { return; }
    var text = shown ? "Có " + unsavedCount() + " ô chưa lưu từ lần trước (đã điền lại vào bảng, được đánh dấu)." : "";
    if (gone.length) {
      text += " " + gone.length + " ô không còn trong bảng (học sinh được miễn hoặc không còn trong lớp) nên không gửi được: " +
        gone.map(function (c) { return "học sinh " + c.enrolment + ", cột " + (config.columns[c.column] || { label: c.column }).label + ": " + c.value; }).join("; ") + ".";
    }
    document.getElementById("gb-restore-text").textContent = text.trim();
    document.getElementById("gb-restore-send").hidden = !shown;
    restore.hidden = false;
  }

  document.getElementById("gb-restore-send").addEventListener("click", function () {
    hideRestore();
    if (state.outbox) { send(); } else { save(); }
  });
  document.getElementById("gb-restore-drop").addEventListener("click", function () {
    var cells = (state.outbox ? state.outbox.cells : []).concat(Object.keys(state.pending).map(function (k) { return state.pending[k]; }));
    cells.forEach(function (c) {
      var input = byKey[cellKey(c.enrolment, c.column)];
      if (!input) { return; }
      input.value = display(input.dataset.old);
      setError(input, "");
      markDirty(input, false);
    });
    var dropped = state.outbox ? state.outbox.batchId : null;
    state = { pending: {}, outbox: null };
    update(function (store) {
      cells.forEach(function (c) {
        var key = cellKey(c.enrolment, c.column);
        if (sameCell(store.pending[key], c)) { delete store.pending[key]; }
      });
      if (dropped) { delete store.outboxes[dropped]; }
    });
    hideRestore();
    say("Đã bỏ các ô chưa lưu từ lần trước.");
  });

  /* --- the same sheet open in another tab ------------------------------------------------------- */

  window.addEventListener("storage", function (event) {
    if (event.key !== storeKey && event.key !== null) { return; }
    var store = readStore();
    // values another tab saved: they are now the cells' stored values
    Object.keys(store.saved).forEach(function (key) {
      var input = byKey[key], s = store.saved[key];
      if (!input || inOutbox(key) || input.dataset.old === s.value) { return; }
      input.dataset.old = s.value;
      if (s.by) { input.dataset.updatedBy = s.by; input.dataset.updatedAt = s.at; input.title = "Sửa lần cuối: " + s.by + ", " + s.at; }
      var hidden = form.querySelector('input[type=hidden][name="o-' + input.dataset.enrolment + "-" + input.dataset.column + '"]');
      if (hidden) { hidden.value = s.value; }
      var mine = state.pending[key];
      var parsed = parse(input.dataset.kind, input.value);
      if (mine && !parsed.error && parsed.value === s.value && !store.pending[key]) {
        delete state.pending[key];
        setConflict(input, "");
        markDirty(input, false);
        if (document.activeElement !== input) { input.value = display(s.value); }
      } else if (!mine && document.activeElement !== input) {
        input.value = display(s.value);
      }
    });
    // cells typed in another tab and not saved yet: shown and kept here too, so either tab saves them
    var picked = 0;
    Object.keys(store.pending).forEach(function (key) {
      var input = byKey[key], c = store.pending[key];
      if (!input || sameCell(state.pending[key], c) || inOutbox(key)) { return; }
      state.pending[key] = c;
      if (document.activeElement !== input || input.value !== c.value) { input.value = c.value; }
      var parsed = parse(input.dataset.kind, c.value);
      setError(input, parsed.error || "");
      markDirty(input, true);
      picked++;
    });
    if (picked && !sending) { say("Đã nhận " + picked + " ô chưa lưu nhập ở thẻ khác của bảng điểm này. Chưa lưu."); }
  });

  restoreCells();
})();
