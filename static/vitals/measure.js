// The vitals page: camera preview with the face guide, then a 30-second measurement with live
// feedback and a result card that never shows an unreliable number as a heart rate.
import { guideBox, openCamera, stopCamera, watchFrames } from "./camera.js";
import { startMeasurement } from "./measurement.js";
import { GUIDANCE, SkinSampler } from "./sampler.js";
import { regionsOf } from "./skin.js";
import { drawWaveform } from "./waveform.js";

const LIVE_AFTER_S = 10;
// The engine's short hints, in the page's words.
const SERVER_GUIDANCE = { "hold still": GUIDANCE.holdStill, "more light": GUIDANCE.moreLight };

const root = document.getElementById("measure");
const video = document.getElementById("camera");
const overlay = document.getElementById("overlay");
const waveform = document.getElementById("waveform");
const ui = Object.fromEntries(
  ["camera-on", "start", "cancel", "guidance", "progress", "progress-bar", "live", "live-bpm", "quality", "quality-label"].map(
    (id) => [id, document.getElementById(id)],
  ),
);
const result = document.getElementById("result");
const durationS = Number(root.dataset.durationS || 30);

let stream = null;
let stopPreview = null;
let measurement = null;
const hints = { camera: "", engine: "" };

function say(text) {
  if (ui.guidance.textContent !== text) ui.guidance.textContent = text;
}

// What the camera shows right now wins over the engine's hint from the last second.
function sayHint(fallback) {
  say(hints.camera || hints.engine || fallback);
}

function drawOverlay(sample) {
  if (!sample) return;
  const { videoWidth: width, videoHeight: height } = video;
  if (overlay.width !== width) Object.assign(overlay, { width, height });
  const ctx = overlay.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  const guide = guideBox(width, height);
  ctx.lineWidth = Math.max(2, width / 200);
  ctx.strokeStyle = sample.guidance ? "#f0a000" : "#1b7f3b";
  ctx.beginPath();
  ctx.ellipse(guide.x + guide.w / 2, guide.y + guide.h / 2, guide.w / 2, guide.h / 2, 0, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.strokeStyle = "rgba(255,255,255,.7)";
  ctx.lineWidth = 1;
  for (const region of regionsOf(sample.box)) ctx.strokeRect(region.x, region.y, region.w, region.h);
}

function setProgress(fraction) {
  const percent = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  ui["progress-bar"].style.width = `${percent}%`;
  ui.progress.setAttribute("aria-valuenow", String(percent));
}

function showEstimate(message) {
  setProgress(message.progress);
  const elapsedS = message.progress * durationS;
  if (elapsedS >= LIVE_AFTER_S) {
    ui.live.hidden = false;
    ui["live-bpm"].textContent = message.heart_rate_bpm == null ? "…" : Math.round(message.heart_rate_bpm);
    ui.quality.dataset.level = message.quality || "";
    ui["quality-label"].textContent = message.quality
      ? `${message.quality} (SNR ${message.snr_db.toFixed(1)} dB)`
      : "not yet measurable";
  }
  if (message.waveform?.length) drawWaveform(waveform, message.waveform);
  hints.engine = message.guidance ? SERVER_GUIDANCE[message.guidance] || message.guidance : "";
}

function showResult(message) {
  const value = result.querySelector("#result-value");
  const quality = result.querySelector("#result-quality");
  result.dataset.acceptable = String(Boolean(message.acceptable));
  if (message.acceptable && message.heart_rate_bpm != null) {
    result.dataset.bpm = String(message.heart_rate_bpm);
    value.textContent = `${Math.round(message.heart_rate_bpm)} beats per minute`;
    quality.textContent = `Reliable reading${Number.isFinite(message.snr_db) ? `: signal-to-noise ratio ${message.snr_db.toFixed(1)} dB` : ""}.`;
  } else {
    delete result.dataset.bpm;
    value.textContent = "Not reliable";
    quality.textContent = `We could not measure your heart rate reliably${message.reason ? `: ${message.reason}` : ""}. Try again in steady light, keeping still.`;
  }
  const link = result.querySelector("#result-link");
  link.href = measurement?.scan() ? `/vitals/scans/${measurement.scan().scan}/` : "/vitals/";
  result.hidden = false;
  result.focus();
}

function idle() {
  stopPreview?.();
  stopPreview = null;
  stopCamera(stream);
  stream = null;
  video.srcObject = null;
  overlay.getContext("2d").clearRect(0, 0, overlay.width, overlay.height);
  measurement = null;
  ui["camera-on"].textContent = "Measure again";
  ui["camera-on"].hidden = false;
  ui.start.hidden = true;
  ui.cancel.hidden = true;
}

async function cameraOn() {
  ui["camera-on"].disabled = true;
  try {
    stream = await openCamera(video);
  } catch (error) {
    say(`The camera could not be opened: ${error.message}`);
    ui["camera-on"].disabled = false;
    return;
  }
  ui["camera-on"].hidden = true;
  ui["camera-on"].disabled = false;
  ui.start.hidden = false;
  ui.start.disabled = false;
  const preview = new SkinSampler(video);
  stopPreview = watchFrames(video, (frameMs) => {
    const sample = preview.sample(frameMs);
    drawOverlay(sample);
    hints.camera = sample?.guidance ?? "";
    sayHint("Looks good: press Start and keep still for 30 seconds.");
  });
}

async function start() {
  stopPreview?.();
  stopPreview = null;
  result.hidden = true;
  ui.live.hidden = true;
  ui.start.hidden = true;
  ui.cancel.hidden = false;
  setProgress(0);
  hints.engine = "";
  measurement = startMeasurement({
    videoEl: video,
    durationS,
    consultationId: root.dataset.consultation || null,
    onFrame: (sample) => {
      drawOverlay(sample);
      hints.camera = sample.guidance;
      sayHint("Measuring: keep still and breathe normally.");
    },
    onEstimate: showEstimate,
    onResult: showResult,
    onError: (message) => console.warn("vitals:", message.code, message.message),
  });
  try {
    await measurement.result;
    setProgress(1);
    say("Done.");
  } catch (error) {
    say(error.name === "AbortError" ? "Measurement cancelled." : error.message);
  }
  idle();
}

ui["camera-on"].addEventListener("click", cameraOn);
ui.start.addEventListener("click", start);
ui.cancel.addEventListener("click", () => measurement?.stop());
