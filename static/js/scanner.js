// The check-in scanner page. The camera, a badge scanner typing into the
// focused field and the search list all lead to one scan routine: the server
// decides when it can be reached; otherwise the phone decides from its roster
// snapshot and queues the scan until the server can be told.

import { CameraScanner } from "./scanner-camera.js";
import { CheckinApi, HttpError, NetworkError, ScanQueue, disposition, newNonce, scanBody } from "./scanner-net.js";
import { LocalRoster, normaliseSecret, secretDigest } from "./scanner-offline.js";
import { ScannerStore } from "./scanner-store.js";
import { Beeper, Notice, ResultView, SearchView, fill, timeFormatter } from "./scanner-view.js";

const ROSTER_EVERY_MS = 3 * 60 * 1000;
const RETRY_EVERY_MS = 15 * 1000;
const STATS_EVERY_MS = 60 * 1000;
// Scanners fire several times on one badge held in view.
const CAMERA_REPEAT_MS = 3000;
const CAMERA_CHOICE_KEY = "huiwu-checkin-camera";
const REMEMBER_TIMEOUT_MS = 60 * 1000;
// Signing out waits this long at most for the phone to forget names.
const SIGN_OUT_WAIT_MS = 1500;

function isTypingTarget(element) {
  return Boolean(element && element.closest && element.closest("input, textarea, select, [contenteditable]"));
}

function untilControlled() {
  if (navigator.serviceWorker.controller) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true });
  });
}

// Asks the service worker to keep the page and its assets for offline use.
function askToRemember(worker, urls) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve({ ok: false }), REMEMBER_TIMEOUT_MS);
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data);
    };
    worker.postMessage({ type: "remember", urls }, [channel.port2]);
  });
}

class ScannerPage {
  constructor(config) {
    this.config = config;
    this.strings = config.strings;
    this.urls = config.urls;
    this.checkpoint = config.checkpoint;
    this.root = document.getElementById("scanner");
    this.pill = this.root.querySelector("[data-testid=connection]");
    this.scanInput = document.getElementById("scan-input");
    this.searchInput = document.getElementById("search-input");
    this.online = navigator.onLine;
    this.queued = 0;
    this.roster = null;
    this.store = null;
    this.queue = null;
    this.cameraSeen = new Map();
    this.pendingKeys = new Set();
    this.formatTime = timeFormatter(config.lang, config.event.timezone);
    this.api = new CheckinApi(this.urls, (reachable) => this.setReachable(reachable));
    this.notice = new Notice(document.getElementById("scanner-notice"));
    this.result = this.createResultView();
    this.search = this.createSearchView();
    this.camera = this.createCamera();
  }

  createResultView() {
    return new ResultView(document.getElementById("scan-result"), {
      strings: this.strings,
      organiser: this.config.organiser,
      formatTime: this.formatTime,
      beeper: new Beeper(),
      onDismiss: () => this.focusScanInput(),
      onUndo: (answer) => this.undo(answer),
      onDelegation: (answer) => this.checkInDelegation(answer),
    });
  }

  createSearchView() {
    return new SearchView(this.searchInput, document.getElementById("search-results"), {
      strings: this.strings,
      messages: this.config.messages,
      formatTime: this.formatTime,
      categoryOf: (code) => (this.roster ? this.roster.category(code) : null),
      search: (query) => this.findPeople(query),
      onCheckIn: (registration) => this.scan({ registration }, `registration:${registration}`),
    });
  }

  createCamera() {
    const video = document.getElementById("camera-video");
    return new CameraScanner(video, this.config.vendor, {
      onCode: (code) => this.cameraCode(code),
      onState: (state) => this.showCameraState(state),
    });
  }

  start() {
    this.bindInputs();
    this.bindSignOut();
    this.bindConnectivity();
    this.renderConnection();
    this.showStoredStats();
    this.focusScanInput();
    if (localStorage.getItem(CAMERA_CHOICE_KEY) !== "off") {
      this.camera.start();
    }
    this.ready = this.openStore();
    this.scans = this.ready;
    this.ready.then(() => this.refreshFromServer());
    this.registerServiceWorker();
    setInterval(() => this.refreshRoster(), ROSTER_EVERY_MS);
    setInterval(() => this.retry(), RETRY_EVERY_MS);
    setInterval(() => this.refreshStats(), STATS_EVERY_MS);
  }

  // Names and the cached page are personal data: a shared phone must not keep
  // them after sign-out. The queue is kept, or scans made offline would be lost.
  bindSignOut() {
    const form = document.querySelector("form[data-sign-out]");
    if (!form) {
      return;
    }
    form.addEventListener("submit", (event) => {
      if (form.dataset.cleared) {
        return;
      }
      event.preventDefault();
      const cleared = Promise.all([
        this.ready.then(() => this.store && this.store.forgetRosters()),
        "caches" in window ? caches.keys().then((names) =>
          Promise.all(names.filter((name) => name.startsWith("huiwu-checkin-")).map((name) => caches.delete(name)))) : null,
      ]);
      const atMost = new Promise((resolve) => setTimeout(resolve, SIGN_OUT_WAIT_MS));
      Promise.race([cleared, atMost]).catch(() => null).finally(() => {
        form.dataset.cleared = "yes";
        form.requestSubmit();
      });
    });
  }

  bindInputs() {
    document.getElementById("scan-form").addEventListener("submit", (event) => this.scanTyped(event));
    document.getElementById("camera-toggle").addEventListener("click", () => this.toggleCamera());
    document.getElementById("keyboard-toggle").addEventListener("click", (event) => this.toggleKeyboard(event));
    document.addEventListener("keydown", (event) => this.keyPressed(event));
  }

  bindConnectivity() {
    window.addEventListener("online", () => {
      this.online = true;
      this.renderConnection();
      this.reconnected();
    });
    window.addEventListener("offline", () => this.setReachable(false));
  }

  // --- input ---------------------------------------------------------------------------

  scanTyped(event) {
    event.preventDefault();
    const secret = normaliseSecret(this.scanInput.value);
    this.scanInput.value = "";
    if (secret) {
      this.scan({ secret }, secret);
    }
  }

  cameraCode(raw) {
    const secret = normaliseSecret(raw);
    const now = Date.now();
    for (const [code, seenAt] of this.cameraSeen) {
      if (now - seenAt >= CAMERA_REPEAT_MS) {
        this.cameraSeen.delete(code);
      }
    }
    if (!secret || this.cameraSeen.has(secret) || this.pendingKeys.has(secret) || this.result.shows(secret)) {
      return;
    }
    this.cameraSeen.set(secret, now);
    this.scan({ secret }, secret);
  }

  // Any key dismisses an answer; a badge scanner typing while the focus is
  // elsewhere still lands in the scan field.
  keyPressed(event) {
    if (this.result.visible) {
      const onAction = event.target.closest && event.target.closest("[data-action]");
      if (onAction && (event.key === "Enter" || event.key === " ")) {
        return;
      }
      this.result.dismiss();
    }
    const printable = Boolean(event.key) && event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey;
    if (printable && !isTypingTarget(event.target)) {
      this.scanInput.focus({ preventScroll: true });
    }
  }

  focusScanInput() {
    if (document.activeElement !== this.searchInput) {
      this.scanInput.focus({ preventScroll: true });
    }
  }

  // The field asks for no on-screen keyboard (it would cover the camera) until asked.
  toggleKeyboard(event) {
    const typing = this.scanInput.inputMode !== "text";
    this.scanInput.inputMode = typing ? "text" : "none";
    event.currentTarget.setAttribute("aria-pressed", String(typing));
    this.scanInput.focus();
  }

  async toggleCamera() {
    if (this.camera.running) {
      this.camera.stop();
      localStorage.setItem(CAMERA_CHOICE_KEY, "off");
    } else {
      localStorage.setItem(CAMERA_CHOICE_KEY, "on");
      await this.camera.start();
    }
    this.focusScanInput();
  }

  showCameraState(state) {
    const labels = {
      starting: this.strings.cameraStarting,
      running: "",
      off: this.strings.cameraOff,
      unavailable: this.strings.cameraUnavailable,
    };
    this.root.dataset.camera = state;
    document.getElementById("camera-state").textContent = labels[state];
    const toggle = document.getElementById("camera-toggle");
    toggle.textContent = state === "running" || state === "starting" ? this.strings.cameraStop : this.strings.cameraStart;
  }

  // --- scanning --------------------------------------------------------------------------

  // Scans run one after another so that two quick scans are answered in order.
  scan(request, key) {
    this.pendingKeys.add(key);
    const run = () => this.performScan(request, key).finally(() => this.pendingKeys.delete(key));
    this.scans = this.scans.then(run, run);
    return this.scans;
  }

  async performScan(request, key) {
    const scan = {
      nonce: newNonce(),
      checkpoint: this.checkpoint.id,
      scanned_at: new Date().toISOString(),
      ...request,
    };
    try {
      const reply = this.online && navigator.onLine ? await this.scanOnline(scan) : { kind: "offline" };
      if (reply.kind === "answer") {
        await this.showServerAnswer(reply.answer, scan, key);
      } else if (reply.kind === "refused") {
        this.showFailure(reply.message);
      } else {
        await this.scanOffline(scan, key);
      }
    } catch (error) {
      this.showFailure(error.message);
    }
  }

  async scanOnline(scan) {
    let reply;
    try {
      reply = await this.api.postJson(this.urls.scan, scanBody({ ...scan, offline: false }));
      if (reply.status === 422 && reply.data && reply.data.error === "scanned_at_in_future") {
        // This phone's clock runs ahead: the server times the scan itself.
        reply = await this.api.postJson(this.urls.scan, scanBody({ ...scan, offline: false, scanned_at: undefined }));
      }
    } catch (error) {
      if (error instanceof NetworkError) {
        return { kind: "offline" };
      }
      throw error;
    }
    if (reply.status === 200) {
      return { kind: "answer", answer: reply.data };
    }
    if (reply.status === 401) {
      this.notice.show(this.strings.signedOut, 15);
    }
    if (disposition(reply.status, reply.data) === "retry") {
      return { kind: "offline" };
    }
    return { kind: "refused", message: (reply.data && reply.data.message) || `HTTP ${reply.status}` };
  }

  async showServerAnswer(answer, scan, key) {
    this.result.show({ ...answer, scan }, { key });
    const admitted = answer.result === "ok" || answer.result === "already_checked_in";
    if (admitted && answer.person && this.checkpoint.kind !== "exit") {
      const first = answer.first ? answer.first.at : answer.scanned_at;
      await this.noteAdmission(answer.person.id, first, scan.nonce, true);
    }
    this.refreshStats();
    this.search.refresh();
  }

  async scanOffline(scan, key) {
    const verdict = await this.localVerdict(scan);
    const queued = { ...scan, offline: verdict.result === "ok", localResult: verdict.result };
    const stored = await this.enqueue(queued);
    if (stored && verdict.admits) {
      await this.noteAdmission(verdict.entry.id, scan.scanned_at, scan.nonce, false);
      this.countAdmittedLocally();
    }
    this.result.show({ ...this.offlineAnswer(verdict, scan, stored), scan }, { key });
    this.search.refresh();
  }

  async enqueue(scan) {
    try {
      await this.queue.add(scan);
      return true;
    } catch {
      return false;
    } finally {
      await this.countQueue();
    }
  }

  async localVerdict(scan) {
    if (!this.roster) {
      return { result: "no_roster", entry: null };
    }
    const hash = scan.secret ? await secretDigest(scan.secret) : null;
    return this.roster.decide({ hash, registration: scan.registration }, new Date(scan.scanned_at));
  }

  offlineAnswer(verdict, scan, stored) {
    const rules = this.roster ? this.roster.rules : {};
    return {
      result: verdict.result,
      message: verdict.result === "no_roster" ? this.strings.noRoster : this.config.messages[verdict.result],
      offline: true,
      nonce: scan.nonce,
      person: verdict.entry ? this.personFromEntry(verdict.entry) : null,
      first: verdict.first ? { at: verdict.first, checkpoint: this.checkpoint.name, staff: "" } : null,
      reentry: Boolean(verdict.reentry),
      window: verdict.result === "outside_window" ? { opens_at: rules.opens_at, closes_at: rules.closes_at } : null,
      check_in: null,
      note: stored ? "" : this.strings.storageFailed,
    };
  }

  personFromEntry(entry) {
    const category = this.roster.category(entry.category);
    return {
      id: entry.id,
      name: entry.name,
      name_en: entry.name_en,
      organisation: entry.organisation,
      status: entry.status,
      category: { code: entry.category, name: category ? category.name : entry.category, color: category && category.color },
      delegation: entry.delegation ? { name: entry.delegation, is_leader: entry.leader } : null,
      attention: entry.attention,
      badge_url: null,
    };
  }

  showFailure(message) {
    this.result.show(
      { result: "error", message: fill(this.strings.failed, { message }), person: null },
      { tone: "neutral" },
    );
  }

  // --- actions on an answer ------------------------------------------------------------------

  async undo(answer) {
    const body = { check_in: answer.check_in.id, nonce: newNonce(), scanned_at: new Date().toISOString() };
    let reply;
    try {
      reply = await this.api.postJson(this.urls.undo, body);
    } catch (error) {
      if (!(error instanceof NetworkError)) {
        throw error;
      }
      this.result.showNote(fill(this.strings.undoFailed, { message: this.strings.offline }));
      return;
    }
    if (reply.status === 200 && reply.data && reply.data.undone) {
      this.result.showUndone();
      if (answer.person && !answer.reentry) {
        await this.forgetAdmission(answer.person.id);
      }
      this.refreshStats();
      this.search.refresh();
    } else {
      const message = (reply.data && reply.data.message) || `HTTP ${reply.status}`;
      this.result.showNote(fill(this.strings.undoFailed, { message }));
    }
  }

  async checkInDelegation(answer) {
    const { secret, registration } = answer.scan;
    const body = {
      checkpoint: this.checkpoint.id,
      nonce: newNonce(),
      scanned_at: new Date().toISOString(),
      ...(registration != null ? { registration } : { secret }),
    };
    try {
      const reply = await this.api.postJson(this.urls.delegation, body);
      if (reply.status === 200) {
        this.result.showDelegationOutcome(this.delegationSummary(reply.data));
        this.refreshStats();
        this.refreshRoster();
      } else {
        this.result.showNote(fill(this.strings.failed, { message: (reply.data && reply.data.message) || reply.status }));
      }
    } catch (error) {
      if (!(error instanceof NetworkError)) {
        throw error;
      }
      this.result.showNote(fill(this.strings.failed, { message: this.strings.offline }));
    }
  }

  delegationSummary({ counts = {}, refused = [] }) {
    const summary = fill(this.strings.delegationDone, {
      admitted: counts.ok || 0,
      already: counts.already_checked_in || 0,
      refused: refused.length,
    });
    const names = refused.map((person) => `${person.name}: ${person.message}`);
    return [summary, ...names].join(" · ");
  }

  // --- what the phone knows -----------------------------------------------------------------

  async openStore() {
    try {
      this.store = await ScannerStore.open();
      this.queue = new ScanQueue(this.store, this.api);
      await this.loadStoredRoster();
      await this.countQueue();
    } catch {
      this.notice.show(this.strings.storageFailed, 30);
    }
  }

  async loadStoredRoster() {
    const snapshot = await this.store.loadRoster(this.checkpoint.id);
    if (snapshot && !this.roster) {
      await this.useRoster(snapshot, "stored");
    }
  }

  async useRoster(snapshot, state) {
    const admissions = await this.store.admissions(this.checkpoint.id);
    this.roster = new LocalRoster(snapshot, admissions);
    this.root.dataset.roster = state;
  }

  async refreshRoster() {
    if (!this.online || !this.store || this.rosterBusy) {
      return;
    }
    this.rosterBusy = true;
    const startedAt = Date.now();
    try {
      const snapshot = await this.api.getJson(this.urls.roster);
      await this.store.saveRoster(this.checkpoint.id, snapshot);
      await this.store.dropAdmissionsSentBefore(this.checkpoint.id, startedAt);
      await this.useRoster(snapshot, "saved");
    } catch (error) {
      this.readFailed(error);
    } finally {
      this.rosterBusy = false;
    }
  }

  async noteAdmission(registration, at, nonce, sent) {
    if (this.roster) {
      this.roster.markAdmitted(registration, at);
    }
    if (this.store) {
      const admission = { checkpoint: this.checkpoint.id, registration, at, nonce, sentAt: sent ? Date.now() : null };
      await this.store.rememberAdmission(admission).catch(() => {});
    }
  }

  async forgetAdmission(registration) {
    if (this.roster) {
      this.roster.forgetAdmission(registration);
    }
    if (this.store) {
      await this.store.forgetAdmission(this.checkpoint.id, registration).catch(() => {});
    }
  }

  async findPeople(query) {
    if (this.online && navigator.onLine) {
      try {
        const data = await this.api.getJson(`${this.urls.search}?q=${encodeURIComponent(query)}`);
        return data.people.map((person) => this.withLocalAdmission(person));
      } catch (error) {
        this.readFailed(error);
      }
    }
    return this.roster ? this.roster.search(query) : [];
  }

  withLocalAdmission(person) {
    const local = this.roster ? this.roster.admittedLocally.get(person.id) : null;
    return { ...person, in: person.in || local || null };
  }

  readFailed(error) {
    if (error instanceof HttpError && error.status === 401) {
      this.notice.show(this.strings.signedOut, 15);
    } else if (!(error instanceof NetworkError) && !(error instanceof HttpError)) {
      throw error;
    }
  }

  // --- connection, queue and header ------------------------------------------------------------

  setReachable(reachable) {
    if (reachable === this.online) {
      return;
    }
    this.online = reachable;
    this.renderConnection();
    if (reachable) {
      this.reconnected();
    }
  }

  reconnected() {
    this.flushQueue();
    this.refreshRoster();
    this.refreshStats();
  }

  refreshFromServer() {
    if (this.online) {
      this.reconnected();
    }
  }

  // After a failure, the server is tried again now and then; a success brings the page back online.
  retry() {
    if (!navigator.onLine) {
      return;
    }
    if (!this.online) {
      this.refreshStats();
    } else if (this.queued > 0) {
      this.flushQueue();
    }
  }

  async flushQueue() {
    if (!this.queue || !this.online || this.flushing) {
      return;
    }
    this.flushing = true;
    try {
      const report = await this.queue.flush();
      if (report) {
        await this.afterFlush(report);
      }
    } catch {
      // Storage failed mid-way: every scan not yet confirmed is still queued.
    } finally {
      this.flushing = false;
      await this.countQueue();
    }
  }

  async afterFlush({ sent, setAside, blockedBy }) {
    const changed = [];
    for (const { scan, answer } of sent) {
      await this.learnFromSent(scan, answer);
      if (scan.localResult && (answer.result !== scan.localResult || answer.conflict) && answer.person) {
        changed.push(`${answer.person.name}: ${answer.message}`);
      }
    }
    const lines = [];
    if (sent.length) {
      lines.push(fill(this.strings.synced, { count: sent.length }));
    }
    if (changed.length) {
      lines.push(fill(this.strings.syncDiffers, { names: changed.join("; ") }));
    }
    if (setAside.length) {
      lines.push(fill(this.strings.setAside, { count: setAside.length }));
    }
    if (blockedBy && blockedBy.status === 401) {
      lines.push(this.strings.signedOut);
    }
    if (lines.length) {
      this.notice.show(lines.join(" "), changed.length ? 30 : 8);
    }
    if (sent.length) {
      this.refreshStats();
      this.search.refresh();
    }
  }

  async learnFromSent(scan, answer) {
    if (scan.checkpoint !== this.checkpoint.id || !answer || !answer.person || this.checkpoint.kind === "exit") {
      return;
    }
    if (answer.result === "ok" || answer.result === "already_checked_in") {
      const first = answer.first ? answer.first.at : answer.scanned_at;
      await this.noteAdmission(answer.person.id, first, scan.nonce, true);
    } else if (scan.offline) {
      await this.forgetAdmission(answer.person.id);
    }
  }

  async countQueue() {
    if (this.queue) {
      this.queued = await this.queue.count().catch(() => this.queued);
    }
    this.renderConnection();
    await this.showSetAside().catch(() => null);
  }

  // Offline scans the server refused for good stay listed on the phone: the
  // people may be inside already, and an organiser has to hear about them.
  async showSetAside() {
    const panel = document.getElementById("set-aside");
    const scans = this.store ? await this.store.setAsideScans() : [];
    panel.hidden = scans.length === 0;
    panel.querySelector("[data-field=count]").textContent = String(scans.length);
    const items = await Promise.all(scans.map((scan) => this.setAsideItem(scan)));
    panel.querySelector("[data-field=list]").replaceChildren(...items);
  }

  async setAsideItem(scan) {
    const item = document.createElement("li");
    const entry = await this.rosterEntryOf(scan);
    const answer = scan.answer || {};
    const when = this.formatTime(scan.scanned_at);
    const who = entry ? entry.name : this.strings.unknownPerson;
    item.textContent = `${when} · ${who} · ${answer.message || answer.error || ""}`;
    return item;
  }

  async rosterEntryOf(scan) {
    if (!this.roster) {
      return null;
    }
    if (scan.registration != null) {
      return this.roster.byId.get(scan.registration) || null;
    }
    return this.roster.byHash.get(await secretDigest(scan.secret)) || null;
  }

  renderConnection() {
    const count = this.queued;
    let state = "online";
    let text = this.strings.online;
    if (!this.online) {
      state = "offline";
      text = count ? fill(this.strings.offlineQueued, { count }) : this.strings.offline;
    } else if (count) {
      state = "syncing";
      text = fill(this.strings.onlineQueued, { count });
    }
    this.pill.dataset.state = state;
    this.pill.textContent = text;
    this.root.dataset.queued = String(count);
    this.root.dataset.online = String(this.online);
  }

  async refreshStats() {
    if (!navigator.onLine) {
      return;
    }
    try {
      const stats = await this.api.getJson(this.urls.stats);
      this.showStats(stats);
      localStorage.setItem(this.statsKey(), JSON.stringify(stats));
    } catch (error) {
      this.readFailed(error);
    }
  }

  statsKey() {
    return `huiwu-checkin-stats-${this.checkpoint.id}`;
  }

  showStoredStats() {
    try {
      const stats = JSON.parse(localStorage.getItem(this.statsKey()));
      if (stats) {
        this.showStats(stats);
      }
    } catch {
      // A damaged value only costs the header its figures until the next refresh.
    }
  }

  showStats({ admitted, expected }) {
    this.root.querySelector("[data-testid=admitted]").textContent = String(admitted);
    this.root.querySelector("[data-testid=expected]").textContent = String(expected);
  }

  // Offline admissions count in the header until the server's figure replaces it.
  countAdmittedLocally() {
    const admitted = this.root.querySelector("[data-testid=admitted]");
    const current = Number.parseInt(admitted.textContent, 10);
    if (Number.isFinite(current)) {
      admitted.textContent = String(current + 1);
    }
  }

  // --- offline page ------------------------------------------------------------------------------

  async registerServiceWorker() {
    if (!("serviceWorker" in navigator)) {
      return;
    }
    try {
      await navigator.serviceWorker.register(this.urls.serviceWorker, { scope: this.urls.scope });
    } catch {
      // Offline, the worker installed on an earlier visit keeps serving.
    }
    const registration = await navigator.serviceWorker.ready;
    await untilControlled();
    const page = location.href.split("#")[0];
    const reply = await askToRemember(registration.active, [page, ...this.config.offlineAssets]);
    this.root.dataset.sw = reply && reply.ok ? "ready" : "partial";
  }
}

const config = JSON.parse(document.getElementById("scanner-config").textContent);
new ScannerPage(config).start();
