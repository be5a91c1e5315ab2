// A browser just big enough for socket.js: a scriptable WebSocket, window events, the tab's visibility and
// navigator.onLine. Time is node:test's mock timers (setTimeout, setInterval and Date together).

export class FakeWebSocket {
  constructor(url, registry) {
    this.url = url;
    this.readyState = 0; // CONNECTING
    this.sent = [];
    this.closedWith = null;
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    registry.push(this);
  }

  send(text) {
    this.sent.push(JSON.parse(text));
  }

  close(code) {
    this.readyState = 3;
    this.closedWith = code;
  }

  // --- what the server (the test) does ---

  accept() {
    this.readyState = 1; // OPEN
    this.onopen?.({});
  }

  deliver(frame) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  /** The server closes (or the connection fails, code 1006). */
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: "", wasClean: code !== 1006 });
  }

  sentOfType(type) {
    return this.sent.filter((frame) => frame.type === type);
  }
}

export function fakeBrowser() {
  const sockets = [];
  const env = new EventTarget();
  env.location = { protocol: "https:", host: "quiz.example" };
  env.navigator = { onLine: true };
  env.document = new EventTarget();
  env.document.visibilityState = "visible";
  env.WebSocket = class extends FakeWebSocket {
    constructor(url) {
      super(url, sockets);
    }
  };
  return {
    env,
    sockets,
    get last() {
      return sockets[sockets.length - 1];
    },
    goOnline() {
      env.navigator.onLine = true;
      env.dispatchEvent(new Event("online"));
    },
    goOffline() {
      env.navigator.onLine = false;
      env.dispatchEvent(new Event("offline"));
    },
    setVisible(visible) {
      env.document.visibilityState = visible ? "visible" : "hidden";
      env.document.dispatchEvent(new Event("visibilitychange"));
    },
  };
}

/** A memory localStorage. */
export function memoryStorage() {
  const items = new Map();
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
}
