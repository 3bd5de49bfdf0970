// One colour sample per video frame: the mean skin colour of forehead and cheeks, its timestamp,
// and what the person should do if the picture is not usable ("hold still", "more light").
import { FaceTracker } from "./camera.js";
import { meanSkinColour, regionsOf } from "./skin.js";

const MAX_PROCESS_WIDTH = 640;
const MIN_SKIN_FRACTION = 0.3;
const MIN_SKIN_LUMA = 60;
// Frame-to-frame jumps larger than any pulse (the pulse moves the mean by well under one level).
const MOTION_JUMP_LEVELS = 2.5;
const MOTION_SHIFT_FRACTION = 0.04;
const SETTLE_S = 1.0;

export const GUIDANCE = Object.freeze({
  findFace: "Move your face into the oval.",
  moreLight: "More light, please: face a window or a lamp.",
  holdStill: "Hold still.",
});

export class SkinSampler {
  constructor(videoEl, tracker = new FaceTracker()) {
    this.video = videoEl;
    this.tracker = tracker;
    this.canvas = document.createElement("canvas");
    this.ctx = this.canvas.getContext("2d", { willReadFrequently: true });
    this.t0 = null;
    this.lastT = -Infinity;
    this.previous = null;
    this.movedAt = -Infinity;
  }

  // { t, fresh, colour: {r, g, b, skinFraction, luma}, box, found, guidance } or null before the first frame.
  sample(frameMs) {
    const video = this.video;
    if (!video.videoWidth) return null;
    const now = performance.now();
    this.tracker.update(video, now);
    const { box, found } = this.tracker.current(video.videoWidth, video.videoHeight, now);
    const colour = this.#colourIn(clip(box, video.videoWidth, video.videoHeight));
    if (this.t0 === null) this.t0 = frameMs;
    const t = (frameMs - this.t0) / 1000;
    const fresh = t > this.lastT;
    if (fresh) this.lastT = t;
    const guidance = this.#guidance(colour, box, found, t);
    return { t, fresh, colour, box, found, guidance };
  }

  #colourIn(box) {
    const scale = Math.min(1, MAX_PROCESS_WIDTH / this.video.videoWidth);
    const width = Math.max(1, Math.round(box.w * scale));
    const height = Math.max(1, Math.round(box.h * scale));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.ctx.drawImage(this.video, box.x, box.y, box.w, box.h, 0, 0, width, height);
    const image = this.ctx.getImageData(0, 0, width, height);
    return meanSkinColour(image, regionsOf({ x: 0, y: 0, w: width, h: height }));
  }

  #guidance(colour, box, found, t) {
    const previous = this.previous;
    this.previous = { colour, box };
    if (!found || colour.skinFraction < MIN_SKIN_FRACTION) return GUIDANCE.findFace;
    if (colour.luma < MIN_SKIN_LUMA) return GUIDANCE.moreLight;
    if (previous && previous.colour.g !== null && moved(previous, { colour, box })) this.movedAt = t;
    return t - this.movedAt < SETTLE_S ? GUIDANCE.holdStill : "";
  }
}

function moved(before, after) {
  const shift = Math.hypot(after.box.x - before.box.x, after.box.y - before.box.y) / Math.max(after.box.w, 1);
  const jump = Math.max(
    Math.abs(after.colour.r - before.colour.r),
    Math.abs(after.colour.g - before.colour.g),
    Math.abs(after.colour.b - before.colour.b),
  );
  return shift > MOTION_SHIFT_FRACTION || jump > MOTION_JUMP_LEVELS;
}

function clip(box, width, height) {
  const x = Math.max(0, Math.min(width - 1, box.x));
  const y = Math.max(0, Math.min(height - 1, box.y));
  return { x, y, w: Math.max(1, Math.min(width - x, box.w)), h: Math.max(1, Math.min(height - y, box.h)) };
}
