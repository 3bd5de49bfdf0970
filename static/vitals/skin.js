// Skin pixels of a face: forehead and cheek regions of a face box, kept only where the colour is skin.
//
// Forehead and cheeks carry the strongest pulsatile signal and the fewest moving parts (Kwon et al.,
// "ROI analysis for remote photoplethysmography on facial video", EMBC 2015). The colour test is the
// YCbCr skin cluster of Chai & Ngan (IEEE TCSVT 9(4), 1999: Cb 77-127, Cr 133-173) intersected with a
// hue window (red to yellow); a luma floor and ceiling drop eyes, eyebrows, hair, nostrils and
// specular highlights, which carry motion and light changes but no pulse.

const CB_RANGE = [77, 127];
const CR_RANGE = [133, 173];
const LUMA_RANGE = [35, 245];
const HUE_RANGE_DEG = [-25, 55];

// Fractions of the face box (ear to ear, hairline to chin).
export const FACE_REGIONS = Object.freeze([
  { name: "forehead", x: 0.3, y: 0.1, w: 0.4, h: 0.14 },
  { name: "left cheek", x: 0.16, y: 0.48, w: 0.22, h: 0.18 },
  { name: "right cheek", x: 0.62, y: 0.48, w: 0.22, h: 0.18 },
]);

export function regionsOf(box) {
  return FACE_REGIONS.map((f) => ({
    name: f.name,
    x: Math.round(box.x + f.x * box.w),
    y: Math.round(box.y + f.y * box.h),
    w: Math.max(1, Math.round(f.w * box.w)),
    h: Math.max(1, Math.round(f.h * box.h)),
  }));
}

function hueDeg(r, g, b) {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  if (max === min) return null;
  let h;
  if (max === r) h = ((g - b) / (max - min)) * 60;
  else if (max === g) h = (2 + (b - r) / (max - min)) * 60;
  else h = (4 + (r - g) / (max - min)) * 60;
  return h > 180 ? h - 360 : h;
}

export function isSkin(r, g, b) {
  const y = 0.299 * r + 0.587 * g + 0.114 * b;
  if (y < LUMA_RANGE[0] || y > LUMA_RANGE[1]) return false;
  const cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
  const cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
  if (cb < CB_RANGE[0] || cb > CB_RANGE[1] || cr < CR_RANGE[0] || cr > CR_RANGE[1]) return false;
  const hue = hueDeg(r, g, b);
  return hue !== null && hue >= HUE_RANGE_DEG[0] && hue <= HUE_RANGE_DEG[1];
}

// Mean R, G, B of the skin pixels of `regions` inside `image` (an ImageData whose top-left corner
// is at `origin` in the same coordinates as the regions).
export function meanSkinColour(image, regions, origin = { x: 0, y: 0 }) {
  const { data, width, height } = image;
  let r = 0;
  let g = 0;
  let b = 0;
  let skin = 0;
  let total = 0;
  for (const region of regions) {
    const x0 = Math.max(0, region.x - origin.x);
    const y0 = Math.max(0, region.y - origin.y);
    const x1 = Math.min(width, region.x - origin.x + region.w);
    const y1 = Math.min(height, region.y - origin.y + region.h);
    for (let y = y0; y < y1; y++) {
      let i = (y * width + x0) * 4;
      for (let x = x0; x < x1; x++, i += 4) {
        total++;
        const pr = data[i];
        const pg = data[i + 1];
        const pb = data[i + 2];
        if (!isSkin(pr, pg, pb)) continue;
        r += pr;
        g += pg;
        b += pb;
        skin++;
      }
    }
  }
  if (skin === 0) return { r: null, g: null, b: null, skinFraction: 0, luma: 0 };
  r /= skin;
  g /= skin;
  b /= skin;
  return { r, g, b, skinFraction: skin / Math.max(total, 1), luma: 0.299 * r + 0.587 * g + 0.114 * b };
}
