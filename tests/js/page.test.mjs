// page.js: following the round on host and display sockets, by version.

import assert from "node:assert/strict";
import { test } from "node:test";

import { followRound } from "../../frontend/static/frontend/page.js";
import { QuizSocket } from "../../frontend/static/frontend/socket.js";
import { fakeBrowser } from "./fake_browser.mjs";

function follower(frames) {
  const socket = new QuizSocket("/ws/host/1/", { env: fakeBrowser().env });
  const shown = [];
  const counts = [];
  const view = followRound(socket, {
    frames,
    onRound: (round, frame) => shown.push([frame.type, frame.version, round.phase]),
    onCounts: (round) => counts.push(round.participants),
  });
  return { socket, view, shown, counts };
}

const round = (phase, extra = {}) => ({ phase, current: 0, question: { index: 0, answered: 0 }, ...extra });

test("a newer round is shown and an older one is not", () => {
  const { socket, view, shown } = follower(["state", "command"]);
  socket.emit("snapshot", { type: "snapshot", version: 3, round: round("lobby") });
  socket.emit("state", { type: "state", version: 5, round: round("open") });
  socket.emit("command", { type: "command", version: 4, round: round("lobby") });
  socket.emit("command", { type: "command", version: 5, round: round("open") });
  assert.deepEqual(shown, [
    ["snapshot", 3, "lobby"],
    ["state", 5, "open"],
    ["command", 5, "open"],
  ]);
  assert.equal(view.version, 5);
  assert.equal(view.round.phase, "open");
});

test("the snapshot after a reconnect is shown even when its version is lower", () => {
  const { socket, view } = follower(["state"]);
  socket.emit("state", { type: "state", version: 7, round: round("open") });
  socket.emit("snapshot", { type: "snapshot", version: 2, round: round("lobby") });
  assert.equal(view.version, 2);
  assert.equal(view.round.phase, "lobby");
});

test("only the listed frames replace the round: the display does not follow command replies", () => {
  const { socket, shown } = follower(["state"]);
  socket.emit("command", { type: "command", version: 9, round: round("open") });
  assert.deepEqual(shown, []);
});

test("answered counts only grow and only for the current question", () => {
  const { socket, view, counts } = follower(["state"]);
  socket.emit("snapshot", { type: "snapshot", version: 1, round: round("open", { participants: 3 }) });
  socket.emit("answered", { type: "answered", question: 0, answered: 2, participants: 3 });
  socket.emit("answered", { type: "answered", question: 0, answered: 1, participants: 3 });
  socket.emit("answered", { type: "answered", question: 1, answered: 9, participants: 9 });
  assert.equal(view.round.question.answered, 2);
  assert.deepEqual(counts, [3, 3]);
});

test("a contestant joining or leaving updates the participant count", () => {
  const { socket, view, counts } = follower(["state"]);
  socket.emit("contestant", { type: "contestant", event: "joined", participants: 1 });
  socket.emit("snapshot", { type: "snapshot", version: 1, round: round("lobby", { participants: 0 }) });
  socket.emit("contestant", { type: "contestant", event: "joined", participants: 1 });
  assert.equal(view.round.participants, 1);
  assert.deepEqual(counts, [1]);
});
