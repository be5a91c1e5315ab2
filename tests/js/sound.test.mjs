// sound.js: cues are made on the spot, silent until the host turns sound on.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { cueFor, Sound } from "../../frontend/static/frontend/sound.js";

/** A Web Audio stand-in that counts the notes started. */
function fakeAudio() {
  const started = [];
  class AudioContext {
    constructor() {
      this.state = "suspended";
      this.currentTime = 0;
      this.destination = {};
    }
    resume() {
      this.state = "running";
    }
    createOscillator() {
      return {
        frequency: {},
        connect: (node) => node,
        start: (at) => started.push(at),
        stop() {},
      };
    }
    createGain() {
      const node = { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect: (next) => next };
      return node;
    }
  }
  return { env: { AudioContext }, started };
}

describe("sound", () => {
  test("is off by default: nothing plays and no audio is opened", () => {
    const { env, started } = fakeAudio();
    const sound = new Sound(env);
    assert.equal(sound.play("open"), false);
    assert.equal(sound.context, null);
    assert.equal(started.length, 0);
  });

  test("once the host turns it on, a cue plays its notes", () => {
    const { env, started } = fakeAudio();
    const sound = new Sound(env);
    sound.setEnabled(true);
    assert.equal(sound.context.state, "running");
    assert.equal(sound.play("reveal"), true);
    assert.equal(started.length, 3);
    sound.setEnabled(false);
    assert.equal(sound.play("reveal"), false);
  });

  test("time up sounds only when the deadline closed the question, not when the host did", () => {
    assert.equal(cueFor("question.closed", "deadline"), "timeUp");
    assert.equal(cueFor("question.closed", "host"), null);
    assert.equal(cueFor("question.opened", null), "open");
    assert.equal(cueFor("round.finished", null), "podium");
    assert.equal(cueFor("round.paused", null), null);
  });
});
