// The projector: lobby with QR code, PIN and the names of those who joined, the open question with a big
// countdown, the answer distribution once closed (shares of the people who answered), the key and the
// explanation once revealed, the leaderboard, and the podium at the end. Reloaded after the end, the page
// carries the final results itself (no socket: the finished round's PIN is free).

import { CLOSE } from "./codes.js";
import { formatNumber, t } from "./i18n.js";
import { $, byTestId, connect, followRound, pageData } from "./page.js";
import { choiceShares, closedNoteKey, isTyped, podium, typedKeyLine, typedShares } from "./screens.js";
import { choiceParts, Countdown, el, renderLeaderboard, renderTypedAnswers, setText, show, showQuestionImage } from "./ui.js";

const pin = pageData("display-pin", "");
const final = pageData("display-final");
const socket = connect(`/ws/display/${encodeURIComponent(pin)}/`);

const ui = {
  frame: byTestId("display"),
  views: Object.fromEntries([...document.querySelectorAll("[data-view]")].map((node) => [node.dataset.view, node])),
  title: byTestId("display-title"),
  participants: byTestId("display-participants"),
  lobbyCount: byTestId("display-lobby-count"),
  number: byTestId("display-question-number"),
  countdown: byTestId("display-countdown"),
  stem: byTestId("display-stem"),
  image: $('[data-testid="display-image"] img'),
  note: byTestId("display-note"),
  choices: byTestId("display-choices"),
  chart: byTestId("display-chart"),
  typed: byTestId("display-typed"),
  typedUnit: byTestId("display-typed-unit"),
  typedKey: byTestId("display-typed-key"),
  typedTitle: byTestId("display-typed-title"),
  typedAnswers: byTestId("display-typed-answers"),
  explanation: byTestId("display-explanation"),
  explanationText: $('[data-testid="display-explanation"] .explanation-text'),
  answered: byTestId("display-answered"),
  boardTitle: byTestId("display-board-title"),
  board: byTestId("display-leaderboard"),
  teams: byTestId("display-teams"),
  teamRows: $('[data-testid="display-teams"] tbody'),
  names: byTestId("display-names"),
  namesMore: byTestId("display-names-more"),
  podium: byTestId("display-podium"),
};
const NAME_WALL = 200;
const countdown = new Countdown(ui.countdown, socket, { onZero: () => render() });

const state = { builtFor: null, over: false, reasons: new Map(), names: new Map() };
const view = followRound(socket, {
  onRound: (round, frame) => {
    // Why each question closed: a state frame says it once; after a reload it is unknown (a neutral note).
    if (frame.event === "question.closed" && typeof frame.index === "number") state.reasons.set(frame.index, frame.reason);
    render();
  },
  onCounts: () => renderCounts(),
});

// The name wall: the snapshot lists the latest joiners, contestant frames add and remove names.
socket.on("snapshot", (frame) => {
  state.names = new Map((frame.contestants || []).map((c) => [c.id, c]));
  renderNames();
});
socket.on("contestant", (frame) => {
  const c = frame.contestant;
  if (frame.event === "joined") {
    state.names.set(c.id, c);
    if (state.names.size > NAME_WALL) state.names.delete(state.names.keys().next().value);
  } else state.names.delete(c.id);
  renderNames(frame.event === "joined" ? c.id : null);
});

function renderNames(fresh = null) {
  // Newest first: whoever just joined sees their name at the top of the wall.
  const items = [...state.names.values()].reverse().map((c) =>
    el(
      "li",
      { className: "d-name" + (c.id === fresh ? " d-name-new" : ""), data: { testid: "display-name" } },
      el("span", { className: "d-name-nick", text: c.nickname }),
      c.team ? el("span", { className: "d-name-team", text: c.team }) : null,
    ),
  );
  ui.names.replaceChildren(...items);
  const more = (view.round ? view.round.participants ?? 0 : 0) - state.names.size;
  show(ui.namesMore, more > 0);
  if (more > 0) setText(ui.namesMore, t("display.more_names", { n: formatNumber(more) }));
}

socket.on("close", (event) => {
  // The PIN no longer names a live round (it finished, or it never existed).
  if (event && event.code === CLOSE.NOT_FOUND) {
    state.over = true;
    render();
  }
});

function showView(name) {
  for (const [key, node] of Object.entries(ui.views)) show(node, key === name);
  ui.frame.dataset.view = name;
}

function renderCounts() {
  const r = view.round;
  if (!r) return;
  const participants = r.participants ?? 0;
  setText(ui.participants, formatNumber(participants));
  setText(ui.lobbyCount, formatNumber(participants));
  const answered = r.question ? r.question.answered ?? 0 : 0;
  setText(ui.answered, `${formatNumber(answered)}/${formatNumber(participants)}`);
}

function buildChoices(q) {
  const items = q.choices.map((text, index) =>
    el("li", { className: "d-choice", data: { testid: `display-choice-${index}`, shape: index } }, ...choiceParts(index, text)),
  );
  ui.choices.replaceChildren(...items);
  ui.choices.dataset.count = String(q.choices.length);
}

function renderChart(q, revealed) {
  const distribution = q.distribution || q.choices.map(() => 0);
  const shares = choiceShares(distribution, q.answered);
  const most = Math.max(1, ...distribution);
  const correct = q.correct || [];
  const columns = q.choices.map((text, index) => {
    const count = distribution[index] ?? 0;
    const isCorrect = revealed && correct.includes(index);
    const share = shares[index];
    return el(
      "div",
      {
        className: "d-col",
        data: { testid: `display-bar-${index}`, shape: index, correct: revealed ? String(isCorrect) : null, count },
      },
      el("span", { className: "d-col-count", text: formatNumber(count) }),
      el("span", { className: "d-col-share", text: `${share}%` }),
      el("span", { className: "d-col-track" }, el("span", { className: "d-col-bar", attrs: { style: `--fill:${(count / most).toFixed(4)}` } })),
      el(
        "span",
        { className: "d-col-label" },
        ...choiceParts(index, text),
        isCorrect ? el("span", { className: "d-col-key", text: "✓" }) : null,
      ),
    );
  });
  ui.chart.replaceChildren(...columns);
  ui.chart.dataset.count = String(q.choices.length);
}

function renderPodium(r) {
  const places = r.phase === "finished" ? podium(r.leaderboard) : [];
  show(ui.podium, places.length > 0);
  ui.frame.dataset.podium = places.length > 0 ? "true" : "false";
  ui.podium.replaceChildren(
    ...places.map((row) =>
      el(
        "li",
        { className: "d-place", data: { testid: "display-podium-place", place: row.rank } },
        el("span", { className: "d-place-rank", text: t("display.place", { n: row.rank }) }),
        el("span", { className: "d-place-name", text: row.nickname }),
        row.team ? el("span", { className: "d-place-team", text: row.team }) : null,
        el("span", { className: "d-place-score", text: formatNumber(row.score) }),
        el("span", { className: "d-place-step", attrs: { "aria-hidden": "true" } }),
      ),
    ),
  );
}

function renderBoard(r) {
  setText(ui.boardTitle, r.phase === "finished" ? t("display.final") : t("display.leaderboard"));
  renderPodium(r);
  renderLeaderboard(ui.board, r.leaderboard || [], { testid: "display-leaderboard-row" });
  const teams = r.teams || [];
  show(ui.teams, teams.length > 0);
  ui.frame.dataset.teams = teams.length > 0 ? "true" : "false";
  ui.teamRows.replaceChildren(
    ...teams.map((team) =>
      el(
        "tr",
        { data: { testid: "display-team-row" } },
        el("td", { text: team.rank }),
        el("td", { text: team.name }),
        el("td", { text: formatNumber(team.members ?? 0) }),
        el("td", { text: formatNumber(team.score ?? 0) }),
      ),
    ),
  );
}

function render() {
  const r = view.round;
  if (!r) return;
  ui.frame.dataset.phase = r.phase;
  setText(ui.title, r.title);
  renderCounts();
  countdown.set(r);
  const q = r.question;

  if (r.phase === "leaderboard" || r.phase === "finished") {
    showView("board");
    renderBoard(r);
    return;
  }
  if (state.over) {
    showView("over");
    return;
  }
  if (r.phase === "lobby" || !q) {
    showView("lobby");
    return;
  }
  showView("question");
  setText(ui.number, t("q.number", { n: q.number ?? q.index + 1, total: r.question_count }));
  setText(ui.stem, q.stem);
  ui.frame.dataset.image = showQuestionImage(ui.image, q.image) ? "true" : "false";
  const open = r.phase === "open";
  const revealed = r.phase === "revealed" && Array.isArray(q.correct);
  show(ui.countdown, open);
  const typed = isTyped(q);
  ui.frame.dataset.typed = typed ? "true" : "false";
  show(ui.choices, open && !typed);
  show(ui.chart, !open && !typed);
  show(ui.typed, typed);
  if (typed) {
    // Typed: the unit while answers come in; at the reveal the accepted answer(s) and the most common answers.
    state.builtFor = null;
    const unit = q.kind === "numerical" && q.unit ? q.unit : "";
    show(ui.typedUnit, open && Boolean(unit));
    setText(ui.typedUnit, unit ? t("display.unit", { unit }) : "");
    const line = revealed ? typedKeyLine(q.key) : null;
    show(ui.typedKey, Boolean(line));
    setText(ui.typedKey, line ? t(line.key, line.params) : "");
    const answers = revealed ? q.answers || [] : [];
    show(ui.typedTitle, revealed);
    renderTypedAnswers(ui.typedAnswers, answers, q.answered, {
      testid: "display-typed-answer",
      shares: typedShares(answers, q.answered),
    });
  } else if (open) {
    if (state.builtFor !== `${q.index}:${q.choices.length}`) buildChoices(q);
    state.builtFor = `${q.index}:${q.choices.length}`;
  } else {
    state.builtFor = null;
    renderChart(q, revealed);
  }
  let note = "";
  if (q.voided) note = t("q.voided");
  else if (open && q.paused) note = t("q.paused");
  else if (r.phase === "closed") note = t(closedNoteKey(state.reasons.get(q.index)));
  else if (open && q.extra_ms > 0 && q.deadline && socket.remaining(q.deadline) <= 0) note = t("q.extra_time");
  setText(ui.note, note);
  show(ui.note, Boolean(note));
  const explanation = revealed && !q.voided && q.explanation;
  show(ui.explanation, Boolean(explanation));
  ui.frame.dataset.explained = explanation ? "true" : "false";
  if (explanation) setText(ui.explanationText, q.explanation);
}

if (final && final.round) {
  // The round is over and its PIN free: show its final results as they were, with no socket to open.
  show(byTestId("conn-badge"), false);
  view.round = final.round;
  view.version = final.version;
  render();
} else {
  socket.start();
}
