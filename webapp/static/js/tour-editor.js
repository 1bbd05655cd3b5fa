/* The coordinators' tour editor (console/admin_tour_edit.html), progressive enhancement.
 *
 * Without this file the page works: up/down buttons post the form and come back in the
 * new order, positions are number fields.  With it: the up/down buttons move the stop
 * in the page (focus stays on the button), stops can be dragged into a new order, each
 * stop's marker can be dragged on the map (its longitude and latitude fields follow),
 * and tapping the map fills in a new stop's position.  Nothing is stored until Save.
 * Markers carry their stop's number, renumbered with the list.  Leaving the page with
 * changes not saved asks first (beforeunload), except when the editor form is submitted.
 * Map data comes from a JSON island; tour texts are only ever set with textContent.
 */
(function () {
  "use strict";

  // Set by drawMap: relabels a stop's marker with its new number.
  var numberMarker = function () {};

  function renumber(list) {
    Array.prototype.forEach.call(list.querySelectorAll(".stop-row"), function (row, index) {
      var number = String(index + 1);
      row.setAttribute("data-number", number);
      var shown = row.querySelector(".stop-number");
      if (shown) {
        shown.textContent = number;
      }
      numberMarker(row.getAttribute("data-stop-id"), number);
    });
  }

  // What the form would post, but for the CSRF token: compared to tell unsaved changes.
  function formState(form) {
    var parts = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token") {
        parts.push([name, String(value)]);
      }
    });
    return JSON.stringify(parts);
  }

  function warnBeforeLeaving(form) {
    var saved = formState(form);
    // A form shown again after a refused save holds changes that were never stored.
    var unsaved = form.hasAttribute("data-unsaved");
    var submitting = false;
    form.addEventListener("submit", function () {
      submitting = true;
    });
    window.addEventListener("pageshow", function () {
      submitting = false;  // back from the next page (back/forward cache): guard again
    });
    window.addEventListener("beforeunload", function (event) {
      if (submitting || (!unsaved && formState(form) === saved)) {
        return;
      }
      event.preventDefault();
      event.returnValue = "";  // older browsers ask only when this is set
    });
  }

  function moveButtons(list) {
    list.addEventListener("click", function (event) {
      var button = event.target.closest("button.move-up, button.move-down");
      if (!button) {
        return;
      }
      event.preventDefault();
      var row = button.closest(".stop-row");
      if (button.classList.contains("move-up") && row.previousElementSibling) {
        list.insertBefore(row, row.previousElementSibling);
      } else if (button.classList.contains("move-down") && row.nextElementSibling) {
        list.insertBefore(row.nextElementSibling, row);
      }
      renumber(list);
      button.focus();
    });
  }

  function dragging(list) {
    var dragged = null;
    Array.prototype.forEach.call(list.querySelectorAll(".stop-row"), function (row) {
      var handle = row.querySelector(".stop-handle");
      if (handle) {
        handle.addEventListener("mousedown", function () { row.draggable = true; });
        handle.addEventListener("touchstart", function () { row.draggable = true; }, { passive: true });
      }
    });
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest(".stop-row");
      if (dragged && event.dataTransfer) {
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", dragged.getAttribute("data-stop-id"));
      }
    });
    list.addEventListener("dragover", function (event) {
      var over = event.target.closest(".stop-row");
      if (!dragged || !over || over === dragged) {
        return;
      }
      event.preventDefault();
      var box = over.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextElementSibling : over);
    });
    list.addEventListener("dragend", function () {
      if (dragged) {
        dragged.draggable = false;
      }
      dragged = null;
      renumber(list);
    });
  }

  function field(selector) {
    return document.querySelector(selector);
  }

  function setPosition(stopId, latlng) {
    var lon = field('[data-stop-lon="' + CSS.escape(stopId) + '"]');
    var lat = field('[data-stop-lat="' + CSS.escape(stopId) + '"]');
    if (lon && lat) {
      lon.value = latlng.lng.toFixed(6);
      lat.value = latlng.lat.toFixed(6);
    }
  }

  function emptyNewStop() {
    var rows = document.querySelectorAll("#new-stops .new-stop");
    var last = rows[rows.length - 1];
    var lon = last.querySelector('[name="new-lon"]');
    if (lon.value || last.querySelector('[name="new-lat"]').value) {
      var copy = last.cloneNode(true);
      Array.prototype.forEach.call(copy.querySelectorAll("input"), function (input) {
        input.value = "";
      });
      last.parentNode.appendChild(copy);
      last = copy;
    }
    return last;
  }

  function drawMap(container, data) {
    if (typeof L === "undefined") {
      return;
    }
    var map = L.map(container, { scrollWheelZoom: false });
    if (data.tiles && data.tiles.url) {
      L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution || "", maxZoom: 19 }).addTo(map);
    }
    var bounds = L.latLngBounds([]);
    var markers = [];
    var byStop = {};
    var template = String(data.stopLabel || "%(number)s: %(name)s");
    function label(number, name) {
      // Functions, not strings: a "$&" in a stop's name stays as written.
      return template
        .replace("%(number)s", function () { return number; })
        .replace("%(name)s", function () { return name; });
    }
    function icon(number) {
      var badge = document.createElement("span");
      badge.className = "bidean-marker__badge";
      badge.textContent = number;
      // An element, not a string: Leaflet appends it instead of setting innerHTML.
      return L.divIcon({ html: badge, className: "bidean-marker", iconSize: [30, 30], iconAnchor: [15, 15] });
    }
    (data.route || []).forEach(function (line) {
      var drawn = L.polyline(line, { color: "#14325c", weight: 4, interactive: false }).addTo(map);
      bounds.extend(drawn.getBounds());
    });
    (data.stops || []).forEach(function (stop) {
      var lon = field('[data-stop-lon="' + CSS.escape(stop.id) + '"]');
      var lat = field('[data-stop-lat="' + CSS.escape(stop.id) + '"]');
      if (!lon || !lat || isNaN(parseFloat(lon.value)) || isNaN(parseFloat(lat.value))) {
        return;
      }
      var where = L.latLng(parseFloat(lat.value), parseFloat(lon.value));
      var number = String(stop.number);
      var name = String(stop.name || stop.id);
      var marker = L.marker(where, {
        draggable: true,
        icon: icon(number),
        title: label(number, name),
        keyboard: true,
        riseOnHover: true
      }).addTo(map);
      marker.bideanStop = String(stop.id);
      marker.bideanName = name;
      markers.push(marker);
      byStop[marker.bideanStop] = marker;
      marker.on("dragend", function () {
        setPosition(stop.id, marker.getLatLng());
      });
      bounds.extend(where);
    });
    var added = null;
    map.on("click", function (event) {
      var row = emptyNewStop();
      row.querySelector('[name="new-lon"]').value = event.latlng.lng.toFixed(6);
      row.querySelector('[name="new-lat"]').value = event.latlng.lat.toFixed(6);
      added = L.marker(event.latlng, { opacity: 0.7 }).addTo(map);
      row.querySelector('[name="new-name"]').focus();
    });
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [20, 20] });
    } else {
      map.setView([0, 0], 2);
    }
    // Markers exist in the page once the map has a view: name each by its stop.
    markers.forEach(function (marker) {
      var element = marker.getElement();
      element.setAttribute("data-stop-id", marker.bideanStop);
      element.setAttribute("aria-label", element.title);
    });
    numberMarker = function (stopId, number) {
      var marker = byStop[stopId];
      var element = marker && marker.getElement();
      if (element) {
        element.querySelector(".bidean-marker__badge").textContent = number;
        element.title = label(number, marker.bideanName);
        element.setAttribute("aria-label", element.title);
      }
    };
    container.bideanMap = map;
    container.bideanAdded = function () { return added; };
  }

  function start() {
    var form = document.getElementById("tour-editor-form");
    if (form) {
      warnBeforeLeaving(form);
    }
    var list = document.getElementById("stop-list");
    if (list) {
      moveButtons(list);
      dragging(list);
    }
    var container = document.getElementById("tour-editor-map");
    var island = container && document.getElementById(container.getAttribute("data-island"));
    if (island) {
      drawMap(container, JSON.parse(island.textContent));
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
