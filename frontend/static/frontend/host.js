// The host console: the round's state with the key, the commands, contestants and questions.
// Keyboard: N open next, C close, R reveal, L leaderboard, P pause/resume, E +10 s.
// Which commands apply now is the engine's answer (`round.commands`), never worked out here.
// Settings kept on this computer: hide the key while the screen is mirrored (until it is revealed to
// everyone), and sound cues (off by default; sound.js).

import { CLOSE, ERROR } from "./codes.js";
import { errorText, formatNumber, t } from "./i18n.js";
import { $, byTestId, connect, followRound, pageData } from "./page.js";
import { cueFor, Sound } from "./sound.js";
import { isTyped, typedKeyLine } from "./screens.js";
import {
  choiceParts,
  Countdown,
  el,
  renderLeaderboard,
  renderTypedAnswers,
  setText,
  show,
  showQuestionImage,
  store,
} from "./ui.js";

const roundId = pageData("host-round-id");
const socket = connect(`/ws/host/${roundId}/`);
const sound = new Sound();
const settings = { "hide-key": false, sound: false };
const KEY_PUBLIC = new Set(["revealed", "leaderboard", "finished"]);

/** The key is kept off the console while hidden, until the round has revealed it to everyone. */
function keyHidden(r) {
  return settings["hide-key"] && !KEY_PUBLIC.has(r.phase);
}

socket.on("state", (frame) => sound.play(cueFor(frame.event, frame.reason)));

const ui = {
  phase: byTestId("host-phase"),
  status: byTestId("host-status"),
  number: byTestId("host-question-number"),
  answered: byTestId("host-answered"),
  stem: byTestId("host-stem"),
  image: $('[data-testid="host-image"] img'),
  note: byTestId("host-question-note"),
  choices: byTestId("host-choices"),
  typed: byTestId("host-typed"),
  typedKey: byTestId("host-typed-key"),
  typedAnswers: byTestId("host-typed-answers"),
  typedEmpty: byTestId("host-typed-empty"),
  explanation: byTestId("host-explanation"),
  explanationText: $('[data-testid="host-explanation"] .explanation-text'),
  people: byTestId("host-participants"),
  peopleEmpty: byTestId("host-participants-empty"),
  peopleCount: byTestId("host-participant-count"),
  filter: byTestId("host-participant-filter"),
  questions: byTestId("host-questions"),
  board: byTestId("host-leaderboard"),
  boardList: $('[data-testid="host-leaderboard"] .leaderboard'),
  dialog: $("#confirm-dialog"),
  dialogText: byTestId("confirm-text"),
};
const buttons = Object.fromEntries([...document.querySelectorAll("[data-action]")].map((b) => [b.dataset.action, b]));
const countdown = new Countdown(byTestId("host-countdown"), socket, {
  onZero: () => render(),
  onSecond: (seconds) => {
    if (seconds > 0 && seconds <= 5) sound.play("tick");
  },
});
const currentHeading = ui.number.textContent;

const state = {
  people: new Map(), // contestant id -> {data, row}
};

// --- status line ---------------------------------------------------------------------------------

let statusTimer = null;
function setStatus(text, kind = "info") {
  clearTimeout(statusTimer);
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
  if (kind !== "error") statusTimer = setTimeout(() => (ui.status.textContent = ""), 8000);
}

// --- frames --------------------------------------------------------------------------------------

const view = followRound(socket, {
  frames: ["state", "command"],
  onRound: () => render(),
  onCounts: () => renderCounts(),
});

socket.on("snapshot", (frame) => resetPeople(frame.contestants || []));

socket.on("command", (frame) => {
  if (frame.command === "time_factor" && frame.changed) return; // the contestant frame says whose and how much
  const name = t(`cmd.${frame.command}`);
  setStatus(t(frame.changed ? "host.done" : "host.unchanged", { command: name }), frame.changed ? "ok" : "info");
});

socket.on("contestant", (frame) => {
  const c = frame.contestant;
  if (frame.event === "joined") {
    addPerson({ ...c, kicked: false });
  } else if (frame.event === "time_factor") {
    setPersonFactor(c.id, c.time_factor);
    setStatus(t("host.time_factor_set", { name: c.nickname, factor: formatNumber(c.time_factor) }), "ok");
  } else if (frame.event === "kicked") {
    markKicked(c.id);
    setStatus(t("host.kicked", { name: c.nickname }));
  }
  renderCounts();
});

socket.on("error", (frame) => setStatus(errorText(frame.code, frame.message), "error"));

const CLOSE_STATUS = {
  [CLOSE.UNAUTHENTICATED]: () => t("host.login_again"),
  [CLOSE.FORBIDDEN]: () => errorText(ERROR.forbidden),
  [CLOSE.NOT_FOUND]: () => errorText(ERROR.round_not_found),
};
socket.on("close", (event) => {
  const status = event && CLOSE_STATUS[event.code];
  if (status) setStatus(status(), "error");
});

socket.on("state-change", () => renderButtons());

// --- commands ------------------------------------------------------------------------------------

function confirmAction(text) {
  return new Promise((resolve) => {
    ui.dialogText.textContent = text;
    ui.dialog.returnValue = "";
    ui.dialog.addEventListener("close", () => resolve(ui.dialog.returnValue === "ok"), { once: true });
    ui.dialog.showModal();
    ui.dialog.querySelector('[value="cancel"]').focus();
  });
}

/** The command a button sends now: the pause button resumes a paused question. */
function commandFor(action) {
  const q = view.round && view.round.question;
  return action === "pause" && q && q.paused ? "resume" : action;
}

/** The engine lists the commands that would change the round now; the buttons follow it. */
function enabled(action) {
  const r = view.round;
  if (!r || !socket.isOpen) return false;
  return Array.isArray(r.commands) && r.commands.includes(commandFor(action));
}

async function trigger(action) {
  const r = view.round;
  if (!enabled(action)) return;
  const q = r.question;
  let frame;
  switch (action) {
    case "open":
    case "skip":
      frame = { type: action, question: r.next };
      break;
    case "close":
    case "reveal":
    case "leaderboard":
      frame = { type: action, question: r.current };
      break;
    case "pause":
      frame = { type: commandFor(action) };
      break;
    case "extend":
      frame = { type: "extend", question: r.current, seconds: 10, version: Math.max(socket.version, view.version) };
      break;
    case "void":
      if (!(await confirmAction(t("host.confirm_void", { n: q.number ?? q.index + 1 })))) return;
      frame = { type: "void", question: r.current };
      break;
    case "end":
      if (!(await confirmAction(t("host.confirm_end")))) return;
      frame = { type: "end" };
      break;
    default:
      return;
  }
  const button = buttons[action];
  button.classList.add("pressed");
  setTimeout(() => button.classList.remove("pressed"), 180);
  socket.send(frame);
}

for (const [action, button] of Object.entries(buttons)) button.addEventListener("click", () => trigger(action));

const SHORTCUTS = { n: "open", c: "close", r: "reveal", l: "leaderboard", p: "pause", e: "extend" };
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  if (ui.dialog.open) return;
  const target = event.target;
  if (target instanceof HTMLElement && (target.isContentEditable || target.closest("input, textarea, select"))) return;
  const action = SHORTCUTS[event.key.toLowerCase()];
  if (!action) return;
  event.preventDefault();
  trigger(action);
});

// --- contestants ---------------------------------------------------------------------------------

function personRow(person) {
  const kick = el("button", {
    className: "btn btn-small btn-danger-quiet kick",
    text: t("host.kick"),
    data: { testid: `host-kick-${person.id}` },
    attrs: { type: "button", "aria-label": `${t("host.kick")}: ${person.nickname}` },
    on: { click: () => kickPerson(person.id) },
  });
  const factor = person.kicked
    ? null
    : el(
        "select",
        {
          className: "time-factor-select",
          data: { testid: `host-time-factor-${person.id}` },
          attrs: { "aria-label": t("host.time_factor_for", { name: person.nickname }), title: t("host.time_factor") },
          on: { change: (event) => setTimeFactor(person.id, Number(event.target.value)) },
        },
        ...TIME_FACTORS.map((value) =>
          el("option", {
            text: `×${formatNumber(value)}`,
            attrs: { value: String(value), selected: value === (person.time_factor ?? 1) },
          }),
        ),
      );
  const row = el(
    "li",
    { className: "person", data: { testid: "host-participant", id: person.id, kicked: person.kicked ? "true" : "false" } },
    el(
      "span",
      { className: "person-name" },
      el("span", { className: "person-nick", text: person.nickname }),
      person.team ? el("span", { className: "person-team", text: person.team }) : null,
    ),
    factor,
    person.kicked ? el("span", { className: "tag", text: t("host.removed") }) : kick,
  );
  return row;
}

function matchesFilter(person) {
  const needle = ui.filter.value.trim().toLowerCase();
  return !needle || person.nickname.toLowerCase().includes(needle) || (person.team || "").toLowerCase().includes(needle);
}

function resetPeople(list) {
  state.people.clear();
  const rows = list.map((person) => {
    const row = personRow(person);
    row.hidden = !matchesFilter(person);
    state.people.set(person.id, { data: person, row });
    return row;
  });
  ui.people.replaceChildren(...rows);
  renderCounts();
}

function addPerson(person) {
  if (state.people.has(person.id)) return;
  const row = personRow(person);
  row.hidden = !matchesFilter(person);
  state.people.set(person.id, { data: person, row });
  ui.people.append(row);
}

function markKicked(id) {
  const entry = state.people.get(id);
  if (!entry || entry.data.kicked) return;
  entry.data.kicked = true;
  const row = personRow(entry.data);
  row.hidden = entry.row.hidden;
  entry.row.replaceWith(row);
  entry.row = row;
}

// Extended time (docs/protocol.md, section 7): from the next question opened.
const TIME_FACTORS = [1, 1.5, 2];

function setTimeFactor(id, factor) {
  if (!TIME_FACTORS.includes(factor)) return;
  socket.send({ type: "time_factor", contestant: id, time_factor: factor });
}

function setPersonFactor(id, factor) {
  const entry = state.people.get(id);
  if (!entry) return;
  entry.data.time_factor = factor;
  const select = entry.row.querySelector(".time-factor-select");
  if (select) select.value = String(factor);
}

async function kickPerson(id) {
  const entry = state.people.get(id);
  if (!entry || entry.data.kicked) return;
  if (!(await confirmAction(t("host.confirm_kick", { name: entry.data.nickname })))) return;
  socket.send({ type: "kick", contestant: id });
}

ui.filter.addEventListener("input", () => {
  for (const { data, row } of state.people.values()) row.hidden = !matchesFilter(data);
});

// --- rendering -----------------------------------------------------------------------------------

function renderButtons() {
  for (const [action, button] of Object.entries(buttons)) button.disabled = !enabled(action);
  const q = view.round && view.round.question;
  const paused = Boolean(q && q.paused && view.round.phase === "open");
  setText(buttons.pause.querySelector(".btn-label"), paused ? t("host.resume") : t("host.pause"));
  buttons.pause.setAttribute("aria-pressed", paused ? "true" : "false");
}

function renderCounts() {
  const r = view.round;
  const participants = r ? r.participants ?? 0 : 0;
  setText(ui.peopleCount, formatNumber(participants));
  const answered = r && r.question ? r.question.answered ?? 0 : 0;
  setText(ui.answered, `${formatNumber(answered)}/${formatNumber(participants)}`);
  show(ui.peopleEmpty, state.people.size === 0);
}

function questionStatus(r, q) {
  if (q.skipped) return "skipped";
  if (q.voided) return "voided";
  if (q.index === r.current) return "current";
  if (q.opened) return "played";
  if (q.index === r.next) return "next";
  return "upcoming";
}

function renderQuestions(r) {
  let number = 0; // numbered as contestants see them: skipped questions get none
  const items = (r.questions || []).map((q) => {
    const status = questionStatus(r, q);
    if (!q.skipped) number += 1;
    return el(
      "li",
      { className: "qrow", data: { testid: `host-question-${q.index}`, status } },
      el("span", { className: "qrow-num", text: q.skipped ? "–" : number }),
      el("span", { className: "qrow-stem", text: q.stem }),
      el("span", { className: "qrow-status", text: t(`host.status.${status}`) }),
    );
  });
  ui.questions.replaceChildren(...items);
}

function renderCurrent(r) {
  const q = r.question;
  if (!q) {
    setText(ui.number, currentHeading);
    setText(ui.stem, t("q.none"));
    showQuestionImage(ui.image, null);
    ui.choices.replaceChildren();
    show(ui.typed, false);
    show(ui.explanation, false);
    show(ui.note, false);
    return;
  }
  setText(ui.number, t("q.number", { n: q.number ?? q.index + 1, total: r.question_count }));
  setText(ui.stem, q.stem);
  showQuestionImage(ui.image, q.image);
  const hidden = keyHidden(r);
  const correct = hidden ? [] : q.correct || [];
  const distribution = q.distribution || [];
  const showCounts = r.phase !== "open" && distribution.length > 0;
  const most = Math.max(1, ...distribution);
  const items = q.choices.map((text, index) => {
    const isCorrect = correct.includes(index);
    const count = distribution[index] ?? 0;
    return el(
      "li",
      { className: "host-choice", data: { testid: `host-choice-${index}`, shape: index, correct: isCorrect ? "true" : "false" } },
      ...choiceParts(index, text),
      isCorrect ? el("span", { className: "key-mark", text: "✓", attrs: { title: t("q.correct_mark") } }) : null,
      isCorrect ? el("span", { className: "visually-hidden", text: t("q.correct_mark") }) : null,
      showCounts
        ? el(
            "span",
            { className: "dist", data: { testid: `host-dist-${index}` } },
            el("span", { className: "dist-bar", attrs: { style: `--fill:${(count / most).toFixed(4)}` } }),
            el("span", { className: "dist-num", text: formatNumber(count) }),
          )
        : null,
    );
  });
  ui.choices.replaceChildren(...items);
  // A typed question: its key (unless hidden) and the most common answers as they come in.
  const typed = isTyped(q);
  show(ui.typed, typed);
  if (typed) {
    const line = hidden ? null : typedKeyLine(q.key);
    show(ui.typedKey, Boolean(line));
    setText(ui.typedKey, line ? t(line.key, line.params) : "");
    const answers = hidden ? [] : q.answers || [];
    renderTypedAnswers(ui.typedAnswers, answers, q.answered, { testid: "host-typed-answer" });
    show(ui.typedEmpty, !hidden && answers.length === 0);
  }
  let note = "";
  if (q.voided) note = t("q.voided");
  else if (r.phase === "open" && q.paused) note = t("q.paused");
  else if (hidden) note = t("host.key_hidden");
  setText(ui.note, note);
  show(ui.note, Boolean(note));
  show(ui.explanation, Boolean(q.explanation) && !hidden);
  setText(ui.explanationText, hidden ? "" : q.explanation || "");
}

function render() {
  const r = view.round;
  if (!r) return;
  setText(ui.phase, t(`phase.${r.phase}`));
  ui.phase.dataset.phase = r.phase;
  document.body.dataset.phase = r.phase;
  countdown.set(r);
  show(countdown.root, r.phase === "open");
  renderCurrent(r);
  renderQuestions(r);
  renderCounts();
  renderButtons();
  const board = r.leaderboard && r.leaderboard.length ? r.leaderboard : null;
  show(ui.board, Boolean(board));
  if (board) renderLeaderboard(ui.boardList, board);
}

function initSettings() {
  for (const button of document.querySelectorAll("[data-host-setting]")) {
    const name = button.dataset.hostSetting;
    const apply = (on) => {
      settings[name] = on;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      if (name === "sound") sound.setEnabled(on);
      render();
    };
    button.addEventListener("click", () => {
      const on = !settings[name];
      store.set(`jjq:host:${name}`, on ? "on" : null);
      apply(on);
    });
    // Sound needs a click on this page before the browser plays it: it starts off after a reload.
    if (name !== "sound") apply(store.get(`jjq:host:${name}`) === "on");
  }
}

initSettings();
socket.start();
