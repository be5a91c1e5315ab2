// The host console of a stage final: the script with the current segment, the cue keys (请抢答 /
// 请回答, right, wrong, incomplete, close, undo, hold, release), the buzz order with its evidence, the
// scores and every score event. Commands name what they act on (the next index, the attempt or turn
// marked), so a key pressed twice acts once.

import { followFinal, formatScore, markIndex, renderBoard, renderHold, renderQuestion, segmentLine, statusLine, teamName } from "./finals.js";
import { errorText, t } from "./i18n.js";
import { byTestId, pageData } from "./page.js";
import { el, setText } from "./ui.js";

const finalId = pageData("final-path");
const message = byTestId("host-message");
const textInput = byTestId("fh-text");
const view = followFinal(`/ws/final/host/${finalId}/`, ({ final }) => render(final));
const socket = view.socket;
socket.on("final.reply", (reply) => setText(message, reply.changed ? t("final.done", { action: reply.ref }) : t("final.no_change")));
socket.on("error", (frame) => setText(message, errorText(frame.code, frame.message)));

function command(action, fields = {}) {
  socket.send({ type: "command", action, ...fields });
}

function levelTeams(final) {
  const byScore = new Map();
  for (const team of final.teams) byScore.set(team.score, [...(byScore.get(team.score) || []), team.id]);
  const groups = [...byScore.entries()].filter(([, ids]) => ids.length > 1).sort((a, b) => b[0] - a[0]);
  return groups.length ? groups[0][1] : [];
}

const actions = {
  start: () => command("start"),
  next_segment: (f) => command("next_segment", { index: f.segment ? f.segment.index + 1 : 0 }),
  next_question: (f) => command("next_question", { index: f.question_index + 1 }),
  cue: () => command("cue"),
  right: (f) => command("mark", { result: "right", index: markIndex(f) }),
  wrong: (f) => command("mark", { result: "wrong", index: markIndex(f) }),
  incomplete: (f) => command("mark", { result: "incomplete", index: markIndex(f) }),
  close: () => command("close"),
  hold: () => command("hold", { text: textInput.value.trim() }),
  release: () => {
    if (!textInput.value.trim()) return setText(message, t("final.needs_text"));
    command("release", { text: textInput.value.trim() });
  },
  sudden_death: (f) => {
    const teams = levelTeams(f);
    if (teams.length < 2) return setText(message, t("final.no_level_teams"));
    command("sudden_death", { teams });
  },
  finish: () => command("finish"),
};

for (const button of document.querySelectorAll("[data-act]")) {
  button.addEventListener("click", () => view.final && actions[button.dataset.act](view.final));
}
const KEYS = { " ": "cue", 1: "right", 2: "wrong", 3: "incomplete", n: "next_question", h: "hold" };
document.addEventListener("keydown", (event) => {
  if (event.target instanceof HTMLInputElement || event.ctrlKey || event.metaKey || event.altKey || !view.final) return;
  const act = KEYS[event.key.toLowerCase()];
  if (!act) return;
  event.preventDefault();
  actions[act](view.final);
});

function render(final) {
  const segments = byTestId("host-script");
  segments.replaceChildren(
    ...final.segments.map((s, i) => {
      const li = el("li", { data: { testid: "script-segment" } }, `${s.title} · ${t(`final.kind.${s.kind}`)}`);
      if (final.segment && final.segment.index === i && final.segment.kind !== "sudden_death") li.classList.add("is-current");
      return li;
    }),
  );
  setText(byTestId("final-segment"), segmentLine(final));
  setText(byTestId("host-status"), statusLine(final));
  renderHold(byTestId("final-hold"), final);
  const play = final.play || {};
  setText(byTestId("fh-cue-label"), play.type === "buzz" ? t("final.cue_buzzer") : t("final.cue_answer"));
  renderQuestion(final, { stem: byTestId("final-stem"), choices: byTestId("final-choices"), reference: byTestId("final-reference") });
  renderBoard(byTestId("final-board"), final);
  byTestId("host-buzzes").querySelector("tbody").replaceChildren(
    ...final.buzzes.map((b, i) =>
      el(
        "tr",
        { data: { testid: "buzz-row", team: b.team } },
        el("td", {}, b.early ? "–" : String(i + 1)),
        el("td", {}, teamName(final, b.team)),
        el("td", { className: "mono" }, clock(b.mapped_ms)),
        el("td", { className: "mono" }, clock(b.received_ms)),
        el("td", { className: "mono" }, `${Math.round(b.offset_ms)} ms`),
        el("td", { className: "mono" }, `${Math.round(b.rtt_ms)} ms`),
        el("td", { className: "mono" }, `${Math.round(b.bound_ms)} ms`),
        el("td", {}, [b.early ? t("final.early") : "", b.clamped ? t("final.clamped") : ""].filter(Boolean).join(", ")),
      ),
    ),
  );
  const undone = new Set(final.score_events.filter((e) => e.undoes).map((e) => e.undoes));
  byTestId("host-events").querySelector("tbody").replaceChildren(
    ...final.score_events
      .slice()
      .reverse()
      .map((e) => {
        const undo = el(
          "button",
          {
            className: "btn btn-small btn-quiet",
            attrs: { type: "button", "data-testid": "undo-event" },
            on: {
              click: () => {
                const reason = textInput.value.trim();
                if (!reason) return setText(message, t("final.needs_text"));
                command("undo", { index: e.seq, text: reason });
              },
            },
          },
          t("final.undo"),
        );
        undo.disabled = Boolean(e.undoes) || undone.has(e.seq);
        return el(
          "tr",
          { data: { testid: "event-row", seq: e.seq } },
          el("td", {}, String(e.seq)),
          el("td", {}, teamName(final, e.team)),
          el("td", { className: "mono" }, (e.points > 0 ? "+" : "") + formatScore(e.points)),
          el("td", {}, e.note ? `${e.reason} (${e.note})` : e.reason),
          el("td", {}, e.actor),
          el("td", {}, undo),
        );
      }),
  );
}

function clock(ms) {
  const d = new Date(ms);
  return `${d.toTimeString().slice(0, 8)}.${String(Math.round(ms) % 1000).padStart(3, "0")}`;
}

socket.start();
