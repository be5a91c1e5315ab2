// Small DOM helpers shared by the pages. Text from users and the question bank only ever goes in
// through textContent (el(..., {text}) or string children), never innerHTML.

import { formatNumber, t } from "./i18n.js";

export const SHAPES = ["▲", "◆", "●", "■", "⬟", "★"];
export const LETTERS = ["A", "B", "C", "D", "E", "F"];

/** el("li", {className: "x", text: "...", data: {testid: "..."}, attrs: {...}, on: {click}}, ...children) */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined && props.text !== null) node.textContent = String(props.text);
  for (const [name, value] of Object.entries(props.data || {})) {
    if (value !== undefined && value !== null) node.dataset[name] = String(value);
  }
  for (const [name, value] of Object.entries(props.attrs || {})) {
    if (value === false || value === undefined || value === null) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const [name, handler] of Object.entries(props.on || {})) node.addEventListener(name, handler);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  return node;
}

/**
 * Show the question's picture ({url, alt} from the payload, or null) in `img`, hiding its <figure>
 * when there is none. The src is only set when it changes, so a state frame never reloads it.
 */
export function showQuestionImage(img, image) {
  if (!img) return false;
  const figure = img.closest("figure") || img;
  if (!image || !image.url) {
    figure.hidden = true;
    img.removeAttribute("src");
    img.alt = "";
    return false;
  }
  if (img.getAttribute("src") !== image.url) img.setAttribute("src", image.url);
  img.alt = image.alt || "";
  figure.hidden = false;
  return true;
}

export function show(node, visible = true) {
  if (node) node.hidden = !visible;
}

export function setText(node, value) {
  if (node && node.textContent !== String(value)) node.textContent = String(value);
}

/** The shape, letter and text of choice `index`, for a button or list item. */
export function choiceParts(index, text) {
  return [
    el("span", { className: "shape", text: SHAPES[index] ?? "•", attrs: { "aria-hidden": "true" } }),
    el("span", { className: "letter", text: LETTERS[index] ?? String(index + 1) }),
    el("span", { className: "choice-text", text }),
  ];
}

/** The connection badge follows the socket's state. */
export function bindBadge(socket, badge) {
  if (!badge) return;
  const label = badge.querySelector(".conn-text") || badge;
  const update = (state) => {
    badge.dataset.state = state;
    label.textContent = t(`conn.${state}`);
  };
  socket.on("state-change", update);
  update(socket.state);
}

/** Milliseconds left on a round's question, in server time; `extra` is a contestant's extended time on it
 * (their own deadline is the question's plus that, docs/protocol.md section 7). */
export function remainingMs(round, socket, extra = 0) {
  const q = round && round.question;
  if (!q || round.phase !== "open") return 0;
  if (q.paused || q.deadline === null || q.deadline === undefined) {
    return q.paused ? Math.max(0, (q.remaining_ms || 0) + extra) : Math.max(0, q.remaining_ms || 0);
  }
  return Math.max(0, socket.remaining(q.deadline + extra));
}

const tickers = new Set();
let tickTimer = null;

function tickAll() {
  for (const ticker of tickers) ticker.tick();
}

/** A countdown element (.countdown-num and .countdown-bar > i inside) driven by server time. */
export class Countdown {
  constructor(root, socket, { onZero = null, onSecond = null, extraMs = () => 0 } = {}) {
    this.root = root;
    this.socket = socket;
    this.extraMs = extraMs; // this viewer's extended time on the current question
    this.onZero = onZero;
    this.onSecond = onSecond; // called with the seconds left whenever the shown number changes
    this.lastSecond = null;
    this.num = root.querySelector(".countdown-num");
    this.bar = root.querySelector(".countdown-bar > i");
    this.round = null;
    this.zeroFired = false;
    tickers.add(this);
    if (!tickTimer) tickTimer = setInterval(tickAll, 200);
  }

  set(round) {
    const key = round && round.question ? `${round.question.index}:${round.phase}:${round.question.deadline}` : "";
    if (key !== this.key) this.zeroFired = false;
    this.key = key;
    this.round = round;
    this.tick();
  }

  tick() {
    const round = this.round;
    const q = round && round.question;
    if (!q) {
      setText(this.num, "–");
      if (this.bar) this.bar.style.transform = "scaleX(0)";
      this.root.dataset.state = "idle";
      return;
    }
    const extra = this.extraMs();
    const ms = remainingMs(round, this.socket, extra);
    const seconds = Math.ceil(ms / 1000);
    setText(this.num, seconds);
    if (seconds !== this.lastSecond) {
      this.lastSecond = seconds;
      if (this.onSecond && round.phase === "open" && !q.paused) this.onSecond(seconds);
    }
    this.root.dataset.seconds = String(seconds);
    if (this.bar) {
      const whole = q.duration_ms + extra;
      const fraction = whole > 0 ? Math.min(1, ms / whole) : 0;
      this.bar.style.transform = `scaleX(${fraction.toFixed(4)})`;
    }
    let state = "running";
    if (round.phase !== "open") state = "done";
    else if (q.paused) state = "paused";
    else if (ms <= 0) state = "done";
    else if (seconds <= 5) state = "urgent";
    this.root.dataset.state = state;
    this.root.setAttribute("aria-label", q.paused ? t("q.paused") : `${seconds} ${t("q.seconds")}`);
    if (round.phase === "open" && !q.paused && ms <= 0 && !this.zeroFired) {
      this.zeroFired = true;
      if (this.onZero) this.onZero();
    }
  }
}

/** Fill an <ol> with leaderboard rows ({rank, nickname, score, team}); `me` is highlighted. */
export function renderLeaderboard(list, rows, { me = null, testid = "leaderboard-row" } = {}) {
  const items = (rows || []).map((row) =>
    el(
      "li",
      {
        className: "lb-row" + (me !== null && row.nickname === me ? " lb-me" : ""),
        data: { testid, rank: row.rank },
      },
      el("span", { className: "lb-rank", text: row.rank ?? "–" }),
      el(
        "span",
        { className: "lb-name" },
        el("span", { className: "lb-nick", text: row.nickname }),
        row.team ? el("span", { className: "lb-team", text: row.team }) : null,
      ),
      el("span", { className: "lb-score", text: formatNumber(row.score) }),
    ),
  );
  list.replaceChildren(...items);
}

/** Keep the value in sync with localStorage, quietly doing nothing where storage is unavailable. */
export const store = {
  get(key) {
    try {
      return localStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      if (value === null || value === undefined) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch {
      /* private mode */
    }
  },
};

/**
 * A typed question's most common answers (`answers` rows {answer, count, correct}) as bars in `list`, with a
 * ✓ on the right ones when `showCorrect`. `answered` is the number of people who answered (for the shares).
 */
export function renderTypedAnswers(list, answers, answered, { testid = "typed-answer", showCorrect = true, shares = [] } = {}) {
  const rows = answers || [];
  const most = Math.max(1, ...rows.map((row) => row.count ?? 0));
  list.replaceChildren(
    ...rows.map((row, index) => {
      const right = showCorrect && row.correct;
      return el(
        "li",
        { className: "typed-row", data: { testid, correct: showCorrect ? String(Boolean(row.correct)) : null } },
        el("span", { className: "typed-text", text: row.answer }),
        right ? el("span", { className: "key-mark", text: "✓", attrs: { title: t("q.correct_mark") } }) : null,
        right ? el("span", { className: "visually-hidden", text: t("q.correct_mark") }) : null,
        el("span", { className: "typed-bar", attrs: { style: `--fill:${((row.count ?? 0) / most).toFixed(4)}`, "aria-hidden": "true" } }),
        el("span", { className: "typed-count", text: formatNumber(row.count ?? 0) }),
        shares[index] !== undefined ? el("span", { className: "typed-share", text: `${shares[index]}%` }) : null,
      );
    }),
  );
}
