// The plumbing every live page shares: the data the template put on the page, the one reconnecting
// socket with its connection badge, and the round as the host and display frames describe it.
//
// The page scripts (play.js, host.js, display.js) keep only what is their own: their screens, their
// frames' meaning for them, and what they render.

import { offlineBanner } from "./screens.js";
import { QuizSocket } from "./socket.js";
import { bindBadge, show } from "./ui.js";

export const $ = (selector) => document.querySelector(selector);
export const byTestId = (id) => $(`[data-testid="${id}"]`);

/** A value the template put on the page with json_script; `fallback` when absent or unreadable. */
export function pageData(id, fallback = null) {
  const node = document.getElementById(id);
  if (!node) return fallback;
  try {
    return JSON.parse(node.textContent) ?? fallback;
  } catch {
    return fallback;
  }
}

/** The page's socket to `path` (not started), its state shown on the page's connection badge and, while
 * the line is down, on the offline banner. */
export function connect(path, options = {}) {
  const socket = new QuizSocket(path, options);
  bindBadge(socket, byTestId("conn-badge"));
  const banner = byTestId("offline-banner");
  if (banner) {
    const update = () => show(banner, offlineBanner(socket.state, socket.everConnected));
    socket.on("state-change", update);
    update();
  }
  return socket;
}

/**
 * Follow the round on a host or display socket: the `snapshot` sent on every connect, then the frames in
 * `frames` that carry the whole round (`state`; the host's `command` replies too), never going back to an
 * older version than the one shown; and the live counts of `answered` and `contestant` frames.
 *
 * `onRound(round, frame)` runs when a newer round payload is shown; `onCounts(round)` when only the counts
 * changed. Returns the view: `{round, version}` as shown now.
 */
export function followRound(socket, { onRound, onCounts = () => {}, frames = ["state"] }) {
  const view = { round: null, version: 0 };

  const apply = (frame) => {
    if (typeof frame.version === "number" && frame.version < view.version) return;
    view.round = frame.round;
    if (typeof frame.version === "number") view.version = frame.version;
    onRound(view.round, frame);
  };

  socket.on("snapshot", (frame) => {
    view.version = 0; // a fresh connection: the snapshot is the truth, whatever came before
    apply(frame);
  });
  for (const type of frames) socket.on(type, apply);

  socket.on("answered", (frame) => {
    const round = view.round;
    if (!round || !round.question || frame.question !== round.current) return;
    // Counts only grow during a question; one from another server process may arrive late.
    round.question.answered = Math.max(round.question.answered ?? 0, frame.answered);
    round.participants = frame.participants;
    onCounts(round);
  });
  socket.on("contestant", (frame) => {
    if (!view.round) return;
    view.round.participants = frame.participants;
    onCounts(view.round);
  });
  return view;
}
