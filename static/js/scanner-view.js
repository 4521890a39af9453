// What staff see and hear: the full-screen answer to a scan, search results,
// short notices, and a beep that can be told apart without looking.

import { statusResult } from "./scanner-offline.js";

const TONES = {
  ok: "ok",
  already_checked_in: "warning",
  not_allowed: "refused",
  outside_window: "refused",
  cancelled: "refused",
  pending: "refused",
  waitlisted: "refused",
  revoked: "refused",
  unknown: "unknown",
  wrong_event: "unknown",
};

// Refusals stay up longer: staff need the time to read and explain them.
const SHOW_FOR_MS = { ok: 4000, warning: 6000, refused: 9000, unknown: 9000, neutral: 9000 };
const ATTENTION_EXTRA_MS = 5000;

const NOTES = {
  ok: [{ frequency: 988, seconds: 0.09 }, { frequency: 1319, seconds: 0.16 }],
  warning: [{ frequency: 740, seconds: 0.12 }, { frequency: 740, seconds: 0.12 }],
  refused: [{ frequency: 185, seconds: 0.5, wave: "square" }],
};
const SOUND_OF_TONE = { ok: "ok", warning: "warning", refused: "refused", unknown: "refused", neutral: "warning" };

export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));
}

export function timeFormatter(lang, timeZone) {
  const zone = { timeZone, hourCycle: "h23" };
  let time;
  let dated;
  let day;
  try {
    time = new Intl.DateTimeFormat(lang, { ...zone, hour: "2-digit", minute: "2-digit" });
    dated = new Intl.DateTimeFormat(lang, { ...zone, month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
    day = new Intl.DateTimeFormat("en-CA", { timeZone, dateStyle: "short" });
  } catch {
    return timeFormatter(lang, undefined);
  }
  return (iso) => {
    if (!iso) {
      return "";
    }
    const moment = new Date(iso);
    return day.format(moment) === day.format(new Date()) ? time.format(moment) : dated.format(moment);
  };
}

export class Beeper {
  constructor() {
    this.context = null;
    // Browsers only let a page make sound after the user touched it.
    const unlock = () => this.unlock();
    window.addEventListener("pointerdown", unlock, { passive: true });
    window.addEventListener("keydown", unlock);
  }

  unlock() {
    const AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!this.context && AudioContext) {
      this.context = new AudioContext();
    }
    if (this.context && this.context.state === "suspended") {
      this.context.resume().catch(() => {});
    }
  }

  play(sound) {
    const context = this.context;
    if (!context || context.state !== "running") {
      return;
    }
    let start = context.currentTime;
    for (const note of NOTES[sound]) {
      this.note(context, note, start);
      start += note.seconds + 0.05;
    }
  }

  note(context, { frequency, seconds, wave = "sine" }, start) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = wave;
    oscillator.frequency.value = frequency;
    // Ramps avoid the click of a tone switched on and off abruptly.
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.25, start + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + seconds);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(start);
    oscillator.stop(start + seconds + 0.02);
  }
}

export class Notice {
  constructor(element) {
    this.element = element;
    this.timer = null;
    element.addEventListener("click", () => this.hide());
  }

  show(text, seconds = 8) {
    clearTimeout(this.timer);
    this.element.textContent = text;
    this.element.hidden = false;
    this.timer = setTimeout(() => this.hide(), seconds * 1000);
  }

  hide() {
    this.element.hidden = true;
  }
}

function setText(element, text) {
  element.textContent = text || "";
}

function paintSwatch(swatch, color) {
  if (color) {
    swatch.style.setProperty("--category-color", color);
  } else {
    swatch.style.removeProperty("--category-color");
  }
}

export class ResultView {
  constructor(element, { strings, organiser, formatTime, beeper, onDismiss, onUndo, onDelegation }) {
    this.element = element;
    this.strings = strings;
    this.organiser = organiser;
    this.formatTime = formatTime;
    this.beeper = beeper;
    this.onDismiss = onDismiss;
    this.handlers = { undo: onUndo, delegation: onDelegation };
    this.fields = Object.fromEntries(
      Array.from(element.querySelectorAll("[data-field]"), (field) => [field.dataset.field, field]));
    this.actions = Object.fromEntries(
      Array.from(element.querySelectorAll("[data-action]"), (action) => [action.dataset.action, action]));
    this.answer = null;
    this.key = null;
    this.tone = "neutral";
    this.dismissTimer = null;
    this.undoTimer = null;
    element.addEventListener("click", (event) => this.clicked(event));
  }

  get visible() {
    return !this.element.hidden;
  }

  shows(key) {
    return this.visible && this.key === key;
  }

  clicked(event) {
    const action = event.target.closest("[data-action]");
    if (!action) {
      this.dismiss();
    } else if (this.handlers[action.dataset.action]) {
      this.runAction(action);
    } else {
      this.restartTimer(); // the badge link opens a tab; keep the answer for the way back
    }
  }

  async runAction(button) {
    clearTimeout(this.dismissTimer);
    button.disabled = true;
    try {
      await this.handlers[button.dataset.action](this.answer);
    } finally {
      button.disabled = false;
      this.restartTimer();
    }
  }

  // `key` names what was scanned, so that the camera can ignore the same badge meanwhile.
  show(answer, { key = null, tone = TONES[answer.result] || "neutral" } = {}) {
    this.answer = answer;
    this.key = key;
    this.tone = tone;
    this.fill(answer);
    this.element.dataset.result = answer.result;
    this.element.dataset.tone = tone;
    this.element.dataset.offline = answer.offline ? "true" : "false";
    this.element.dataset.nonce = answer.nonce || "";
    this.element.dataset.personId = answer.person ? String(answer.person.id) : "";
    this.element.hidden = false;
    this.beeper.play(SOUND_OF_TONE[tone]);
    if (tone !== "ok" && navigator.vibrate) {
      navigator.vibrate([120, 60, 120]);
    }
    this.restartTimer();
  }

  fill(answer) {
    const person = answer.person || {};
    const fields = this.fields;
    fields.offline.hidden = !answer.offline;
    setText(fields.offline, answer.offline ? this.strings.checkedOffline : "");
    setText(fields.message, answer.message);
    fields.attention.hidden = !person.attention;
    setText(fields.attention, person.attention);
    setText(fields.name, person.name);
    setText(fields.name_en, person.name_en);
    setText(fields.organisation, person.organisation);
    setText(fields.delegation, person.delegation ? person.delegation.name : "");
    this.fillCategory(person.category);
    setText(fields.detail, this.details(answer).join(" · "));
    fields["delegation-outcome"].hidden = true;
    this.fillActions(answer, person);
  }

  fillCategory(category) {
    this.fields["category-line"].hidden = !category;
    setText(this.fields.category, category ? category.name : "");
    paintSwatch(this.fields.swatch, category && category.color);
  }

  details(answer) {
    const strings = this.strings;
    const lines = [];
    if (answer.first) {
      lines.push(fill(strings.firstCheckIn, {
        time: this.formatTime(answer.first.at),
        checkpoint: answer.first.checkpoint || "",
        staff: answer.first.staff || "",
      }).replace(/[,，、\s]+$/, ""));
    }
    if (answer.reentry) {
      lines.push(strings.reentry);
    }
    if (answer.window) {
      lines.push(fill(strings.openHours, {
        opens: this.formatTime(answer.window.opens_at) || "…",
        closes: this.formatTime(answer.window.closes_at) || "…",
      }));
    }
    if (answer.event) {
      lines.push(fill(strings.badgeFor, { event: answer.event.title }));
    }
    if (answer.conflict) {
      lines.push(strings.conflict);
    }
    if (answer.note) {
      lines.push(answer.note);
    }
    return lines;
  }

  fillActions(answer, person) {
    const { undo, badge, delegation } = this.actions;
    const checkIn = answer.check_in;
    const undoUntil = checkIn && checkIn.undo_until ? Date.parse(checkIn.undo_until) : 0;
    undo.hidden = !checkIn || !(this.organiser || undoUntil > Date.now());
    clearTimeout(this.undoTimer);
    if (!undo.hidden && !this.organiser) {
      this.undoTimer = setTimeout(() => { undo.hidden = true; }, undoUntil - Date.now());
    }
    badge.hidden = !person.badge_url;
    if (person.badge_url) {
      badge.href = person.badge_url;
    }
    const group = person.delegation;
    const waiting = group && group.is_leader && !answer.offline ? group.not_arrived || 0 : 0;
    delegation.hidden = waiting === 0;
    setText(delegation, fill(this.strings.delegationButton, { count: waiting }));
  }

  showUndone() {
    this.actions.undo.hidden = true;
    this.element.dataset.tone = "neutral";
    this.element.dataset.result = "undone";
    setText(this.fields.message, this.strings.undone);
  }

  showNote(text) {
    setText(this.fields.detail, [this.fields.detail.textContent, text].filter(Boolean).join(" · "));
  }

  showDelegationOutcome(text) {
    this.actions.delegation.hidden = true;
    this.fields["delegation-outcome"].hidden = false;
    setText(this.fields["delegation-outcome"], text);
  }

  restartTimer() {
    clearTimeout(this.dismissTimer);
    const attention = this.answer && this.answer.person && this.answer.person.attention;
    const delay = (SHOW_FOR_MS[this.tone] || SHOW_FOR_MS.neutral) + (attention ? ATTENTION_EXTRA_MS : 0);
    this.dismissTimer = setTimeout(() => this.dismiss(), delay);
  }

  dismiss() {
    if (!this.visible) {
      return;
    }
    clearTimeout(this.dismissTimer);
    clearTimeout(this.undoTimer);
    this.element.hidden = true;
    this.key = null;
    this.onDismiss();
  }
}

export class SearchView {
  constructor(input, list, { strings, messages, formatTime, categoryOf, search, onCheckIn }) {
    this.input = input;
    this.list = list;
    this.strings = strings;
    this.messages = messages;
    this.formatTime = formatTime;
    this.categoryOf = categoryOf;
    this.search = search;
    this.onCheckIn = onCheckIn;
    this.generation = 0;
    this.timer = null;
    input.addEventListener("input", () => this.scheduleSearch());
    list.addEventListener("click", (event) => this.clicked(event));
  }

  scheduleSearch() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), 250);
  }

  async run() {
    const query = this.input.value.trim();
    const generation = ++this.generation;
    if (!query) {
      this.list.replaceChildren();
      return;
    }
    const people = await this.search(query);
    // A slower answer to an earlier query must not replace a newer one.
    if (generation === this.generation) {
      this.render(people);
    }
  }

  refresh() {
    if (this.input.value.trim()) {
      this.run();
    }
  }

  clicked(event) {
    const button = event.target.closest("button[data-registration]");
    if (button) {
      this.onCheckIn(Number(button.dataset.registration));
    }
  }

  render(people) {
    if (people.length === 0) {
      const empty = document.createElement("li");
      empty.className = "list-group-item text-body-secondary";
      empty.textContent = this.strings.searchNothing;
      this.list.replaceChildren(empty);
      return;
    }
    this.list.replaceChildren(...people.map((person) => this.item(person)));
  }

  item(person) {
    const item = document.createElement("li");
    item.className = "list-group-item search-person";
    item.dataset.testid = "search-person";
    const text = document.createElement("div");
    text.className = "search-person-text";
    text.append(this.nameLine(person), this.line(person.organisation, person.delegation),
      this.detailLine(person));
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-primary";
    button.dataset.registration = String(person.id);
    button.textContent = this.strings.checkIn;
    item.append(text, button);
    return item;
  }

  nameLine(person) {
    const line = document.createElement("div");
    line.className = "search-person-name";
    const swatch = document.createElement("span");
    swatch.className = "category-swatch";
    const category = this.categoryOf(person.category) || person.category_info;
    paintSwatch(swatch, category && category.color);
    line.append(swatch, person.name);
    if (person.name_en) {
      const english = document.createElement("small");
      english.className = "text-body-secondary fw-normal ms-2";
      english.textContent = person.name_en;
      line.append(english);
    }
    return line;
  }

  line(...parts) {
    const line = document.createElement("div");
    line.className = "small text-truncate";
    line.textContent = parts.filter(Boolean).join(" · ");
    return line;
  }

  detailLine(person) {
    const category = this.categoryOf(person.category) || person.category_info;
    const state = document.createElement("span");
    state.className = "search-person-state";
    state.dataset.in = String(Boolean(person.in));
    state.textContent = this.stateText(person);
    const line = this.line(category ? category.name : person.category, person.mobile);
    line.append(line.textContent ? " · " : "", state);
    return line;
  }

  stateText(person) {
    const refusal = statusResult(person.status);
    if (refusal) {
      return this.messages[refusal];
    }
    return person.in ? fill(this.strings.checkedInAt, { time: this.formatTime(person.in) }) : this.strings.notCheckedIn;
  }
}
