// What every stage-final page shares: following the final over its socket (the latest `final` frame
// wins, never an older version), and rendering the segment line, the status, the question and the
// scoreboard from the `final` payload (docs/protocol.md, section 10).

import { t } from "./i18n.js";
import { connect } from "./page.js";
import { el, setText, show } from "./ui.js";

/** Follow a final on `path`; `onFinal(view, frame)` runs for every newer `final` frame. */
export function followFinal(path, onFinal) {
  const socket = connect(path);
  const view = { version: 0, final: null, me: null, socket };
  socket.on("open", () => {
    view.version = 0; // a fresh connection: its first frame is the truth
  });
  socket.on("final", (frame) => {
    if (typeof frame.version === "number" && frame.version < view.version) return;
    view.version = frame.version;
    view.final = frame.final;
    if (frame.me) view.me = frame.me;
    onFinal(view, frame);
  });
  return view;
}

/** Neither null nor undefined. */
export function present(value) {
  return value !== null && value !== undefined;
}

export function teamName(final, id) {
  const team = final.teams.find((x) => x.id === id);
  return team ? team.name : `#${id}`;
}

export function segmentLine(final) {
  if (final.finished) return t("final.finished");
  if (!final.segment) return t("final.not_started");
  const kind = t(`final.kind.${final.segment.kind}`);
  const play = final.play || {};
  let where = "";
  if (play.type === "buzz") where = t("final.question_n", { n: final.question_index + 1 });
  else if (play.type === "turns") where = t("final.turn_n", { n: play.index + 1, total: play.count });
  const title = final.segment.title === kind ? "" : final.segment.title;
  return [title, kind, where].filter(Boolean).join(" · ");
}

/** One line saying what is happening now, for every screen. */
export function statusLine(final) {
  const play = final.play;
  if (final.finished) return t("final.finished");
  if (!play) return final.segment ? "" : t("final.not_started");
  const name = (id) => teamName(final, id);
  if (play.type === "buzz") {
    if (play.phase === "reading") return t("final.reading");
    if (play.phase === "open") return t("final.buzz_open");
    if (play.phase === "answering") return t("final.answering", { team: name(play.answerer) });
    return t(`final.closed.${play.closed_reason || "host"}`);
  }
  const turns = play.type === "wager" ? play.answers : play.type === "turns" ? play : null;
  if (play.type === "wager" && !turns) {
    return !present(play.picking) ? t("final.wager_all") : t("final.wager_picking", { team: name(play.picking) });
  }
  if (turns) {
    if (!present(turns.team)) return t("final.segment_done");
    // 个人必答: the member whose turn it is answers for the team.
    const who = present(turns.member) ? `${name(turns.team)} · ${turns.member}` : name(turns.team);
    return t(`final.turn.${turns.phase}`, { team: who });
  }
  if (play.type === "judged") {
    return !present(play.presenter) ? "" : t("final.presenting", { team: name(play.presenter) });
  }
  return "";
}

/** What a mark names (docs/protocol.md, 10.2): the buzzer attempt, or the turn (必答, 风险). */
export function markIndex(final) {
  const play = final.play || {};
  if (play.type === "buzz") return play.attempt;
  if (play.type === "wager") return play.answers ? play.answers.index : 0;
  return play.index ?? 0;
}

/** The team whose answer is waiting for a mark now (answering, cued or answered), or null. */
export function teamToMark(final) {
  const play = final.play;
  if (!play || final.finished) return null;
  if (play.type === "buzz") return play.phase === "answering" ? play.answerer : null;
  const turns = play.type === "wager" ? play.answers : play.type === "turns" ? play : null;
  return turns && (turns.phase === "cued" || turns.phase === "answered") ? turns.team : null;
}

/** The server time (epoch ms) the shown clock counts down to, or null. */
export function countdownTarget(final) {
  const play = final.play;
  if (!play || final.finished) return null;
  if (play.type === "buzz") {
    if (play.phase === "answering") return play.answer_deadline;
    if (play.phase === "open" && play.buzzed.length === 0) return play.open_until;
    return null;
  }
  const turns = play.type === "wager" ? play.answers : play.type === "turns" ? play : null;
  return turns && turns.phase === "cued" ? turns.deadline : null;
}

/** Tick `node` down to the final's countdown on the server's clock (socket.now()). */
export function startCountdown(node, view) {
  const tick = () => {
    const target = view.final ? countdownTarget(view.final) : null;
    show(node, present(target));
    if (present(target)) setText(node, Math.max(0, Math.ceil((target - view.socket.now()) / 1000)));
  };
  setInterval(tick, 250);
  return tick;
}

export function renderQuestion(final, { stem, choices = null, reference = null }) {
  const q = final.question;
  setText(stem, q ? q.stem : "");
  if (choices) {
    choices.replaceChildren(...(q ? q.choices : []).map((c, i) => {
      const item = el("li", { data: { index: String(i) } }, c);
      if (q && Array.isArray(q.correct) && q.correct.includes(i)) item.classList.add("is-key");
      return item;
    }));
  }
  if (reference) {
    const text = q && q.reference_answer ? t("final.reference", { text: q.reference_answer }) : "";
    setText(reference, text);
    show(reference, Boolean(text));
  }
}

/** The scoreboard: every team with its score; the answering team lit, teams out dimmed, changes bumped. */
export function renderBoard(list, final, { me = null } = {}) {
  const play = final.play || {};
  const previous = new Map([...list.children].map((li) => [Number(li.dataset.team), li.dataset.score]));
  const judged = play.type === "judged" ? play.teams : {};
  const rows = final.teams.map((team) => {
    const score = String(team.score);
    const li = el(
      "li",
      { className: "fb-team", data: { team: String(team.id), score, testid: "board-team" } },
      el("span", { className: "fb-name" }, team.name),
      el("span", { className: "fb-score", data: { testid: "board-score" } }, formatScore(team.score)),
    );
    const extra = judged[String(team.id)];
    if (extra && present(extra.points)) li.append(el("span", { className: "fb-judged" }, t("final.judged_points", { points: extra.points })));
    if (play.type === "wager" && present(play.picks[String(team.id)])) {
      li.append(el("span", { className: "fb-wager" }, t("final.wager_tier", { tier: play.picks[String(team.id)] })));
    }
    li.classList.toggle("is-answering", play.type === "buzz" && play.answerer === team.id);
    li.classList.toggle("is-buzzed", play.type === "buzz" && play.buzzed.includes(team.id));
    li.classList.toggle("is-out", play.type === "buzz" && play.out.includes(team.id));
    li.classList.toggle("is-me", me === team.id);
    li.classList.toggle("is-sitting-out", final.participants.length > 0 && !final.participants.includes(team.id));
    const before = previous.get(team.id);
    if (before !== undefined && before !== score) li.classList.add(Number(score) > Number(before) ? "bump-up" : "bump-down");
    return li;
  });
  list.replaceChildren(...rows);
  list.dataset.count = String(rows.length);
}

export function formatScore(score) {
  return Number.isInteger(score) ? String(score) : score.toFixed(2).replace(/0$/, "");
}

export function renderHold(node, final) {
  const hold = final.hold;
  show(node, hold.held);
  setText(node, hold.held ? t("final.hold", { reason: hold.reason || "—" }) : "");
}
