// The contestant page: join (PIN + nickname or contestant code), then follow the round and answer.
// The reconnect token is kept in localStorage per PIN, so a reload or a dropped connection resumes
// the same contestant; an answer is sent again until it is acked.

import { CLOSE, ERROR } from "./codes.js";
import { errorText, formatNumber, t } from "./i18n.js";
import { $, byTestId, connect, pageData } from "./page.js";
import { choiceShares, closedNoteKey, isTyped, pendingNoteKey, personalSummary, typedKeyLine, typedShares } from "./screens.js";
import { AnswerQueue } from "./socket.js";
import {
  choiceParts,
  Countdown,
  el,
  remainingMs,
  renderLeaderboard,
  renderTypedAnswers,
  setText,
  show,
  showQuestionImage,
  store,
} from "./ui.js";

const KEYS = {
  lastPin: "jjq:lastPin",
  joinKey: "jjq:joinKey",
  token: (pin) => `jjq:token:${pin}`,
  pending: (pin) => `jjq:pending:${pin}`,
  results: (pin) => `jjq:results:${pin}`,
  setting: (name) => `jjq:setting:${name}`,
};

// --- reading aids: large text and high contrast, remembered on this phone -----------------------------

const SETTINGS = { elder: { attr: "elder", on: "true" }, contrast: { attr: "contrast", on: "high" } };

function applySetting(name, on) {
  const { attr, on: value } = SETTINGS[name];
  if (on) document.documentElement.dataset[attr] = value;
  else delete document.documentElement.dataset[attr];
  const button = document.querySelector(`[data-setting="${name}"]`);
  if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
}

for (const name of Object.keys(SETTINGS)) {
  applySetting(name, store.get(KEYS.setting(name)) === "on");
  document.querySelector(`[data-setting="${name}"]`)?.addEventListener("click", (event) => {
    const on = event.currentTarget.getAttribute("aria-pressed") !== "true";
    store.set(KEYS.setting(name), on ? "on" : null);
    applySetting(name, on);
  });
}

// --- announcements for screen readers: the question, the countdown at 10 and 5 s, the result ------------

const announcer = $("#announcer");
const spoken = new Set(); // what was announced already, so a re-render never repeats it

function announce(key, text) {
  if (spoken.has(key)) return;
  spoken.add(key);
  announcer.textContent = text;
}

/** This phone's random join key (docs/protocol.md, 4.2): the join frame is sent again on every reconnect
 * until a welcome arrives, and with the same nickname and key it is the same contestant. */
function joinKey() {
  let key = store.get(KEYS.joinKey);
  if (!key || !/^[A-Za-z0-9_-]{16,64}$/.test(key)) {
    const bytes = crypto.getRandomValues(new Uint8Array(16)); // works on plain http, unlike randomUUID
    key = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    store.set(KEYS.joinKey, key);
  }
  return key;
}

const screens = { join: $("#join-view"), resume: $("#resume-view"), live: $("#live-view"), kicked: $("#kicked-view") };
const form = {
  root: $("#join-form"),
  pin: $("#join-pin"),
  nickname: $("#join-nickname"),
  code: $("#join-code"),
  nicknameField: $("#nickname-field"),
  codeField: $("#code-field"),
  error: $("#join-error"),
  submit: $("#join-submit"),
};
const live = {
  root: screens.live,
  title: byTestId("round-title"),
  nickname: byTestId("my-nickname"),
  score: byTestId("my-score"),
  rank: byTestId("my-rank"),
  lobby: $("#lobby-box"),
  participants: byTestId("participants"),
  question: $("#question-box"),
  number: byTestId("question-number"),
  stem: byTestId("stem"),
  image: $('[data-testid="question-image"] img'),
  hint: byTestId("question-hint"),
  timeFactor: byTestId("time-factor"),
  choices: byTestId("choices"),
  submit: $("#answer-submit"),
  typedForm: $("#typed-form"),
  typedInput: $("#typed-input"),
  typedUnit: byTestId("typed-unit"),
  typedSubmit: byTestId("typed-submit"),
  typedReveal: byTestId("typed-reveal"),
  typedMine: byTestId("typed-mine"),
  typedKey: byTestId("typed-key"),
  typedAnswers: byTestId("typed-answers"),
  pending: byTestId("answer-pending"),
  ack: byTestId("answer-ack"),
  note: byTestId("question-note"),
  result: $("#result-box"),
  verdict: byTestId("result-verdict"),
  points: byTestId("result-points"),
  streak: byTestId("result-streak"),
  explanation: $("#explanation-box"),
  explanationText: $("#explanation-box .explanation-text"),
  board: $("#leaderboard-box"),
  boardTitle: $("#leaderboard-box .leaderboard-title"),
  boardList: $("#leaderboard-box .leaderboard"),
  finalNote: $("#leaderboard-box .final-note"),
  summary: $("#summary-box"),
  summaryCorrect: byTestId("summary-correct"),
  summaryStreak: byTestId("summary-streak"),
  summaryRank: byTestId("summary-rank"),
  summaryScore: byTestId("summary-score"),
  summaryTeam: byTestId("summary-team"),
  again: $("#play-again"),
  message: byTestId("play-message"),
};

const app = {
  pin: "", // the round we are in, or trying to join
  intent: null, // the frame to send on every (re)connect: join, then resume with the token
  joined: false, // a welcome arrived on the current connection
  round: null,
  me: null,
  myAnswer: null, // {question, choices, text?}: the answer the server holds for the current question
  results: {}, // question index -> result frame
  selection: new Set(), // multiple choice, before submitting
  builtFor: null, // which question the choice buttons belong to
  shownAt: null, // {question, at}: when this phone first showed the question open
  message: null,
  kicked: false,
  reasons: {}, // question index -> why it closed (from the state frame; unknown after a reload)
  timeFactor: 1, // this contestant's extended time (1, 1.5, 2), for questions opened from now on
  extra: null, // {question, ms}: this contestant's extended time on that question
  frozen: null, // {question, ms}: this contestant's own time left while the clock is paused
};

/** This contestant's extended time on the current question, in ms (0 on standard time). While paused it is
 * what makes the frozen standard time left (`remaining_ms`, never below 0) this contestant's own. */
function extraMs() {
  const q = app.round && app.round.question;
  if (!q || !app.extra || app.extra.question !== q.index) return 0;
  if (q.paused && app.frozen && app.frozen.question === q.index) return Math.max(0, app.frozen.ms - (q.remaining_ms ?? 0));
  return app.extra.ms;
}

/** The extended time a question opened now gives this contestant (docs/protocol.md, section 7). */
function extraFor(q, factor) {
  return Math.floor((q.duration_ms * Math.round(factor * 100)) / 100) - q.duration_ms;
}

const socket = connect("/ws/play/", {
  onOpen() {
    app.joined = false;
    if (app.intent) socket.send(app.intent);
  },
});
const queue = new AnswerQueue(socket, { onChange: () => render() });
const countdown = new Countdown(byTestId("countdown"), socket, {
  extraMs,
  onZero: () => render(),
  onSecond: (seconds) => {
    const q = app.round && app.round.question;
    if (q && (seconds === 10 || seconds === 5)) announce(`${q.index}:${seconds}s`, t("a11y.seconds_left", { n: seconds }));
  },
});
socket.on("state-change", () => render()); // the answer's note follows the line

// --- screens -------------------------------------------------------------------------------------

const readingAids = document.querySelector(".a11y-bar");

function showScreen(name) {
  for (const [key, node] of Object.entries(screens)) show(node, key === name);
}

function showJoin(pin, error = null) {
  showScreen("join");
  if (pin) form.pin.value = pin;
  setJoinBusy(false);
  setJoinError(error);
  const target = form.pin.value.length === 6 ? (currentMode() === "code" ? form.code : form.nickname) : form.pin;
  target.focus({ preventScroll: true });
}

function setJoinError(text) {
  form.error.textContent = text || "";
  show(form.error, Boolean(text));
}

function setJoinBusy(busy) {
  form.submit.disabled = busy;
  form.submit.textContent = busy ? t("play.joining") : t("play.join");
  form.root.setAttribute("aria-busy", busy ? "true" : "false");
}

function currentMode() {
  return form.root.elements.mode.value === "code" ? "code" : "nickname";
}

function applyMode() {
  const code = currentMode() === "code";
  show(form.codeField, code);
  show(form.nicknameField, !code);
}

function showKicked() {
  app.kicked = true;
  app.intent = null;
  store.set(KEYS.token(app.pin), null);
  queue.drop();
  socket.stop();
  showScreen("kicked");
}

function joinAnother() {
  if (app.pin) store.set(KEYS.token(app.pin), null);
  queue.drop();
  Object.assign(app, { intent: null, joined: false, round: null, me: null, myAnswer: null, results: {}, kicked: false });
  app.builtFor = null;
  socket.resetVersion();
  socket.restart(); // a socket joins one round only: start afresh
  form.pin.value = "";
  showJoin("");
}

// --- joining -------------------------------------------------------------------------------------

form.root.addEventListener("change", (event) => {
  if (event.target.name === "mode") {
    applyMode();
    setJoinError(null);
  }
});

form.pin.addEventListener("input", () => {
  const digits = form.pin.value.replace(/\D/g, "").slice(0, 6);
  if (digits !== form.pin.value) form.pin.value = digits;
});

form.root.addEventListener("submit", (event) => {
  event.preventDefault();
  const pin = form.pin.value.trim();
  if (!/^\d{6}$/.test(pin)) {
    setJoinError(t("play.pin_invalid"));
    form.pin.focus();
    return;
  }
  const frame = { type: "join", pin };
  if (currentMode() === "code") {
    const code = form.code.value.trim().toUpperCase();
    if (!code || code.length > 12) {
      setJoinError(t("play.code_required"));
      form.code.focus();
      return;
    }
    frame.code = code;
  } else {
    const nickname = form.nickname.value.trim();
    if (!nickname || [...nickname].length > 20) {
      setJoinError(t("play.nickname_required"));
      form.nickname.focus();
      return;
    }
    frame.nickname = nickname;
    frame.key = joinKey();
  }
  setJoinError(null);
  setJoinBusy(true);
  app.pin = pin;
  app.intent = frame;
  socket.resetVersion();
  if (app.joined) socket.restart(); // onOpen sends the join
  else if (socket.isOpen) socket.send(frame);
  else if (socket.stopped) socket.start();
});

// --- frames --------------------------------------------------------------------------------------

socket.on("welcome", (frame) => {
  const round = frame.round;
  const pin = round.pin || app.pin;
  if (queue.storageKey !== KEYS.pending(pin)) queue.useStorage(KEYS.pending(pin));
  if (pin !== app.pin || !app.round || app.round.id !== round.id) {
    try {
      app.results = JSON.parse(store.get(KEYS.results(pin)) || "{}") || {};
    } catch {
      app.results = {};
    }
  }
  app.pin = pin;
  app.joined = true;
  app.kicked = false;
  app.intent = { type: "resume", token: frame.token };
  store.set(KEYS.token(pin), frame.token);
  store.set(KEYS.lastPin, pin);
  app.me = frame.me;
  if (typeof frame.me.time_factor === "number") app.timeFactor = frame.me.time_factor;
  const q = round.question;
  // The server's view of this contestant's own clock on the current question: its extended time.
  if (q && round.phase === "open" && typeof frame.me.remaining_ms === "number") {
    let extra;
    if (frame.me.deadline && q.deadline) extra = frame.me.deadline - q.deadline;
    else if ((q.remaining_ms ?? 0) > 0) extra = frame.me.remaining_ms - q.remaining_ms;
    else extra = extraFor(q, app.timeFactor); // paused after the standard time ran out
    app.extra = { question: q.index, ms: Math.max(0, extra) };
    app.frozen = q.paused ? { question: q.index, ms: frame.me.remaining_ms } : null;
  }
  const stored = frame.me.answer;
  app.myAnswer = stored ? { question: stored.question, choices: stored.choices, text: stored.text } : null;
  applyRound(round, null);
  // The answer that was waiting for an ack: the server has it already, or it can still be sent, or it is too late.
  const pending = queue.pending;
  if (pending) {
    const open = round.phase === "open" && round.current === pending.question;
    if (app.myAnswer && app.myAnswer.question === pending.question) queue.drop();
    else if (!open) {
      queue.drop();
      if (round.current === pending.question) app.message = errorText(ERROR.too_late);
    }
  }
  queue.setReady(true);
  setJoinBusy(false);
  const arriving = screens.live.hidden;
  showScreen("live");
  render();
  if (arriving) live.title.focus({ preventScroll: true }); // where keyboard and screen-reader users continue
});

socket.on("state", (frame) => {
  if (!app.joined) return;
  if (frame.event === "question.closed" && typeof frame.index === "number") app.reasons[frame.index] = frame.reason;
  applyRound(frame.round, frame.event);
  render();
});

socket.on("ack", (frame) => {
  queue.acked(frame);
  if (app.round && frame.question === app.round.current) {
    app.myAnswer = { question: frame.question, choices: frame.choices, text: frame.text };
  }
  render();
});

socket.on("result", (frame) => {
  app.results[frame.question] = frame;
  store.set(KEYS.results(app.pin), JSON.stringify(app.results));
  if (app.me) {
    app.me.score = frame.score;
    app.me.rank = frame.rank;
  }
  render();
});

socket.on("kicked", () => showKicked());

socket.on("time_factor", (frame) => {
  // Applies from the next question opened; the open one keeps the factor it opened with.
  app.timeFactor = frame.time_factor;
  if (app.me) app.me.time_factor = frame.time_factor;
  render();
});

socket.on("close", (event) => {
  // Forbidden on this socket means kicked (a resume with a kicked token is refused the same way).
  if (event && event.code === CLOSE.FORBIDDEN && !app.kicked) showKicked();
});

socket.on("error", (frame) => {
  const code = frame.code;
  if (frame.ref === "join") {
    app.intent = null;
    if (code === ERROR.already_joined) {
      socket.restart();
      return;
    }
    let text = errorText(code, frame.message);
    if (code === ERROR.join_mode) {
      // Point to the other way of joining and switch the form to it.
      const usedCode = currentMode() === "code";
      text = errorText(usedCode ? "join_mode_code" : "join_mode_nickname", frame.message);
      form.root.elements.mode.value = usedCode ? "nickname" : "code";
      applyMode();
    }
    showJoin(null, text);
    return;
  }
  if (frame.ref === "resume") {
    if (code === ERROR.kicked) {
      showKicked();
      return;
    }
    store.set(KEYS.token(app.pin), null);
    app.intent = null;
    app.round = null;
    queue.drop();
    showJoin(app.pin, errorText(code === ERROR.already_joined ? "generic" : code, frame.message));
    return;
  }
  if (frame.ref === "answer") {
    answerRefused(frame);
    return;
  }
  if (code === ERROR.not_joined && app.intent) {
    socket.send(app.intent);
    return;
  }
  if (screens.join.hidden) {
    app.message = errorText(code, frame.message);
    render();
  } else {
    setJoinBusy(false);
    setJoinError(errorText(code, frame.message));
  }
});

function answerRefused(frame) {
  const code = frame.code;
  if (code === ERROR.server_error || code === ERROR.not_joined) return; // the queue sends it again
  if (code === ERROR.kicked) {
    showKicked();
    return;
  }
  queue.drop();
  if (code === ERROR.invalid_choice || code === ERROR.paused) app.selection.clear();
  // A typed answer that was refused stays in the box to be corrected and sent again.
  if (code === ERROR.empty_answer || code === ERROR.answer_too_long) live.typedInput.focus({ preventScroll: true });
  app.message = errorText(code, frame.message);
  render();
}

// --- state ---------------------------------------------------------------------------------------

function applyRound(round, event) {
  const previous = app.round;
  app.round = round;
  const q = round.question;
  const current = round.current;
  if (!previous || previous.current !== current) {
    app.selection.clear();
    app.message = null;
    if (app.myAnswer && app.myAnswer.question !== current) app.myAnswer = null;
    if (queue.pending && queue.pending.question !== current) queue.drop();
  }
  if (event === "round.paused" && q && previous && previous.question && previous.question.index === q.index) {
    // This contestant's own time left when the clock stopped (the payload's is the standard time's).
    app.frozen = { question: q.index, ms: remainingMs(previous, socket, app.extra && app.extra.question === q.index ? app.extra.ms : 0) };
  } else if (event === "round.resumed") app.frozen = null;
  else if (event === "time.extended" && q && q.paused && app.frozen && app.frozen.question === q.index && previous?.question) {
    app.frozen.ms += Math.max(0, (q.remaining_ms ?? 0) - (previous.question.remaining_ms ?? 0)); // added to the frozen time
  }
  if (event === "question.opened" && q) {
    app.shownAt = { question: q.index, at: performance.now() };
    app.message = null;
    app.extra = { question: q.index, ms: extraFor(q, app.timeFactor) };
  } else if (q && round.phase === "open" && (!app.shownAt || app.shownAt.question !== q.index)) {
    // Joined or reloaded mid-question: measure from the server's view of the question instead.
    const own = q.duration_ms + extraMs();
    app.shownAt = { question: q.index, at: performance.now() - Math.max(0, own - remainingMs(round, socket, extraMs())) };
  }
}

function questionLocked(round) {
  const q = round.question;
  if (!q || round.phase !== "open" || q.paused || q.voided) return true;
  if (remainingMs(round, socket, extraMs()) <= 0) return true;
  if (app.myAnswer && app.myAnswer.question === q.index) return true;
  if (queue.pending && queue.pending.question === q.index) return true;
  return false;
}

function chosenFor(q) {
  if (app.myAnswer && app.myAnswer.question === q.index) return new Set(app.myAnswer.choices);
  if (queue.pending && queue.pending.question === q.index) return new Set(queue.pending.choices);
  return app.selection;
}

function onChoice(index) {
  const round = app.round;
  if (!round || questionLocked(round)) return;
  const q = round.question;
  if (q.kind === "multiple") {
    if (app.selection.has(index)) app.selection.delete(index);
    else app.selection.add(index);
    render();
    return;
  }
  submitAnswer([index]);
}

function submitAnswer(choices) {
  const round = app.round;
  if (!round || questionLocked(round) || !choices.length) return;
  const q = round.question;
  const elapsed = app.shownAt && app.shownAt.question === q.index ? performance.now() - app.shownAt.at : null;
  const extra = { tapped_at: Math.round(socket.now()) }; // evidence beside the server's receipt time
  if (elapsed !== null) extra.client_elapsed_ms = Math.min(3600000, Math.max(0, Math.round(elapsed)));
  app.message = null;
  queue.submit(q.index, choices, extra);
  render();
}

live.submit.addEventListener("click", () => submitAnswer([...app.selection]));

/** Send what is typed in the box (short answer, numerical): trimmed, and nothing when it is empty. */
function submitTyped() {
  const round = app.round;
  if (!round || questionLocked(round) || !isTyped(round.question)) return;
  const text = live.typedInput.value.trim();
  if (!text) {
    app.message = errorText(ERROR.empty_answer);
    render();
    live.typedInput.focus({ preventScroll: true });
    return;
  }
  const q = round.question;
  const elapsed = app.shownAt && app.shownAt.question === q.index ? performance.now() - app.shownAt.at : null;
  const extra = { tapped_at: Math.round(socket.now()) };
  if (elapsed !== null) extra.client_elapsed_ms = Math.min(3600000, Math.max(0, Math.round(elapsed)));
  app.message = null;
  queue.submitText(q.index, text, extra);
  render();
}

live.typedForm.addEventListener("submit", (event) => {
  event.preventDefault();
  submitTyped();
});
live.again.addEventListener("click", joinAnother);
$("#kicked-again").addEventListener("click", joinAnother);

// --- rendering -----------------------------------------------------------------------------------

function buildChoices(q) {
  const buttons = q.choices.map((text, index) =>
    el(
      "button",
      {
        className: "choice",
        data: { testid: `choice-${index}`, index, shape: index },
        attrs: { type: "button", "aria-pressed": "false" },
        on: { click: () => onChoice(index) },
      },
      ...choiceParts(index, text),
      el("span", { className: "choice-mark", attrs: { "aria-hidden": "true" } }),
    ),
  );
  live.choices.replaceChildren(...buttons);
  live.choices.dataset.kind = q.kind;
  app.builtFor = `${q.index}:${q.choices.length}`;
}

function sameSet(a, b) {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function render() {
  const round = app.round;
  if (!round) return;
  const q = round.question;
  const phase = round.phase;
  socket.setWatchful(phase === "open"); // a dead line must show within seconds while answers count
  live.root.dataset.phase = phase;
  // While answers count the question has the whole screen: the reading aids step aside (set them in
  // the lobby or between questions; the phone remembers them).
  show(readingAids, phase !== "open");
  setText(live.title, round.title);
  if (app.me) {
    setText(live.nickname, app.me.nickname);
    setText(live.score, formatNumber(app.me.score ?? 0));
    setText(live.rank, app.me.rank ?? "–");
  }

  const inQuestion = Boolean(q) && (phase === "open" || phase === "closed" || phase === "revealed");
  show(live.lobby, phase === "lobby" || (!q && phase !== "finished" && phase !== "leaderboard"));
  setText(live.participants, t("participants", { n: formatNumber(round.participants ?? 0) }));
  show(live.question, inQuestion);
  countdown.set(round);
  show(countdown.root, phase === "open");

  if (inQuestion) renderQuestion(round);
  else {
    show(live.result, false);
    show(live.explanation, false);
  }
  if (phase === "leaderboard" || phase === "finished") renderResult(round); // the last result stays in view

  const board = phase === "leaderboard" || phase === "finished";
  show(live.board, board);
  if (board) {
    setText(live.boardTitle, phase === "finished" ? t("display.final") : t("display.leaderboard"));
    renderLeaderboard(live.boardList, round.leaderboard || [], { me: app.me ? app.me.nickname : null });
  }
  show(live.finalNote, phase === "finished");
  show(live.summary, phase === "finished" && Boolean(app.me));
  if (phase === "finished" && app.me) renderSummary(round);
  show(live.again, phase === "finished");

  live.message.textContent = app.message || "";
  show(live.message, Boolean(app.message));
}

/** The text box of a typed question: a keyboard for text, a decimal keypad and the unit for a number. */
function renderTyped(round, locked) {
  const q = round.question;
  const typed = isTyped(q);
  show(live.typedForm, typed && round.phase === "open" && !q.voided);
  show(live.choices, !typed);
  if (!typed) {
    show(live.typedReveal, false);
    return;
  }
  const input = live.typedInput;
  const numerical = q.kind === "numerical";
  if (input.dataset.question !== String(q.index)) {
    input.dataset.question = String(q.index);
    input.value = "";
  }
  input.setAttribute("inputmode", numerical ? "decimal" : "text");
  input.placeholder = t(numerical ? "q.number_placeholder" : "q.typed_placeholder");
  const unit = numerical ? q.unit || "" : "";
  show(live.typedUnit, Boolean(unit));
  setText(live.typedUnit, unit);
  // What the server holds (or is being sent) stands in the box once sent; until then the box is the contestant's.
  const mine = app.myAnswer && app.myAnswer.question === q.index ? app.myAnswer : null;
  const pending = queue.pending && queue.pending.question === q.index ? queue.pending : null;
  const sent = mine?.text ?? pending?.text;
  if (typeof sent === "string" && input.value !== sent) input.value = sent;
  input.disabled = locked;
  live.typedSubmit.disabled = locked;

  const revealed = round.phase === "revealed" && Boolean(q.key);
  show(live.typedReveal, revealed && !q.voided);
  if (!revealed) return;
  show(live.typedMine, typeof mine?.text === "string");
  if (typeof mine?.text === "string") setText(live.typedMine, t("q.your_answer", { answer: mine.text }));
  const line = typedKeyLine(q.key);
  setText(live.typedKey, line ? t(line.key, line.params) : "");
  renderTypedAnswers(live.typedAnswers, q.answers, q.answered, { shares: typedShares(q.answers, q.answered) });
}

function renderQuestion(round) {
  const q = round.question;
  const phase = round.phase;
  if (app.builtFor !== `${q.index}:${q.choices.length}`) buildChoices(q);
  setText(live.number, t("q.number", { n: q.number ?? q.index + 1, total: round.question_count }));
  setText(live.stem, q.stem);
  showQuestionImage(live.image, q.image);
  // Extended time: the countdown above is this contestant's own; say so, as the big screen's is shorter.
  const extra = extraMs();
  show(live.timeFactor, extra > 0 && phase === "open");
  if (extra > 0) setText(live.timeFactor, t("play.extended_time", { factor: formatNumber((q.duration_ms + extra) / q.duration_ms) }));

  const locked = questionLocked(round);
  renderTyped(round, locked);
  const chosen = chosenFor(q);
  const revealed = Array.isArray(q.correct);
  const mine = app.myAnswer && app.myAnswer.question === q.index;
  const pending = queue.pending && queue.pending.question === q.index;
  live.choices.dataset.locked = locked ? "true" : "false";
  live.choices.dataset.revealed = revealed ? "true" : "false";
  for (const button of live.choices.children) {
    const index = Number(button.dataset.index);
    const selected = chosen.has(index);
    button.disabled = locked;
    button.setAttribute("aria-pressed", selected ? "true" : "false");
    button.dataset.selected = selected ? "true" : "false";
    if (revealed) button.dataset.correct = q.correct.includes(index) ? "true" : "false";
    else delete button.dataset.correct;
    const mark = button.querySelector(".choice-mark");
    mark.textContent = revealed ? (q.correct.includes(index) ? "✓" : selected ? "✗" : "") : selected ? "●" : "";
  }

  const open = phase === "open";
  const multipleOpen = open && q.kind === "multiple" && !mine && !pending && !q.voided;
  show(live.submit, multipleOpen);
  live.submit.disabled = locked || app.selection.size === 0;
  const hints = { multiple: "q.hint_multiple", short: "q.hint_short", numerical: "q.hint_numerical" };
  setText(live.hint, open && !locked ? t(hints[q.kind] || "q.hint_single") : "");
  show(live.hint, open && !locked);

  show(live.pending, Boolean(pending));
  // Until the ack arrives the answer is not received; on a line that is down, say so plainly.
  if (pending) setText(live.pending, t(queue.ready ? pendingNoteKey(socket.state) : "play.not_received"));
  live.pending.dataset.state = pending && socket.state === "connected" && queue.ready ? "sending" : "waiting";
  show(live.ack, Boolean(mine) && phase !== "revealed");

  let note = "";
  if (q.voided) note = t("q.voided");
  else if (open && q.paused) note = t("q.paused");
  else if (open && remainingMs(round, socket, extraMs()) <= 0 && !mine && !pending) note = t("q.time_up");
  else if (phase === "closed") {
    const why = t(closedNoteKey(app.reasons[q.index]));
    note = `${why} ${mine ? t("play.waiting_reveal") : t("play.no_answer")}`;
  }
  setText(live.note, note);
  show(live.note, Boolean(note));

  if (phase === "revealed") renderResult(round);
  else show(live.result, false);
  const explanation = phase === "revealed" && !q.voided && q.explanation;
  show(live.explanation, Boolean(explanation));
  if (explanation) setText(live.explanationText, q.explanation);

  // What the big screen shows at reveal is on the phone too: each answer's share of the people who answered.
  const shares = revealed && q.distribution ? choiceShares(q.distribution, q.answered) : null;
  for (const button of live.choices.children) {
    let share = button.querySelector(".choice-share");
    if (!shares) {
      share?.remove();
      continue;
    }
    if (!share) {
      share = el("span", { className: "choice-share" });
      button.querySelector(".choice-mark").before(share);
    }
    setText(share, `${shares[Number(button.dataset.index)] ?? 0}%`);
  }
  if (open) announce(`${q.index}:open`, `${t("q.number", { n: q.number ?? q.index + 1, total: round.question_count })} ${q.stem}`);
}

function renderResult(round) {
  const q = round.question;
  const result = q ? app.results[q.index] : null;
  // No verdict for a voided question, nor before the key is known (a result frame brings it at the end too).
  // A typed answer's verdict is the server's alone (it normalises): without a result frame, none is shown.
  if (!q || q.voided || (!result && (!Array.isArray(q.correct) || isTyped(q)))) {
    show(live.result, false);
    return;
  }
  const mine = app.myAnswer && app.myAnswer.question === q.index ? app.myAnswer : null;
  let verdict = "none";
  if (result) verdict = result.answered === false ? "none" : result.correct ? "correct" : "incorrect";
  else if (mine) verdict = sameSet(mine.choices, q.correct) ? "correct" : "incorrect"; // after a reload, before any result
  live.result.dataset.verdict = verdict;
  setText(
    live.verdict,
    verdict === "correct" ? t("play.correct") : verdict === "incorrect" ? t("play.incorrect") : t("play.no_answer"),
  );
  const points = result ? result.points : null;
  show(live.points, points !== null);
  if (points !== null) setText(live.points, t("play.points", { points: formatNumber(points) }));
  const streak = result && result.streak > 1 && result.correct ? result.streak : 0;
  show(live.streak, Boolean(streak));
  if (streak) setText(live.streak, t("play.streak", { n: streak }));
  show(live.result, true);
  if (result || Array.isArray(q.correct)) {
    const said = [live.verdict.textContent, points !== null ? live.points.textContent : ""].join(" ");
    announce(`${q.index}:result:${verdict}:${points}`, said.trim());
  }
}

function renderSummary(round) {
  const summary = personalSummary(app.results, app.me, round);
  setText(live.summaryCorrect, formatNumber(summary.correct));
  setText(live.summaryStreak, formatNumber(summary.bestStreak));
  setText(
    live.summaryRank,
    summary.rank === null ? "–" : t("play.rank_of", { rank: summary.rank, n: formatNumber(summary.participants ?? 0) }),
  );
  setText(live.summaryScore, formatNumber(summary.score ?? 0));
  show(live.summaryTeam, Boolean(summary.team));
  if (summary.team) setText(live.summaryTeam, t("play.team_result", { team: summary.team.name, rank: summary.team.rank, n: summary.team.teams, score: formatNumber(summary.team.score) }));
  announce(
    "summary",
    t("play.summary_said", { correct: summary.correct, streak: summary.bestStreak, rank: summary.rank ?? "–" }),
  );
}

// --- start ---------------------------------------------------------------------------------------

function start() {
  applyMode();
  const pin = pageData("play-pin", "") || store.get(KEYS.lastPin) || "";
  const token = pin ? store.get(KEYS.token(pin)) : null;
  socket.start();
  if (token) {
    app.pin = pin;
    app.intent = { type: "resume", token };
    queue.useStorage(KEYS.pending(pin));
    showScreen("resume");
  } else {
    showJoin(pin);
  }
}

start();
