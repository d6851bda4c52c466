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

  // --- a packed layer (ordos_geo.publish.packing) back to GeoJSON ----------------------------
  var KINDS = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
               6: "MultiPolygon"};
  var DEPTH = {0: 0, 1: 1, 3: 2, 4: 1, 5: 2, 6: 3};

  function columnValue(col, k) { return col.dict ? col.dict[col.i[k]] : col.v[k]; }

  // the coordinates of every feature, nested as its kind wants, each point made by ``point``
  function nestedCoordinates(p, point) {
    var xy = p.xy, n = xy.length / 2, items = new Array(n), x = 0, y = 0, i, level;
    for (i = 0; i < n; i++) {  // deltas of 1e-5 degree steps
      x += xy[2 * i]; y += xy[2 * i + 1];
      items[i] = point(x / 1e5, y / 1e5);
    }
    for (level = 0; level < DEPTH[p.kind]; level++) {
      var counts = p.counts[level], grouped = new Array(counts.length), at = 0;
      for (i = 0; i < counts.length; i++) {
        grouped[i] = items.slice(at, at + counts[i]);
        at += counts[i];
      }
      items = grouped;
    }
    return items;
  }

  // feature k of a packed layer: {properties, shape (null when missing), single}
  function packedFeatures(p, point) {
    var items = nestedCoordinates(p, point), keys = Object.keys(p.props);
    var missing = {}, single = {}, absent = {};
    p.missing.forEach(function (m) { missing[m] = true; });
    (p.single || []).forEach(function (m) { single[m] = true; });
    keys.forEach(function (key) {
      absent[key] = {};
      (p.props[key].absent || []).forEach(function (m) { absent[key][m] = true; });
    });
    return function (k) {
      var props = {};
      keys.forEach(function (key) {
        var col = p.props[key];
        if (absent[key][k]) return;
        props[key] = col.list ? col.list.map(function (part) { return columnValue(part, k); })
                              : columnValue(col, k);
      });
      return {properties: props, shape: missing[k] ? null : (single[k] ? items[k][0] : items[k]),
              single: !!single[k]};
    };
  }

  function unpack(p) {
    var feature = packedFeatures(p, function (x, y) { return [x, y]; }), name = KINDS[p.kind];
    var features = new Array(p.n);
    for (var k = 0; k < p.n; k++) {
      var f = feature(k);
      features[k] = {type: "Feature", properties: f.properties, geometry: f.shape === null
        ? null : {type: f.single ? name.replace("Multi", "") : name, coordinates: f.shape}};
    }
    return {type: "FeatureCollection", features: features};
  }

  // polygons and lines of a packed layer built straight from its integers: no GeoJSON arrays
  // in between (50,000 sites: half the allocations)
  function packedLayers(p, group) {
    var feature = packedFeatures(p, function (x, y) { return L.latLng(y, x); });
    var lines = p.kind === 1 || p.kind === 5, style = group.options.style;
    for (var k = 0; k < p.n; k++) {
      var f = feature(k);
      if (f.shape === null) continue;
      var geojson = {type: "Feature", properties: f.properties, geometry: null};
      var layer = lines ? L.polyline(f.shape, style(geojson)) : L.polygon(f.shape, style(geojson));
      layer.feature = geojson;
      layer.defaultOptions = layer.options;
      group.addLayer(layer);
    }
  }

  function makeLayer(d) {
    var palette = d.palette;
    var layer = L.geoJSON(null, {
      // points as circles: a marker's icon is an image file the page's policy does not load
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, {radius: 5}); },
      style: function (f) {
        var c = palette[f.properties.c];
        var o = f.properties.o === undefined ? c : palette[f.properties.o];
        return {color: o, fillColor: c, fillOpacity: d.fill, fill: d.fill > 0,
                dashArray: d.dash || null,
                weight: f.properties.w === undefined ? d.weight : f.properties.w};
      }
    });
    var kind = d.packed ? d.packed.kind : null;
    if (kind === 1 || kind === 3 || kind === 5 || kind === 6) packedLayers(d.packed, layer);
    else layer.addData(d.geojson || unpack(d.packed));
    layer.eachLayer(function (l) {
      l.ordosParent = layer;
      if (l.eachLayer) {  // a multi-point feature: each circle answers for the feature
        l.eachLayer(function (part) { part.feature = l.feature; part.ordosParent = layer; });
      }
    });
    // one tooltip for the layer, filled for the feature under the pointer (not 50,000 of them)
    if (d.labels && d.labels.length) {
      layer.bindTooltip(function (l) { return tooltipFor(d.labels, l, d)(); }, {sticky: false});
    }
    layer.ordosSpec = d;
    return layer;
  }

  window.ordosUnpack = unpack;  // the packed form back to GeoJSON (tests and scripts)

  // the tooltip of feature ``l`` opened at ``latlng`` (tests and scripts): its element
  window.ordosOpenTooltip = function (l, latlng) {
    var group = l.ordosParent;
    if (!group || !group.getTooltip()) return null;
    group.getTooltip()._source = l;
    group.openTooltip(latlng || (l.getBounds ? l.getBounds().getCenter() : l.getLatLng()));
    return group.getTooltip().getElement();
  };

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
