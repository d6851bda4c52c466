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

  // a text column made of parts of other columns (the search text: name and id)
  function joined(col, props) {
    return col.join.map(function (part) {
      var v = props[part[0]] === undefined ? null : props[part[0]][part[1]];
      return v === null || v === undefined ? "" : v;
    }).join(col.sep);
  }

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
        if (absent[key][k] || col.join) return;
        props[key] = col.list ? col.list.map(function (part) { return columnValue(part, k); })
                              : columnValue(col, k);
      });
      keys.forEach(function (key) {
        if (p.props[key].join) props[key] = joined(p.props[key], props);
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
  // in between (50,000 sites: half the allocations); ``add(layer, k)`` takes each
  function packedLayers(p, group, add) {
    var feature = packedFeatures(p, function (x, y) { return L.latLng(y, x); });
    var lines = p.kind === 1 || p.kind === 5, style = group.options.style;
    add = add || function (layer) { group.addLayer(layer); };
    for (var k = 0; k < p.n; k++) {
      var f = feature(k);
      if (f.shape === null) continue;
      var geojson = {type: "Feature", properties: f.properties, geometry: null};
      var layer = lines ? L.polyline(f.shape, style(geojson)) : L.polygon(f.shape, style(geojson));
      layer.feature = geojson;
      layer.defaultOptions = layer.options;
      add(layer, k);
    }
  }

  // --- a tiled layer (packing.tile_layer): the shapes of the tiles in view, from one zoom past
  // the tiles' own; below it a dot per feature on one canvas --------------------------------
  function deltas(values) {
    var out = new Array(values.length), at = 0;
    for (var i = 0; i < values.length; i++) { at += values[i]; out[i] = at; }
    return out;
  }

  function worldOf(lng, lat) {  // Web Mercator, 0–1 (Leaflet's world at zoom 0 is 256 px)
    var s = Math.sin(Math.max(Math.min(lat, 85.0511), -85.0511) * Math.PI / 180);
    return [(lng + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
  }

  var DotLayer = L.Layer.extend({
    initialize: function (t, palette) { this._t = t; this._palette = palette; },
    onAdd: function (m) {
      this._canvas = L.DomUtil.create("canvas", "ordos-dots leaflet-zoom-hide");
      this._canvas.style.pointerEvents = "none";
      m.getPanes().overlayPane.appendChild(this._canvas);
      m.on("moveend zoomend resize", this.redraw, this);
      this.redraw();
    },
    onRemove: function (m) {
      L.DomUtil.remove(this._canvas);
      m.off("moveend zoomend resize", this.redraw, this);
    },
    redraw: function () {
      var m = this._map, size = m.getSize(), c = this._canvas, ctx = c.getContext("2d");
      c.width = size.x; c.height = size.y;
      L.DomUtil.setPosition(c, m.containerPointToLayerPoint([0, 0]));
      ctx.clearRect(0, 0, size.x, size.y);
      this.drawn = 0;
      if (m.getZoom() > this._t.z) return;  // the shapes are drawn from z + 1
      var scale = 256 * Math.pow(2, m.getZoom()), origin = m.getPixelBounds().min;
      var dots = this._t.dotsByColour, palette = this._palette;
      for (var colour in dots) {
        var w = dots[colour];
        ctx.fillStyle = palette[colour];
        for (var i = 0; i < w.length; i += 2) {
          var x = w[i] * scale - origin.x, y = w[i + 1] * scale - origin.y;
          if (x < -2 || y < -2 || x > size.x + 2 || y > size.y + 2) continue;
          ctx.fillRect(x - 1, y - 1, 3, 3);
          this.drawn++;
        }
      }
    }
  });

  function tiledLayer(d, group) {
    var t = d.tiled, built = {}, shown = {};
    var colourDots = {};  // world coordinates of every dot, by colour code
    t.tiles.forEach(function (tile) {
      var xy = tile.dots, x = 0, y = 0, c = tile.packed.props.c;
      tile.positions = deltas(tile.index);
      for (var k = 0; k < xy.length / 2; k++) {
        x += xy[2 * k]; y += xy[2 * k + 1];
        if (tile.x < 0) continue;  // features without a geometry: no dot
        var w = worldOf(x / 1e5, y / 1e5), code = c ? columnValue(c, k) : 0;
        (colourDots[code] = colourDots[code] || []).push(w[0], w[1]);
      }
    });
    t.dotsByColour = colourDots;
    var dots = new DotLayer(t, d.palette);
    function build(i) {
      if (!built[i]) {
        built[i] = [];
        packedLayers(t.tiles[i].packed, group, function (layer, k) {
          layer.ordosParent = group;
          layer.ordosIndex = t.tiles[i].positions[k];
          built[i].push(layer);
        });
      }
      return built[i];
    }
    var n = Math.pow(2, t.z);
    function latOf(y) { return 180 / Math.PI * Math.atan(Math.sinh(Math.PI * (1 - 2 * y / n))); }
    // each tile's box grown by how far its features reach beyond their centres
    t.tiles.forEach(function (tile) {
      var rx = tile.reach[0] / 1e5, ry = tile.reach[1] / 1e5;
      tile.box = [tile.x / n * 360 - 180 - rx, latOf(tile.y + 1) - ry,
                  (tile.x + 1) / n * 360 - 180 + rx, latOf(tile.y) + ry];
    });
    function inView() {
      var want = {}, b = map.getBounds();
      if (map.getZoom() <= t.z) return want;
      var w = b.getWest(), s = b.getSouth(), e = b.getEast(), nn = b.getNorth();
      t.tiles.forEach(function (tile, i) {
        var box = tile.box;
        if (tile.x >= 0 && box[0] <= e && box[2] >= w && box[1] <= nn && box[3] >= s) {
          want[i] = true;
        }
      });
      return want;
    }
    function update() {
      if (!map.hasLayer(group)) return;
      var want = inView();
      Object.keys(shown).forEach(function (i) {
        if (!want[i]) { built[i].forEach(function (l) { group.removeLayer(l); }); delete shown[i]; }
      });
      Object.keys(want).forEach(function (i) {
        if (shown[i]) return;
        build(i).forEach(function (l) {
          group.addLayer(l);
          if (group.ordosRestyle) group.ordosRestyle(l);
        });
        shown[i] = true;
      });
    }
    map.on("moveend zoomend", update);
    group.on("add", function () { dots.addTo(map); update(); });
    group.on("remove", function () { map.removeLayer(dots); });
    group.ordosTiles = {z: t.z, dots: dots, build: build, update: update, tiles: t.tiles,
                        shown: function () { return Object.keys(shown).length; },
                        // the layer of feature ``k`` of tile ``i``, its tile shown
                        layerOf: function (i, k) {
                          var pos = t.tiles[i].positions[k], hit = null;
                          build(i).forEach(function (l) { if (l.ordosIndex === pos) hit = l; });
                          return hit;
                        }};
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
    if (d.tiled) tiledLayer(d, layer);
    else if (kind === 1 || kind === 3 || kind === 5 || kind === 6) packedLayers(d.packed, layer);
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

  function searchRecords(layers) {
    var records = {};
    layers.forEach(function (group) {
      var tiles = group.ordosTiles;
      if (!tiles) {
        group.eachLayer(function (l) {
          var at = l.getBounds ? l.getBounds().getCenter() : l.getLatLng();
          at.layer = l;
          records[l.feature.properties.s] = at;
        });
        return;
      }
      tiles.tiles.forEach(function (tile, i) {
        var xy = tile.dots, x = 0, y = 0, feature = packedFeatures(tile.packed, function () {});
        if (!tile.packed.props.s || tile.x < 0) return;
        for (var k = 0; k < xy.length / 2; k++) {
          x += xy[2 * k]; y += xy[2 * k + 1];
          var name = feature(k).properties.s;
          if (name === undefined) continue;
          var at = L.latLng(y / 1e5, x / 1e5);
          at.ordosTiles = tiles; at.ordosTile = i; at.ordosK = k;
          records[name] = at;
        }
      });
    });
    return records;
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
  // a tiled layer below the zoom of its shapes says so
  var tiledShown = function () {
    return Object.keys(window.ordosLayers).some(function (k) {
      var l = window.ordosLayers[k];
      return l.ordosTiles && map.hasLayer(l) && map.getZoom() <= l.ordosTiles.z;
    });
  };
  if (Object.keys(window.ordosLayers).some(function (k) {
    return window.ordosLayers[k].ordosTiles; })) {
    var hint = L.control({position: "bottomleft"});
    hint.onAdd = function () {
      var box = el("div", "ordos-legend ordos-note ordos-zoom-hint", controls.zoomForShapes ||
                   "Zoom in for the shapes");
      box.style.display = tiledShown() ? "" : "none";
      map.on("zoomend overlayadd overlayremove", function () {
        box.style.display = tiledShown() ? "" : "none";
      });
      return box;
    };
    hint.addTo(map);
  }

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
    var searched = spec.search.layers.map(function (k) { return window.ordosLayers[k]; });
    var group = L.layerGroup(searched);
    var options = {
      layer: group, propertyName: "s", initial: false, collapsed: true, position: "topright",
      marker: false, textPlaceholder: spec.search.placeholder,
      buildTip: function (text) { var a = el("a", null, text); a.href = "#"; return a; },
      moveToLocation: function (latlng, title, m) {
        var tiles = latlng.ordosTiles, hit = latlng.layer, prev = window.ordosHighlighted;
        if (prev && prev.ordosParent) {  // back to its style (of the slider's year, if any)
          prev.ordosParent.resetStyle(prev);
          if (prev.ordosParent.ordosRestyle) prev.ordosParent.ordosRestyle(prev);
        }
        if (tiles) {  // a feature of a tiled layer: its tile shown first
          m.setView(latlng, Math.max(m.getZoom(), tiles.z + 1), {animate: false});
          hit = tiles.layerOf(latlng.ordosTile, latlng.ordosK);
        }
        m.fitBounds(hit.getBounds(), {animate: false});
        if (tiles && m.getZoom() <= tiles.z) m.setView(latlng, tiles.z + 1, {animate: false});
        hit.setStyle({color: "#00e5ff", weight: 5, fillOpacity: 0.2});
        if (hit.bringToFront) hit.bringToFront();
        window.ordosHighlighted = hit;
      }
    };
    if (searched.some(function (l) { return l.ordosTiles; })) {
      // the records of every feature, the tiled layers' from their packed names and dots
      // (their shapes are built only for the tiles in view)
      var records = null;
      options.layer = null;
      options.formatData = function (r) { return r; };
      options.sourceData = function (text, respond) {
        records = records || searchRecords(searched);
        respond(records);
        return {abort: function () {}};
      };
    }
    new L.Control.Search(options).addTo(map);
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
    target.ordosRestyle = function (l) {  // a tiled layer's shapes built later take the year
      var v = l.feature.properties["s" + window.ordosYear];
      l.setStyle({fillColor: colour(v), color: colour(v)});
    };
    window.ordosSetYear = function (year) {
      window.ordosYear = Number(year);
      target.eachLayer(target.ordosRestyle);
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
