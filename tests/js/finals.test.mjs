// finals.js: what every stage-final page says about the `final` payload (docs/protocol.md, section 10).

import assert from "node:assert/strict";
import { test } from "node:test";

import { countdownTarget, formatScore, present, segmentLine, statusLine } from "../../frontend/static/frontend/finals.js";

const teams = [
  { id: 1, name: "东城区队", score: 110 },
  { id: 2, name: "朝阳区队", score: 100 },
];
const final = (play, extra = {}) => ({
  started: true,
  finished: false,
  segment: { index: 1, kind: "buzzer", title: "团队抢答" },
  question_index: 2,
  teams,
  participants: [1, 2],
  play,
  ...extra,
});
const buzz = (phase, extra = {}) => ({
  type: "buzz", phase, buzzed: [], out: [], answerer: null, open_until: 9000, answer_deadline: null, closed_reason: "", ...extra,
});

test("the status says what the buzzer question is doing", () => {
  // no catalogue in node: t() returns the key, so the keys are what is checked
  assert.equal(statusLine(final(buzz("reading"))), "final.reading");
  assert.equal(statusLine(final(buzz("open"))), "final.buzz_open");
  assert.equal(statusLine(final(buzz("answering", { answerer: 1 }))), "final.answering");
  assert.equal(statusLine(final(buzz("closed", { closed_reason: "no_buzz" }))), "final.closed.no_buzz");
  assert.equal(statusLine(final(null, { segment: null })), "final.not_started");
  assert.equal(statusLine(final(buzz("open"), { finished: true })), "final.finished");
});

test("the status of turns, wagers and presentations", () => {
  const turns = { type: "turns", index: 0, count: 2, team: 2, member: "甲", phase: "cued", deadline: 5000 };
  assert.equal(statusLine(final(turns)), "final.turn.cued");
  assert.equal(statusLine(final({ ...turns, team: null })), "final.segment_done");
  assert.equal(statusLine(final({ type: "wager", picking: 2, answers: null, picks: {} })), "final.wager_picking");
  assert.equal(statusLine(final({ type: "wager", picking: null, answers: null, picks: {} })), "final.wager_all");
  assert.equal(statusLine(final({ type: "wager", picking: null, answers: turns, picks: {} })), "final.turn.cued");
  assert.equal(statusLine(final({ type: "judged", presenter: 1, teams: {} })), "final.presenting");
});

test("the countdown runs to the open buzzer's end, the answer's deadline or the turn's deadline", () => {
  assert.equal(countdownTarget(final(buzz("open"))), 9000);
  assert.equal(countdownTarget(final(buzz("open", { buzzed: [1] }))), null); // deciding: no clock
  assert.equal(countdownTarget(final(buzz("answering", { answer_deadline: 7000 }))), 7000);
  assert.equal(countdownTarget(final(buzz("reading"))), null);
  assert.equal(countdownTarget(final({ type: "turns", phase: "cued", deadline: 5000 })), 5000);
  assert.equal(countdownTarget(final({ type: "turns", phase: "waiting", deadline: null })), null);
  assert.equal(countdownTarget(final(buzz("open"), { finished: true })), null);
});

test("the segment line names the segment, its kind and the question", () => {
  assert.equal(segmentLine(final(buzz("open"))), "团队抢答 · final.kind.buzzer · final.question_n");
  assert.equal(segmentLine(final(null, { segment: null })), "final.not_started");
});

test("scores keep two decimals at most and whole scores none", () => {
  assert.equal(formatScore(110), "110");
  assert.equal(formatScore(108.75), "108.75");
  assert.equal(formatScore(8.5), "8.5");
  assert.ok(present(0) && !present(null) && !present(undefined));
});
