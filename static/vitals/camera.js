// Camera access, frame timing and where the face is.

// The guide oval drawn over the video: the face box when the browser cannot detect faces.
const GUIDE_HEIGHT_FRACTION = 0.72;
const GUIDE_ASPECT = 0.75; // width / height of a face
const DETECT_EVERY_MS = 300;
const FACE_LOST_AFTER_MS = 1500;
const BOX_SMOOTHING = 0.35;
// FaceDetector boxes span eyebrows to chin; the regions expect hairline to chin.
const FOREHEAD_EXTENSION = 0.2;

export async function openCamera(videoEl) {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error("This browser cannot use the camera.");
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } },
  });
  videoEl.muted = true;
  videoEl.playsInline = true;
  videoEl.srcObject = stream;
  await videoEl.play();
  if (!videoEl.videoWidth) await new Promise((resolve) => videoEl.addEventListener("loadedmetadata", resolve, { once: true }));
  return stream;
}

export function stopCamera(stream) {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

export function cameraLabel(stream) {
  const track = stream?.getVideoTracks?.()[0];
  const settings = track?.getSettings?.() ?? {};
  const size = settings.width ? ` ${settings.width}x${settings.height}@${Math.round(settings.frameRate || 0)}` : "";
  return `${track?.label || "camera"}${size}`.slice(0, 120);
}

export function guideBox(width, height) {
  const h = height * GUIDE_HEIGHT_FRACTION;
  const w = Math.min(width * 0.9, h * GUIDE_ASPECT);
  return { x: (width - w) / 2, y: (height - h) / 2, w, h };
}

// Calls onFrame(timestampMs) once per new video frame. The timestamp is the frame's capture time
// when the browser knows it (requestVideoFrameCallback), else the time we saw it (performance.now()).
export function watchFrames(videoEl, onFrame) {
  let stopped = false;
  if ("requestVideoFrameCallback" in HTMLVideoElement.prototype) {
    let handle;
    const tick = (now, meta) => {
      if (stopped) return;
      const t = Number.isFinite(meta?.captureTime) && meta.captureTime > 0 ? meta.captureTime : (meta?.expectedDisplayTime ?? now);
      onFrame(t);
      handle = videoEl.requestVideoFrameCallback(tick);
    };
    handle = videoEl.requestVideoFrameCallback(tick);
    return () => {
      stopped = true;
      videoEl.cancelVideoFrameCallback(handle);
    };
  }
  let lastMediaTime = -1;
  let handle;
  const tick = () => {
    if (stopped) return;
    if (videoEl.currentTime !== lastMediaTime) {
      lastMediaTime = videoEl.currentTime;
      onFrame(performance.now());
    }
    handle = requestAnimationFrame(tick);
  };
  handle = requestAnimationFrame(tick);
  return () => {
    stopped = true;
    cancelAnimationFrame(handle);
  };
}

// The face box in video pixels: the Shape Detection API's FaceDetector when the browser has it,
// else the guide oval the user aligns with.
export class FaceTracker {
  constructor() {
    this.detector = "FaceDetector" in window ? new window.FaceDetector({ fastMode: true, maxDetectedFaces: 1 }) : null;
    this.box = null;
    this.seenAt = 0;
    this.askedAt = 0;
    this.busy = false;
  }

  get detecting() {
    return this.detector !== null;
  }

  update(videoEl, nowMs) {
    if (!this.detector || this.busy || nowMs - this.askedAt < DETECT_EVERY_MS) return;
    this.busy = true;
    this.askedAt = nowMs;
    this.detector
      .detect(videoEl)
      .then((faces) => {
        if (faces.length) this.#follow(faces[0].boundingBox, performance.now());
      })
      .catch(() => {
        this.detector = null; // detection unsupported on this platform after all: use the guide
      })
      .finally(() => {
        this.busy = false;
      });
  }

  #follow(found, nowMs) {
    const grow = found.height * FOREHEAD_EXTENSION;
    const next = { x: found.x, y: found.y - grow, w: found.width, h: found.height + grow };
    const k = this.box ? BOX_SMOOTHING : 1;
    this.box = this.box
      ? Object.fromEntries(Object.entries(next).map(([key, value]) => [key, this.box[key] + k * (value - this.box[key])]))
      : next;
    this.seenAt = nowMs;
  }

  // { box, found }: found is false when the detector has lost the face (the guide box stands in).
  current(width, height, nowMs) {
    if (this.box && nowMs - this.seenAt < FACE_LOST_AFTER_MS) return { box: this.box, found: true };
    return { box: guideBox(width, height), found: !this.detector };
  }
}
