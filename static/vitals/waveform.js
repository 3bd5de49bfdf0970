// The live pulse waveform: the engine's filtered pulse signal drawn as a line, scaled to fit.
export function drawWaveform(canvas, values) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.width;
  const height = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(width * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  if (!values || values.length < 2) return;
  const low = Math.min(...values);
  const span = Math.max(...values) - low || 1;
  const pad = 6;
  ctx.beginPath();
  values.forEach((value, i) => {
    const x = (i / (values.length - 1)) * width;
    const y = height - pad - ((value - low) / span) * (height - 2 * pad);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.strokeStyle = getComputedStyle(canvas).color || "#b00020";
  ctx.lineWidth = 2;
  ctx.lineJoin = "round";
  ctx.stroke();
}
