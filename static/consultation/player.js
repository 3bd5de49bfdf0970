// Gapless playback of PCM16 chunks: each chunk is scheduled right after the previous one.
export class PcmPlayer {
  constructor(context) {
    this.context = context;
    this.sampleRate = 16000;
    this.nextTime = 0;
    this.sources = new Set();
    this.bytesPlayed = 0;
  }

  setSampleRate(rate) {
    this.sampleRate = rate;
  }

  play(arrayBuffer) {
    const pcm = new Int16Array(arrayBuffer);
    if (!pcm.length) return;
    const buffer = this.context.createBuffer(1, pcm.length, this.sampleRate);
    const data = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 0x8000;
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    const startAt = Math.max(this.context.currentTime + 0.02, this.nextTime);
    source.start(startAt);
    this.nextTime = startAt + buffer.duration;
    this.sources.add(source);
    source.onended = () => this.sources.delete(source);
    this.bytesPlayed += arrayBuffer.byteLength;
  }

  get playing() {
    return this.nextTime > this.context.currentTime;
  }

  flush() {
    for (const source of this.sources) {
      try { source.stop(); } catch { /* already stopped */ }
    }
    this.sources.clear();
    this.nextTime = 0;
  }
}
