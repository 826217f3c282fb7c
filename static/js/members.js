/* Tremplin members pages: tag input with suggestions, image preview before upload.
   Progressive enhancement only: without JavaScript the plain fields work the same. */
(function () {
  "use strict";

  // <input data-tags list="…"> becomes chips + a text field; the original input keeps the
  // comma-separated value the server reads. Suggestions come from its <datalist>.
  function enhanceTags(original) {
    var listId = original.getAttribute("list");
    var box = document.createElement("div");
    box.className = "tags-input";
    var field = document.createElement("input");
    field.type = "text";
    field.className = "tags-input__field";
    field.setAttribute("aria-label", original.labels && original.labels[0] ? original.labels[0].textContent : "");
    field.setAttribute("aria-describedby", original.getAttribute("aria-describedby") || "");
    if (listId) { field.setAttribute("list", listId); }
    field.setAttribute("autocomplete", "off");
    function label(name, tag) {
      return (original.getAttribute("data-label-" + name) || "{tag}").replace("{tag}", tag);
    }
    var live = document.createElement("span");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");

    function values() {
      return original.value.split(",").map(function (v) { return v.trim(); }).filter(Boolean);
    }
    function setValues(list) {
      original.value = list.join(", ");
      render();
    }
    function add(text) {
      var value = text.replace(/[,;]+/g, " ").trim();
      if (!value) { return; }
      var list = values();
      var exists = list.some(function (v) { return v.toLowerCase() === value.toLowerCase(); });
      if (!exists) {
        list.push(value);
        setValues(list);
        live.textContent = label("added", value);
      }
      field.value = "";
    }
    function render() {
      box.querySelectorAll(".tags-input__chip").forEach(function (chip) { chip.remove(); });
      values().forEach(function (value, index) {
        var chip = document.createElement("span");
        chip.className = "tags-input__chip";
        chip.appendChild(document.createTextNode(value));
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "tags-input__remove";
        remove.setAttribute("aria-label", label("remove", value));
        remove.textContent = "×";
        remove.addEventListener("click", function () {
          var list = values();
          list.splice(index, 1);
          setValues(list);
          live.textContent = label("removed", value);
          field.focus();
        });
        chip.appendChild(remove);
        box.insertBefore(chip, field);
      });
    }

    field.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === "," || event.key === ";") {
        if (field.value.trim()) { event.preventDefault(); add(field.value); }
        else if (event.key !== "Enter") { event.preventDefault(); }
      } else if (event.key === "Backspace" && !field.value) {
        var list = values();
        if (list.length) { list.pop(); setValues(list); }
      }
    });
    // Picking a suggestion from the datalist fires "input" with the full value.
    field.addEventListener("input", function (event) {
      if (event.inputType === "insertReplacementText" || event.inputType === undefined) {
        var options = listId ? document.getElementById(listId) : null;
        var picked = options && Array.prototype.some.call(options.options, function (o) {
          return o.value === field.value;
        });
        if (picked) { add(field.value); }
      }
    });
    field.addEventListener("blur", function () { if (field.value.trim()) { add(field.value); } });
    box.addEventListener("click", function (event) { if (event.target === box) { field.focus(); } });
    if (original.form) {
      original.form.addEventListener("submit", function () { if (field.value.trim()) { add(field.value); } });
    }

    original.type = "hidden";
    original.removeAttribute("list");
    original.parentNode.insertBefore(box, original);
    box.appendChild(field);
    box.appendChild(live);
    if (original.labels && original.labels[0]) { original.labels[0].setAttribute("for", ""); }
    render();
  }

  document.querySelectorAll("input[data-tags]").forEach(enhanceTags);

  // A chosen photo is shown at once (read as a data: URL, which the CSP allows).
  document.querySelectorAll("input[type=file][accept^='image/']").forEach(function (input) {
    var preview = document.querySelector("[data-avatar-preview]");
    if (!preview || input.name !== "avatar") { return; }
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file || !/^image\//.test(file.type)) { return; }
      var reader = new FileReader();
      reader.onload = function () {
        var img = document.createElement("img");
        img.className = "avatar avatar--lg";
        img.alt = "";
        img.src = reader.result;
        preview.replaceChildren(img);
      };
      reader.readAsDataURL(file);
    });
  });
})();
