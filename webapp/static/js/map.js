/* Bidean tour maps.
 *
 * webapp/maps.py has Folium build each map and writes what it built into a
 * <script type="application/json"> data island next to a <div data-bidean-map>.
 * This file draws that map with Leaflet.  Tour content (stop names, stories,
 * district names) is only ever put into the page with textContent, never as
 * HTML, so a story cannot inject markup or script whatever it contains.
 */
(function () {
  "use strict";

  // Which element each kind of popup line becomes; anything else is a paragraph.
  var POPUP_TAGS = { number: "p", title: "h3", community: "p", text: "p" };

  function textElement(tagName, className, part) {
    var element = document.createElement(tagName);
    element.className = className;
    element.textContent = String(part.text);
    if (part.lang) {
      element.lang = part.lang;
    }
    if (part.dir) {
      element.dir = part.dir;
    }
    return element;
  }

  function popupContent(parts) {
    var box = document.createElement("div");
    box.className = "bidean-popup";
    parts.forEach(function (part) {
      var tagName = POPUP_TAGS[part.role] || "p";
      box.appendChild(textElement(tagName, "bidean-popup__" + (POPUP_TAGS[part.role] ? part.role : "text"), part));
    });
    return box;
  }

  function markerIcon(icon) {
    var badge = document.createElement("span");
    badge.className = "bidean-marker__badge";
    badge.textContent = String(icon.text);
    var options = {};
    Object.keys(icon.options).forEach(function (key) {
      options[key] = icon.options[key];
    });
    // An element, not a string: Leaflet appends it instead of setting innerHTML.
    options.html = badge;
    return L.divIcon(options);
  }

  function addLayer(map, layer) {
    if (layer.kind === "polyline") {
      L.polyline(layer.latlngs, layer.options).addTo(map);
    } else if (layer.kind === "polygon") {
      var outline = L.polygon(layer.latlngs, layer.options).addTo(map);
      if (layer.label) {
        outline.bindTooltip(textElement("span", "bidean-district", layer.label), { sticky: true });
      }
    } else if (layer.kind === "marker") {
      // The icon goes in with the options: added later, Leaflet would first fetch its
      // default marker images for nothing.
      var markerOptions = { icon: markerIcon(layer.icon) };
      Object.keys(layer.options).forEach(function (key) {
        markerOptions[key] = layer.options[key];
      });
      var marker = L.marker(layer.latlng, markerOptions).addTo(map);
      if (layer.popup && layer.popup.length) {
        marker.bindPopup(popupContent(layer.popup), {
          maxWidth: 260,
          maxHeight: 240,
          // Pan open popups clear of the zoom buttons in the top left corner.
          autoPanPaddingTopLeft: [16, 84],
          autoPanPaddingBottomRight: [16, 16]
        });
      }
    }
  }

  function build(container, spec) {
    var options = { center: spec.map.center, crs: L.CRS[spec.map.crs] || L.CRS.EPSG3857 };
    Object.keys(spec.map.options).forEach(function (key) {
      options[key] = spec.map.options[key];
    });
    var map = L.map(container, options);
    L.control.zoom({ zoomInTitle: spec.labels.zoomIn, zoomOutTitle: spec.labels.zoomOut }).addTo(map);
    if (spec.map.scale) {
      L.control.scale({ imperial: false }).addTo(map);
    }
    if (spec.tiles) {
      L.tileLayer(spec.tiles.url, spec.tiles.options).addTo(map);
    }
    spec.layers.forEach(function (layer) {
      addLayer(map, layer);
    });
    if (spec.fitBounds) {
      var fit = function () {
        map.invalidateSize();
        map.fitBounds(spec.fitBounds.bounds, spec.fitBounds.options);
      };
      fit();
      // The box changes size after load (fonts, rotation, a narrow window): fit the route
      // and stops again, so they are never cut off at the edges.
      if (typeof ResizeObserver !== "undefined") {
        var last = container.clientWidth + "x" + container.clientHeight;
        new ResizeObserver(function () {
          var now = container.clientWidth + "x" + container.clientHeight;
          if (now !== last) {
            last = now;
            fit();
          }
        }).observe(container);
      }
    }
    // Escape closes an open popup, as it would a dialog.
    container.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        map.closePopup();
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && map.getContainer().querySelector(".leaflet-popup")) {
        map.closePopup();
      }
    });
    container.bideanMap = map;  // for tests and other scripts of the page
    return map;
  }

  function init() {
    if (typeof L === "undefined") {
      return;  // Leaflet failed to load: the page still lists every stop.
    }
    document.querySelectorAll("[data-bidean-map]").forEach(function (container) {
      if (container.hasAttribute("data-bidean-ready")) {
        return;
      }
      var island = document.getElementById(container.getAttribute("data-bidean-map"));
      if (!island) {
        return;
      }
      container.setAttribute("data-bidean-ready", "");
      build(container, JSON.parse(island.textContent));
      container.setAttribute("data-bidean-ready", "true");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
