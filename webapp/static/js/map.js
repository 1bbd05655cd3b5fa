/* Bidean tour maps.
 *
 * webapp/maps.py has Folium build each map and writes what it built into a
 * <script type="application/json"> data island next to a <div data-bidean-map>.
 * This file draws that map with Leaflet.  Tour content (stop names, stories,
 * district names) is only ever put into the page with textContent, never as
 * HTML, so a story cannot inject markup or script whatever it contains.
 *
 * A long route comes in the page simplified (layer.source says by how many metres at
 * most); the exact route is fetched from the tour's versioned GeoJSON once the map is
 * zoomed in far enough for the difference to show.  When the route and every marker are
 * on the map, <html data-map-ready="true"> and the performance mark "bidean-map-ready"
 * say so (the page benchmarks time it); the map container's data-bidean-route says
 * whether the route drawn is the "exact" one or still the "preview".  A map marked
 * data-bidean-lazy is left out of that: it is drawn afterwards, once scrolled into view.
 * Each container gets data-bidean-ready="true" when its map is complete (controls too).
 */
(function () {
  "use strict";

  // Which element each kind of popup line becomes; anything else is a paragraph.
  var POPUP_TAGS = { number: "p", title: "h3", community: "p", text: "p", more: "a" };
  // Markers whose centres are closer than this on both axes (a 30 px badge and a gap) are spread
  // apart, so each one is a target of its own (WCAG 2.5.8 asks for 24 px).
  var MARKER_SPACING = 34;
  // Above this many markers, only those in view are spread (see spreadMarkers).
  var SPREAD_MAX = 150;

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
      // Only links within the page (a stop in the list below the map) become links.
      if (tagName === "a" && !/^#[^\s]+$/.test(String(part.href || ""))) {
        return;
      }
      var element = textElement(tagName, "bidean-popup__" + (POPUP_TAGS[part.role] ? part.role : "text"), part);
      if (tagName === "a") {
        element.href = part.href;
      }
      box.appendChild(element);
    });
    return box;
  }

  // Markers that would cover each other at the current zoom are pushed apart (a few
  // rounds of pairwise repulsion in screen pixels), each drawn with a thin leg back to
  // its true place; zooming in brings them home again.  A tour with more than
  // SPREAD_MAX stops has only the markers in view spread, and none while more than
  // SPREAD_MAX are in view: hundreds of badges cannot all be parted on a phone screen
  // (the work grows with the square of their number), and zooming in separates them.
  function spreadMarkers(map, allMarkers, legs) {
    legs.clearLayers();
    var markers = allMarkers;
    if (allMarkers.length > SPREAD_MAX) {
      var view = map.getBounds().pad(0.25);
      markers = [];
      allMarkers.forEach(function (marker) {
        if (!marker.getLatLng().equals(marker.bideanHome)) {
          marker.setLatLng(marker.bideanHome);
        }
        if (view.contains(marker.bideanHome)) {
          markers.push(marker);
        }
      });
      if (markers.length > SPREAD_MAX) {
        return;
      }
    }
    var points = markers.map(function (marker) {
      return map.latLngToLayerPoint(marker.bideanHome);
    });
    var moved = points.map(function (point) {
      return L.point(point.x, point.y);
    });
    for (var round = 0; round < 60; round += 1) {
      var clash = false;
      for (var i = 0; i < moved.length; i += 1) {
        for (var j = i + 1; j < moved.length; j += 1) {
          var dx = moved[j].x - moved[i].x;
          var dy = moved[j].y - moved[i].y;
          // Badges are laid out as squares: they clear each other when far enough
          // apart on either axis.
          var apart = Math.max(Math.abs(dx), Math.abs(dy));
          if (apart >= MARKER_SPACING) {
            continue;
          }
          clash = true;
          if (apart < 0.01) {  // the same place: part them along a fixed direction
            var angle = (j * 2 * Math.PI) / moved.length;
            dx = Math.cos(angle);
            dy = Math.sin(angle);
            apart = Math.max(Math.abs(dx), Math.abs(dy));
          }
          var distance = Math.sqrt(dx * dx + dy * dy);
          var push = (distance * (MARKER_SPACING / apart) - distance) / 2 + 0.5;
          moved[i].x -= (dx / distance) * push;
          moved[i].y -= (dy / distance) * push;
          moved[j].x += (dx / distance) * push;
          moved[j].y += (dy / distance) * push;
        }
      }
      if (!clash) {
        break;
      }
    }
    markers.forEach(function (marker, index) {
      if (moved[index].distanceTo(points[index]) < 1) {
        marker.setLatLng(marker.bideanHome);
        return;
      }
      var shown = map.layerPointToLatLng(moved[index]);
      if (!isFinite(shown.lat) || !isFinite(shown.lng)) {
        marker.setLatLng(marker.bideanHome);
        return;
      }
      marker.setLatLng(shown);
      L.polyline([marker.bideanHome, shown], {
        className: "bidean-spread-leg",
        color: "#3d4a5c",
        weight: 2,
        interactive: false
      }).addTo(legs);
      L.circleMarker(marker.bideanHome, {
        className: "bidean-spread-leg",
        radius: 3,
        color: "#8f2d0b",
        fillOpacity: 1,
        interactive: false
      }).addTo(legs);
    });
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

  // Metres per screen pixel at the map's centre and current zoom (Web Mercator tiles).
  function metresPerPixel(map) {
    var latitude = map.getCenter().lat * Math.PI / 180;
    return (40075016.686 * Math.cos(latitude)) / (256 * Math.pow(2, map.getZoom()));
  }

  // GeoJSON [lon, lat] lines of the tour's route feature, as Leaflet [lat, lon] lines.
  function routeLatLngs(geojson) {
    var found = null;
    (geojson.features || []).forEach(function (feature) {
      var geometry = feature && feature.geometry;
      if (!found && geometry && (geometry.type === "LineString" || geometry.type === "MultiLineString")) {
        found = geometry;
      }
    });
    if (!found) {
      return null;
    }
    var flip = function (line) {
      return line.map(function (position) {
        return [position[1], position[0]];
      });
    };
    return found.type === "LineString" ? flip(found.coordinates) : found.coordinates.map(flip);
  }

  // Swap the preview for the exact route once a pixel is smaller than the preview's error.
  function exactRouteWhenNeeded(map, line, source, container) {
    var asked = false;
    var check = function () {
      if (asked || metresPerPixel(map) >= source.toleranceM) {
        return;
      }
      asked = true;
      container.setAttribute("data-bidean-route", "loading");
      fetch(source.url, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (geojson) {
          var latlngs = routeLatLngs(geojson);
          if (latlngs) {
            line.setLatLngs(latlngs);
            container.setAttribute("data-bidean-route", "exact");
          }
        })
        .catch(function () {
          // Offline or gone: the simplified route stays, and a later zoom tries again.
          asked = false;
          container.setAttribute("data-bidean-route", "preview");
        });
    };
    map.on("zoomend", check);
    return check;
  }

  function addLayer(map, layer, markers, container, checks) {
    if (layer.kind === "polyline") {
      var line = L.polyline(layer.latlngs, layer.options).addTo(map);
      if (layer.source && typeof fetch === "function") {
        checks.push(exactRouteWhenNeeded(map, line, layer.source, container));
      }
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
      marker.bideanHome = L.latLng(layer.latlng);
      markers.push(marker);
      if (layer.popup && layer.popup.length) {
        // Built when first opened: a 1,000-stop tour need not build 1,000 popups up front.
        marker.bindPopup(function () {
          return popupContent(layer.popup);
        }, {
          maxWidth: 260,
          maxHeight: 240,
          // Pan open popups clear of the zoom buttons in the top left corner.
          autoPanPaddingTopLeft: [16, 84],
          autoPanPaddingBottomRight: [16, 16]
        });
      }
    }
  }

  // Leaflet reads the size of a map's box whenever it thinks it may have changed, and a
  // read after any write to the page makes the browser lay the page out there and then
  // (a phone spent 400 ms so, building two maps).  So map.js hands Leaflet the size the
  // browser measured (see whenSized): it is what Map.getSize() would have read and kept
  // itself (Leaflet 1.9, vendored; see getSize in leaflet-src.js).
  function useSize(map, size) {
    map._size = L.point(size[0], size[1]);
    map._sizeChanged = false;
  }

  // Draws the map's route, districts and markers, at their final view; returns what to do
  // once every map the page waits for is drawn (controls, tiles, listeners, the exact
  // route), none of which the route and markers wait for.
  function build(container, spec, size) {
    var options = { crs: L.CRS[spec.map.crs] || L.CRS.EPSG3857 };
    Object.keys(spec.map.options).forEach(function (key) {
      options[key] = spec.map.options[key];
    });
    // Set as Leaflet would set it, but without asking the page what it is first.
    container.style.position = "relative";
    var map = L.map(container, options);  // no center: the view is set below, size known
    useSize(map, size);
    if (spec.fitBounds) {
      map.fitBounds(spec.fitBounds.bounds, spec.fitBounds.options);
    } else {
      map.setView(spec.map.center, options.zoom);
    }
    var markers = [];
    var checks = [];
    var routeIsExact = true;
    spec.layers.forEach(function (layer) {
      addLayer(map, layer, markers, container, checks);
      if (layer.kind === "polyline" && layer.source) {
        routeIsExact = false;
      }
    });
    container.setAttribute("data-bidean-route", routeIsExact ? "exact" : "preview");
    var legs = L.layerGroup().addTo(map);
    var spread = function () {
      spreadMarkers(map, markers, legs);
    };
    spread();
    container.bideanMap = map;  // for tests and other scripts of the page
    return function finish() {
      L.control.zoom({ zoomInTitle: spec.labels.zoomIn, zoomOutTitle: spec.labels.zoomOut }).addTo(map);
      if (spec.map.scale) {
        // In the attribution's corner, stacked above it: side by side, a long attribution
        // wraps under the scale bar on a phone.
        L.control.scale({ imperial: false, position: "bottomright" }).addTo(map);
      }
      if (spec.tiles) {
        L.tileLayer(spec.tiles.url, spec.tiles.options).addTo(map);
      }
      // Many markers: which are in view changes with every pan, so spread after each move.
      map.on(markers.length > SPREAD_MAX ? "moveend viewreset" : "zoomend viewreset", spread);
      // The box changes size after load (fonts, rotation, a narrow window): fit the route
      // and stops again, so they are never cut off at the edges.  The observer reports
      // after the browser has laid the page out, so Leaflet's reading it costs nothing.
      if (typeof ResizeObserver !== "undefined") {
        var last = size[0] + "x" + size[1];
        new ResizeObserver(function (entries) {
          var seen = boxSize(entries[entries.length - 1].contentRect).join("x");
          if (seen !== last) {
            last = seen;
            map.invalidateSize();
            if (spec.fitBounds) {
              map.fitBounds(spec.fitBounds.bounds, spec.fitBounds.options);
            }
            spread();
          }
        }).observe(container);
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
      // The fitted zoom may already be closer than the preview is good for (a large screen).
      checks.forEach(function (check) {
        check();
      });
      container.setAttribute("data-bidean-ready", "true");
    };
  }

  function readSpec(container) {
    var island = document.getElementById(container.getAttribute("data-bidean-map"));
    try {
      return island && JSON.parse(island.textContent);
    } catch (error) {
      return null;  // not all read yet: tried again when the page is
    }
  }

  function now() {
    return window.performance && performance.now ? performance.now() : Date.now();
  }

  var work = { start: null, ms: 0 };

  // A box's size as a ResizeObserver or IntersectionObserver entry gives it: measured by
  // the browser in its own layout, so reading it costs nothing.
  function boxSize(rect) {
    return [Math.round(rect.width), Math.round(rect.height)];
  }

  // Calls back with those of ``items`` (each with its container) that the browser has laid
  // out with the page's stylesheets (it lays nothing out before they arrive) and that have
  // a size, and their sizes; the others when they get one (a map in a closed panel, say).
  // map.js never asks the page for a size, so it never makes the browser lay the page out
  // out of turn: a ResizeObserver reports after the browser's own layout.
  function whenSized(items, callback) {
    if (typeof ResizeObserver === "undefined") {
      callback(items, items.map(function (item) {  // every read first, then the writes
        return [item.container.clientWidth, item.container.clientHeight];
      }));
      return;
    }
    var waiting = items.slice();
    var observer = new ResizeObserver(function (entries) {
      var sized = [];
      var sizes = [];
      entries.forEach(function (entry) {
        var size = boxSize(entry.contentRect);
        var index = waiting.findIndex(function (item) {
          return item.container === entry.target;
        });
        if (index >= 0 && size[0] > 0 && size[1] > 0) {
          sized.push(waiting.splice(index, 1)[0]);
          sizes.push(size);
          observer.unobserve(entry.target);
        }
      });
      if (!waiting.length) {
        observer.disconnect();
      }
      if (sized.length) {
        callback(sized, sizes);
      }
    });
    items.forEach(function (item) {
      observer.observe(item.container);
    });
  }

  // A lazy map (data-bidean-lazy, e.g. the tour page's small map of the meeting point) is
  // drawn once the page's other maps are, and only when it comes into view.
  function drawWhenSeen(container) {
    var draw = function (size) {
      var spec = readSpec(container);
      if (spec) {
        build(container, spec, size)();
      }
    };
    if (typeof IntersectionObserver === "undefined") {
      draw([container.clientWidth, container.clientHeight]);
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        var size = boxSize(entry.boundingClientRect);
        if (entry.isIntersecting && size[0] > 0 && size[1] > 0) {
          observer.disconnect();
          draw(size);
        }
      });
    });
    observer.observe(container);
  }

  function allDrawn() {
    return Array.prototype.every.call(
      document.querySelectorAll("[data-bidean-map]:not([data-bidean-lazy])"),
      function (container) {
        return Boolean(container.bideanMap);
      }
    );
  }

  // Draws the route and markers of each of ``found``; once every map the page waits for
  // is drawn, says so (the mark), then adds the rest and starts watching the lazy maps.
  function draw(found, sizes) {
    var started = now();
    var finishes = found.map(function (item, index) {
      return build(item.container, item.spec, sizes[index]);
    });
    work.start = work.start === null ? started : work.start;
    work.ms += now() - started;
    var root = document.documentElement;
    var drawn = allDrawn();
    if (drawn && !root.hasAttribute("data-map-ready")) {
      root.setAttribute("data-map-ready", "true");
      if (window.performance && typeof performance.mark === "function") {
        performance.mark("bidean-map-ready");
        // How long map.js kept the main thread drawing the maps (the phone bench reads it).
        try {
          performance.measure("bidean-map-work", { start: work.start, duration: work.ms });
        } catch (error) {
          // An older browser without measure options: the mark is enough.
        }
      }
    }
    finishes.forEach(function (finish) {
      finish();
    });
    if (drawn) {
      document.querySelectorAll("[data-bidean-map][data-bidean-lazy]:not([data-bidean-ready])").forEach(function (container) {
        container.setAttribute("data-bidean-ready", "");
        drawWhenSeen(container);
      });
    }
  }

  function init() {
    var found = [];
    document.querySelectorAll("[data-bidean-map]:not([data-bidean-ready]):not([data-bidean-lazy])").forEach(function (container) {
      var spec = readSpec(container);
      if (spec) {
        container.setAttribute("data-bidean-ready", "");
        found.push({ container: container, spec: spec });
      }
    });
    if (!found.length) {
      return;
    }
    whenSized(found, draw);
  }

  // This file and Leaflet load "async": each runs as soon as it arrives, maybe while the
  // rest of the page is still being read.  The maps above the script tags are there by
  // then (they come first in the page); any further down are drawn when it is all read.
  function start() {
    if (typeof L === "undefined") {
      var leaflet = document.querySelector("script[data-bidean-leaflet]");
      if (leaflet && !leaflet.bideanWaiting) {
        leaflet.bideanWaiting = true;
        leaflet.addEventListener("load", start);
      }
      return;  // Leaflet comes later (or failed: the page still lists every stop)
    }
    init();
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", init);
    }
  }

  start();
})();
