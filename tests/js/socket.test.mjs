// socket.js in node: reconnect back-off, silence detection, stale versions, the answer queue and the
// close codes that end a session. Run with `node --test tests/js/` (make test does).

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";

import { CLOSE, FINAL_CLOSE_CODES } from "../../frontend/static/frontend/codes.js";
import { AnswerQueue, CLOSE_NO_REPLY, QuizSocket } from "../../frontend/static/frontend/socket.js";
import { fakeBrowser, memoryStorage } from "./fake_browser.mjs";

const START = 1_000_000;
let browser;

beforeEach(() => {
  mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"], now: START });
  browser = fakeBrowser();
});

afterEach(() => {
  mock.timers.reset();
});

/** A socket on the fake browser; `random` fixes the jitter (1: the whole step, 0: half of it). */
function quizSocket(options = {}) {
  return new QuizSocket("/ws/play/", { env: browser.env, random: () => 1, ...options });
}

function record(socket, type) {
  const seen = [];
  socket.on(type, (payload) => seen.push(payload));
  return seen;
}

/** Let `ms` pass in small steps, so every timer runs at its own time and sees Date.now() as then. */
function tick(ms) {
  for (let left = ms; left > 0; left -= 10) mock.timers.tick(Math.min(10, left));
}

describe("connecting", () => {
  test("the socket url follows the page's scheme and host", () => {
    quizSocket().start();
    assert.equal(browser.last.url, "wss://quiz.example/ws/play/");
  });

  test("the state goes connecting, connected, then reconnecting after a drop", () => {
    const socket = quizSocket();
    const states = record(socket, "state-change");
    socket.start();
    browser.last.accept();
    browser.last.drop();
    assert.deepEqual(states, ["connected", "reconnecting"]);
    assert.equal(socket.state, "reconnecting");
  });

  test("onOpen runs on every connect, so the page can join or resume each time", () => {
    let opened = 0;
    const socket = quizSocket({ onOpen: () => (opened += 1) });
    socket.start();
    browser.last.accept();
    browser.last.drop();
    tick(500);
    browser.last.accept();
    assert.equal(opened, 2);
  });
});

describe("back-off", () => {
  test("failed connections are retried after doubling delays capped at ten seconds", () => {
    const socket = quizSocket();
    socket.start();
    const waits = [];
    for (let i = 0; i < 7; i += 1) {
      const before = browser.sockets.length;
      browser.last.drop();
      let waited = 0;
      while (browser.sockets.length === before) {
        tick(50);
        waited += 50;
      }
      waits.push(waited);
    }
    assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000, 10000, 10000]);
  });

  test("jitter waits between half and the whole step", () => {
    const socket = quizSocket({ random: () => 0 });
    socket.start();
    browser.last.drop();
    tick(249);
    assert.equal(browser.sockets.length, 1);
    tick(1);
    assert.equal(browser.sockets.length, 2);
  });

  test("a snapshot, welcome or pong from the server starts the back-off again from the shortest step", () => {
    const socket = quizSocket();
    socket.start();
    browser.last.drop();
    tick(500);
    browser.last.drop();
    tick(1000);
    browser.last.drop();
    tick(2000);
    browser.last.accept();
    browser.last.deliver({ type: "snapshot", version: 1, round: {} });
    browser.last.drop();
    tick(499);
    assert.equal(browser.sockets.length, 4);
    tick(1);
    assert.equal(browser.sockets.length, 5);
  });

  test("coming back online reconnects at once instead of waiting out the back-off", () => {
    const socket = quizSocket();
    socket.start();
    for (const wait of [500, 1000, 2000, 4000]) {
      browser.last.drop();
      tick(wait);
    }
    browser.goOffline();
    browser.last.drop();
    assert.equal(socket.state, "offline");
    const before = browser.sockets.length;
    browser.goOnline();
    assert.equal(browser.sockets.length, before + 1);
  });

  test("a tab becoming visible again reconnects at once", () => {
    const socket = quizSocket();
    socket.start();
    browser.last.drop();
    browser.setVisible(false);
    assert.equal(browser.sockets.length, 1);
    browser.setVisible(true);
    assert.equal(browser.sockets.length, 2);
  });
});

describe("silence", () => {
  test("a line with no frame at all since the first unanswered ping is dropped and reopened", () => {
    const socket = quizSocket();
    const closes = record(socket, "close");
    socket.start();
    const first = browser.last;
    first.accept();
    tick(14_999); // pings go out at 0 s, 1 s, 5 s and 10 s; none is answered
    assert.equal(closes.length, 0);
    assert.equal(first.sentOfType("ping").length, 4);
    tick(1); // the 15 s check: more than 11 s (two pings and a second) since the first unanswered ping
    assert.deepEqual(
      closes.map((event) => event.code),
      [CLOSE_NO_REPLY],
    );
    assert.equal(first.closedWith, 1000);
    assert.equal(socket.state, "reconnecting");
    tick(500);
    assert.equal(browser.sockets.length, 2);
  });

  test("a line that answers keeps its connection however long it lasts", () => {
    const socket = quizSocket();
    const closes = record(socket, "close");
    socket.start();
    browser.last.accept();
    for (let second = 0; second < 120; second += 1) {
      tick(1000);
      browser.last.deliver({ type: "pong", version: 1, t: Date.now() - 20, server_time: Date.now() });
    }
    assert.equal(closes.length, 0);
    assert.equal(browser.sockets.length, 1);
  });

  test("the clock offset comes from the pong with the shortest round trip", () => {
    const socket = quizSocket();
    socket.start();
    browser.last.accept();
    const sentAt = browser.last.sentOfType("ping")[0].t;
    tick(40);
    browser.last.deliver({ type: "pong", version: 1, t: sentAt, server_time: sentAt + 20 + 5000 });
    assert.equal(socket.rtt, 40);
    assert.equal(socket.offset, 5000);
    assert.equal(socket.now(), Date.now() + 5000);
    tick(1000); // a slower sample does not move the offset
    const slowAt = Date.now();
    tick(300);
    browser.last.deliver({ type: "pong", version: 1, t: slowAt, server_time: slowAt + 150 + 7000 });
    assert.equal(socket.offset, 5000);
    assert.equal(socket.lastRtt, 300);
  });
});

describe("versions", () => {
  function connected() {
    const socket = quizSocket();
    socket.start();
    browser.last.accept();
    return socket;
  }

  test("a state older than the newest version seen is dropped as stale", () => {
    const socket = connected();
    const states = record(socket, "state");
    const stale = record(socket, "stale");
    browser.last.deliver({ type: "state", version: 5, round: {} });
    browser.last.deliver({ type: "state", version: 3, round: {} });
    browser.last.deliver({ type: "welcome", version: 4, round: {} });
    assert.deepEqual(
      states.map((frame) => frame.version),
      [5],
    );
    assert.deepEqual(
      stale.map((frame) => [frame.type, frame.version]),
      [
        ["state", 3],
        ["welcome", 4],
      ],
    );
  });

  test("a state of the same version is delivered, as the host's command reply and state share one", () => {
    const socket = connected();
    const states = record(socket, "state");
    browser.last.deliver({ type: "state", version: 5, round: {} });
    browser.last.deliver({ type: "state", version: 5, round: {} });
    assert.equal(states.length, 2);
  });

  test("frames that are not the whole round are delivered whatever their version", () => {
    const socket = connected();
    const acks = record(socket, "ack");
    browser.last.deliver({ type: "state", version: 5, round: {} });
    browser.last.deliver({ type: "ack", version: 4, question: 0, choices: [1] });
    assert.equal(acks.length, 1);
  });

  test("after resetVersion an older round is delivered again, as when joining another round", () => {
    const socket = connected();
    const states = record(socket, "state");
    browser.last.deliver({ type: "state", version: 9, round: {} });
    socket.resetVersion();
    browser.last.deliver({ type: "state", version: 2, round: {} });
    assert.deepEqual(
      states.map((frame) => frame.version),
      [9, 2],
    );
  });

  test("frames that are not JSON or have no type are ignored", () => {
    const socket = connected();
    const frames = record(socket, "frame");
    browser.last.onmessage({ data: "not json" });
    browser.last.deliver({ version: 1 });
    assert.equal(frames.length, 0);
  });
});

describe("final close codes", () => {
  test("the final close codes are the server's unauthenticated, forbidden and not-found", () => {
    assert.deepEqual(
      [...FINAL_CLOSE_CODES].sort(),
      [CLOSE.UNAUTHENTICATED, CLOSE.FORBIDDEN, CLOSE.NOT_FOUND].sort(),
    );
  });

  for (const code of FINAL_CLOSE_CODES) {
    test(`after close code ${code} the socket stops and never reconnects`, () => {
      const socket = quizSocket();
      socket.start();
      browser.last.accept();
      browser.last.drop(code);
      assert.equal(socket.state, "closed");
      assert.equal(socket.closeEvent.code, code);
      tick(60_000);
      browser.goOnline();
      browser.setVisible(true);
      assert.equal(browser.sockets.length, 1);
    });
  }

  for (const code of [1000, 1006, 1011, CLOSE.FLOODING, CLOSE.TOO_SLOW]) {
    test(`after close code ${code} the socket reconnects`, () => {
      const socket = quizSocket();
      socket.start();
      browser.last.accept();
      browser.last.drop(code);
      assert.equal(socket.state, "reconnecting");
      tick(500);
      assert.equal(browser.sockets.length, 2);
    });
  }

  test("stop closes cleanly and stays closed", () => {
    const socket = quizSocket();
    socket.start();
    browser.last.accept();
    socket.stop();
    assert.equal(browser.last.closedWith, 1000);
    assert.equal(socket.state, "closed");
    tick(60_000);
    browser.goOnline();
    assert.equal(browser.sockets.length, 1);
  });
});

describe("the answer queue", () => {
  /** A contestant page in miniature: resume on every connect, ready once welcomed, settled by the ack. */
  function contestant(storage = memoryStorage()) {
    const socket = quizSocket({ onOpen: (s) => s.send({ type: "resume", token: "t" }) });
    const queue = new AnswerQueue(socket, { retryMs: 3000, storage });
    queue.useStorage("jjq:pending:123456");
    socket.on("welcome", () => queue.setReady(true));
    socket.on("ack", (frame) => queue.acked(frame));
    socket.start();
    browser.last.accept();
    browser.last.deliver({ type: "welcome", version: 1, round: {} });
    return { socket, queue, storage };
  }

  test("an answer is sent at once when joined, with its choices sorted", () => {
    const { queue } = contestant();
    queue.submit(2, [3, 1], { client_elapsed_ms: 1234 });
    assert.deepEqual(browser.last.sentOfType("answer"), [
      { type: "answer", question: 2, choices: [1, 3], client_elapsed_ms: 1234 },
    ]);
  });

  test("a typed answer is sent as text, without choices, and again until acked", () => {
    const { queue } = contestant();
    const line = browser.last;
    queue.submitText(1, "万里长城", { tapped_at: 1795321326310 });
    assert.deepEqual(line.sentOfType("answer"), [{ type: "answer", question: 1, text: "万里长城", tapped_at: 1795321326310 }]);
    tick(3000);
    assert.equal(line.sentOfType("answer").length, 2);
    line.deliver({ type: "ack", version: 1, question: 1, choices: [], text: "万里长城", duplicate: false });
    assert.equal(queue.pending, null);
  });

  test("an unacked answer is sent again every few seconds until the ack comes", () => {
    const { queue } = contestant();
    const line = browser.last;
    queue.submit(2, [1]);
    tick(6000);
    assert.equal(line.sentOfType("answer").length, 3);
    line.deliver({ type: "ack", version: 1, question: 2, choices: [1], duplicate: true });
    assert.equal(queue.pending, null);
    tick(9000);
    assert.equal(line.sentOfType("answer").length, 3);
  });

  test("an answer without an ack is sent again on the new connection once it has resumed", () => {
    const { queue } = contestant();
    queue.submit(2, [1]);
    browser.last.drop();
    assert.equal(queue.ready, false);
    tick(500);
    const second = browser.last;
    second.accept();
    assert.deepEqual(second.sentOfType("resume"), [{ type: "resume", token: "t" }]);
    assert.equal(second.sentOfType("answer").length, 0); // not before the resume is welcomed
    second.deliver({ type: "welcome", version: 2, round: {} });
    assert.deepEqual(second.sentOfType("answer"), [{ type: "answer", question: 2, choices: [1] }]);
    second.deliver({ type: "ack", version: 2, question: 2, choices: [1], duplicate: true });
    assert.equal(queue.pending, null);
  });

  test("an answer submitted while offline waits for the connection and goes out after the resume", () => {
    const { queue } = contestant();
    browser.last.drop();
    queue.submit(4, [0]);
    assert.equal(browser.sockets[0].sentOfType("answer").length, 0);
    tick(500);
    browser.last.accept();
    browser.last.deliver({ type: "welcome", version: 2, round: {} });
    assert.equal(browser.last.sentOfType("answer").length, 1);
  });

  test("the pending answer survives a reload in storage and is forgotten once acked", () => {
    const storage = memoryStorage();
    const { queue } = contestant(storage);
    queue.submit(2, [1]);
    const reloaded = new AnswerQueue(quizSocket(), { storage });
    assert.deepEqual(reloaded.useStorage("jjq:pending:123456"), { question: 2, choices: [1] });
    browser.sockets[0].deliver({ type: "ack", version: 1, question: 2, choices: [1], duplicate: false });
    assert.equal(storage.getItem("jjq:pending:123456"), null);
  });

  test("the answer carries the last round trip so disputes can be judged", () => {
    const { socket, queue } = contestant();
    const sentAt = browser.last.sentOfType("ping")[0].t;
    tick(80);
    browser.last.deliver({ type: "pong", version: 1, t: sentAt, server_time: Date.now() });
    queue.submit(1, [2]);
    assert.equal(socket.lastRtt, 80);
    assert.equal(browser.last.sentOfType("answer")[0].rtt_ms, 80);
  });

  test("an ack for another question leaves the pending answer alone", () => {
    const { queue } = contestant();
    queue.submit(2, [1]);
    browser.last.deliver({ type: "ack", version: 1, question: 1, choices: [0], duplicate: true });
    assert.deepEqual(queue.pending, { question: 2, choices: [1] });
  });
});

describe("a dead link shows within about three seconds", () => {
  function pong(line) {
    line.deliver({ type: "pong", version: 1, t: Date.now() - 20, server_time: Date.now() });
  }

  test("the browser's offline event shows offline at once, though the socket still looks open", () => {
    const socket = quizSocket();
    const states = record(socket, "state-change");
    socket.start();
    browser.last.accept();
    browser.goOffline();
    assert.equal(socket.state, "offline");
    assert.equal(socket.isLive, false);
    assert.equal(browser.sockets.length, 1, "the socket is kept: it may still work");
    browser.goOnline();
    assert.equal(socket.state, "connected");
    assert.deepEqual(states, ["connected", "offline", "connected"]);
  });

  test("a ping without any frame back for two seconds shows the line as stalled, keeping the socket", () => {
    const socket = quizSocket();
    socket.start();
    const line = browser.last;
    line.accept(); // pings at 0 s and 1 s, none answered
    tick(1999);
    assert.equal(socket.state, "connected");
    tick(1);
    assert.equal(socket.state, "stalled");
    assert.equal(socket.isLive, false);
    assert.equal(line.closedWith, null);
    pong(line);
    assert.equal(socket.state, "connected");
  });

  test("while watchful a line that dies after answering is shown stalled within 3.5 s", () => {
    const socket = quizSocket();
    socket.start();
    const line = browser.last;
    line.accept();
    socket.setWatchful(true);
    for (let i = 0; i < 10; i += 1) {
      tick(100);
      pong(line);
    }
    // From here nothing comes back.
    const diedAt = Date.now();
    let stalledAt = null;
    socket.on("state-change", (state) => {
      if (state === "stalled" && stalledAt === null) stalledAt = Date.now();
    });
    tick(5000);
    assert.ok(stalledAt !== null, "shown as stalled");
    assert.ok(stalledAt - diedAt <= 3500, `after ${stalledAt - diedAt} ms`);
  });

  test("not watchful, pings go every five seconds; watchful, every second and a half", () => {
    const socket = quizSocket();
    socket.start();
    const line = browser.last;
    line.accept();
    const answerEachPing = () => {
      const before = line.sentOfType("ping").length;
      return () => line.sentOfType("ping").length - before;
    };
    tick(1000); // the early second sample
    pong(line);
    let count = answerEachPing();
    for (let i = 0; i < 100; i += 1) {
      tick(100);
      pong(line);
    }
    assert.equal(count(), 2); // at 5 s and 10 s
    socket.setWatchful(true);
    count = answerEachPing();
    for (let i = 0; i < 60; i += 1) {
      tick(100);
      pong(line);
    }
    assert.equal(count(), 4); // every 1.5 s over 6 s
  });

  test("a hidden tab is never shown as stalled, as its timers and frames may run late", () => {
    const socket = quizSocket();
    socket.start();
    browser.last.accept();
    browser.setVisible(false);
    tick(4000);
    assert.equal(socket.state, "connected");
  });

  test("a stalled line is dropped and reopened only after the long silence limit", () => {
    const socket = quizSocket();
    const closes = record(socket, "close");
    socket.start();
    browser.last.accept();
    tick(3000);
    assert.equal(socket.state, "stalled");
    assert.equal(closes.length, 0);
    tick(12_000);
    assert.deepEqual(
      closes.map((event) => event.code),
      [CLOSE_NO_REPLY],
    );
  });

  test("an answer sent on a line already answering probes it: no reply within two seconds shows stalled", () => {
    const socket = quizSocket({ onOpen: (s) => s.send({ type: "resume", token: "t" }) });
    const queue = new AnswerQueue(socket, { retryMs: 3000, storage: memoryStorage() });
    socket.on("welcome", () => queue.setReady(true));
    socket.start();
    const line = browser.last;
    line.accept();
    line.deliver({ type: "welcome", version: 1, round: {} });
    tick(1000);
    pong(line);
    tick(500); // the line dies here; the next routine ping would be at 5 s
    const pings = line.sentOfType("ping").length;
    queue.submit(3, [1]);
    assert.equal(line.sentOfType("ping").length, pings + 1, "a probe goes out with the answer");
    tick(1999);
    assert.equal(socket.state, "connected");
    tick(1);
    assert.equal(socket.state, "stalled");
    assert.deepEqual(queue.pending.choices, [1], "the answer is still waiting for its ack");
  });
});

describe("the tap time", () => {
  test("an answer sent again after a lost connection still says when it was tapped", () => {
    const socket = quizSocket({ onOpen: (s) => s.send({ type: "resume", token: "t" }) });
    const queue = new AnswerQueue(socket, { retryMs: 3000, storage: memoryStorage() });
    socket.on("welcome", () => queue.setReady(true));
    socket.start();
    browser.last.accept();
    browser.last.deliver({ type: "welcome", version: 1, round: {} });
    const tappedAt = Math.round(socket.now());
    queue.submit(0, [2], { tapped_at: tappedAt, client_elapsed_ms: 2100 });
    browser.last.drop();
    tick(15_000); // offline for a while; the phone reconnects and resumes
    browser.last.accept();
    browser.last.deliver({ type: "welcome", version: 2, round: {} });
    const [resent] = browser.last.sentOfType("answer");
    assert.equal(resent.tapped_at, tappedAt);
    assert.equal(resent.client_elapsed_ms, 2100);
  });
});

describe("a busy server is not a dead line", () => {
  test("when pongs come back slowly, the line is shown stalled only after three of those round trips", () => {
    const socket = quizSocket();
    socket.start();
    const line = browser.last;
    line.accept(); // pings at 0 s and 1 s
    tick(1500);
    line.deliver({ type: "pong", version: 1, t: Date.now() - 1500, server_time: Date.now() }); // a 1.5 s round trip
    assert.equal(socket.lastRtt, 1500);
    socket.probe(); // a ping now, with no reply yet
    tick(2500);
    assert.equal(socket.state, "connected", "2.5 s is less than three 1.5 s round trips");
    tick(2000);
    assert.equal(socket.state, "stalled");
  });
});
