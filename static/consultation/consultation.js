// The live consultation page: mic → WebSocket (PCM16 16 kHz), WebSocket → speaker, live transcript.
import { PcmPlayer } from "./player.js";

const root = document.getElementById("consultation");
const consultationId = root.dataset.consultation;
const $ = (id) => document.getElementById(id);
const transcript = $("transcript");
const statusLine = $("status");
const banner = $("triage-banner");
const meter = $("mic-level");
const startButton = $("start");
const stopButton = $("stop");
const endButton = $("end");
const textForm = $("text-form");

let socket = null;
let audioContext = null;
let micNode = null;
let micStream = null;
let player = null;
let interimLine = null;
let assistantLines = new Map();
let reconnectDelay = 500;
let ended = false;
window.healthHelper = { audioBytesReceived: 0, events: [] };

function setStatus(text) { statusLine.textContent = text; }

function line(speaker, text, extraClass = "") {
  const li = document.createElement("li");
  li.className = `turn ${speaker} ${extraClass}`.trim();
  li.innerHTML = `<strong></strong> <span class="text"></span>`;
  li.querySelector("strong").textContent = speaker === "patient" ? "You:" : "Assistant:";
  li.querySelector(".text").textContent = text;
  transcript.append(li);
  li.scrollIntoView({ block: "end" });
  return li;
}

function showTriage(event) {
  const urgent = event.level === "emergency_ambulance" || event.level === "emergency";
  banner.hidden = false;
  banner.className = urgent ? "banner-emergency" : "card";
  banner.dataset.level = event.level;
  banner.textContent = "";
  const title = document.createElement("div");
  title.textContent = urgent ? `Emergency: ${event.advice}` : event.advice;
  banner.append(title);
  if (urgent) {
    const call = document.createElement("div");
    call.innerHTML = 'Call <a href="tel:999">999</a> (UK) · <a href="tel:911">911</a> (US) · <a href="tel:112">112</a> (EU) now.';
    banner.append(call);
  }
  for (const flag of event.red_flags || []) {
    const item = document.createElement("div");
    item.textContent = `• ${flag.label}`;
    banner.append(item);
  }
  banner.scrollIntoView({ block: "start" });
}

function showReadMore(links) {
  const box = $("read-more");
  box.hidden = links.length === 0;
  const list = box.querySelector("ul");
  list.textContent = "";
  for (const link of links) {
    const item = document.createElement("li");
    const anchor = document.createElement("a");
    anchor.href = link.url;
    anchor.textContent = link.title;
    anchor.target = "_blank";
    anchor.rel = "noopener";
    item.append(anchor);
    list.append(item);
  }
}

function onEvent(event) {
  window.healthHelper.events.push(event.type);
  switch (event.type) {
    case "ready":
      setStatus(event.resumed ? "Reconnected — carry on." : "Connected. Press “Start talking” or type below.");
      if (player) player.setSampleRate(event.sample_rate_out);
      reconnectDelay = 500;
      flushPending();
      break;
    case "transcript":
      if (!interimLine) interimLine = line("patient", "", "interim");
      interimLine.querySelector(".text").textContent = event.text;
      if (event.final) { interimLine.classList.remove("interim"); interimLine = null; }
      break;
    case "assistant_text": {
      let li = assistantLines.get(event.turn);
      if (!li) { li = line("assistant", ""); assistantLines.set(event.turn, li); }
      const span = li.querySelector(".text");
      span.textContent = event.final ? event.text : span.textContent + event.text;
      break;
    }
    case "audio_start":
      if (player) player.setSampleRate(event.sample_rate);
      break;
    case "interrupted":
      if (player) player.flush();
      break;
    case "triage":
      showTriage(event);
      break;
    case "read_more":
      showReadMore(event.links || []);
      break;
    case "metrics":
      $("metrics").textContent = `Last reply: ${Math.round(event.voice_to_voice_ms ?? 0)} ms voice-to-voice`;
      break;
    case "error":
      setStatus(event.message);
      break;
    case "ended":
      ended = true;
      window.location.href = event.summary_url;
      break;
    default:
      break;
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws/consultations/${consultationId}/`);
  socket.binaryType = "arraybuffer";
  socket.onmessage = (message) => {
    if (typeof message.data === "string") {
      try { onEvent(JSON.parse(message.data)); } catch (error) { console.error(error); }
      return;
    }
    window.healthHelper.audioBytesReceived += message.data.byteLength;
    if (player) player.play(message.data);
  };
  socket.onclose = (close) => {
    if (ended || close.code === 4404 || close.code === 4401) {
      if (!ended) setStatus("This consultation is not available.");
      return;
    }
    setStatus("Connection lost — reconnecting…");
    setTimeout(connect, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 8000);
  };
}

const pending = [];  // typed messages sent while (re)connecting go out once the socket is ready

function send(object) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(object));
  else if (object.type === "text" || object.type === "end") pending.push(object);
}

function flushPending() {
  while (pending.length && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(pending.shift()));
}

async function ensureAudio() {
  if (audioContext) return;
  audioContext = new AudioContext();
  player = new PcmPlayer(audioContext);
}

async function startMic() {
  await ensureAudio();
  await audioContext.resume();
  micStream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  });
  await audioContext.audioWorklet.addModule(root.dataset.workletUrl);
  const source = audioContext.createMediaStreamSource(micStream);
  micNode = new AudioWorkletNode(audioContext, "mic-capture");
  micNode.port.onmessage = ({ data }) => {
    meter.value = Math.min(1, data.level * 3);
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(data.pcm);
  };
  source.connect(micNode);
  startButton.hidden = true;
  stopButton.hidden = false;
  setStatus("Listening… speak whenever you like. You can interrupt the assistant.");
}

function stopMic() {
  if (micStream) micStream.getTracks().forEach((track) => track.stop());
  if (micNode) micNode.disconnect();
  micStream = null;
  micNode = null;
  meter.value = 0;
  startButton.hidden = false;
  stopButton.hidden = true;
  setStatus("Microphone off. You can still type.");
}

startButton.addEventListener("click", () => startMic().catch((error) => setStatus(`Microphone unavailable: ${error.message}. You can type instead.`)));
stopButton.addEventListener("click", stopMic);
endButton.addEventListener("click", () => { stopMic(); send({ type: "end" }); });
textForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = textForm.querySelector("input");
  const text = input.value.trim();
  if (!text) return;
  await ensureAudio();
  audioContext.resume();
  if (player && player.playing) { player.flush(); send({ type: "interrupt" }); }
  line("patient", text);
  send({ type: "text", text });
  input.value = "";
});
setInterval(() => send({ type: "ping" }), 20000);
connect();
