// The duel page: one socket to /ws/online/duel/<code>/ (the shared reconnecting client), showing the
// duel frame the server sends after every change; answers carry an id, so a resend after a drop is safe.
// A reload or a dropped connection gets the current frame again: same question, same deadline.

import { errorText, t } from "../frontend/i18n.js";
import { QuizSocket } from "../frontend/socket.js";

const root = document.getElementById("duel");
const part = (id) => root.querySelector(`[data-testid="${id}"]`);
const code = root.dataset.code;
const socket = new QuizSocket(`/ws/online/duel/${code}/`);
let frame = null;
let timer = null;

function text(id, value) {
  part(id).textContent = value;
}

function show(id, visible) {
  part(id).hidden = !visible;
}

function uuid() {
  return globalThis.crypto?.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`.replace(/\./g, "");
}

function tick() {
  clearTimeout(timer);
  if (!frame || frame.phase !== "open" || !frame.deadline) {
    show("duel-countdown", false);
    return;
  }
  const left = Math.max(0, frame.deadline - socket.now());
  show("duel-countdown", true);
  part("duel-countdown").querySelector(".countdown-num").textContent = String(Math.ceil(left / 1000));
  if (left > 0) timer = setTimeout(tick, 250);
}

function answer(index) {
  const id = uuid();
  socket.send({ type: "answer", position: frame.position, choices: [index], id });
  for (const button of part("duel-choices").querySelectorAll("button")) button.disabled = true;
  text("duel-status", t("duel.answered"));
}

function render(next) {
  frame = next;
  if (next.server_time) socket.offset = next.server_time - Date.now();
  text("duel-you", t("duel.you", { score: next.you.score }));
  text("duel-partner", next.partner ? t("duel.partner", { name: next.partner.name, score: next.partner.score }) : "");
  show("duel-waiting", next.phase === "waiting");
  show("duel-result", next.phase === "finished" || next.phase === "expired");
  show("duel-back", next.phase === "finished" || next.phase === "expired");
  const choices = part("duel-choices");
  choices.replaceChildren();
  text("duel-stem", next.question ? next.question.stem : "");
  const reveal = next.reveal;
  if (next.question) {
    next.question.choices.forEach((label, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-secondary btn-block";
      button.dataset.testid = `duel-choice-${index}`;
      button.textContent = `${"ABCDEF"[index]}  ${label}`;
      if (reveal) {
        button.disabled = true;
        if (reveal.correct.includes(index)) button.classList.add("btn-primary");
      } else if (next.phase !== "open" || next.answered.you) {
        button.disabled = true;
      } else {
        button.addEventListener("click", () => answer(index));
      }
      choices.append(button);
    });
  }
  show("duel-reveal", Boolean(reveal && reveal.explanation));
  if (reveal) part("duel-reveal").querySelector(".explanation-text").textContent = reveal.explanation;
  const status = {
    waiting: t("duel.waiting"),
    open: next.answered.you ? t("duel.answered") : t("duel.open", { n: next.position + 1, total: next.count }),
    revealed: next.position < 0 ? t("duel.get_ready") : t("duel.revealed"),
    finished: "",
    expired: t("duel.expired"),
  }[next.phase];
  text("duel-status", status);
  if (next.phase === "finished" && next.result) {
    text("duel-result", `${t(`duel.${next.result.outcome}`)} ${t("duel.points", { points: next.result.points })}`);
  } else if (next.phase === "expired") {
    text("duel-result", t("duel.expired"));
  }
  root.dataset.phase = next.phase;
  root.dataset.position = String(next.position);
  tick();
}

socket.on("duel", render);
socket.on("error", (error) => {
  text("duel-status", errorText(error.code, error.message));
});
socket.on("state-change", (state) => {
  if (state === "reconnecting") text("duel-status", t("duel.reconnecting"));
});
socket.start();
