// The annotator workbench: renders any project's questions as one form and works the queue
// through the JSON API (projects/api.py) without reloading the page. Keyboard first.
// Plain JavaScript: no framework, no build step, no CDN, nothing vendored. The page's CSP allows
// no inline script or style, so everything is built here with DOM calls and CSS classes.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("workbench-config").textContent);
  const root = document.getElementById("workbench");
  const byId = (id) => document.getElementById(id);
  const AUTOSAVE_MS = 4000;
  const IDLE_MS = 60000;
  const KINDS_WITHOUT_AUTO_ADVANCE = new Set(["text"]);
  // Optional: a qualification test offers no Skip, and names its items and way back differently.
  const ALLOW_SKIP = config.allow_skip !== false;
  const ITEM_LABEL = typeof config.item_label === "string" ? config.item_label : "Item ";
  const BACK_LABEL = config.back_label || "Back to your projects";
  // A project in one of these states hands out no more work: say so, without a retry.
  const FINISHED_STATUSES = ["completed", "archived"];

  const ui = {
    itemLabel: byId("wb-item-label"),
    done: byId("wb-done"),
    timer: byId("wb-timer"),
    draftStatus: byId("wb-draft-status"),
    notice: byId("wb-notice"),
    message: byId("wb-message"),
    task: byId("wb-task"),
    item: byId("wb-item"),
    questions: byId("wb-questions"),
    errors: byId("wb-errors"),
    submit: byId("wb-submit"),
    skip: byId("wb-skip"),
    skipBox: byId("wb-skip-box"),
    skipReason: byId("wb-skip-reason"),
    skipConfirm: byId("wb-skip-confirm"),
    skipCancel: byId("wb-skip-cancel"),
    skipError: byId("wb-skip-error"),
    guideline: byId("wb-guideline"),
    guidelineToggle: byId("wb-guideline-toggle"),
    guidelineClose: byId("wb-guideline-close"),
    gate: byId("wb-gate"),
    gateError: byId("wb-gate-error"),
    ack: byId("wb-ack"),
    ackState: byId("wb-ack-state"),
    historyToggle: byId("wb-history-toggle"),
    cancelEdit: byId("wb-cancel-edit"),
  };
  // Optional: a project's workbench lists the annotator's submitted work to go back and change.
  const HAS_HISTORY = Boolean(config.urls.mine && ui.historyToggle);

  const state = {
    view: "loading", // loading | task | gate | empty | finished | history | error
    task: null, // the task on screen; `task.edit` is set when it is a submitted annotation being changed
    widgets: [],
    current: 0,
    seq: 0,
    dirty: false,
    busy: false,
    saving: false,
    done: 0,
  };

  // DOM helpers -----------------------------------------------------------------------------------

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") el.className = value;
      else if (name === "text") el.textContent = value;
      else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
      else if (value === true) el.setAttribute(name, "");
      else el.setAttribute(name, String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  const kbd = (key) => h("kbd", null, String(key));
  const clear = (el) => el.replaceChildren();
  const humanise = (name) => String(name).replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
  const digitOf = (ev) => (/^[1-9]$/.test(ev.key) ? Number(ev.key) : 0);
  const excerpt = (text, length) => {
    const flat = String(text).replace(/\s+/g, " ").trim();
    return flat.length > length ? flat.slice(0, length - 1) + "…" : flat;
  };

  function isTyping(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable) return true;
    const tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    return !["radio", "checkbox", "button", "submit", "reset", "range", "color", "file"].includes(el.type);
  }

  // The API -------------------------------------------------------------------------------------

  function csrfToken() {
    const input = root.querySelector("input[name=csrfmiddlewaretoken]");
    if (input && input.value) return input.value;
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function api(method, url, body, extra) {
    const init = {
      method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      ...(extra || {}),
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      return {
        ok: false,
        status: 0,
        data: { code: "network", message: "The server cannot be reached. Check your connection.", fields: {} },
      };
    }
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
    }
    if (!response.ok && (!data || typeof data !== "object")) {
      data = { code: `http_${response.status}`, message: `The server answered ${response.status}.`, fields: {} };
    }
    if (!response.ok) data.fields = data.fields || {};
    return { ok: response.ok, status: response.status, data };
  }

  const urlFor = (template, id) => template.replace("{id}", encodeURIComponent(String(id)));

  // Active time: only while the page is visible and the user did something in the last minute. --

  const timer = {
    ms: 0,
    last: performance.now(),
    lastActivity: performance.now(),
    visible: document.visibilityState === "visible",
    tick() {
      const now = performance.now();
      if (this.visible) {
        const end = Math.min(now, this.lastActivity + IDLE_MS);
        if (end > this.last) this.ms += end - this.last;
      }
      this.last = now;
    },
    activity() {
      this.tick();
      this.lastActivity = performance.now();
    },
    reset(ms) {
      this.ms = Number.isInteger(ms) && ms > 0 ? ms : 0;
      this.last = performance.now();
      this.lastActivity = this.last;
    },
    value() {
      this.tick();
      return Math.max(0, Math.min(Math.round(this.ms), 24 * 3600 * 1000));
    },
  };

  function showTimer() {
    const seconds = Math.floor(timer.value() / 1000);
    const minutes = Math.floor(seconds / 60);
    ui.timer.textContent = `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
  }

  let lastActivityEvent = 0;
  function onActivity() {
    const now = performance.now();
    if (now - lastActivityEvent < 500) return;
    lastActivityEvent = now;
    timer.activity();
  }
  for (const name of ["keydown", "mousedown", "mousemove", "wheel", "scroll", "touchstart", "input"]) {
    window.addEventListener(name, onActivity, { passive: true, capture: true });
  }
  document.addEventListener("visibilitychange", () => {
    timer.tick();
    timer.visible = document.visibilityState === "visible";
    if (timer.visible) timer.lastActivity = performance.now();
    else saveDraft({ keepalive: true });
  });
  window.setInterval(showTimer, 1000);

  // Notices and messages --------------------------------------------------------------------------

  let noticeTimeout = null;
  function notice(text, isError) {
    ui.notice.textContent = text;
    ui.notice.classList.toggle("is-error", Boolean(isError));
    ui.notice.hidden = false;
    window.clearTimeout(noticeTimeout);
    if (!isError) noticeTimeout = window.setTimeout(() => (ui.notice.hidden = true), 3000);
  }

  function setView(view) {
    state.view = view;
    root.dataset.state = view;
    ui.task.hidden = view !== "task";
    ui.message.hidden = view === "task" || view === "loading";
  }

  function showMessage(view, parts) {
    setView(view);
    clear(ui.message);
    ui.message.append(...parts);
    ui.message.classList.toggle("error", view === "error");
  }

  function showError(data, retry) {
    const parts = [h("p", null, h("strong", null, data.message || "Something went wrong."))];
    if (data.code === "not_authenticated" || data.code === "permission_denied") {
      const next = encodeURIComponent(window.location.pathname);
      parts.push(h("p", null, h("a", { href: `/login/?next=${next}` }, "Sign in again")));
    } else if (data.code === "calibration_required") {
      // Quality control holds production work until the calibration round is done.
      const url = ((data.fields || {}).calibration || [])[0];
      if (url) parts.push(h("p", null, h("a", { class: "button", href: url }, "Go to the calibration round")));
    } else if (data.code === "annotator_paused") {
      parts.push(h("p", null, h("a", { href: "/feedback/" }, "See the feedback on your audited work")));
    } else if (retry) {
      parts.push(h("p", null, h("button", { type: "button", onclick: retry }, "Try again")));
    }
    parts.push(h("p", null, h("a", { href: config.urls.projects }, BACK_LABEL)));
    ui.itemLabel.textContent = "";
    showMessage("error", parts);
  }

  // The item ------------------------------------------------------------------------------------

  const questionsOf = () => (state.task && state.task.project.questions) || config.questions;

  function responseText(response) {
    if (typeof response === "string") return response;
    if (response && typeof response === "object" && typeof response.text === "string") return response.text;
    return JSON.stringify(response);
  }

  function responseLabels(count) {
    const kinds = questionsOf().map((q) => q.kind);
    if (kinds.includes("pairwise") && count === 2) return ["A", "B"];
    return Array.from({ length: count }, (_, i) => String(i + 1));
  }

  function valueNode(value) {
    if (typeof value === "string") return h("div", { class: "wb-text" }, value);
    return h("pre", null, JSON.stringify(value, null, 2));
  }

  // A step's fields as a trace reads (the database keeps object keys in an order of its own):
  // the usual ones in this order, any others after them.
  const STEP_ORDER = ["thought", "reasoning", "action", "tool", "tool_name", "args", "arguments", "input", "tool_input", "observation", "output", "result"];
  const stepRank = ([name]) => (STEP_ORDER.includes(name.toLowerCase()) ? STEP_ORDER.indexOf(name.toLowerCase()) : STEP_ORDER.length);

  function stepNode(step, index) {
    const fields =
      step && typeof step === "object" && !Array.isArray(step)
        ? Object.entries(step).sort((a, b) => stepRank(a) - stepRank(b))
        : [["value", step]];
    return h(
      "div",
      { class: "wb-step" },
      h("div", { class: "wb-role" }, `Step ${index + 1}`),
      h("dl", null, fields.map(([name, value]) => [h("dt", null, humanise(name)), h("dd", null, valueNode(value))]))
    );
  }

  function turnNode(turn, index) {
    const role = turn && typeof turn === "object" ? String(turn.role || "") : "";
    const content = turn && typeof turn === "object" ? turn.content : turn;
    return h(
      "div",
      { class: `wb-turn role-${role.replace(/[^a-z]/g, "")}` },
      h("div", { class: "wb-role" }, `${index + 1}. ${role || "turn"}`),
      valueNode(content)
    );
  }

  const isHttpUrl = (value) => typeof value === "string" && /^https?:\/\/\S+$/i.test(value);

  // Whether the page's Content Security Policy lets an image load from `url`: this origin, or one
  // of the portal's image sources (CSP host sources: "https://img.example.com", "https://*.cdn.net",
  // "img.example.com", "https:"). Anything else is shown as a link, without a refused load.
  function imageAllowed(url) {
    let target;
    try {
      target = new URL(url);
    } catch (error) {
      return false;
    }
    if (target.origin === window.location.origin) return true;
    return (config.image_sources || []).some((source) => {
      if (source === "*") return true;
      if (/^[a-z][a-z0-9+.-]*:$/i.test(source)) return target.protocol === source.toLowerCase();
      const match = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*\.)?([^/:]+)(?::(\d+|\*))?/i.exec(source);
      if (!match) return false;
      const [, scheme, wildcard, host, port] = match;
      if (scheme && target.protocol !== `${scheme.toLowerCase()}:`) return false;
      if (!scheme && !["http:", "https:"].includes(target.protocol)) return false;
      const name = host.toLowerCase();
      const hostMatches = wildcard ? target.hostname.endsWith(`.${name}`) : target.hostname === name;
      return hostMatches && (!port || port === "*" || target.port === port);
    });
  }

  function imageNode(url) {
    const allowed = imageAllowed(url);
    const note = h(
      "span",
      { class: "muted", hidden: allowed },
      allowed
        ? " The image cannot be reached. Open it with the link."
        : " The image cannot be shown here: its host is not among the portal's image sources. Open it with the link."
    );
    const link = h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, url);
    if (!allowed) return h("figure", { class: "wb-image" }, h("figcaption", null, link, note));
    const img = h("img", { src: url, alt: "The item's image", loading: "lazy", referrerpolicy: "no-referrer" });
    img.addEventListener("error", () => {
      img.hidden = true;
      note.hidden = false;
    });
    return h("figure", { class: "wb-image" }, img, h("figcaption", null, link, note));
  }

  function fieldNode(name, type, value) {
    const box = h("section", { class: `wb-field wb-field-${type}` }, h("h2", null, humanise(name)));
    if (type === "responses" && Array.isArray(value)) {
      const labels = responseLabels(value.length);
      box.classList.add("wb-field-plain");
      box.append(
        h(
          "div",
          { class: "wb-responses" },
          value.map((response, index) =>
            h(
              "article",
              { class: "wb-response", "data-position": index },
              h("h3", null, h("span", { class: "wb-side-label" }, labels[index]), "Response"),
              h("div", { class: "wb-text" }, responseText(response))
            )
          )
        )
      );
    } else if (type === "conversation" && Array.isArray(value)) {
      box.append(h("div", { class: "wb-turns" }, value.map(turnNode)));
    } else if (type === "trace" && Array.isArray(value)) {
      box.append(h("div", { class: "wb-steps" }, value.map(stepNode)));
    } else if (type === "url" && isHttpUrl(value)) {
      const looksLikeImage = /image|img|photo|picture/i.test(name) || /\.(png|jpe?g|gif|webp|svg|avif)(\?|#|$)/i.test(value);
      box.append(
        looksLikeImage ? imageNode(value) : h("a", { href: value, target: "_blank", rel: "noopener noreferrer" }, value)
      );
    } else {
      box.append(valueNode(value));
    }
    return box;
  }

  function fieldRank(name, type) {
    const typeRank = { url: 0, text: 1, responses: 2, conversation: 3, trace: 4 }[type];
    const first = ["scenario", "task", "image_url", "prompt", "question"].includes(name) ? 0 : 1;
    return (typeRank === undefined ? 5 : typeRank) * 2 + first;
  }

  function renderItem(task) {
    clear(ui.item);
    const payload = task.item.payload || {};
    const declared = config.project.item_fields || {};
    const shownInQuestions = new Set(
      questionsOf()
        .filter((q) => ["spans", "per_turn", "per_step"].includes(q.kind))
        .map((q) => q.field)
    );
    const names = Object.keys(declared)
      .filter((name) => name in payload && !shownInQuestions.has(name))
      .sort((a, b) => fieldRank(a, declared[a]) - fieldRank(b, declared[b]));
    for (const name of names) ui.item.append(fieldNode(name, declared[name], payload[name]));
    const extra = Object.keys(payload).filter((name) => !(name in declared) && !shownInQuestions.has(name));
    if (extra.length) {
      const rest = {};
      for (const name of extra) rest[name] = payload[name];
      ui.item.append(
        h(
          "details",
          { class: "wb-field wb-extra" },
          h("summary", null, `Other fields (${extra.join(", ")})`),
          h("pre", null, JSON.stringify(rest, null, 2))
        )
      );
    }
  }

  // Question widgets ----------------------------------------------------------------------------
  // Each widget: { q, section, target(), get(), draft(), set(value), key(ev) -> false|true|"advance",
  // locate(path) -> label for an error path below the question }.

  function questionSection(q, index, body) {
    const id = `wb-q-${q.key}`;
    const section = h(
      "section",
      {
        class: `wb-question wb-kind-${q.kind}`,
        id,
        tabindex: q.kind === "text" ? -1 : 0,
        "data-key": q.key,
        "data-kind": q.kind,
        "data-index": index,
        "aria-labelledby": `${id}-prompt`,
      },
      h(
        "header",
        { class: "wb-qhead" },
        h("span", { class: "wb-qno" }, `Q${index + 1}`),
        h("h3", { id: `${id}-prompt` }, q.prompt),
        q.required ? null : h("span", { class: "badge" }, "optional")
      ),
      q.help ? h("p", { class: "muted wb-help" }, q.help) : null,
      body,
      h("ul", { class: "errorlist wb-qerrors", "aria-live": "polite" })
    );
    return section;
  }

  // A row of radio (or checkbox) pills; numbers 1..9 shown as key hints.
  function pills(name, options, { type = "radio", vertical = false, scale = false, onchange } = {}) {
    const inputs = [];
    const box = h("div", {
      class: `wb-options${vertical ? " is-vertical" : ""}${scale ? " wb-scale" : ""}`,
      role: type === "radio" ? "radiogroup" : "group",
    });
    options.forEach((option, index) => {
      const input = h("input", { type, name, value: String(option.value), tabindex: -1 });
      input.addEventListener("change", () => onchange && onchange(option.value, input));
      inputs.push(input);
      const text = scale
        ? [h("span", null, String(option.value)), h("small", null, option.label)]
        : [h("span", null, option.label)];
      box.append(h("label", { class: "wb-pill" }, input, index < 9 ? kbd(index + 1) : null, text));
    });
    return { box, inputs };
  }

  function checkValue(inputs, value) {
    for (const input of inputs) input.checked = value !== null && value !== undefined && input.value === String(value);
  }
  const checkedValue = (inputs) => {
    const input = inputs.find((i) => i.checked);
    return input ? input.value : null;
  };

  function singleChoiceWidget(q, ctx) {
    const { box, inputs } = pills(ctx.name, q.options, { vertical: q.options.length > 4, onchange: ctx.changed });
    const section = questionSection(q, ctx.index, box);
    return {
      q,
      section,
      target: () => section,
      get: () => checkedValue(inputs),
      set(value) {
        checkValue(inputs, value);
      },
      key(ev) {
        const digit = digitOf(ev);
        if (!digit || digit > inputs.length) return false;
        inputs[digit - 1].checked = true;
        ctx.changed();
        return "advance";
      },
    };
  }

  function multiChoiceWidget(q, ctx) {
    const { box, inputs } = pills(ctx.name, q.options, { type: "checkbox", vertical: q.options.length > 4, onchange: ctx.changed });
    const limits = [];
    if (q.min) limits.push(`at least ${q.min}`);
    if (q.max) limits.push(`at most ${q.max}`);
    const hint = h("p", { class: "muted wb-hint" }, `Choose any that apply${limits.length ? ` (${limits.join(", ")})` : ""}; the number keys toggle.`);
    const section = questionSection(q, ctx.index, [box, hint]);
    return {
      q,
      section,
      target: () => section,
      get: () => inputs.filter((i) => i.checked).map((i) => i.value),
      set(value) {
        const chosen = Array.isArray(value) ? value.map(String) : [];
        for (const input of inputs) input.checked = chosen.includes(input.value);
      },
      key(ev) {
        const digit = digitOf(ev);
        if (!digit || digit > inputs.length) return false;
        inputs[digit - 1].checked = !inputs[digit - 1].checked;
        ctx.changed();
        return true;
      },
    };
  }

  function ratingWidget(q, ctx) {
    const { box, inputs } = pills(ctx.name, q.scale, { scale: true, onchange: ctx.changed });
    const section = questionSection(q, ctx.index, box);
    return {
      q,
      section,
      target: () => section,
      get() {
        const value = checkedValue(inputs);
        return value === null ? null : Number(value);
      },
      set(value) {
        checkValue(inputs, value);
      },
      key(ev) {
        const digit = digitOf(ev);
        if (!digit || digit > inputs.length) return false;
        inputs[digit - 1].checked = true;
        ctx.changed();
        return "advance";
      },
    };
  }

  function rankingWidget(q, ctx) {
    const responses = Array.isArray(ctx.payload.responses) ? ctx.payload.responses : [];
    const labels = responseLabels(responses.length);
    let groups = responses.map((_, i) => [i]);
    let selected = 0;
    let touched = false;
    const list = h("ol", { class: "wb-rank", "aria-label": "Your ranking, best first" });
    const status = h("p", { class: "wb-rank-status" });
    const confirm = h("button", { type: "button", class: "secondary wb-mini", tabindex: -1 }, "Keep this order", kbd("c"));
    confirm.addEventListener("click", () => {
      touched = true;
      ctx.changed();
      draw();
    });
    const where = (position) => groups.findIndex((group) => group.includes(position));

    function move(position, direction) {
      const index = where(position);
      const group = groups[index];
      if (group.length > 1) {
        group.splice(group.indexOf(position), 1);
        groups.splice(direction < 0 ? index : index + 1, 0, [position]);
      } else {
        const to = index + direction;
        if (to < 0 || to >= groups.length) return;
        [groups[index], groups[to]] = [groups[to], groups[index]];
      }
      touched = true;
      ctx.changed();
      draw();
    }

    function tie(position) {
      if (!q.allow_ties) return;
      const index = where(position);
      const group = groups[index];
      if (group.length > 1) {
        group.splice(group.indexOf(position), 1);
        groups.splice(index + 1, 0, [position]);
      } else if (index > 0) {
        groups[index - 1].push(position);
        groups.splice(index, 1);
      } else {
        return;
      }
      touched = true;
      ctx.changed();
      draw();
    }

    function button(text, title, action) {
      const b = h("button", { type: "button", class: "secondary wb-mini", tabindex: -1, title }, text);
      b.addEventListener("click", (ev) => {
        ev.stopPropagation();
        action();
      });
      return b;
    }

    function draw() {
      clear(list);
      groups.forEach((group, rank) => {
        list.append(
          h(
            "li",
            { class: `wb-rank-group${group.length > 1 ? " is-tie" : ""}` },
            h("span", { class: "wb-rank-no" }, `${rank + 1}.`),
            h(
              "div",
              { class: "wb-rank-members" },
              group.map((position) => {
                const entry = h(
                  "div",
                  { class: `wb-rank-entry${position === selected ? " is-selected" : ""}`, "data-position": position },
                  position < 9 ? kbd(position + 1) : null,
                  h("strong", null, `Response ${labels[position]}`),
                  h("span", { class: "wb-excerpt" }, excerpt(responseText(responses[position]), 90)),
                  button("↑", "Move up", () => move(position, -1)),
                  button("↓", "Move down", () => move(position, 1)),
                  q.allow_ties ? button(group.length > 1 ? "Untie" : "Tie ↑", "Tie with the one above", () => tie(position)) : null
                );
                entry.addEventListener("click", () => {
                  selected = position;
                  draw();
                });
                return entry;
              })
            )
          )
        );
      });
      status.className = `wb-rank-status ${touched ? "" : "muted"}`;
      status.textContent = touched
        ? "Ranking set (best first)."
        : "Not ranked yet: move responses into place, or keep the order shown.";
      status.append(" ", confirm);
    }
    draw();
    const section = questionSection(q, ctx.index, [list, status]);
    return {
      q,
      section,
      target: () => section,
      get: () => (touched ? groups.map((group) => group.slice().sort((a, b) => a - b)) : null),
      set(value) {
        if (!Array.isArray(value)) return;
        const flat = value.flat();
        const valid =
          value.every((group) => Array.isArray(group) && group.length) &&
          flat.length === responses.length &&
          responses.every((_, i) => flat.includes(i));
        if (!valid) return;
        groups = value.map((group) => group.slice());
        touched = true;
        draw();
      },
      key(ev) {
        const digit = digitOf(ev);
        if (digit && digit <= responses.length) {
          selected = digit - 1;
          draw();
          return true;
        }
        if (ev.key === "ArrowUp" || ev.key === "ArrowDown") {
          move(selected, ev.key === "ArrowUp" ? -1 : 1);
          return true;
        }
        if (ev.key === "t" && q.allow_ties) {
          tie(selected);
          return true;
        }
        if (ev.key === "c") {
          touched = true;
          ctx.changed();
          draw();
          return "advance";
        }
        return false;
      },
      locate(path) {
        const match = /^\[(\d+)\]/.exec(path);
        return match ? `rank ${Number(match[1]) + 1}` : "";
      },
    };
  }

  function pairwiseWidget(q, ctx) {
    const sides = [
      { value: "A", label: "A is better" },
      { value: "B", label: "B is better" },
    ];
    if (q.allow_tie) sides.push({ value: "tie", label: "Tie" });
    const dimensionSides = [
      { value: "A", label: "A" },
      { value: "B", label: "B" },
      { value: "tie", label: "Tie" },
    ];
    const rows = [];
    let step = 0;

    function row(kind, label, options, key) {
      const entry = { kind, key, label, options };
      const built = pills(`${ctx.name}-${key || kind}`, options, {
        onchange: () => {
          afterChange(entry);
        },
      });
      entry.inputs = built.inputs;
      entry.el = h("div", { class: "wb-prow", "data-row": key || kind }, h("div", { class: "wb-prow-label" }, label), built.box);
      rows.push(entry);
      return entry;
    }

    const choiceRow = row("choice", "Overall", sides);
    const strengths = config.strengths.map((s) => ({ value: s.value, label: humanise(s.label) }));
    const strengthRow = q.strength ? row("strength", "How much better", strengths) : null;
    for (const dimension of q.dimensions || []) row("dimension", dimension.label, dimensionSides, dimension.key);

    const value = (entry) => checkedValue(entry.inputs);
    const isTie = () => value(choiceRow) === "tie";
    const applicable = (entry) => entry.kind !== "strength" || (value(choiceRow) !== null && !isTie());

    function refresh() {
      if (strengthRow) {
        const disabled = !applicable(strengthRow);
        for (const input of strengthRow.inputs) {
          input.disabled = disabled;
          if (disabled && isTie()) input.checked = false;
        }
        strengthRow.el.classList.toggle("is-disabled", disabled);
      }
      rows.forEach((entry, index) => entry.el.classList.toggle("is-active", index === step));
    }

    // The next row without an answer, searching forward from `from` and wrapping; -1 when complete.
    function nextOpen(from) {
      for (let offset = 0; offset < rows.length; offset += 1) {
        const index = (from + offset) % rows.length;
        if (applicable(rows[index]) && value(rows[index]) === null) return index;
      }
      return -1;
    }

    function afterChange(entry) {
      refresh();
      const open = nextOpen(rows.indexOf(entry) + 1);
      step = open === -1 ? rows.indexOf(entry) : open;
      refresh();
      ctx.changed();
      return open === -1;
    }

    const grid = h("div", { class: "wb-prows" }, rows.map((entry) => entry.el));
    const section = questionSection(q, ctx.index, grid);
    refresh();
    return {
      q,
      section,
      target: () => section,
      get() {
        const choice = value(choiceRow);
        const dimensions = {};
        for (const entry of rows) if (entry.kind === "dimension" && value(entry) !== null) dimensions[entry.key] = value(entry);
        const strength = strengthRow ? value(strengthRow) : null;
        if (choice === null && strength === null && !Object.keys(dimensions).length) return null;
        const answer = { choice };
        if (strengthRow && choice !== "tie") answer.strength = strength === null ? null : Number(strength);
        answer.dimensions = dimensions;
        return answer;
      },
      set(answer) {
        if (!answer || typeof answer !== "object") return;
        checkValue(choiceRow.inputs, answer.choice);
        if (strengthRow) checkValue(strengthRow.inputs, answer.strength);
        for (const entry of rows) {
          if (entry.kind === "dimension") checkValue(entry.inputs, (answer.dimensions || {})[entry.key]);
        }
        const open = nextOpen(0);
        step = open === -1 ? 0 : open;
        refresh();
      },
      key(ev) {
        if (ev.key === "Backspace") {
          for (let index = step - 1; index >= 0; index -= 1) {
            if (applicable(rows[index])) {
              step = index;
              break;
            }
          }
          refresh();
          return true;
        }
        if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
          const direction = ev.key === "ArrowDown" ? 1 : -1;
          for (let index = step + direction; index >= 0 && index < rows.length; index += direction) {
            if (applicable(rows[index])) {
              step = index;
              break;
            }
          }
          refresh();
          return true;
        }
        const digit = digitOf(ev);
        const entry = rows[step];
        if (!digit || !entry || digit > entry.inputs.length) return false;
        entry.inputs[digit - 1].checked = true;
        return afterChange(entry) ? "advance" : true;
      },
      locate(path) {
        const match = /^\.dimensions\.([a-z0-9_]+)/.exec(path);
        if (match) {
          const entry = rows.find((r) => r.key === match[1]);
          return entry ? entry.label : match[1];
        }
        if (path.startsWith(".strength")) return "Strength";
        if (path.startsWith(".choice")) return "Overall";
        return "";
      },
    };
  }

  // Word-level diff: common prefix and suffix, then a longest-common-subsequence on the middle.
  function wordDiff(before, after) {
    const a = before.split(/(\s+)/).filter(Boolean);
    const b = after.split(/(\s+)/).filter(Boolean);
    const ops = [];
    const push = (op, text) => {
      if (!text) return;
      const last = ops[ops.length - 1];
      if (last && last.op === op) last.text += text;
      else ops.push({ op, text });
    };
    let prefix = 0;
    while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix += 1;
    let suffix = 0;
    while (
      suffix < a.length - prefix &&
      suffix < b.length - prefix &&
      a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
    ) {
      suffix += 1;
    }
    const x = a.slice(prefix, a.length - suffix);
    const y = b.slice(prefix, b.length - suffix);
    push("equal", a.slice(0, prefix).join(""));
    if (x.length * y.length > 1500000) {
      push("delete", x.join(""));
      push("insert", y.join(""));
    } else {
      const n = x.length;
      const m = y.length;
      const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
      for (let i = n - 1; i >= 0; i -= 1) {
        for (let j = m - 1; j >= 0; j -= 1) {
          table[i][j] = x[i] === y[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
        }
      }
      let i = 0;
      let j = 0;
      while (i < n && j < m) {
        if (x[i] === y[j]) {
          push("equal", x[i]);
          i += 1;
          j += 1;
        } else if (table[i + 1][j] >= table[i][j + 1]) {
          push("delete", x[i]);
          i += 1;
        } else {
          push("insert", y[j]);
          j += 1;
        }
      }
      while (i < n) push("delete", x[i++]);
      while (j < m) push("insert", y[j++]);
    }
    push("equal", a.slice(a.length - suffix).join(""));
    return ops;
  }

  function textWidget(q, ctx) {
    const original = q.prefill_field && typeof ctx.payload[q.prefill_field] === "string" ? ctx.payload[q.prefill_field] : null;
    const textarea = h("textarea", {
      id: `${ctx.name}-text`,
      rows: original ? Math.min(18, Math.max(6, original.split("\n").length + 2)) : 4,
      maxlength: q.max_length,
      "aria-labelledby": `wb-q-${q.key}-prompt`,
    });
    textarea.value = original || "";
    const counter = h("div", { class: "wb-counter" });
    const diffHead = original !== null ? h("div", { class: "wb-diff-head" }) : null;
    const diff = original !== null ? h("div", { class: "wb-diff", "aria-label": "Changes against the original" }) : null;
    let diffTimer = null;

    function update(now) {
      const length = textarea.value.length;
      counter.textContent = `${length} / ${q.max_length} characters${q.min_length > 1 ? ` (at least ${q.min_length})` : ""}`;
      if (!diff) return;
      window.clearTimeout(diffTimer);
      diffTimer = window.setTimeout(() => {
        const ops = wordDiff(original, textarea.value);
        clear(diff);
        let added = 0;
        let removed = 0;
        for (const op of ops) {
          if (op.op === "equal") diff.append(op.text);
          else if (op.op === "insert") {
            added += op.text.trim() ? op.text.trim().split(/\s+/).length : 0;
            diff.append(h("ins", null, op.text));
          } else {
            removed += op.text.trim() ? op.text.trim().split(/\s+/).length : 0;
            diff.append(h("del", null, op.text));
          }
        }
        diff.hidden = !(added || removed);
        diffHead.textContent =
          added || removed
            ? `Changes against the original ${humanise(q.prefill_field).toLowerCase()}: +${added} / −${removed} words`
            : `No changes to the original ${humanise(q.prefill_field).toLowerCase()} yet.`;
      }, now === true ? 0 : 120);
    }
    textarea.addEventListener("input", () => {
      update();
      ctx.changed();
    });
    update(true);
    const section = questionSection(q, ctx.index, [textarea, counter, diffHead, diff]);
    return {
      q,
      section,
      target: () => textarea,
      get() {
        const text = textarea.value;
        return text.trim() ? text : null;
      },
      draft: () => textarea.value,
      set(value) {
        if (typeof value !== "string") return;
        textarea.value = value;
        update(true);
      },
      key: () => false,
    };
  }

  function spansWidget(q, ctx) {
    const raw = ctx.payload[q.field];
    const text = typeof raw === "string" ? raw : "";
    const points = Array.from(text); // spans count code points, as the server does
    let spans = [];
    let pending = null;
    const labelIndex = (value) => Math.max(0, q.labels.findIndex((l) => l.value === value));
    const labelOf = (value) => (q.labels[labelIndex(value)] || { label: value }).label;
    const box = h("div", { class: "wb-spantext", "data-field": q.field });
    const hint = h("p", { class: "muted wb-hint" });
    const list = h("ul", { class: "wb-spanlist" });
    const labels = h(
      "div",
      { class: "wb-labels" },
      q.labels.map((label, index) => {
        const button = h("button", { type: "button", class: `secondary wb-label wb-l${index % 6}`, tabindex: -1 }, index < 9 ? kbd(index + 1) : null, label.label);
        button.addEventListener("mousedown", (ev) => ev.preventDefault()); // keep the selection
        button.addEventListener("click", () => apply(index));
        return button;
      })
    );

    const toPoints = (units) => Array.from(text.slice(0, units)).length;

    function readSelection() {
      const selection = window.getSelection();
      pending = null;
      if (selection && selection.rangeCount && !selection.isCollapsed) {
        const range = selection.getRangeAt(0);
        if (range.intersectsNode(box)) {
          // A selection that runs past either end of the text counts up to that end.
          const unitsTo = (node, offset) => {
            const upto = document.createRange();
            upto.setStart(box, 0);
            upto.setEnd(node, offset);
            return upto.toString().length;
          };
          let start = box.contains(range.startContainer) ? toPoints(unitsTo(range.startContainer, range.startOffset)) : 0;
          let end = box.contains(range.endContainer) ? toPoints(unitsTo(range.endContainer, range.endOffset)) : points.length;
          while (start < end && /\s/.test(points[start])) start += 1;
          while (end > start && /\s/.test(points[end - 1])) end -= 1;
          if (start < end) pending = { start, end };
        }
      }
      showHint();
    }

    // The hint and the label keys follow the page's selection wherever it changes (a click
    // elsewhere clears it); the listener goes once the widget's text has left the page.
    let shown = false;
    function followSelection() {
      if (box.isConnected) {
        shown = true;
        readSelection();
      } else if (shown) document.removeEventListener("selectionchange", followSelection);
    }

    function showHint(message) {
      if (message) hint.textContent = message;
      else if (pending) hint.textContent = `Selected “${excerpt(points.slice(pending.start, pending.end).join(""), 60)}”: press a label's number or click it.`;
      else hint.textContent = text ? "Select text above, then press a label's number (1–9)." : `This item has no text in “${q.field}”.`;
    }

    function apply(index) {
      readSelection();
      if (!pending) {
        showHint("Select some text first.");
        return;
      }
      const span = { start: pending.start, end: pending.end, label: q.labels[index].value };
      if (!spans.some((s) => s.start === span.start && s.end === span.end && s.label === span.label)) spans.push(span);
      window.getSelection().removeAllRanges();
      pending = null;
      draw();
      ctx.changed();
    }

    function remove(span) {
      spans = spans.filter((s) => s !== span);
      draw();
      ctx.changed();
    }

    function draw() {
      clear(box);
      const cuts = new Set([0, points.length]);
      for (const span of spans) {
        cuts.add(span.start);
        cuts.add(span.end);
      }
      const sorted = Array.from(cuts).sort((a, b) => a - b);
      for (let i = 0; i < sorted.length - 1; i += 1) {
        const [from, to] = [sorted[i], sorted[i + 1]];
        const piece = points.slice(from, to).join("");
        const covering = spans.filter((s) => s.start <= from && s.end >= to);
        if (!covering.length) box.append(piece);
        else {
          box.append(
            h(
              "mark",
              {
                class: `wb-mark wb-l${labelIndex(covering[0].label) % 6}${covering.length > 1 ? " wb-overlap" : ""}`,
                title: covering.map((s) => labelOf(s.label)).join(", "),
              },
              piece
            )
          );
        }
      }
      clear(list);
      const ordered = spans.slice().sort((a, b) => a.start - b.start || a.end - b.end);
      for (const span of ordered) {
        const button = h("button", { type: "button", class: "link", tabindex: -1 }, "Remove");
        button.addEventListener("click", () => remove(span));
        list.append(
          h(
            "li",
            null,
            h("span", { class: `wb-tag wb-l${labelIndex(span.label) % 6}` }, labelOf(span.label)),
            h("span", null, `“${excerpt(points.slice(span.start, span.end).join(""), 80)}”`),
            h("span", { class: "muted" }, `${span.start}–${span.end}`),
            button
          )
        );
      }
      if (!spans.length) list.append(h("li", { class: "muted" }, "No highlights yet."));
      showHint();
    }

    document.addEventListener("selectionchange", followSelection);
    draw();
    const section = questionSection(q, ctx.index, [box, labels, hint, list]);
    return {
      q,
      section,
      target: () => section,
      get: () => spans.map((s) => ({ start: s.start, end: s.end, label: s.label })),
      set(value) {
        if (!Array.isArray(value)) return;
        const known = q.labels.map((l) => l.value);
        spans = value.filter(
          (s) => s && Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.start < s.end && s.end <= points.length && known.includes(s.label)
        );
        draw();
      },
      key(ev) {
        const digit = digitOf(ev);
        if (digit && digit <= q.labels.length) {
          apply(digit - 1);
          return true;
        }
        if (ev.key === "Backspace" && spans.length) {
          remove(spans[spans.length - 1]);
          return true;
        }
        return false;
      },
      locate(path) {
        const match = /^\[(\d+)\]/.exec(path);
        return match ? `highlight ${Number(match[1]) + 1}` : "";
      },
    };
  }

  function judgmentsWidget(q, ctx, unit) {
    const raw = ctx.payload[q.field];
    const sequence = Array.isArray(raw) ? raw : [];
    const judged = sequence
      .map((entry, index) => index)
      .filter((index) => unit === "step" || (sequence[index] && sequence[index].role === q.turn_role));
    const answers = new Map(); // index -> { value, reason }
    const rows = new Map(); // index -> { el, inputs, reason }
    let cursor = 0; // position in `judged`
    let lastSent = []; // the indices of the entries last returned by get(), for error paths
    const needsReason = (value) => (q.reason_required_for || []).includes(value);
    const reasonHint = (q.reason_required_for || []).map((v) => (q.options.find((o) => o.value === v) || { label: v }).label);

    function syncRow(index) {
      const row = rows.get(index);
      const answer = answers.get(index);
      const value = answer ? answer.value : null;
      checkValue(row.inputs, value);
      row.reason.hidden = !needsReason(value) && !(answer && answer.reason);
      row.reason.required = needsReason(value);
      row.el.classList.toggle("is-done", Boolean(value) && (!needsReason(value) || Boolean(answer.reason)));
    }

    function drawCursor() {
      rows.forEach((row, index) => row.el.classList.toggle("is-cursor", judged[cursor] === index));
    }

    function choose(index, value) {
      const previous = answers.get(index) || { reason: "" };
      answers.set(index, { value, reason: previous.reason });
      syncRow(index);
      ctx.changed();
    }

    function complete(index) {
      const answer = answers.get(index);
      return Boolean(answer && answer.value && (!needsReason(answer.value) || answer.reason.trim()));
    }

    // Move to the next unit still to judge; true when every unit is done.
    function next() {
      for (let offset = 1; offset <= judged.length; offset += 1) {
        const position = (cursor + offset) % judged.length;
        if (!complete(judged[position])) {
          cursor = position;
          drawCursor();
          rows.get(judged[cursor]).el.scrollIntoView({ block: "nearest" });
          return false;
        }
      }
      drawCursor();
      return true;
    }

    const container = h("div", { class: "wb-units" });
    sequence.forEach((entry, index) => {
      const isJudged = judged.includes(index);
      const role = unit === "turn" && entry && typeof entry === "object" ? String(entry.role || "") : "";
      const head =
        unit === "turn"
          ? [h("div", { class: "wb-role" }, `${index + 1}. ${role}`), valueNode(entry && typeof entry === "object" ? entry.content : entry)]
          : [stepNode(entry, index)];
      const el = h("div", { class: `wb-unit${isJudged ? " is-judged" : ""}${role ? ` role-${role.replace(/[^a-z]/g, "")}` : ""}`, "data-index": index }, head);
      if (isJudged) {
        const { box, inputs } = pills(`${ctx.name}-${index}`, q.options, {
          onchange: (value) => {
            cursor = judged.indexOf(index);
            drawCursor();
            choose(index, value);
          },
        });
        const reason = h("input", {
          type: "text",
          class: "wb-reason",
          maxlength: 5000,
          placeholder: reasonHint.length ? `Reason (needed for ${reasonHint.join(", ")})` : "Reason",
          "aria-label": `Reason for ${unit} ${index + 1}`,
          hidden: true,
        });
        reason.addEventListener("input", () => {
          const answer = answers.get(index) || { value: null, reason: "" };
          answers.set(index, { ...answer, reason: reason.value });
          el.classList.toggle("is-done", complete(index));
          ctx.changed();
        });
        reason.addEventListener("keydown", (ev) => {
          if (ev.key !== "Enter" || ev.ctrlKey || ev.metaKey) return;
          ev.preventDefault();
          ev.stopPropagation();
          ctx.section().focus();
          if (next()) ctx.advance();
        });
        el.addEventListener("click", () => {
          cursor = judged.indexOf(index);
          drawCursor();
        });
        el.append(box, reason);
        rows.set(index, { el, inputs, reason });
      }
      container.append(el);
    });
    const intro = h(
      "p",
      { class: "muted wb-hint" },
      unit === "turn" ? `Judge each ${q.turn_role} turn (${judged.length}).` : `Judge each step (${judged.length}).`
    );
    drawCursor();
    const section = questionSection(q, ctx.index, [intro, container]);
    return {
      q,
      section,
      target: () => section,
      get() {
        lastSent = judged.filter((index) => answers.has(index) && answers.get(index).value);
        if (!lastSent.length) return null;
        return lastSent.map((index) => {
          const answer = answers.get(index);
          const entry = { [unit]: index, value: answer.value };
          if (answer.reason && answer.reason.trim()) entry.reason = answer.reason.trim();
          return entry;
        });
      },
      draft() {
        return judged
          .filter((index) => answers.has(index))
          .map((index) => ({ [unit]: index, value: answers.get(index).value, reason: answers.get(index).reason || null }));
      },
      set(value) {
        if (!Array.isArray(value)) return;
        for (const entry of value) {
          if (!entry || !judged.includes(entry[unit])) continue;
          if (!q.options.some((o) => o.value === entry.value)) continue;
          answers.set(entry[unit], { value: entry.value, reason: typeof entry.reason === "string" ? entry.reason : "" });
          rows.get(entry[unit]).reason.value = answers.get(entry[unit]).reason;
          syncRow(entry[unit]);
        }
        const open = judged.findIndex((index) => !complete(index));
        cursor = open === -1 ? 0 : open;
        drawCursor();
      },
      key(ev) {
        if (!judged.length) return false;
        if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
          cursor = Math.max(0, Math.min(judged.length - 1, cursor + (ev.key === "ArrowDown" ? 1 : -1)));
          drawCursor();
          rows.get(judged[cursor]).el.scrollIntoView({ block: "nearest" });
          return true;
        }
        const digit = digitOf(ev);
        if (!digit || digit > q.options.length) return false;
        const index = judged[cursor];
        const value = q.options[digit - 1].value;
        choose(index, value);
        if (needsReason(value) && !answers.get(index).reason.trim()) {
          rows.get(index).reason.focus();
          return true;
        }
        return next() ? "advance" : true;
      },
      locate(path) {
        const match = /^\[(\d+)\](?:\.(\w+))?/.exec(path);
        if (!match) return "";
        const index = lastSent[Number(match[1])];
        const where = index === undefined ? `entry ${Number(match[1]) + 1}` : `${humanise(unit)} ${index + 1}`;
        return match[2] && match[2] !== unit ? `${where}, ${match[2]}` : where;
      },
    };
  }

  const BUILDERS = {
    single_choice: singleChoiceWidget,
    multi_choice: multiChoiceWidget,
    rating: ratingWidget,
    ranking: rankingWidget,
    pairwise: pairwiseWidget,
    text: textWidget,
    spans: spansWidget,
    per_turn: (q, ctx) => judgmentsWidget(q, ctx, "turn"),
    per_step: (q, ctx) => judgmentsWidget(q, ctx, "step"),
  };

  function unknownWidget(q, ctx) {
    const section = questionSection(q, ctx.index, h("p", { class: "wb-inline-error" }, `This page cannot show “${q.kind}” questions yet.`));
    return { q, section, target: () => section, get: () => null, set() {}, key: () => false };
  }

  // Current question and navigation ---------------------------------------------------------------

  function markCurrent(index) {
    state.current = index;
    state.widgets.forEach((widget, i) => widget.section.classList.toggle("is-current", i === index));
  }

  function focusQuestion(index) {
    if (!state.widgets.length) return;
    const clamped = Math.max(0, Math.min(state.widgets.length - 1, index));
    markCurrent(clamped);
    const widget = state.widgets[clamped];
    widget.target().focus({ preventScroll: true });
    widget.section.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  // After a question is complete: on to the next question that is not a text box (typing there
  // would swallow Enter); stay when there is none.
  function advanceFrom(index) {
    for (let next = index + 1; next < state.widgets.length; next += 1) {
      if (!KINDS_WITHOUT_AUTO_ADVANCE.has(state.widgets[next].q.kind)) {
        focusQuestion(next);
        return;
      }
    }
  }

  ui.questions.addEventListener("focusin", (ev) => {
    const section = ev.target.closest(".wb-question");
    if (section) markCurrent(Number(section.dataset.index));
  });

  // Rendering a task ----------------------------------------------------------------------------

  function changed() {
    state.dirty = true;
  }

  function renderTask(task) {
    state.task = task;
    state.seq += 1;
    state.dirty = false;
    clear(ui.questions);
    clearErrors();
    closeSkip();
    renderItem(task);
    const draft = task.assignment.draft && typeof task.assignment.draft === "object" ? task.assignment.draft : null;
    const saved = draft && draft.answers && typeof draft.answers === "object" ? draft.answers : {};
    state.widgets = questionsOf().map((q, index) => {
      const ctx = {
        index,
        name: `wb-${state.seq}-${q.key}`,
        payload: task.item.payload || {},
        changed: () => {
          changed();
          clearQuestionErrors(state.widgets[index]);
        },
        section: () => state.widgets[index].section,
        advance: () => advanceFrom(index),
      };
      const widget = (BUILDERS[q.kind] || unknownWidget)(q, ctx);
      if (saved[q.key] !== undefined && saved[q.key] !== null) widget.set(saved[q.key]);
      ui.questions.append(widget.section);
      return widget;
    });
    timer.reset(draft && Number.isInteger(draft.time_spent_ms) ? draft.time_spent_ms : 0);
    showTimer();
    setEditing(task.edit || null);
    root.dataset.assignment = task.edit ? "" : String(task.assignment.id);
    const expires = task.assignment.expires_at ? new Date(task.assignment.expires_at) : null;
    ui.itemLabel.textContent = task.edit
      ? `Changing your answer to ${ITEM_LABEL.toLowerCase()}${task.item.external_id} · submitted ${when(task.edit.created_at)}` +
        (task.edit.revisions ? ` · changed ${times(task.edit.revisions)} before` : "")
      : `${ITEM_LABEL}${task.item.external_id}` +
        (task.guideline_version ? ` · guideline v${task.guideline_version}` : "") +
        (expires && !Number.isNaN(expires.getTime()) ? ` · yours until ${expires.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}` : "") +
        (draft ? " · draft restored" : "");
    ui.draftStatus.textContent = "";
    setView("task");
    window.scrollTo({ top: 0 });
    focusQuestion(0);
  }

  function collect(forDraft) {
    const result = {};
    for (const widget of state.widgets) {
      const value = forDraft && widget.draft ? widget.draft() : widget.get();
      result[widget.q.key] = value === undefined ? null : value;
    }
    return result;
  }

  // Errors ----------------------------------------------------------------------------------------

  function clearQuestionErrors(widget) {
    if (!widget || !widget.section.classList.contains("has-error")) return;
    widget.section.classList.remove("has-error");
    clear(widget.section.querySelector(".wb-qerrors"));
    if (!state.widgets.some((w) => w.section.classList.contains("has-error"))) clear(ui.errors);
  }

  function clearErrors() {
    clear(ui.errors);
    for (const widget of state.widgets) {
      widget.section.classList.remove("has-error");
      clear(widget.section.querySelector(".wb-qerrors"));
    }
  }

  function showErrors(data) {
    clearErrors();
    ui.errors.append(h("li", null, data.message || "The answers are not valid."));
    let first = null;
    for (const [path, problems] of Object.entries(data.fields || {})) {
      const key = path.split(/[.[]/)[0];
      const index = state.widgets.findIndex((w) => w.q.key === key);
      const messages = Array.isArray(problems) ? problems : [String(problems)];
      if (index === -1) {
        for (const message of messages) ui.errors.append(h("li", null, `${humanise(path)}: ${message}`));
        continue;
      }
      const widget = state.widgets[index];
      const where = widget.locate ? widget.locate(path.slice(key.length)) : "";
      const list = widget.section.querySelector(".wb-qerrors");
      for (const message of messages) list.append(h("li", null, where ? `${where}: ${message}` : humanise(message)));
      widget.section.classList.add("has-error");
      if (first === null || index < first) first = index;
    }
    if (first !== null) focusQuestion(first);
  }

  // Working the queue -----------------------------------------------------------------------------

  function setBusy(busy) {
    state.busy = busy;
    ui.submit.disabled = busy;
    ui.skip.disabled = busy;
    ui.skipConfirm.disabled = busy;
  }

  async function loadNext() {
    state.task = null;
    state.widgets = [];
    setEditing(null);
    setView("loading");
    ui.itemLabel.textContent = "Loading your next task…";
    const response = await api("POST", config.urls.next);
    if (response.ok) {
      if (response.data && response.data.assignment) renderTask(response.data);
      else showEmpty(response.data || {});
      return;
    }
    if (response.status === 409 && response.data.code === "guideline_ack_required") {
      showGate(response.data);
      return;
    }
    const status = ((response.data.fields || {}).status || [])[0];
    if (response.data.code === "project_not_active" && FINISHED_STATUSES.includes(status)) {
      showEmpty({ finished: true, message: response.data.message });
      return;
    }
    showError(response.data, loadNext);
  }

  // Nothing to do: the queue is empty for now, or (`finished`) there is nothing more to come.
  function showEmpty(data) {
    root.dataset.assignment = "";
    ui.itemLabel.textContent = "";
    timer.reset(0);
    const message = h("p", null, h("strong", null, data.message || "No task is left for you here."));
    if (data.finished) {
      showMessage("finished", [message, h("p", null, h("a", { class: "button", href: config.urls.projects }, BACK_LABEL))]);
      return;
    }
    showMessage("empty", [
      message,
      h("p", { class: "muted" }, `You did ${state.done} task${state.done === 1 ? "" : "s"} in this session. New work appears here when the project gets more items.`),
      h(
        "p",
        { class: "row" },
        h("button", { type: "button", class: "secondary", onclick: loadNext }, "Check again"),
        h("a", { class: "button", href: config.urls.projects }, BACK_LABEL)
      ),
    ]);
  }

  async function submit() {
    if (state.view !== "task" || !state.task || state.busy) return;
    if (state.task.edit) {
      await saveEdit();
      return;
    }
    setBusy(true);
    const assignment = state.task.assignment.id;
    const body = { result: collect(false), time_spent_ms: timer.value() };
    const response = await api("POST", urlFor(config.urls.submit, assignment), body);
    setBusy(false);
    if (response.ok) {
      state.done += 1;
      ui.done.textContent = String(state.done);
      ui.done.dataset.count = String(state.done);
      state.dirty = false;
      notice(`Submitted. ${state.done} done this session.`);
      await loadNext();
    } else if (response.status === 400) {
      showErrors(response.data);
    } else if (response.status === 409 || response.status === 404) {
      notice(response.data.message, true); // the lease ended: this task is gone
      await loadNext();
    } else if (response.status === 401 || response.status === 403) {
      showError(response.data);
    } else {
      notice(`${response.data.message} Your answers are still here; try again.`, true);
    }
  }

  function openSkip() {
    if (!ALLOW_SKIP || state.view !== "task") return;
    ui.skipBox.hidden = false;
    ui.skipError.textContent = "";
    ui.skipReason.value = "";
    ui.skipReason.focus();
  }

  function closeSkip() {
    ui.skipBox.hidden = true;
    ui.skipError.textContent = "";
  }

  async function confirmSkip() {
    if (!state.task || state.busy) return;
    const reason = ui.skipReason.value.trim();
    if (!reason) {
      ui.skipError.textContent = "Say why you skip this task.";
      ui.skipReason.focus();
      return;
    }
    setBusy(true);
    const response = await api("POST", urlFor(config.urls.skip, state.task.assignment.id), { reason });
    setBusy(false);
    if (response.ok) {
      closeSkip();
      notice("Skipped.");
      await loadNext();
    } else if (response.status === 400) {
      ui.skipError.textContent = ((response.data.fields || {}).reason || [response.data.message]).join(" ");
    } else if (response.status === 409 || response.status === 404) {
      closeSkip();
      notice(response.data.message, true);
      await loadNext();
    } else {
      ui.skipError.textContent = response.data.message;
    }
  }

  async function saveDraft(options) {
    if (!state.task || state.task.edit || !state.dirty || state.saving || state.busy || state.view !== "task") return;
    const keepalive = Boolean(options && options.keepalive);
    state.dirty = false;
    state.saving = true;
    const draft = { answers: collect(true), time_spent_ms: timer.value() };
    const response = await api("PUT", urlFor(config.urls.draft, state.task.assignment.id), { draft }, keepalive ? { keepalive: true } : undefined);
    state.saving = false;
    if (response.ok) {
      ui.draftStatus.textContent = `Draft saved ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })}`;
    } else if (response.status !== 404 && response.status !== 409) {
      state.dirty = true; // try again on the next round (not for a task that is gone or has ended)
      ui.draftStatus.textContent = "Draft not saved";
    }
  }
  window.setInterval(saveDraft, AUTOSAVE_MS);
  window.addEventListener("pagehide", () => saveDraft({ keepalive: true }));

  // Your submitted work: the list, and changing one answer ----------------------------------------

  const when = (iso) => {
    const date = new Date(iso);
    return Number.isNaN(date.getTime())
      ? ""
      : date.toLocaleString([], { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  };
  const times = (count) => (count === 1 ? "once" : `${count} times`);

  function setEditing(annotation) {
    root.dataset.editing = annotation ? String(annotation.id) : "";
    ui.submit.replaceChildren(annotation ? "Save changes " : "Submit ", kbd("Enter"));
    ui.skip.hidden = !ALLOW_SKIP || Boolean(annotation);
    if (ui.cancelEdit) ui.cancelEdit.hidden = !annotation;
  }

  async function showHistory(before) {
    if (!HAS_HISTORY || state.busy || gating()) return;
    if (state.view === "task" && !state.task.edit) {
      state.dirty = true; // keep the task's answers and its time so far
      await saveDraft();
    }
    state.task = null;
    state.widgets = [];
    setEditing(null);
    setView("loading");
    root.dataset.assignment = "";
    ui.itemLabel.textContent = "Your submitted work";
    const response = await api("GET", `${config.urls.mine}?limit=20${before ? `&before=${before}` : ""}`);
    if (!response.ok) {
      showError(response.data, () => showHistory(before));
      return;
    }
    const rows = response.data.results || [];
    const back = h("button", { type: "button", class: "secondary", onclick: loadNext }, "Back to your task ", kbd("Esc"));
    if (!rows.length) {
      showMessage("history", [h("p", null, h("strong", null, "You have not submitted anything on this project yet.")), h("p", null, back)]);
      back.focus();
      return;
    }
    const table = h(
      "table",
      { class: "wb-history" },
      h("thead", null, h("tr", null, h("th", null, "Item"), h("th", null, "Submitted"), h("th", null, "Last changed"), h("th", null, "Guideline"), h("th", null, ""))),
      h(
        "tbody",
        null,
        rows.map((row) =>
          h(
            "tr",
            { "data-annotation": row.id },
            h("td", null, row.item_external_id),
            h("td", null, when(row.created_at)),
            h("td", null, row.revisions ? `${when(row.updated_at)} (changed ${times(row.revisions)})` : "—"),
            h("td", null, row.guideline_version ? `v${row.guideline_version}` : "—", row.needs_rereview ? h("span", { class: "wb-flag" }, " needs re-review") : null),
            h(
              "td",
              null,
              row.editable
                ? h("button", { type: "button", class: "secondary", onclick: () => editAnnotation(row.id) }, "Change")
                : h("span", { class: "muted" }, row.not_editable_because)
            )
          )
        )
      )
    );
    const older = response.data.next_before
      ? h("button", { type: "button", class: "link", onclick: () => showHistory(response.data.next_before) }, "Older work")
      : null;
    showMessage("history", [
      h("p", null, h("strong", null, "Your submitted work on this project, newest first.")),
      h("p", { class: "muted" }, "Open one to change your answer; the earlier answer is kept as a revision."),
      table,
      h("p", { class: "row" }, back, older),
    ]);
    (ui.message.querySelector("tbody button") || back).focus();
  }

  async function editAnnotation(annotationId) {
    if (state.busy) return;
    setView("loading");
    const response = await api("GET", urlFor(config.urls.annotation, annotationId));
    if (!response.ok) {
      showError(response.data, () => editAnnotation(annotationId));
      return;
    }
    const { annotation, item, project } = response.data;
    renderTask({
      assignment: { id: null, draft: { answers: annotation.answer } },
      item,
      project,
      guideline_version: annotation.guideline_version,
      edit: annotation,
    });
  }

  async function saveEdit() {
    const annotation = state.task.edit;
    setBusy(true);
    const body = { result: collect(false), time_spent_ms: timer.value() };
    const response = await api("PATCH", urlFor(config.urls.annotation, annotation.id), body);
    setBusy(false);
    if (response.ok) {
      notice(`Your change to ${ITEM_LABEL.toLowerCase()}${state.task.item.external_id} is saved; the earlier answer is kept.`);
      await showHistory();
    } else if (response.status === 400) {
      showErrors(response.data);
    } else if (response.status === 409 && response.data.code === "guideline_ack_required") {
      await loadNext(); // the gate asks for the new version first
    } else {
      notice(response.data.message, true);
      if (response.status === 409 || response.status === 404) await showHistory();
    }
  }

  // The guideline -------------------------------------------------------------------------------

  const gating = () => state.view === "gate";

  function setGuideline(open) {
    if (!ui.guideline) return;
    if (!open && gating()) return; // the gate keeps it open
    ui.guideline.hidden = !open;
    if (ui.guidelineToggle) ui.guidelineToggle.setAttribute("aria-expanded", String(open));
  }

  function showGate(data) {
    const match = /version (\d+)/.exec(data.message || "");
    const wanted = match ? Number(match[1]) : null;
    if (!config.guideline || (wanted !== null && wanted > config.guideline.number)) {
      // A newer version than this page shows: load the page again to render it.
      showMessage("loading", [h("p", null, "A new version of the guideline was published. Loading it…")]);
      window.location.reload();
      return;
    }
    root.dataset.assignment = "";
    ui.itemLabel.textContent = "";
    showMessage("gate", [
      h("p", null, h("strong", null, data.message)),
      h("p", { class: "muted" }, "The guideline is open on the right. Confirm at its top that you have read it."),
    ]);
    ui.gate.hidden = false;
    ui.gateError.textContent = "";
    setGuideline(true);
    ui.guideline.scrollTop = 0;
    ui.ack.focus();
  }

  async function acknowledge() {
    if (!config.guideline) return;
    ui.ack.disabled = true;
    const response = await api("POST", urlFor(config.urls.acknowledge, config.guideline.number));
    ui.ack.disabled = false;
    if (response.ok) {
      config.guideline.acknowledged = true;
      if (ui.ackState) ui.ackState.textContent = "You have acknowledged this version.";
      ui.gate.hidden = true;
      state.view = "loading";
      setGuideline(false);
      await loadNext();
    } else if (response.status === 409) {
      window.location.reload(); // no longer the current version
    } else {
      ui.gateError.textContent = response.data.message;
    }
  }

  if (ui.guidelineToggle) ui.guidelineToggle.addEventListener("click", () => setGuideline(ui.guideline.hidden));
  if (ui.guidelineClose) ui.guidelineClose.addEventListener("click", () => setGuideline(false));
  if (ui.ack) ui.ack.addEventListener("click", acknowledge);
  ui.submit.addEventListener("click", submit);
  if (ui.historyToggle) ui.historyToggle.addEventListener("click", () => (state.view === "history" ? loadNext() : showHistory()));
  if (ui.cancelEdit) ui.cancelEdit.addEventListener("click", () => showHistory());
  ui.skip.addEventListener("click", openSkip);
  ui.skipConfirm.addEventListener("click", confirmSkip);
  ui.skipCancel.addEventListener("click", () => {
    closeSkip();
    focusQuestion(state.current);
  });
  ui.skipReason.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      ev.stopPropagation();
      confirmSkip();
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      ev.stopPropagation();
      closeSkip();
      focusQuestion(state.current);
    }
  });

  // The keyboard ----------------------------------------------------------------------------------

  document.addEventListener("keydown", (ev) => {
    const target = ev.target;
    const typing = isTyping(target);
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      if (state.view === "task") {
        ev.preventDefault();
        submit();
      }
      return;
    }
    if (ev.key === "Escape") {
      if (typing) {
        const section = target.closest(".wb-question");
        if (section) {
          ev.preventDefault();
          section.focus();
        }
      } else if (ui.guideline && !ui.guideline.hidden && !gating()) {
        ev.preventDefault();
        setGuideline(false);
      } else if (state.view === "task" && state.task && state.task.edit) {
        ev.preventDefault();
        showHistory(); // leave the change unsaved
      } else if (state.view === "history") {
        ev.preventDefault();
        loadNext();
      }
      return;
    }
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "g") {
      ev.preventDefault();
      setGuideline(ui.guideline ? ui.guideline.hidden : false);
      return;
    }
    if (ev.key === "h" && HAS_HISTORY && ["task", "empty", "finished", "history"].includes(state.view)) {
      ev.preventDefault();
      if (state.view === "history") loadNext();
      else showHistory();
      return;
    }
    if (state.view !== "task") return;
    const onControl = target && ["BUTTON", "A", "SUMMARY"].includes(target.tagName);
    if (ev.key === "Enter") {
      if (onControl) return; // the button or link does its own thing
      ev.preventDefault();
      submit();
      return;
    }
    if (ev.key === "Tab") {
      const section = target && target.classList && target.classList.contains("wb-question") ? target : null;
      if (!section) return; // native Tab between text boxes and buttons
      const next = state.current + (ev.shiftKey ? -1 : 1);
      if (next < 0 || next >= state.widgets.length) return;
      ev.preventDefault();
      focusQuestion(next);
      return;
    }
    if (ev.key === "j" || ev.key === "k") {
      ev.preventDefault();
      focusQuestion(state.current + (ev.key === "j" ? 1 : -1));
      return;
    }
    if (ev.key === "s" && ALLOW_SKIP && !state.task.edit) {
      ev.preventDefault();
      openSkip();
      return;
    }
    const widget = state.widgets[state.current];
    if (!widget) return;
    const handled = widget.key(ev);
    if (!handled) return;
    ev.preventDefault();
    if (handled === "advance") advanceFrom(state.current);
  });

  // Start -------------------------------------------------------------------------------------------

  ui.skip.hidden = !ALLOW_SKIP;
  if (ui.historyToggle) ui.historyToggle.hidden = !HAS_HISTORY;
  const kinds = new Set(config.questions.map((q) => q.kind));
  for (const block of root.querySelectorAll("[data-kinds]")) {
    block.hidden = !block.dataset.kinds.split(" ").some((kind) => kinds.has(kind));
  }
  loadNext();
})();
