/* The share form (/share): progressive enhancement of a form that works without it.
 *
 * - Keeps what is typed in localStorage until the server has received it: the received
 *   page (data "clear") removes the copy.  A fresh form (data "restore") is filled from
 *   it, so a reload, a lost connection or a refused upload loses nothing; the copy keeps
 *   the form's one-time submission_key too, so sending it again makes no second story.
 * - The consent summary follows the answers, built from the translated sentences the
 *   server put in the page's JSON data; the teller's words go in with textContent only.
 * - A pin on the tour map (map.js draws it): a tap puts it, it can be dragged, a button
 *   puts it at the map's centre (keyboard users pan with the arrow keys), another
 *   removes it.  A pin and a stop exclude each other.
 * - Choosing another tour opens its form (its route and stops); the text comes along.
 * - Photos and recording larger than the server takes are refused before sending.
 */
(function () {
  "use strict";

  var KEPT = [
    "submission_key", "title", "story", "language", "language_other", "stop", "lon", "lat",
    "credit", "credit_name", "tour_pages", "guide_scripts", "kits", "photos_consent",
    "audio_consent", "licence", "age_16_or_over", "guardian_name", "email"
  ];
  var TAG = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;

  function readData() {
    var island = document.getElementById("share-data");
    try {
      return island ? JSON.parse(island.textContent) : null;
    } catch (error) {
      return null;
    }
  }

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null;  // storage switched off: the form still works, without a copy
    }
  }

  function fill(template, values) {
    var text = String(template);
    Object.keys(values).forEach(function (name) {
      text = text.split("%(" + name + ")s").join(String(values[name]));
    });
    return text;
  }

  function inputs(form, name) {
    return Array.prototype.slice.call(form.querySelectorAll("[name='" + name + "']"));
  }

  function valueOf(form, name) {
    var found = inputs(form, name);
    if (!found.length) {
      return null;
    }
    if (found[0].type === "radio") {
      var chosen = found.filter(function (input) { return input.checked; })[0];
      return chosen ? chosen.value : "";
    }
    if (found[0].type === "checkbox") {
      return found[0].checked;
    }
    return found[0].value;
  }

  function setValue(form, name, value) {
    inputs(form, name).forEach(function (input) {
      if (input.type === "radio") {
        input.checked = input.value === value;
      } else if (input.type === "checkbox") {
        input.checked = Boolean(value);
      } else if (input.tagName === "SELECT") {
        var known = Array.prototype.some.call(input.options, function (option) {
          return option.value === value;
        });
        if (known) {
          input.value = value;
        }
      } else {
        input.value = value;
      }
    });
  }

  // --- the copy in the browser ------------------------------------------------------

  function draft(form, data) {
    var store = storage();
    var tour = form.querySelector("[name='tour']");
    var save = function () {
      if (!store) {
        return;
      }
      var fields = {};
      KEPT.forEach(function (name) {
        var value = valueOf(form, name);
        if (value !== null) {
          fields[name] = value;
        }
      });
      try {
        store.setItem(data.storageKey, JSON.stringify({ tour: tour ? tour.value : "", fields: fields }));
      } catch (error) {
        // Full or refused: the form is still sent as usual.
      }
    };
    var restore = function () {
      var kept = null;
      try {
        kept = store && JSON.parse(store.getItem(data.storageKey) || "null");
      } catch (error) {
        kept = null;
      }
      if (!kept || typeof kept.fields !== "object" || kept.fields === null) {
        return;
      }
      var sameTour = !tour || kept.tour === tour.value;
      KEPT.forEach(function (name) {
        if (!(name in kept.fields) || (name === "stop" && !sameTour)) {
          return;
        }
        setValue(form, name, kept.fields[name]);
      });
    };
    return { save: save, restore: restore };
  }

  // --- the consent summary ----------------------------------------------------------

  function summaryLines(form, t) {
    var ask = function (question) {
      return fill(t.notAnswered, { question: question });
    };
    var lines = [];
    var credit = valueOf(form, "credit");
    var name = String(valueOf(form, "credit_name") || "").trim();
    if (!credit) {
      lines.push(ask(t.questions.credit));
    } else if (credit === "anonymous") {
      lines.push(t.credit.anonymous);
    } else if (!name) {
      lines.push(ask(t.questions.creditName));
    } else {
      lines.push(fill(t.credit.named, { name: name }));
    }
    var licence = valueOf(form, "licence");
    var places = [];
    if (valueOf(form, "tour_pages")) {
      places.push(t.uses.places.tour_pages);
    }
    if (valueOf(form, "guide_scripts")) {
      places.push(t.uses.places.guide_scripts);
    }
    if (valueOf(form, "kits") && licence !== "site-only") {
      places.push(t.uses.places.kits);
    }
    lines.push(places.length ? fill(t.uses.some, { places: places.join(t.uses.separator) }) : t.uses.none);
    lines.push(valueOf(form, "photos_consent") ? t.photos.yes : t.photos.no);
    lines.push(valueOf(form, "audio_consent") ? t.audio.yes : t.audio.no);
    lines.push(licence && t.licence[licence] ? t.licence[licence] : ask(t.questions.licence));
    var guardian = String(valueOf(form, "guardian_name") || "").trim();
    if (valueOf(form, "age_16_or_over")) {
      lines.push(t.age.yes);
    } else if (guardian) {
      lines.push(fill(t.age.guardian, { guardian: guardian }));
    } else {
      lines.push(ask(t.questions.age));
    }
    lines.push(t.withdraw);
    return lines;
  }

  function showSummary(form, list, t) {
    var lines = summaryLines(form, t);
    var items = list.querySelectorAll("li");
    var same = items.length === lines.length && lines.every(function (line, index) {
      return items[index].textContent === line;
    });
    if (same) {
      return;  // nothing to announce
    }
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    lines.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    });
  }

  // --- the story's language ---------------------------------------------------------

  function storyLanguage(form) {
    var select = form.querySelector("[name='language']");
    var other = form.querySelector("[data-language-other]");
    if (!select) {
      return;
    }
    var isOther = select.value === "other";
    if (other) {
      other.hidden = !isOther && !other.querySelector(".field-error");
    }
    var tag = isOther ? String(valueOf(form, "language_other") || "").trim() : select.value;
    ["title", "story"].forEach(function (name) {
      inputs(form, name).forEach(function (input) {
        if (TAG.test(tag)) {
          input.lang = tag;
        } else {
          input.removeAttribute("lang");
        }
      });
    });
  }

  // --- the pin ----------------------------------------------------------------------

  function pinMap(form, data, changed) {
    var box = form.querySelector("[data-pin-map]");
    var container = box && box.querySelector("[data-bidean-map]");
    var lon = form.querySelector("[data-pin='lon']");
    var lat = form.querySelector("[data-pin='lat']");
    var stop = form.querySelector("[name='stop']");
    if (!container || !lon || !lat) {
      return { sync: function () {} };
    }
    box.hidden = false;
    var status = box.querySelector("#pin-status");
    var map = null;
    var marker = null;

    var say = function () {
      var at = lon.value && lat.value;
      status.textContent = at
        ? fill(data.messages.pinAt, { lat: Number(lat.value).toFixed(5), lon: Number(lon.value).toFixed(5) })
        : data.messages.noPin;
    };
    var draw = function () {
      if (!map) {
        return;
      }
      var at = lon.value && lat.value ? L.latLng(Number(lat.value), Number(lon.value)) : null;
      if (!at || !isFinite(at.lat) || !isFinite(at.lng)) {
        if (marker) {
          map.removeLayer(marker);
          marker = null;
        }
        return;
      }
      if (!marker) {
        var badge = document.createElement("span");
        badge.className = "bidean-marker__badge";
        badge.textContent = "\u25CF";
        marker = L.marker(at, {
          icon: L.divIcon({ className: "bidean-marker share-pin", html: badge, iconSize: [30, 30], iconAnchor: [15, 15] }),
          draggable: true,
          keyboard: true,
          title: data.messages.pin,
          zIndexOffset: 1000
        }).addTo(map);
        marker.on("dragend", function () {
          put(marker.getLatLng());
        });
      } else {
        marker.setLatLng(at);
      }
    };
    var put = function (latlng) {
      var wrapped = latlng.wrap();
      lon.value = wrapped.lng.toFixed(6);
      lat.value = wrapped.lat.toFixed(6);
      if (stop) {
        stop.value = "";
      }
      draw();
      say();
      changed();
    };
    var clear = function () {
      lon.value = "";
      lat.value = "";
      draw();
      say();
      changed();
    };
    box.querySelector("[data-pin-centre]").addEventListener("click", function () {
      if (map) {
        put(map.getCenter());
      }
    });
    box.querySelector("[data-pin-remove]").addEventListener("click", clear);
    if (stop) {
      stop.addEventListener("change", function () {
        if (stop.value && lon.value) {
          clear();
        }
      });
    }
    var tries = 0;
    var attach = function () {
      if (container.bideanMap && typeof L !== "undefined") {
        map = container.bideanMap;
        map.on("click", function (event) {
          put(event.latlng);
        });
        draw();
        return;
      }
      tries += 1;
      if (tries < 300) {
        window.setTimeout(attach, 100);
      }
    };
    attach();
    say();
    return {
      sync: function () {
        draw();
        say();
      }
    };
  }

  // --- sending ----------------------------------------------------------------------

  function checkSizes(form, data, event) {
    if (event.submitter && event.submitter.name === "check") {
      return true;
    }
    var problem = null;
    var total = 0;
    var photos = form.querySelector("input[name='photos']");
    var audio = form.querySelector("input[name='audio']");
    [photos, audio].forEach(function (input) {
      Array.prototype.forEach.call((input && input.files) || [], function (file) {
        total += file.size;
      });
    });
    if (photos && photos.files && photos.files.length > data.maxPhotos) {
      problem = data.messages.tooManyPhotos;
    } else if (total > data.maxBytes - 256 * 1024) {  // room for the text and the form's parts
      problem = data.messages.tooLarge;
    }
    var note = form.querySelector("#send-error");
    if (!problem) {
      if (note) {
        note.hidden = true;
      }
      return true;
    }
    event.preventDefault();
    if (note) {
      note.textContent = problem;
      note.hidden = false;
      note.setAttribute("tabindex", "-1");
      note.focus();
    }
    return false;
  }

  function enhance(form, data) {
    var copy = draft(form, data);
    if (data.restore) {
      copy.restore();
    }
    var list = document.getElementById("consent-summary");
    var update = function () {
      storyLanguage(form);
      if (list) {
        showSummary(form, list, data.summary);
      }
      copy.save();
    };
    var pin = pinMap(form, data, update);
    pin.sync();
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    var tour = form.querySelector("[name='tour']");
    if (tour && data.tourUrls) {
      tour.addEventListener("change", function () {
        var url = data.tourUrls[tour.value];
        if (typeof url === "string" && url.charAt(0) === "/") {
          copy.save();
          window.location.assign(url);
        }
      });
    }
    form.addEventListener("submit", function (event) {
      if (checkSizes(form, data, event)) {
        copy.save();
      }
    });
    Array.prototype.forEach.call(form.querySelectorAll("[data-no-script]"), function (element) {
      element.hidden = true;
    });
    Array.prototype.forEach.call(form.querySelectorAll("[data-kept-note]"), function (element) {
      element.hidden = !storage();
    });
    update();
    form.setAttribute("data-share-ready", "true");
  }

  function start() {
    var data = readData();
    if (!data) {
      return;
    }
    if (data.clear) {
      var store = storage();
      if (store) {
        store.removeItem(data.storageKey);
      }
      return;
    }
    var form = document.querySelector("form[data-share-form]");
    if (form) {
      enhance(form, data);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
