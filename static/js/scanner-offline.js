// Deciding a scan on the phone while the server cannot be reached, with the
// server's own rules and the roster snapshot it handed out earlier.

const STATUS_RESULTS = {
  cancelled: "cancelled",
  rejected: "cancelled",
  pending: "pending",
  waitlisted: "waitlisted",
};

// The snapshot keys people by the hash of their badge code, never the code itself.
export function normaliseSecret(raw) {
  return (raw || "").trim().toUpperCase();
}

export async function secretDigest(secret) {
  const bytes = new TextEncoder().encode(secret);
  const hash = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(hash), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function statusResult(status) {
  return STATUS_RESULTS[status] || null;
}

function matchesText(entry, needle) {
  return [entry.name, entry.name_en, entry.organisation, entry.delegation]
    .some((text) => (text || "").toLowerCase().includes(needle));
}

// Masked mobiles keep only their first three and last four digits.
function matchesMobile(entry, digits) {
  return digits.length >= 3 && (entry.mobile || "").split(/\*+/).some((part) => part.includes(digits));
}

export class LocalRoster {
  constructor(snapshot, admissions = []) {
    this.rules = snapshot.checkpoint;
    this.categories = snapshot.categories || {};
    this.generatedAt = snapshot.generated_at;
    this.people = snapshot.people || [];
    this.byHash = new Map(this.people.map((entry) => [entry.h, entry]));
    this.byId = new Map(this.people.map((entry) => [entry.id, entry]));
    this.revoked = new Set(snapshot.revoked || []);
    // Admissions made after the snapshot was taken, by this phone.
    this.admittedLocally = new Map(admissions.map((item) => [item.registration, item.at]));
  }

  get size() {
    return this.people.length;
  }

  category(code) {
    return this.categories[code] || null;
  }

  admittedAt(entry) {
    return entry.in || this.admittedLocally.get(entry.id) || null;
  }

  markAdmitted(registration, at) {
    if (!this.admittedLocally.has(registration)) {
      this.admittedLocally.set(registration, at);
    }
  }

  forgetAdmission(registration) {
    this.admittedLocally.delete(registration);
    const entry = this.byId.get(registration);
    if (entry) {
      entry.in = null;
    }
  }

  search(query) {
    const needle = query.trim().toLowerCase();
    if (!needle) {
      return [];
    }
    const digits = needle.replace(/\D/g, "");
    return this.people
      .filter((entry) => matchesText(entry, needle) || matchesMobile(entry, digits))
      .sort((a, b) => a.name.localeCompare(b.name))
      .slice(0, 20)
      .map((entry) => ({ ...entry, in: this.admittedAt(entry) }));
  }

  // The same order of checks as the server; returns {result, entry, first, reentry}.
  decide({ hash = null, registration = null }, when) {
    const entry = hash ? this.byHash.get(hash) : this.byId.get(registration);
    if (!entry) {
      return { result: hash && this.revoked.has(hash) ? "revoked" : "unknown", entry: null };
    }
    const refusal = statusResult(entry.status) || this.ruleRefusal(entry, when);
    if (refusal) {
      return { result: refusal, entry };
    }
    return this.admission(entry, when);
  }

  ruleRefusal(entry, when) {
    if (this.rules.kind === "exit") {
      return null; // leaving is always recorded
    }
    const category = this.category(entry.category);
    if (category && category.allowed === false) {
      return "not_allowed";
    }
    const opens = this.rules.opens_at ? new Date(this.rules.opens_at) : null;
    const closes = this.rules.closes_at ? new Date(this.rules.closes_at) : null;
    if ((opens && when < opens) || (closes && when > closes)) {
      return "outside_window";
    }
    return null;
  }

  admission(entry, when) {
    if (this.rules.kind === "exit") {
      return { result: "ok", entry, admits: false };
    }
    const first = this.admittedAt(entry);
    if (!first) {
      return { result: "ok", entry, admits: true };
    }
    if (this.rules.allows_reentry) {
      return { result: "ok", entry, reentry: true, first, admits: false };
    }
    return { result: "already_checked_in", entry, first, admits: false };
  }
}
