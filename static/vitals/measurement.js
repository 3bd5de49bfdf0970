// A heart-rate measurement from the camera, embeddable in any page (the vitals page, a consultation):
//
//   const m = startMeasurement({ videoEl, onEstimate, onResult, consultationId });
//   const result = await m.result;   // or m.stop() to cancel
//
// The browser sends only numbers: per frame the mean skin colour [t, r, g, b]. When the server is
// set up for CAIRE ("frames" mode) it sends downscaled JPEG frames instead, which it relays.
import { cameraLabel, openCamera, stopCamera, watchFrames } from "./camera.js";
import { SkinSampler } from "./sampler.js";

const BATCH_MS = 300;
const END_GRACE_S = 15;
const RESULT_TIMEOUT_MS = 20000;
const FRAME_FPS = 15;
const FRAME_WIDTH = 320;
const JPEG_QUALITY = 0.75;
export const CLOSE_NOT_FOUND = 4404;

export function startMeasurement(options) {
  const measurement = new Measurement(options);
  const result = measurement.run();
  return { result, stop: () => measurement.stop(), scan: () => measurement.scan };
}

function csrfToken() {
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (field) return field.value;
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.split("=")[1]) : "";
}

function cancelled() {
  const error = new Error("The measurement was cancelled.");
  error.name = "AbortError";
  return error;
}

function round(value, digits) {
  const k = 10 ** digits;
  return Math.round(value * k) / k;
}

async function blobToBase64(blob) {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

class Measurement {
  constructor({
    videoEl,
    onEstimate = () => {},
    onResult = () => {},
    onError = () => {},
    onFrame = () => {},
    consultationId = null,
    durationS = 30,
    scansUrl = "/vitals/scans/",
  }) {
    Object.assign(this, { videoEl, onEstimate, onResult, onError, onFrame, consultationId, durationS, scansUrl });
    this.batch = [];
    this.ended = false;
    this.closed = false;
    this.scan = null;
    this.lastFrameSentMs = -Infinity;
    this.encoding = false;
  }

  async run() {
    this.done = new Promise((resolve, reject) => Object.assign(this, { resolve, reject }));
    this.done.catch(() => {}); // the caller sees a failure through run()'s own promise
    try {
      this.ownStream = !this.videoEl.srcObject;
      this.stream = this.ownStream ? await openCamera(this.videoEl) : this.videoEl.srcObject;
      this.#stillWanted();
      this.scan = await this.#createScan();
      this.#stillWanted();
      this.socket = await this.#openSocket(this.scan.ws_url);
      this.#stillWanted();
    } catch (error) {
      this.#cleanup();
      throw error;
    }
    this.sampler = new SkinSampler(this.videoEl);
    this.startedAt = performance.now();
    this.stopFrames = watchFrames(this.videoEl, (frameMs) => this.#frame(frameMs));
    this.timer = setInterval(() => this.#tick(), BATCH_MS);
    return this.done;
  }

  stop() {
    this.#finish(() => this.reject(cancelled()));
  }

  #stillWanted() {
    if (this.closed) throw cancelled();
  }

  async #createScan() {
    const response = await fetch(this.scansUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify({ device: cameraLabel(this.stream), consultation: this.consultationId }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || "The measurement could not be started.");
    return body;
  }

  #openSocket(path) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${path}`);
    return new Promise((resolve, reject) => {
      socket.onopen = () => {
        socket.onmessage = (event) => this.#message(event);
        socket.onclose = (event) => this.#closed(event);
        resolve(socket);
      };
      socket.onerror = () => reject(new Error("Could not connect to the measurement service."));
    });
  }

  #frame(frameMs) {
    if (this.ended) return;
    const sample = this.sampler.sample(frameMs);
    if (!sample) return;
    this.onFrame(sample);
    if (!sample.fresh) return;
    if (this.scan.mode === "frames") this.#sendFrame(sample.t);
    else if (sample.colour.g !== null) {
      const { r, g, b } = sample.colour;
      this.batch.push([round(sample.t, 4), round(r, 3), round(g, 3), round(b, 3)]);
    }
  }

  #sendFrame(t) {
    if (this.encoding || (t * 1000 - this.lastFrameSentMs) < 1000 / FRAME_FPS) return;
    this.encoding = true;
    this.lastFrameSentMs = t * 1000;
    const canvas = (this.jpegCanvas ??= document.createElement("canvas"));
    canvas.width = FRAME_WIDTH;
    canvas.height = Math.round((FRAME_WIDTH * this.videoEl.videoHeight) / this.videoEl.videoWidth);
    canvas.getContext("2d").drawImage(this.videoEl, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(
      async (blob) => {
        if (blob && !this.ended) this.#send({ type: "frame", t: round(t, 4), jpeg: await blobToBase64(blob) });
        this.encoding = false;
      },
      "image/jpeg",
      JPEG_QUALITY,
    );
  }

  #tick() {
    this.#flush();
    if ((performance.now() - this.startedAt) / 1000 > this.durationS + END_GRACE_S) this.#end();
  }

  #flush() {
    if (!this.batch.length) return;
    this.#send({ type: "samples", samples: this.batch });
    this.batch = [];
  }

  #send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  #end() {
    if (this.ended) return;
    this.#flush();
    this.ended = true;
    this.stopFrames?.();
    this.#send({ type: "end" });
    this.resultTimer = setTimeout(
      () => this.#finish(() => this.reject(new Error("No result came back: please try again."))),
      RESULT_TIMEOUT_MS,
    );
  }

  #message(event) {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message.type === "estimate") {
      this.onEstimate(message);
      if (message.progress >= 1) this.#end();
    } else if (message.type === "result") {
      this.onResult(message);
      this.#finish(() => this.resolve(message));
    } else if (message.type === "error") {
      this.onError(message);
    }
  }

  #closed(event) {
    if (this.closed) return;
    const reason =
      event.code === CLOSE_NOT_FOUND
        ? "This measurement is not available to you."
        : "The connection to the measurement service was lost: please try again.";
    this.#finish(() => this.reject(new Error(reason)));
  }

  #finish(settle) {
    if (this.closed) return;
    this.#cleanup();
    settle();
  }

  #cleanup() {
    this.closed = true;
    this.ended = true;
    this.stopFrames?.();
    clearInterval(this.timer);
    clearTimeout(this.resultTimer);
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) this.socket.close(1000);
    if (this.ownStream) stopCamera(this.stream);
  }
}
