// The web page's only script: send the chosen image to POST /v1/predict, show the answer.
"use strict";

const form = document.getElementById("upload-form");
const input = document.getElementById("image-input");
const dropZone = document.getElementById("drop-zone");
const kindSelect = document.getElementById("kind");
const statusLine = document.getElementById("status");
const canvas = document.getElementById("canvas");
const textBox = document.getElementById("text");
const linesBody = document.querySelector("#lines tbody");
const modelLine = document.getElementById("model");
const preview = document.getElementById("preview");
const result = document.getElementById("result");
let current = null;  // the image shown and its answer: what a correction crops its line from
// Larger files are shrunk before upload: on AWS Lambda a request is at most 6 MB, and an image
// travels base64-encoded there (4/3 of its size): serverless/handler.py's PAYLOAD_LIMIT.
const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;
const SHRUNK_SIDE = 2000;  // pixels on the longest side: what the page reader reads (images/page_size.py)

function setStatus(message, isError) {
  statusLine.textContent = message;
  statusLine.classList.toggle("error", Boolean(isError));
}

// Forget the previous answer: a new upload or an error must not leave its image, boxes or text.
function clearResult() {
  canvas.width = 0;
  canvas.height = 0;
  delete canvas.dataset.boxes;
  delete canvas.dataset.labels;
  textBox.textContent = "";
  linesBody.replaceChildren();
  modelLine.textContent = "";
  delete document.body.dataset.state;
  current = null;
}

// Where a box's label goes: right of the box where it fits, else inside its right end; always in the image.
function labelPlace(box, width, fontSize, thickness) {
  let x = box.x + box.width + 2 * thickness;
  if (x + width > canvas.width) x = box.x + box.width - width - 2 * thickness;
  x = Math.max(0, Math.min(x, canvas.width - width));
  const y = Math.max(fontSize, Math.min(box.y + box.height / 2 + fontSize / 3, canvas.height - 2));
  return { x, y };
}

// Draw the image, then one box per line with its number and confidence.
function drawAnswer(image, answer) {
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const side = Math.min(canvas.width, canvas.height);
  const thickness = Math.max(2, 2 * Math.round(side / 300));  // even: whole pixels, exact colours
  context.lineWidth = thickness;
  const fontSize = Math.max(10, Math.round(side / 30));
  context.font = `${fontSize}px sans-serif`;
  const labels = [];
  answer.lines.forEach((line, index) => {
    const box = line.box;
    // Green when the model expects at least 9 characters in 10 right (the confidence is calibrated).
    const colour = line.confidence >= 0.9 ? "#2e7d32" : "#e65100";
    context.strokeStyle = colour;
    context.strokeRect(box.x, box.y, box.width, box.height);
    const label = `${index + 1}: ${line.confidence.toFixed(2)}`;
    const width = context.measureText(label).width;
    const { x, y } = labelPlace(box, width, fontSize, thickness);
    context.fillStyle = "rgba(255, 255, 255, 0.8)";  // a light backing: readable over ink
    context.fillRect(x, y - fontSize, width, fontSize * 1.25);
    context.fillStyle = colour;
    context.fillText(label, x, y);
    labels.push({ x, y: y - fontSize, width, height: fontSize * 1.25 });
  });
  canvas.dataset.boxes = String(answer.lines.length);
  canvas.dataset.labels = JSON.stringify(labels);  // where the labels went (the browser test reads it)
}

// The line's pixels, cut from the uploaded image by its box, as a PNG data URL.
function cropLine(image, box) {
  const crop = document.createElement("canvas");
  crop.width = Math.max(1, box.width);
  crop.height = Math.max(1, box.height);
  crop.getContext("2d").drawImage(image, box.x, box.y, box.width, box.height, 0, 0, crop.width, crop.height);
  return crop.toDataURL("image/png");
}

function modelVersion(model) {
  return `${model.name || "unknown"}@${(model.weights_sha256 || "unknown").slice(0, 16)}`;
}

// Send the user's text for line `index` to POST /v1/corrections; say in the row whether it was stored.
async function sendCorrection(index, text, row) {
  const line = current.answer.lines[index];
  const status = row.querySelector(".correction-status");
  status.classList.remove("error");
  status.textContent = "Sending…";
  try {
    const response = await fetch("/v1/corrections", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ image: cropLine(current.image, line.box), reading: line.text, correction: text,
                             model: modelVersion(current.answer.model || {}) }),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error ? answer.error.message : response.statusText);
    status.textContent = "Thank you: stored.";
    row.dataset.correction = answer.id;
  } catch (error) {
    status.textContent = `Not stored: ${error.message}`;
    status.classList.add("error");
  }
}

function correctionCell(line, index, row) {
  const cell = document.createElement("td");
  const form = document.createElement("form");
  form.className = "correction";
  const field = document.createElement("input");
  field.value = line.text;
  field.maxLength = 300;
  field.setAttribute("aria-label", `the true text of line ${index + 1}`);
  const button = document.createElement("button");
  button.type = "submit";
  button.textContent = "Send correction";
  const status = document.createElement("span");
  status.className = "correction-status";
  status.setAttribute("role", "status");
  form.append(field, button, status);
  form.addEventListener("submit", (event) => { event.preventDefault(); sendCorrection(index, field.value, row); });
  cell.appendChild(form);
  return cell;
}

function showLines(answer) {
  textBox.textContent = answer.text;
  linesBody.replaceChildren(...answer.lines.map((line, index) => {
    const row = document.createElement("tr");
    for (const value of [index + 1, line.text, line.confidence.toFixed(3)]) {
      const cell = document.createElement("td");
      cell.textContent = String(value);
      row.appendChild(cell);
    }
    row.appendChild(correctionCell(line, index, row));
    return row;
  }));
  const model = answer.model || {};
  modelLine.textContent = `model: ${model.name || "?"} (${answer.kind}), ${answer.time_ms} ms`;
}

// A photo too big to upload, redrawn at most SHRUNK_SIDE pixels on its longest side as a JPEG
// (upright: the browser applies the photo's EXIF orientation when it draws it); smaller files as they are.
async function uploadable(file) {
  if (file.size <= MAX_UPLOAD_BYTES) return file;
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, SHRUNK_SIDE / Math.max(bitmap.width, bitmap.height));
  const shrunk = document.createElement("canvas");
  shrunk.width = Math.round(bitmap.width * scale);
  shrunk.height = Math.round(bitmap.height * scale);
  shrunk.getContext("2d").drawImage(bitmap, 0, 0, shrunk.width, shrunk.height);
  bitmap.close();
  let quality = 0.9;
  let blob = await new Promise((resolve) => shrunk.toBlob(resolve, "image/jpeg", quality));
  while (blob.size > MAX_UPLOAD_BYTES && quality > 0.3) {
    quality -= 0.2;
    blob = await new Promise((resolve) => shrunk.toBlob(resolve, "image/jpeg", quality));
  }
  return new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" });
}

async function recognize(chosen) {
  if (!chosen) return;
  clearResult();
  setStatus(`Reading ${chosen.name}…`);
  let file = chosen;
  try {
    file = await uploadable(chosen);
  } catch (error) {
    setStatus(`This file could not be opened as an image (${error}): choose a photo or scan.`, true);
    return;
  }
  if (file !== chosen) {
    setStatus(`Reading ${chosen.name} (shrunk from ${(chosen.size / 1048576).toFixed(1)} MB to ` +
              `${(file.size / 1048576).toFixed(1)} MB for upload)…`);
  }
  const image = new Image();
  const url = URL.createObjectURL(file);
  const loaded = new Promise((resolve, reject) => { image.onload = resolve; image.onerror = reject; });
  image.src = url;
  const body = new FormData();
  body.append("image", file);
  body.append("kind", kindSelect.value);
  try {
    const response = await fetch("/v1/predict", { method: "POST", body });
    const answer = await response.json();
    if (!response.ok) {
      setStatus(`Error ${response.status}: ${answer.error ? answer.error.message : response.statusText}`, true);
      return;
    }
    await loaded.catch(() => null);
    current = { image, answer };
    preview.classList.toggle("line", answer.kind === "line");
    drawAnswer(image, answer);
    showLines(answer);
    setStatus(`Read ${answer.lines.length} line(s) in ${answer.time_ms} ms.`);
    document.body.dataset.state = "done";
    result.scrollIntoView({ block: "start" });  // on a phone the answer is below the upload field
  } catch (error) {
    clearResult();
    setStatus(`The request failed: ${error}`, true);
  } finally {
    URL.revokeObjectURL(url);
  }
}

input.addEventListener("change", () => recognize(input.files[0]));
form.addEventListener("submit", (event) => { event.preventDefault(); recognize(input.files[0]); });
for (const name of ["dragenter", "dragover"]) {
  dropZone.addEventListener(name, (event) => { event.preventDefault(); dropZone.classList.add("dragging"); });
}
for (const name of ["dragleave", "drop"]) {
  dropZone.addEventListener(name, () => dropZone.classList.remove("dragging"));
}
dropZone.addEventListener("drop", (event) => {
  event.preventDefault();
  if (event.dataTransfer.files.length) recognize(event.dataTransfer.files[0]);
});
