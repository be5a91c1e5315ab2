// One reconnecting WebSocket client shared by the contestant, host and display pages.
//
// - builds ws(s)://<this host>/ws/... from location
// - reconnects with exponential back-off and jitter (0.5 s doubling to 10 s); at once when the
//   browser comes back online or the tab becomes visible again
// - emits "state-change" (connecting | connected | stalled | reconnecting | offline | closed) for the badge
//   and the offline banner: "offline" as soon as the browser says so (its offline event), "stalled" when a
//   ping has had no frame at all back for `stallAfter` (2 s, or three of the last round trips when the
//   server answers slowly), although the socket still looks open
// - pings every 5 s, every 1.5 s while the page is watchful (a question is open: `setWatchful`), and at
//   once after an answer goes out (`probe`), so a dead line shows within about 3 s; keeps the clock
//   offset of the lowest-rtt sample of the last few, so countdowns run on server time:
//   remaining = deadline - socket.now()
// - a stalled line is dropped and reopened only after `silenceLimit` (11 s): a server slowed by a join
//   storm is not made busier by thousands of phones reconnecting
// - tracks the highest round `version` seen: "state", "welcome" and "snapshot" frames older than it
//   are dropped (emitted as "stale"); every other frame type is always delivered
// - calls `onOpen(socket)` after every (re)connect: the contestant page sends join/resume there
//   (host and display are sent a snapshot by the server on connect)
// - stops for good on the close codes after which coming back cannot help (codes.js, from the server)
//
// The browser is reached only through `options.env` (default: globalThis, i.e. window), so the unit tests
// run it in node with a fake WebSocket, window, document and navigator, and node's mock timers.

import { FINAL_CLOSE_CODES } from "./codes.js";

const FULL_STATE = new Set(["state", "welcome", "snapshot"]);
const CLOCK_SAMPLES = 8;
// WebSocket readyState values (the same in every implementation).
const CONNECTING = 0;
const OPEN = 1;
// Not a server code: the line went silent, so the client dropped it (the WebSocket "abnormal" range).
export const CLOSE_NO_REPLY = 4000;

export function wsUrl(path, where = globalThis.location) {
  const scheme = where.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${where.host}${path}`;
}

export class QuizSocket {
  constructor(path, options = {}) {
    this.env = options.env || globalThis;
    this.url = wsUrl(path, this.env.location);
    this.random = options.random || Math.random;
    this.onOpen = options.onOpen || null;
    this.pingEvery = options.pingEvery ?? 5000;
    this.watchfulPingEvery = options.watchfulPingEvery ?? 1500;
    // No frame at all for this long after a ping: show the line as stalled (the socket is kept).
    this.stallAfter = options.stallAfter ?? 2000;
    this.minDelay = options.minDelay ?? 500;
    this.maxDelay = options.maxDelay ?? 10000;
    // No frame at all for this long after a ping means the line is dead even if TCP has not noticed.
    this.silenceLimit = options.silenceLimit ?? 2 * this.pingEvery + 1000;
    this.finalCloseCodes = options.finalCloseCodes || FINAL_CLOSE_CODES;

    this.ws = null;
    this.state = "connecting";
    this.stopped = true;
    this.attempt = 0;
    this.version = 0;
    this.offset = 0; // server clock minus this clock, in ms
    this.rtt = null; // rtt of the sample the offset comes from
    this.lastRtt = null;
    this.samples = [];
    this.everConnected = false;
    this.watchful = false;
    this.browserOffline = this.env.navigator?.onLine === false;
    this.link = "connecting"; // the socket's own state; `state` adds what the browser says about the network
    this.lastFrameAt = 0;
    this._awaitingSince = null; // when the first ping without any frame since then went out
    this.closeEvent = null;
    this._listeners = new Map();
    this._retryTimer = null;
    this._pingTimer = null;
    this._firstPingTimer = null;
    this._stallTimer = null;

    this._onOnline = () => {
      this.browserOffline = false;
      this._showState();
      if (this.isOpen) this.probe();
      else this.reconnectNow();
    };
    this._onOffline = () => {
      this.browserOffline = true;
      this._showState();
      if (this.isOpen) this.probe(); // a line that still answers is kept; a dead one is found out
    };
    this._onVisible = () => {
      if (this.env.document.visibilityState !== "visible") return;
      if (!this.isOpen) this.reconnectNow();
      else if (Date.now() - this.lastFrameAt > this.pingEvery) this.ping(); // check the line after a sleep
    };
  }

  // --- events ------------------------------------------------------------------------------------

  /** Listen to a frame type ("state", "ack", ...), "frame" (every delivered frame), "stale",
   *  "state-change" (connection state), "open", "close" or "clock". Returns an unsubscribe function. */
  on(type, handler) {
    if (!this._listeners.has(type)) this._listeners.set(type, new Set());
    this._listeners.get(type).add(handler);
    return () => this._listeners.get(type)?.delete(handler);
  }

  emit(type, payload) {
    for (const handler of this._listeners.get(type) || []) {
      try {
        handler(payload, this);
      } catch (error) {
        console.error(`quiz socket: a "${type}" handler failed`, error);
      }
    }
  }

  // --- lifecycle ---------------------------------------------------------------------------------

  get isOpen() {
    return this.ws !== null && this.ws.readyState === OPEN;
  }

  /** True when frames can be expected to reach the server now: open, answering, and the browser online. */
  get isLive() {
    return this.state === "connected";
  }

  start() {
    if (!this.stopped) return this;
    this.stopped = false;
    this.env.addEventListener("online", this._onOnline);
    this.env.addEventListener("offline", this._onOffline);
    this.env.document.addEventListener("visibilitychange", this._onVisible);
    this._connect();
    return this;
  }

  /** Close for good (kicked, logged out, round gone). */
  stop() {
    this.stopped = true;
    clearTimeout(this._retryTimer);
    this.env.removeEventListener("online", this._onOnline);
    this.env.removeEventListener("offline", this._onOffline);
    this.env.document.removeEventListener("visibilitychange", this._onVisible);
    this._stopPings();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      try {
        ws.close(1000);
      } catch {
        /* already closed */
      }
    }
    this._setState("closed");
  }

  /** Drop the current connection and open a fresh one at once (e.g. to join another round). */
  restart() {
    if (this.stopped) {
      this.start();
      return;
    }
    this._drop(null, { immediate: true });
  }

  reconnectNow() {
    if (this.stopped || this.isOpen) return;
    if (this.ws && this.ws.readyState === CONNECTING) return;
    this.attempt = 0;
    clearTimeout(this._retryTimer);
    this._connect();
  }

  _connect() {
    clearTimeout(this._retryTimer);
    if (this.stopped) return;
    this._setState(this.everConnected ? (this._offline() ? "offline" : "reconnecting") : "connecting");
    let ws;
    try {
      ws = new this.env.WebSocket(this.url);
    } catch (error) {
      console.error("quiz socket: cannot open", error);
      this._scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.everConnected = true;
      this.closeEvent = null;
      this.lastFrameAt = Date.now();
      this._setState("connected");
      this._startPings();
      if (this.onOpen) {
        try {
          this.onOpen(this);
        } catch (error) {
          console.error("quiz socket: onOpen failed", error);
        }
      }
      this.emit("open");
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      this.lastFrameAt = Date.now();
      this._awaitingSince = null;
      clearTimeout(this._stallTimer);
      if (this.link === "stalled") this._setState("connected");
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame && typeof frame.type === "string") this._receive(frame);
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this._drop(event);
    };
    ws.onerror = () => {
      /* a close event follows */
    };
  }

  _drop(event, { immediate = false } = {}) {
    const ws = this.ws;
    this.ws = null;
    this._stopPings();
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1000);
      } catch {
        /* already closed */
      }
    }
    this.closeEvent = event;
    this.emit("close", event || { code: 1006, reason: "", wasClean: false });
    if (this.stopped) return;
    if (event && this.finalCloseCodes.has(event.code)) {
      this.stopped = true;
      this._setState("closed");
      return;
    }
    if (immediate) {
      this.attempt = 0;
      this._connect();
    } else {
      this._scheduleReconnect();
    }
  }

  _scheduleReconnect() {
    if (this.stopped) return;
    this._setState(this._offline() ? "offline" : this.everConnected ? "reconnecting" : "connecting");
    const base = Math.min(this.maxDelay, this.minDelay * 2 ** this.attempt);
    this.attempt += 1;
    // Jitter: anywhere from half to the whole step, so thousands of phones do not all come back at once.
    const delay = base / 2 + this.random() * (base / 2);
    clearTimeout(this._retryTimer);
    this._retryTimer = setTimeout(() => this._connect(), delay);
  }

  _offline() {
    return this.env.navigator?.onLine === false;
  }

  _setState(link) {
    this.link = link;
    this._showState();
  }

  /** The state shown: the socket's own, but "offline" while the browser reports no network. */
  _showState() {
    const link = this.link;
    const state = this.browserOffline && link !== "closed" ? "offline" : link;
    if (state === this.state) return;
    this.state = state;
    this.emit("state-change", state);
  }

  // --- frames ------------------------------------------------------------------------------------

  send(frame) {
    if (!this.isOpen) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  _receive(frame) {
    if (frame.type === "pong") this._pong(frame);
    if (frame.type === "welcome" || frame.type === "snapshot" || frame.type === "pong") this.attempt = 0; // the server is healthy
    const version = frame.version;
    if (typeof version === "number") {
      if (FULL_STATE.has(frame.type) && version < this.version) {
        this.emit("stale", frame);
        return;
      }
      if (version > this.version) this.version = version;
    }
    if (!this.samples.length && frame.round && typeof frame.round.server_time === "number") {
      this.offset = frame.round.server_time - Date.now(); // rough until the first pong
    }
    this.emit(frame.type, frame);
    this.emit("frame", frame);
  }

  /** Forget the highest version seen: call before joining a (possibly different) round. */
  resetVersion() {
    this.version = 0;
  }

  // --- clock -------------------------------------------------------------------------------------

  ping() {
    if (!this.send({ type: "ping", t: Date.now() }) || this._awaitingSince !== null) return;
    this._awaitingSince = Date.now();
    clearTimeout(this._stallTimer);
    this._stallTimer = setTimeout(() => this._checkStall(), this._stallLimit());
  }

  /** How long a ping may go unanswered before the line shows as stalled: `stallAfter`, or three of the
   *  last round trips when the server is answering slowly (a busy moment is not a dead line). */
  _stallLimit() {
    return Math.max(this.stallAfter, 3 * (this.lastRtt ?? 0));
  }

  /** Check the line now (after an answer went out, or the network changed): ping unless one is unanswered. */
  probe() {
    if (this.isOpen && this._awaitingSince === null) this.ping();
  }

  /** Ping often while it matters to know the line is alive (a question is open), rarely otherwise. */
  setWatchful(watchful) {
    if (watchful === this.watchful) return;
    this.watchful = watchful;
    if (this.isOpen && this._pingTimer !== null) this._schedulePing();
  }

  _checkStall() {
    if (!this.isOpen || this._awaitingSince === null) return;
    // A hidden tab's timers and frames may run late: judge the line once the page is seen again.
    if (this.env.document.visibilityState === "hidden") return;
    if (Date.now() - this._awaitingSince >= this._stallLimit() && this.link === "connected") this._setState("stalled");
  }

  _startPings() {
    this._stopPings();
    this._awaitingSince = null;
    this.ping();
    this._firstPingTimer = setTimeout(() => this.ping(), 1000); // a second sample early
    this._schedulePing();
  }

  _schedulePing() {
    clearTimeout(this._pingTimer);
    this._pingTimer = setTimeout(() => {
      this._pingTimer = null;
      if (!this.isOpen) return;
      // Checked against the first unanswered ping, not the last frame: a background tab's timers
      // may run once a minute, which must not look like a dead line.
      if (this._awaitingSince !== null && Date.now() - this._awaitingSince > this.silenceLimit) {
        this._drop({ code: CLOSE_NO_REPLY, reason: "no reply", wasClean: false });
        return;
      }
      this.ping();
      this._schedulePing();
    }, this.watchful ? this.watchfulPingEvery : this.pingEvery);
  }

  _stopPings() {
    clearTimeout(this._pingTimer);
    clearTimeout(this._firstPingTimer);
    clearTimeout(this._stallTimer);
    this._pingTimer = null;
  }

  _pong(frame) {
    if (typeof frame.t !== "number" || typeof frame.server_time !== "number") return;
    const received = Date.now();
    const rtt = received - frame.t;
    if (rtt < 0 || rtt > 60000) return;
    this.lastRtt = rtt;
    this.samples.push({ rtt, offset: frame.server_time - (frame.t + rtt / 2) });
    if (this.samples.length > CLOCK_SAMPLES) this.samples.shift();
    const best = this.samples.reduce((a, b) => (b.rtt < a.rtt ? b : a));
    this.offset = best.offset;
    this.rtt = best.rtt;
    this.emit("clock", { offset: this.offset, rtt: this.rtt });
  }

  /** The server's clock now, in epoch ms. */
  now() {
    return Date.now() + this.offset;
  }

  /** Milliseconds left until `deadline` (server epoch ms). */
  remaining(deadline) {
    return deadline - this.now();
  }
}

// --- answers ------------------------------------------------------------------------------------

/** The contestant's answer that has not been acked yet: sent again until an `ack` arrives (after a
 *  reconnect and resume too), and kept in localStorage so a reload does not lose it. The server keeps
 *  the first answer it stores, and a repeat gets a `duplicate: true` ack, so resending is always safe. */
export class AnswerQueue {
  constructor(socket, { retryMs = 3000, onChange = null, storage = null } = {}) {
    this.socket = socket;
    this.retryMs = retryMs;
    this.onChange = onChange;
    this._storage = storage; // localStorage unless given; read lazily, as private mode may refuse it
    this.storageKey = null;
    this.pending = null; // {question, choices, text?, client_elapsed_ms, tapped_at}
    this.ready = false; // joined on the current connection: answers may be sent
    this._timer = null;
    socket.on("close", () => {
      this.ready = false;
      clearTimeout(this._timer);
    });
  }

  /** Where the pending answer survives a reload (per PIN); loads what is stored there. */
  useStorage(key) {
    this.storageKey = key;
    this.pending = null;
    try {
      const stored = key && this.storage.getItem(key);
      if (stored) this.pending = JSON.parse(stored);
    } catch {
      this.pending = null;
    }
    return this.pending;
  }

  get storage() {
    return this._storage || globalThis.localStorage;
  }

  _save() {
    if (!this.storageKey) return;
    try {
      if (this.pending) this.storage.setItem(this.storageKey, JSON.stringify(this.pending));
      else this.storage.removeItem(this.storageKey);
    } catch {
      /* private mode: memory only */
    }
  }

  submit(question, choices, extra = {}) {
    this.pending = { question, choices: [...choices].sort((a, b) => a - b), ...extra };
    this._save();
    this._changed();
    this.flush();
  }

  /** A typed answer (short answer, numerical): sent as `text`, with no choices. */
  submitText(question, text, extra = {}) {
    this.pending = { question, choices: [], text, ...extra };
    this._save();
    this._changed();
    this.flush();
  }

  /** Send the pending answer now if the socket has joined; re-arms the resend timer. */
  flush() {
    clearTimeout(this._timer);
    if (!this.pending || !this.ready) return false;
    const frame = { type: "answer", question: this.pending.question };
    if (typeof this.pending.text === "string") frame.text = this.pending.text;
    else frame.choices = this.pending.choices;
    if (Number.isInteger(this.pending.client_elapsed_ms)) frame.client_elapsed_ms = this.pending.client_elapsed_ms;
    // When the contestant tapped, on the server's clock as this phone knows it: the same on every retry.
    if (Number.isInteger(this.pending.tapped_at)) frame.tapped_at = this.pending.tapped_at;
    const rtt = this.socket.lastRtt ?? this.socket.rtt;
    if (rtt !== null && rtt !== undefined) frame.rtt_ms = Math.min(600000, Math.max(0, Math.round(rtt)));
    const sent = this.socket.send(frame);
    if (sent) this.socket.probe(); // the ack or a pong must follow soon, or the line is shown as stalled
    this._timer = setTimeout(() => this.flush(), this.retryMs);
    return sent;
  }

  /** Joined (or rejoined) on this connection: resend what is still unacked. */
  setReady(ready) {
    this.ready = ready;
    if (ready) this.flush();
    else clearTimeout(this._timer);
  }

  /** An `ack` arrived: returns true if it settles the pending answer. */
  acked(frame) {
    if (this.pending && frame.question === this.pending.question) {
      this.drop();
      return true;
    }
    return false;
  }

  drop() {
    clearTimeout(this._timer);
    if (!this.pending) return;
    this.pending = null;
    this._save();
    this._changed();
  }

  _changed() {
    if (this.onChange) this.onChange(this.pending);
  }
}
