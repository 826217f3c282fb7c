/* Voice messages in the chat composer: record with MediaRecorder (a keyboard-operable
   record/stop button, a visible timer, a length limit), listen before sending, then the
   recording travels in the form's hidden file input like any attachment: the server
   checks it and the message goes out live to the others. Hidden where the browser cannot
   record (no MediaRecorder, getUserMedia or DataTransfer): nothing else changes. */
(function () {
  "use strict";
  var box = document.querySelector("[data-voice]");
  if (!box) { return; }
  var canRecord = window.MediaRecorder && navigator.mediaDevices &&
    navigator.mediaDevices.getUserMedia && window.DataTransfer && window.File;
  var policy = document.permissionsPolicy || document.featurePolicy;
  if (policy && policy.allowsFeature && !policy.allowsFeature("microphone")) { canRecord = false; }
  if (!canRecord) { return; }

  // MP4/AAC first (Safari makes it, every browser plays it), else WebM/Opus (Chrome,
  // Firefox, Android), else whatever the browser can record.
  var TYPES = ["audio/mp4;codecs=mp4a.40.2", "audio/webm;codecs=opus", "audio/mp4", "audio/webm", "audio/ogg;codecs=opus"];
  var mimeType = "";
  for (var i = 0; i < TYPES.length; i++) {
    if (MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(TYPES[i])) { mimeType = TYPES[i]; break; }
  }

  var toggle = box.querySelector("[data-voice-toggle]");
  var timer = box.querySelector("[data-voice-timer]");
  var preview = box.querySelector("[data-voice-preview]");
  var audio = box.querySelector("[data-voice-audio]");
  var discard = box.querySelector("[data-voice-discard]");
  var status = box.querySelector("[data-voice-status]");
  var input = box.querySelector("[data-voice-input]");
  var maxSeconds = parseInt(box.getAttribute("data-max-seconds"), 10) || 120;
  var recorder = null, stream = null, chunks = [], startedAt = 0, tick = null, objectUrl = null;
  var hitLimit = false;

  function label(name) { return box.getAttribute("data-label-" + name) || ""; }
  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    return Math.floor(seconds / 60) + ":" + ("0" + (seconds % 60)).slice(-2);
  }
  function showTime() {
    var elapsed = (Date.now() - startedAt) / 1000;
    timer.textContent = clock(elapsed) + " / " + clock(maxSeconds);
    if (elapsed >= maxSeconds) {
      timer.textContent = clock(maxSeconds) + " / " + clock(maxSeconds);
      hitLimit = true;
      stop();
    }
  }
  function clearRecording() {
    if (objectUrl) { URL.revokeObjectURL(objectUrl); objectUrl = null; }
    audio.removeAttribute("src");
    input.value = "";
    preview.hidden = true;
  }
  function extensionOf(type) {
    if (type.indexOf("mp4") !== -1) { return "m4a"; }
    if (type.indexOf("ogg") !== -1) { return "ogg"; }
    return "webm";
  }

  function start() {
    clearRecording();
    status.textContent = "";
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (media) {
      stream = media;
      chunks = [];
      recorder = mimeType ? new MediaRecorder(stream, { mimeType: mimeType }) : new MediaRecorder(stream);
      recorder.addEventListener("dataavailable", function (event) {
        if (event.data && event.data.size) { chunks.push(event.data); }
      });
      recorder.addEventListener("stop", finish);
      recorder.start();
      startedAt = Date.now();
      toggle.textContent = label("stop");
      box.classList.add("voice--recording");
      timer.hidden = false;
      showTime();
      tick = setInterval(showTime, 250);
    }).catch(function () {
      status.textContent = label("denied");
    });
  }

  function stop() {
    if (tick) { clearInterval(tick); tick = null; }
    if (recorder && recorder.state !== "inactive") { recorder.stop(); }
  }

  function finish() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); stream = null; }
    toggle.textContent = label("record");
    box.classList.remove("voice--recording");
    var type = (recorder.mimeType || mimeType || "audio/webm").split(";")[0];
    recorder = null;
    if (!chunks.length) { return; }
    var blob = new Blob(chunks, { type: type });
    var transfer = new DataTransfer();
    transfer.items.add(new File([blob], "message-vocal." + extensionOf(type), { type: type }));
    input.files = transfer.files;
    objectUrl = URL.createObjectURL(blob);
    audio.src = objectUrl;
    preview.hidden = false;
    status.textContent = (hitLimit ? label("limit") + " " : "") + label("recorded");
    hitLimit = false;
  }

  toggle.addEventListener("click", function () {
    if (recorder) { stop(); } else { start(); }
  });
  discard.addEventListener("click", function () {
    clearRecording();
    timer.hidden = true;
    status.textContent = "";
    toggle.focus();
  });
  box.hidden = false;
})();
