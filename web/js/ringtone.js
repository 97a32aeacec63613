// Ringtone (incoming calls) and ringback (outgoing calls) synthesised with
// WebAudio: no audio files to ship.
//
// Browsers keep an AudioContext suspended until the page has seen a user
// gesture; `unlock()` is wired to the first pointer/key event. `playing` says
// whether the ringtone is active; `audible` whether sound actually comes out.

const RING_PERIOD = 3.2; // seconds between the starts of two ring phrases
const RINGBACK_PERIOD = 4.5;

export class Ringtone extends EventTarget {
  #ctx = null;
  #master = null;
  #mode = null; // 'ring' | 'ringback' | null
  #timer = null;
  #nextAt = 0;

  get playing() {
    return this.#mode === 'ring';
  }

  get ringback() {
    return this.#mode === 'ringback';
  }

  get audible() {
    return this.#mode !== null && this.#ctx?.state === 'running';
  }

  #context() {
    if (!this.#ctx) {
      const AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) return null;
      try {
        this.#ctx = new AC({ latencyHint: 'playback' });
      } catch {
        return null;
      }
      this.#ctx.addEventListener('statechange', () => this.#changed());
    }
    return this.#ctx;
  }

  unlock() {
    const ctx = this.#context();
    if (ctx && ctx.state === 'suspended') ctx.resume().catch(() => {});
  }

  startRing() {
    this.#start('ring');
  }

  startRingback() {
    this.#start('ringback');
  }

  stop() {
    if (!this.#mode) return;
    this.#mode = null;
    clearInterval(this.#timer);
    this.#timer = null;
    const master = this.#master;
    this.#master = null;
    if (master && this.#ctx) {
      const t = this.#ctx.currentTime;
      master.gain.cancelScheduledValues(t);
      master.gain.setValueAtTime(master.gain.value, t);
      master.gain.linearRampToValueAtTime(0, t + 0.06);
      setTimeout(() => master.disconnect(), 200);
    }
    try { navigator.vibrate?.(0); } catch { /* not supported */ }
    this.#changed();
  }

  #start(mode) {
    if (this.#mode === mode) return;
    this.stop();
    this.#mode = mode;
    const ctx = this.#context();
    if (ctx) {
      if (ctx.state === 'suspended') ctx.resume().catch(() => {});
      this.#master = ctx.createGain();
      this.#master.gain.value = mode === 'ring' ? 0.55 : 0.22;
      this.#master.connect(ctx.destination);
      this.#nextAt = 0;
      this.#schedule();
      this.#timer = setInterval(() => this.#schedule(), 250);
    }
    this.#changed();
  }

  // Look-ahead scheduler: keeps the next phrase queued in audio time. While
  // the context is suspended (no user gesture yet) nothing is queued, so the
  // sound starts cleanly when it is unlocked.
  #schedule() {
    const ctx = this.#ctx;
    if (!ctx || !this.#master || ctx.state !== 'running') return;
    const now = ctx.currentTime;
    if (this.#nextAt < now) this.#nextAt = now + 0.05;
    while (this.#nextAt < now + 0.6) {
      if (this.#mode === 'ring') {
        this.#ringPhrase(this.#nextAt);
        this.#nextAt += RING_PERIOD;
        try { navigator.vibrate?.([300, 150, 300]); } catch { /* not supported */ }
      } else {
        this.#ringbackTone(this.#nextAt);
        this.#nextAt += RINGBACK_PERIOD;
      }
    }
  }

  // A bell-like rising arpeggio played twice: E5 G#5 B5 E6.
  #ringPhrase(at) {
    const notes = [659.25, 830.61, 987.77, 1318.51];
    for (let rep = 0; rep < 2; rep++) {
      notes.forEach((f, i) => this.#bell(f, at + rep * 0.75 + i * 0.12, 0.55));
    }
  }

  #bell(freq, at, len) {
    const ctx = this.#ctx;
    const env = ctx.createGain();
    env.gain.setValueAtTime(0, at);
    env.gain.linearRampToValueAtTime(0.32, at + 0.008);
    env.gain.exponentialRampToValueAtTime(0.001, at + len);
    env.connect(this.#master);
    const partials = [[1, 1], [2.0, 0.28], [3.01, 0.08]];
    for (const [mult, gain] of partials) {
      const osc = ctx.createOscillator();
      osc.type = 'sine';
      osc.frequency.value = freq * mult;
      const g = ctx.createGain();
      g.gain.value = gain;
      osc.connect(g).connect(env);
      osc.start(at);
      osc.stop(at + len + 0.05);
    }
  }

  // Classic ringback: 440 Hz + 480 Hz for 1.5 s.
  #ringbackTone(at) {
    const ctx = this.#ctx;
    const env = ctx.createGain();
    env.gain.setValueAtTime(0, at);
    env.gain.linearRampToValueAtTime(0.5, at + 0.03);
    env.gain.setValueAtTime(0.5, at + 1.45);
    env.gain.linearRampToValueAtTime(0, at + 1.5);
    env.connect(this.#master);
    for (const f of [440, 480]) {
      const osc = ctx.createOscillator();
      osc.frequency.value = f;
      osc.connect(env);
      osc.start(at);
      osc.stop(at + 1.55);
    }
  }

  #changed() {
    this.dispatchEvent(new Event('change'));
  }
}
