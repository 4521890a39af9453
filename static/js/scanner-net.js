// Talking to the check-in API, and sending the scans queued while offline.

const SCAN_TIMEOUT_MS = 8000;
const READ_TIMEOUT_MS = 15000;

export class NetworkError extends Error {}

export class HttpError extends Error {
  constructor(status, data) {
    super((data && data.message) || `HTTP ${status}`);
    this.status = status;
    this.data = data;
  }
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

export function newNonce() {
  return crypto.randomUUID();
}

export class CheckinApi {
  constructor(urls, onReachability) {
    this.urls = urls;
    this.onReachability = onReachability;
    this.csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  }

  async request(url, init, timeoutMs) {
    let response;
    try {
      response = await fetch(url, {
        ...init,
        credentials: "same-origin",
        cache: "no-store",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      this.onReachability(false);
      throw new NetworkError(error.message);
    }
    // A gateway error means the server itself is out of reach.
    this.onReachability(response.status < 502 || response.status > 504);
    return response;
  }

  async getJson(url) {
    const response = await this.request(url, { headers: { Accept: "application/json" } }, READ_TIMEOUT_MS);
    const data = await readJson(response);
    if (!response.ok) {
      throw new HttpError(response.status, data);
    }
    return data;
  }

  // Resolves to {status, data} whatever the status; rejects with NetworkError.
  async postJson(url, body) {
    let answer = await this.sendPost(url, body);
    if (answer.status === 400 && answer.data && answer.data.error === "csrf_failed") {
      // A page kept for hours (or loaded from the offline cache) holds an expired token.
      await this.refreshCsrfToken();
      answer = await this.sendPost(url, body);
    }
    return answer;
  }

  async sendPost(url, body) {
    const init = {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": this.csrfToken,
      },
      body: JSON.stringify(body),
    };
    const response = await this.request(url, init, SCAN_TIMEOUT_MS);
    return { status: response.status, data: await readJson(response) };
  }

  async refreshCsrfToken() {
    try {
      const session = await this.getJson(this.urls.session);
      this.csrfToken = session.csrf_token;
    } catch (error) {
      if (!(error instanceof HttpError)) {
        throw error;
      }
    }
  }
}

// What to do with a queued scan after the server answered with this status.
export function disposition(status, data) {
  const error = data && data.error;
  if (status >= 200 && status < 300) {
    return "sent";
  }
  if (status === 401 || status === 408 || status === 429 || status >= 500) {
    return "retry";
  }
  if (error === "csrf_failed" || error === "busy") {
    return "retry";
  }
  // The scan's own time is fixed: the server's clock catches up with it.
  if (error === "scanned_at_in_future") {
    return "retry";
  }
  return status >= 400 && status < 500 ? "final" : "retry";
}

export function scanBody(scan) {
  const body = {
    nonce: scan.nonce,
    checkpoint: scan.checkpoint,
    scanned_at: scan.scanned_at,
    offline: scan.offline,
  };
  if (scan.registration != null) {
    body.registration = scan.registration;
  } else {
    body.secret = scan.secret;
  }
  return body;
}

async function exclusively(name, work) {
  if (!navigator.locks) {
    return work();
  }
  // Another tab already sending the queue is enough; this one skips its turn.
  return navigator.locks.request(name, { ifAvailable: true }, (lock) => (lock ? work() : null));
}

export class ScanQueue {
  constructor(store, api) {
    this.store = store;
    this.api = api;
  }

  add(scan) {
    return this.store.enqueue(scan);
  }

  count() {
    return this.store.countQueued();
  }

  // Sends queued scans oldest first; stops at the first one that must be retried,
  // so that the server sees them in the order they happened.
  flush() {
    return exclusively("huiwu-checkin-queue", () => this.sendAll());
  }

  async sendAll() {
    const report = { sent: [], setAside: [], blockedBy: null };
    for (const scan of await this.store.queuedScans()) {
      const outcome = await this.send(scan);
      if (outcome.kind === "retry") {
        report.blockedBy = outcome;
        break;
      }
      if (outcome.kind === "final") {
        await this.store.setAside(scan, outcome.data);
        report.setAside.push(scan);
      } else {
        await this.store.dequeue(scan.seq);
        report.sent.push({ scan, answer: outcome.data });
      }
    }
    return report;
  }

  async send(scan) {
    try {
      const { status, data } = await this.api.postJson(this.api.urls.scan, scanBody(scan));
      return { kind: disposition(status, data), status, data };
    } catch (error) {
      if (error instanceof NetworkError) {
        return { kind: "retry", status: 0, data: null };
      }
      throw error;
    }
  }
}
