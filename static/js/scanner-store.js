// What the scanner keeps on the phone across reloads and lost connections:
// roster snapshots, the queue of scans still to send, admissions the stored
// snapshot does not know about yet, and queued scans the server refused.

const DATABASE = "huiwu-checkin";
const VERSION = 1;

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, VERSION);
    request.onupgradeneeded = () => createStores(request.result);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("the scanner's storage is held by an older tab"));
  });
}

function createStores(database) {
  database.createObjectStore("rosters", { keyPath: "checkpoint" });
  // An auto-increment key keeps queued scans in the order they were made.
  database.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
  database.createObjectStore("admissions", { keyPath: ["checkpoint", "registration"] });
  database.createObjectStore("setAside", { keyPath: "nonce" });
}

function wholeCheckpoint(checkpoint) {
  return IDBKeyRange.bound([checkpoint, -Infinity], [checkpoint, Infinity]);
}

export class ScannerStore {
  static async open() {
    return new ScannerStore(await openDatabase());
  }

  constructor(database) {
    this.database = database;
    // Another tab upgrading the schema must not wait on this one forever.
    database.onversionchange = () => database.close();
  }

  // Resolves once the transaction has committed, with the last request's result.
  // Queue writes ask for strict durability: a scan must survive a crash.
  transact(stores, mode, work) {
    const options = mode === "readwrite" ? { durability: "strict" } : undefined;
    return new Promise((resolve, reject) => {
      const transaction = this.database.transaction(stores, mode, options);
      let request = null;
      const track = (value) => { request = value; };
      work(transaction, track);
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error || new Error("storage transaction aborted"));
    });
  }

  saveRoster(checkpoint, snapshot) {
    return this.transact("rosters", "readwrite", (tx, track) =>
      track(tx.objectStore("rosters").put({ checkpoint, snapshot, savedAt: Date.now() })));
  }

  async loadRoster(checkpoint) {
    const record = await this.transact("rosters", "readonly", (tx, track) =>
      track(tx.objectStore("rosters").get(checkpoint)));
    return record ? record.snapshot : null;
  }

  // Signing out leaves no names on the phone; queued scans stay until they are sent.
  forgetRosters() {
    return this.transact("rosters", "readwrite", (tx, track) => track(tx.objectStore("rosters").clear()));
  }

  enqueue(scan) {
    return this.transact("queue", "readwrite", (tx, track) => track(tx.objectStore("queue").add(scan)));
  }

  queuedScans() {
    return this.transact("queue", "readonly", (tx, track) => track(tx.objectStore("queue").getAll()));
  }

  countQueued() {
    return this.transact("queue", "readonly", (tx, track) => track(tx.objectStore("queue").count()));
  }

  dequeue(seq) {
    return this.transact("queue", "readwrite", (tx) => tx.objectStore("queue").delete(seq));
  }

  // A queued scan the server will never accept is kept aside, not thrown away.
  setAside(scan, answer) {
    return this.transact(["queue", "setAside"], "readwrite", (tx) => {
      tx.objectStore("setAside").put({ ...scan, answer, setAsideAt: new Date().toISOString() });
      tx.objectStore("queue").delete(scan.seq);
    });
  }

  setAsideScans() {
    return this.transact("setAside", "readonly", (tx, track) => track(tx.objectStore("setAside").getAll()));
  }

  rememberAdmission(admission) {
    return this.transact("admissions", "readwrite", (tx) => tx.objectStore("admissions").put(admission));
  }

  forgetAdmission(checkpoint, registration) {
    return this.transact("admissions", "readwrite", (tx) =>
      tx.objectStore("admissions").delete([checkpoint, registration]));
  }

  admissions(checkpoint) {
    return this.transact("admissions", "readonly", (tx, track) =>
      track(tx.objectStore("admissions").getAll(wholeCheckpoint(checkpoint))));
  }

  // Once a snapshot fetched after an admission reached the server includes it,
  // the local record has done its job.
  async dropAdmissionsSentBefore(checkpoint, time) {
    const admissions = await this.admissions(checkpoint);
    const done = admissions.filter((item) => item.sentAt && item.sentAt < time);
    if (done.length === 0) {
      return;
    }
    await this.transact("admissions", "readwrite", (tx) => {
      const store = tx.objectStore("admissions");
      done.forEach((item) => store.delete([item.checkpoint, item.registration]));
    });
  }
}
