// Multi-file upload with an upload progress bar, then the analysis progress (polled).
const form = document.getElementById("upload-form");
const input = document.getElementById("files");
const dropzone = document.getElementById("dropzone");
const list = document.getElementById("uploads");
const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

function row(name) {
  const li = document.createElement("li");
  li.innerHTML = `<div class="upload-name"></div><div class="progress"><span></span></div><div class="upload-status muted">Uploading…</div>`;
  li.querySelector(".upload-name").textContent = name;
  list.prepend(li);
  return {
    li,
    bar: li.querySelector(".progress > span"),
    status: li.querySelector(".upload-status"),
  };
}

function uploadOne(file) {
  const view = row(file.name);
  const data = new FormData();
  data.append("files", file, file.name);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", form.action);
  xhr.setRequestHeader("X-CSRFToken", csrf);
  xhr.setRequestHeader("Accept", "application/json");
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) view.bar.style.width = `${Math.round((e.loaded / e.total) * 50)}%`;
  };
  xhr.onerror = () => fail(view, "The upload failed: check your connection and try again.");
  xhr.onload = () => {
    let body;
    try { body = JSON.parse(xhr.responseText); } catch { return fail(view, "The server answered unexpectedly."); }
    const outcome = (body.files || [])[0] || {};
    if (!outcome.ok) return fail(view, outcome.error || "The file was not accepted.");
    view.bar.style.width = "50%";
    view.status.innerHTML = outcome.duplicate ? "Already uploaded earlier. " : "Uploaded. Analysing… ";
    const link = document.createElement("a");
    link.href = outcome.url;
    link.textContent = "See results";
    view.status.append(link);
    watch(outcome.status_url, view);
  };
  xhr.send(data);
}

function fail(view, message) {
  view.li.classList.add("error");
  view.bar.parentElement.remove();
  view.status.textContent = message;
  view.status.setAttribute("role", "alert");
}

async function watch(url, view) {
  for (let i = 0; i < 600; i++) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const state = await response.json();
    view.bar.style.width = `${50 + Math.round(state.progress * 50)}%`;
    if (state.status === "done") { view.li.classList.add("ok"); view.status.firstChild.textContent = "Analysis done. "; return; }
    if (state.status === "failed") return fail(view, state.failure_reason || "The analysis failed.");
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function take(files) { for (const file of files) uploadOne(file); input.value = ""; }
input.addEventListener("change", () => take(input.files));
dropzone.addEventListener("dragover", (e) => { e.preventDefault(); dropzone.classList.add("over"); });
dropzone.addEventListener("dragleave", () => dropzone.classList.remove("over"));
dropzone.addEventListener("drop", (e) => { e.preventDefault(); dropzone.classList.remove("over"); take(e.dataTransfer.files); });
dropzone.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") input.click(); });
