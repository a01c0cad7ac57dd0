#include "plot/html_plot.hpp"

#include <nlohmann/json.hpp>

#include "plot/markup.hpp"
#include "plot/svg_plot.hpp"
#include "report/escape.hpp"

namespace stray::plot {

namespace {

constexpr const char* kStyle = R"(
body { font-family: sans-serif; margin: 16px; color: #222; }
#plot { position: relative; }
#plot svg { max-width: 100%; height: auto; }
#tooltip { position: absolute; display: none; pointer-events: none; background: #fff;
  border: 1px solid #999; padding: 6px 8px; font-size: 12px; white-space: pre; }
#tooltip .time { font-weight: bold; margin-bottom: 4px; }
.note { color: #666; font-size: 12px; }
)";

// Hover: the point nearest the mouse, with its time and every line's count.
// Strings are set with textContent only, so no label is parsed as markup.
constexpr const char* kScript = R"(
(function () {
  var data = JSON.parse(document.getElementById('plot-data').textContent);
  var svg = document.querySelector('#plot svg');
  var tip = document.getElementById('tooltip');
  var cursor = document.createElementNS('http://www.w3.org/2000/svg', 'line');
  cursor.setAttribute('stroke', '#888');
  cursor.setAttribute('y1', data.top);
  cursor.setAttribute('y2', data.bottom);
  cursor.style.display = 'none';
  svg.appendChild(cursor);

  function nearest(x) {
    var best = 0;
    for (var i = 1; i < data.x.length; i++) {
      if (Math.abs(data.x[i] - x) < Math.abs(data.x[best] - x)) best = i;
    }
    return best;
  }
  function hide() {
    tip.style.display = 'none';
    cursor.style.display = 'none';
  }
  function show(event) {
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var p = point.matrixTransform(svg.getScreenCTM().inverse());
    if (data.x.length === 0 || p.x < data.left - 10 || p.x > data.right + 10) { hide(); return; }
    var i = nearest(p.x);
    cursor.setAttribute('x1', data.x[i]);
    cursor.setAttribute('x2', data.x[i]);
    cursor.style.display = '';
    tip.textContent = '';
    var head = document.createElement('div');
    head.className = 'time';
    head.textContent = data.times[i] + '  (' + data.elapsed[i] + ')';
    tip.appendChild(head);
    data.lines.forEach(function (line) {
      var row = document.createElement('div');
      row.style.color = line.color;
      row.textContent = String(line.values[i]).padStart(6) + '  ' + line.label;
      tip.appendChild(row);
    });
    tip.style.left = (event.pageX + 14) + 'px';
    tip.style.top = (event.pageY + 14) + 'px';
    tip.style.display = 'block';
  }
  svg.addEventListener('mousemove', show);
  svg.addEventListener('mouseleave', hide);
  document.body.setAttribute('data-plot-ready',
                             String(svg.querySelectorAll('polyline.line').length));
})();
)";

nlohmann::json line_json(const PlotLine& line, const char* color) {
  return {{"label", escape_text(line.label)}, {"color", color}, {"values", line.values}};
}

nlohmann::json point_data(const PlotData& data) {
  Layout layout(data);
  nlohmann::json x = nlohmann::json::array(), elapsed = nlohmann::json::array();
  for (double seconds : data.seconds) {
    x.push_back(layout.x(seconds));
    elapsed.push_back(format_elapsed(seconds));
  }
  nlohmann::json lines = nlohmann::json::array({line_json(data.total, "#000")});
  for (std::size_t i = 0; i < data.groups.size(); ++i) lines.push_back(line_json(data.groups[i], line_color(i)));
  if (data.has_other) lines.push_back(line_json(data.other, "#999"));
  return {{"x", x}, {"times", data.times}, {"elapsed", elapsed}, {"lines", lines},
          {"left", layout.x(0)}, {"right", layout.x(layout.max_seconds())},
          {"top", layout.y(layout.max_value())}, {"bottom", layout.y(0)}};
}

// JSON inside <script> must not contain "</script>" or "<!--". Outside
// strings JSON has no <, > or &, so replacing every one with its \u escape
// keeps the value and makes the text inert as HTML.
std::string script_safe_json(const nlohmann::json& value) {
  std::string safe;
  for (char c : value.dump()) {
    if (c == '<') {
      safe += "\\u003c";
    } else if (c == '>') {
      safe += "\\u003e";
    } else if (c == '&') {
      safe += "\\u0026";
    } else {
      safe += c;
    }
  }
  return safe;
}

}  // namespace

std::string render_html(const PlotData& data) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n<title>" +
      escape_markup(data.title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  html += "<div id=\"plot\">\n" + render_svg(data) + "</div>\n<div id=\"tooltip\"></div>\n";
  html += "<p class=\"note\">" + std::to_string(data.seconds.size()) + " snapshots";
  if (data.failed > 0) html += ", " + std::to_string(data.failed) + " failed and left out";
  html += ". Hover over the plot for counts at each snapshot.</p>\n";
  html += "<script type=\"application/json\" id=\"plot-data\">" + script_safe_json(point_data(data)) +
          "</script>\n<script>" + kScript + "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace stray::plot
