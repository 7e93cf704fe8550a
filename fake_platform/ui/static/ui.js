// The dashboard's script: journal rows pushed over the live socket, sections drawn again by the
// server when the platform's state moves, and the fault form (which talks to the control plane).
// The page reads the same without it; nothing here draws state by itself.
"use strict";

(() => {
  const base = document.body.dataset.base;
  const rows = document.getElementById("journal-rows");
  const liveStatus = document.getElementById("live-status");
  const journalStatus = document.getElementById("journal-status");
  const journalForm = document.getElementById("journal-filter");
  const pauseButton = document.getElementById("journal-pause");
  const faultForm = document.getElementById("fault-form");
  const faultStatus = document.getElementById("fault-status");
  const MAX_ROWS = 500;
  const REFRESH_MS = 500;
  const drawn = new WeakMap(); // section holder -> the HTML it last got from the server
  let socket = null;
  let retry = 500;
  let paused = false;
  let refreshTimer = null;
  let lastRefresh = 0;

  // -- live socket ------------------------------------------------------------------------------
  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${location.host}${base}/ui/live?since=${rows.dataset.lastSeq}`);
    socket.addEventListener("open", () => {
      retry = 500;
      liveStatus.textContent = "Live: the page follows the platform.";
      sendFilter();
    });
    socket.addEventListener("message", (event) => onMessage(JSON.parse(event.data)));
    socket.addEventListener("close", () => {
      liveStatus.textContent = "Live updates interrupted; reconnecting.";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    });
  }

  function onMessage(message) {
    if (message.error) {
      journalStatus.textContent = message.error;
      return;
    }
    if (message.rows !== undefined && !paused) {
      if (message.replace) {
        rows.innerHTML = message.rows;
        journalStatus.textContent = "";
      } else {
        rows.insertAdjacentHTML("afterbegin", message.rows);
      }
      while (rows.rows.length > MAX_ROWS) rows.deleteRow(-1);
      rows.dataset.lastSeq = message.lastSeq;
    }
    if (message.changed) scheduleRefresh();
  }

  function currentFilter() {
    const data = new FormData(journalForm);
    const filter = { kind: data.getAll("kind") };
    for (const key of ["user", "channel", "method", "path"]) filter[key] = (data.get(key) || "").trim();
    return filter;
  }

  function sendFilter() {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ filter: currentFilter() }));
      return true;
    }
    return false;
  }

  journalForm.addEventListener("submit", (event) => {
    if (sendFilter()) event.preventDefault(); // else the form reloads the page with the filter
  });
  journalForm.addEventListener("change", (event) => {
    if (event.target.type === "checkbox") sendFilter();
  });
  pauseButton.addEventListener("click", () => {
    paused = !paused;
    pauseButton.setAttribute("aria-pressed", String(paused));
    pauseButton.textContent = paused ? "Resume" : "Pause";
    if (!paused) sendFilter(); // catch up
  });

  // -- sections ---------------------------------------------------------------------------------
  function scheduleRefresh() {
    if (refreshTimer !== null) return;
    refreshTimer = setTimeout(refresh, Math.max(0, lastRefresh + REFRESH_MS - Date.now()));
  }

  async function refresh() {
    refreshTimer = null;
    lastRefresh = Date.now();
    const open = [...document.querySelectorAll("details[data-ladder][open]")].map((d) => d.dataset.ladder);
    await Promise.all([...document.querySelectorAll("[data-section]")].map(async (holder) => {
      const response = await fetch(`${base}/ui/sections/${holder.dataset.section}`, { credentials: "same-origin" });
      if (!response.ok) return;
      const html = await response.text();
      if (drawn.get(holder) === html) return; // unchanged: keep focus and scroll where they are
      drawn.set(holder, html);
      holder.innerHTML = html;
    }));
    for (const id of open) {
      const details = document.querySelector(`details[data-ladder="${CSS.escape(id)}"]`);
      if (details) details.open = true;
    }
  }

  // -- faults -----------------------------------------------------------------------------------
  function say(text, failed = false) {
    faultStatus.textContent = text;
    faultStatus.classList.toggle("failed", failed);
  }

  async function problem(response) {
    try {
      const body = await response.json();
      return (body.error && body.error.message) || JSON.stringify(body);
    } catch {
      return `${response.status} ${response.statusText}`;
    }
  }

  function typed(input) {
    const value = input.value.trim();
    const name = input.labels.length ? input.labels[0].textContent.trim() : input.name;
    switch (input.dataset.type) {
      case "int":
        if (!/^-?\d+$/.test(value)) throw new Error(`${name}: a whole number, please`);
        return Number.parseInt(value, 10);
      case "float": {
        const number = Number(value);
        if (!Number.isFinite(number)) throw new Error(`${name}: a number, please`);
        return number;
      }
      case "json":
        try {
          return JSON.parse(value);
        } catch {
          throw new Error(`${name}: not valid JSON`);
        }
      default:
        return value;
    }
  }

  function showKind(kind) {
    for (const fieldset of faultForm.querySelectorAll("fieldset.params")) {
      const chosen = fieldset.dataset.kind === kind;
      fieldset.hidden = !chosen;
      fieldset.disabled = !chosen;
    }
  }

  faultForm.elements.kind.addEventListener("change", (event) => showKind(event.target.value));

  faultForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { kind: faultForm.elements.kind.value };
    try {
      for (const input of faultForm.querySelectorAll("input, textarea, select")) {
        if (input.disabled || input.name === "kind" || input.value.trim() === "") continue;
        const value = typed(input);
        if (input.name.startsWith("match.")) (body.match ??= {})[input.name.slice(6)] = value;
        else body[input.name] = value;
      }
    } catch (error) {
      say(error.message, true);
      return;
    }
    const response = await fetch(faultForm.dataset.action, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    if (!response.ok) {
      say(`Refused: ${await problem(response)}`, true);
      return;
    }
    const fault = await response.json();
    say(`Fault ${fault.id} added: ${fault.kind}.`);
    refresh();
  });

  async function remove(path, done) {
    const response = await fetch(`${base}${path}`, { method: "DELETE", credentials: "same-origin" });
    say(response.ok ? done : `Refused: ${await problem(response)}`, !response.ok);
    refresh();
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".remove-fault");
    if (button) remove(`/faults/${encodeURIComponent(button.dataset.fault)}`, `Fault ${button.dataset.fault} removed.`);
  });
  document.getElementById("clear-faults").addEventListener("click", () => remove("/faults", "Every fault removed."));

  showKind(faultForm.elements.kind.value);
  connect();
})();
