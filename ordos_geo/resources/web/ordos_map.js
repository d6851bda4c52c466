/* ordos_geo offline map (shipped with ordos_geo, MIT).
 *
 * Builds the whole map from one JSON block (<script type="application/json" id="ordos-data">).
 * Data never becomes markup: every value is put into the page with textContent, never innerHTML,
 * so a site named <img onerror=…> or {{7*7}} shows as that text.
 */
(function () {
  "use strict";
  var spec = JSON.parse(document.getElementById("ordos-data").textContent);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  var controls = spec.controls || {};
  var map = L.map("map", {preferCanvas: true, zoomControl: false});
  L.control.zoom({zoomInTitle: controls.zoomIn || "Zoom in",
                  zoomOutTitle: controls.zoomOut || "Zoom out"}).addTo(map);
  map.attributionControl.setPrefix("Leaflet");
  map.fitBounds(spec.bounds);
  window.ordosMap = map;
  window.ordosLayers = {};
  window.ordosSpec = spec;

  (spec.basemaps || []).forEach(function (b) {
    var layer = L.tileLayer(b.url, {attribution: b.attribution, subdomains: b.subdomains || "abc",
                                    maxZoom: 18});
    layer.addTo(map);
  });

  function percent(v) {
    return (v === null || v === undefined) ? "–" : (Math.round(v * 1000) / 10) + "%";
  }

  function tooltipFor(labels, layer, d) {
    return function () {
      var t = layer.feature.properties.t, box = el("div", "ordos-tip");
      for (var i = 0; i < labels.length; i++) {
        var line = el("div"), label = labels[i], value = t[i];
        if (d.yearly && i === d.yearly.index) {  // the value of the year the slider shows
          label = label + " (" + window.ordosYear + ")";
          value = percent(layer.feature.properties["s" + window.ordosYear]);
        }
        line.appendChild(el("b", null, label));
        line.appendChild(document.createTextNode(": " + (value === null ? "–" : value)));
        box.appendChild(line);
      }
      if (layer.ordosExtra) {
        var extra = layer.ordosExtra();
        if (extra) box.appendChild(extra);
      }
      return box;
    };
  }

  function makeLayer(d) {
    var palette = d.palette;
    var layer = L.geoJSON(d.geojson, {
      style: function (f) {
        var c = palette[f.properties.c];
        var o = f.properties.o === undefined ? c : palette[f.properties.o];
        return {color: o, fillColor: c, fillOpacity: d.fill, fill: d.fill > 0,
                dashArray: d.dash || null,
                weight: f.properties.w === undefined ? d.weight : f.properties.w};
      }
    });
    layer.eachLayer(function (l) {
      l.ordosParent = layer;
      if (d.labels && d.labels.length) l.bindTooltip(tooltipFor(d.labels, l, d), {sticky: false});
    });
    layer.ordosSpec = d;
    return layer;
  }

  var overlays = {};
  spec.layers.forEach(function (d) {
    var layer = makeLayer(d);
    window.ordosLayers[d.key] = layer;
    if (d.show) layer.addTo(map);
    overlays[d.name] = layer;
  });
  L.control.layers(null, overlays, {collapsed: false}).addTo(map);
  // a layer turned back on goes to its place, not on top (zones stay under the sites)
  map.on("overlayadd", function () {
    spec.layers.forEach(function (d) {
      var layer = window.ordosLayers[d.key];
      if (map.hasLayer(layer)) layer.bringToFront();
    });
  });
  L.control.scale({imperial: false, position: "bottomleft"}).addTo(map);

  // one box per corner, a titled section per legend (every class drawn has its entry)
  function section(g) {
    var part = el("div", "ordos-legend-section");
    part.appendChild(el("b", null, g.title));
    g.entries.forEach(function (e) {
      var row = el("div", "ordos-legend-row"), style = e[2] || "fill";
      var sw = el("span", "ordos-swatch" + (style === "fill" ? "" : " ordos-" + style));
      sw.dataset.colour = e[1];
      sw.dataset.style = style;
      if (g.scale) sw.dataset.scale = "1";
      if (style === "fill") sw.style.background = e[1];
      sw.style.borderColor = style === "fill" ? "#555" : e[1];
      row.appendChild(sw);
      row.appendChild(document.createTextNode(e[0]));
      part.appendChild(row);
    });
    return part;
  }
  var corners = {};
  (spec.legends || []).forEach(function (g) {
    var where = g.position || "bottomright";
    (corners[where] = corners[where] || []).push(g);
  });
  Object.keys(corners).forEach(function (where) {
    var c = L.control({position: where});
    c.onAdd = function () {
      var box = el("div", "ordos-legend");
      corners[where].forEach(function (g) { box.appendChild(section(g)); });
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    c.addTo(map);
  });
  (spec.notes || []).forEach(function (text) {
    var c = L.control({position: "topright"});
    c.onAdd = function () { return el("div", "ordos-legend ordos-note", text); };
    c.addTo(map);
  });

  if (L.control.fullscreen) {
    L.control.fullscreen({position: "topleft", title: controls.fullscreen || "Full Screen",
                          titleCancel: controls.exitFullscreen || "Exit Full Screen"}).addTo(map);
  }
  if (L.control.measure) {
    L.control.measure({position: "topleft", primaryLengthUnit: "meters",
                       primaryAreaUnit: "hectares",
                       localization: controls.measure || "en"}).addTo(map);
  }
  if (spec.search && spec.search.layers.length && L.Control.Search) {
    var group = L.layerGroup(spec.search.layers.map(function (k) { return window.ordosLayers[k]; }));
    new L.Control.Search({
      layer: group, propertyName: "s", initial: false, collapsed: true, position: "topright",
      marker: false, textPlaceholder: spec.search.placeholder,
      buildTip: function (text) { var a = el("a", null, text); a.href = "#"; return a; },
      moveToLocation: function (latlng, title, m) {
        var hit = latlng.layer, prev = window.ordosHighlighted;
        if (prev && prev.ordosParent) prev.ordosParent.resetStyle(prev);
        m.fitBounds(hit.getBounds());
        hit.setStyle({color: "#00e5ff", weight: 5, fillOpacity: 0.2});
        if (hit.bringToFront) hit.bringToFront();
        window.ordosHighlighted = hit;
      }
    }).addTo(map);
    // leaflet-search puts its whole group on the map: a layer meant to start hidden stays hidden
    spec.layers.forEach(function (d) {
      if (!d.show) map.removeLayer(window.ordosLayers[d.key]);
    });
  }
  if (L.Control.MiniMap) {
    var outline = L.geoJSON(spec.outline || null, {style: {color: "#555", weight: 1, fill: false}});
    new L.Control.MiniMap(outline, {toggleDisplay: true, position: "bottomleft",
                                    zoomLevelOffset: -4,
                                    strings: {hideText: controls.hideMinimap || "Hide MiniMap",
                                              showText: controls.showMinimap || "Show MiniMap"}
                                    }).addTo(map);
  }
  if (spec.attribution) map.attributionControl.addAttribution(
    el("span", null, spec.attribution).outerHTML);

  if (spec.slider) {
    var s = spec.slider, target = window.ordosLayers[s.layer];
    var colours = s.colours, years = s.years;
    var colour = function (v) {
      if (v === null || v === undefined) return s.missing;
      return colours[Math.min(Math.floor(v * colours.length), colours.length - 1)];
    };
    window.ordosYear = years[years.length - 1];
    window.ordosSetYear = function (year) {
      window.ordosYear = Number(year);
      target.eachLayer(function (l) {
        var v = l.feature.properties["s" + year];
        l.setStyle({fillColor: colour(v), color: colour(v)});
      });
      document.getElementById("ordos-year-label").textContent = String(year);
    };
    var box = L.control({position: "topright"});
    box.onAdd = function () {
      var d = el("div", "ordos-legend");
      d.appendChild(document.createTextNode(s.label + ": "));
      var b = el("b", null, years[years.length - 1]);
      b.id = "ordos-year-label";
      d.appendChild(b);
      d.appendChild(el("br"));
      // the slider steps through the years measured, never a year without values
      var input = el("input");
      input.id = "ordos-year";
      input.type = "range";
      input.min = 0;
      input.max = years.length - 1;
      input.step = 1;
      input.value = years.length - 1;
      d.appendChild(input);
      L.DomEvent.disableClickPropagation(d);
      input.addEventListener("input", function (e) {
        window.ordosSetYear(years[Number(e.target.value)]);
      });
      return d;
    };
    box.addTo(map);
  }

  window.ordosReady = true;
})();
