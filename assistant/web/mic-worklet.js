// AudioWorklet: microphone Float32 at the context rate -> PCM16 mono at 24 kHz, posted to the
// page in ~20 ms packets. Resampling is linear interpolation after a moving-average low-pass,
// enough for speech recognition; it runs here so the main thread never touches raw frames.
"use strict";

const OUT_RATE = 24000;
const PACKET = OUT_RATE / 50; // 20 ms

class MicResampler extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / OUT_RATE; // input samples per output sample
    this.taps = Math.max(1, Math.round(this.step)); // low-pass width for decimation
    this.hist = new Float32Array(this.taps); // ring for the moving average
    this.histPos = 0;
    this.histSum = 0;
    this.prev = 0; // last filtered input sample (for interpolation across blocks)
    this.pos = 0; // fractional read position relative to the current block, from `prev`
    this.out = new Int16Array(PACKET);
    this.n = 0;
  }

  filter(x) {
    this.histSum += x - this.hist[this.histPos];
    this.hist[this.histPos] = x;
    this.histPos = (this.histPos + 1) % this.taps;
    return this.histSum / this.taps;
  }

  emit(v) {
    const s = Math.max(-1, Math.min(1, v));
    this.out[this.n++] = s < 0 ? s * 0x8000 : s * 0x7fff;
    if (this.n === PACKET) {
      const pcm = this.out;
      this.port.postMessage(pcm.buffer, [pcm.buffer]);
      this.out = new Int16Array(PACKET);
      this.n = 0;
    }
  }

  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (!ch) return true;
    const x = new Float32Array(ch.length);
    for (let i = 0; i < ch.length; i++) x[i] = this.filter(ch[i]);
    // Sample k of the block sits at position k + 1 (position 0 is `prev`).
    while (this.pos <= x.length) {
      const i = Math.floor(this.pos);
      const frac = this.pos - i;
      const a = i === 0 ? this.prev : x[i - 1];
      const b = i < x.length ? x[i] : a;
      this.emit(a + (b - a) * frac);
      this.pos += this.step;
    }
    this.pos -= x.length;
    this.prev = x[x.length - 1];
    return true;
  }
}

registerProcessor("mic-resampler", MicResampler);
