// Short cues made on the spot with the Web Audio API: no sound files, nothing fetched. The host console
// plays them (its laptop usually feeds the venue's speakers through the projector's cable) when the host
// turns sound on; it is off by default. Browsers allow audio only after a click on the page, and turning
// sound on is that click.

const CUES = {
  // [frequency Hz, start s, length s] per note
  open: [
    [660, 0, 0.12],
    [880, 0.12, 0.18],
  ],
  tick: [[1000, 0, 0.05]],
  timeUp: [
    [440, 0, 0.25],
    [330, 0.25, 0.45],
  ],
  reveal: [
    [523, 0, 0.12],
    [659, 0.12, 0.12],
    [784, 0.24, 0.25],
  ],
  podium: [
    [523, 0, 0.15],
    [659, 0.15, 0.15],
    [784, 0.3, 0.15],
    [1047, 0.45, 0.5],
  ],
};

export class Sound {
  constructor(env = globalThis) {
    this.env = env;
    this.enabled = false;
    this.context = null;
  }

  /** Turn sound on or off; turning it on from a click also unlocks audio in the browser. */
  setEnabled(enabled) {
    this.enabled = enabled;
    if (enabled && !this.context) {
      const AudioContext = this.env.AudioContext || this.env.webkitAudioContext;
      if (AudioContext) this.context = new AudioContext();
    }
    if (enabled && this.context && this.context.state === "suspended") this.context.resume();
  }

  play(name) {
    const notes = CUES[name];
    if (!this.enabled || !this.context || !notes) return false;
    const now = this.context.currentTime;
    for (const [frequency, start, length] of notes) {
      const oscillator = this.context.createOscillator();
      const gain = this.context.createGain();
      oscillator.type = "triangle";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, now + start);
      gain.gain.exponentialRampToValueAtTime(0.3, now + start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + start + length);
      oscillator.connect(gain).connect(this.context.destination);
      oscillator.start(now + start);
      oscillator.stop(now + start + length + 0.05);
    }
    return true;
  }
}

/** The cue for a round event (a `state` frame's `event` and `reason`), or null. */
export function cueFor(event, reason) {
  if (event === "question.opened") return "open";
  if (event === "question.closed") return reason === "deadline" ? "timeUp" : null;
  if (event === "answer.revealed") return "reveal";
  if (event === "round.finished") return "podium";
  return null;
}
