// AudioWorklet: downsample the microphone to 16 kHz mono PCM16 and post 20 ms frames (320 samples).
class MicCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / 16000;
    this.position = 0;
    this.frame = new Int16Array(320);
    this.filled = 0;
    this.level = 0;
    this.acc = 0;
    this.accCount = 0;
  }

  push(sample) {
    const clipped = Math.max(-1, Math.min(1, sample));
    this.frame[this.filled++] = clipped < 0 ? clipped * 0x8000 : clipped * 0x7fff;
    this.level = Math.max(this.level * 0.995, Math.abs(clipped));
    if (this.filled === this.frame.length) {
      this.port.postMessage({ pcm: this.frame.buffer, level: this.level }, [this.frame.buffer]);
      this.frame = new Int16Array(320);
      this.filled = 0;
    }
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    // Box-filter decimation: average the input samples that fall into each output sample.
    for (let i = 0; i < channel.length; i++) {
      this.acc += channel[i];
      this.accCount += 1;
      this.position += 1;
      if (this.position >= this.ratio) {
        this.position -= this.ratio;
        this.push(this.acc / this.accCount);
        this.acc = 0;
        this.accCount = 0;
      }
    }
    return true;
  }
}

registerProcessor("mic-capture", MicCapture);
