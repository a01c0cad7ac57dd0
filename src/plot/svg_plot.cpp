#include "plot/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "plot/markup.hpp"

namespace stray::plot {

namespace {

constexpr std::size_t kLegendLabelBytes = 46;

// The smallest of 1, 2 and 5 times a power of ten that splits `range`
// into at most `max_ticks` steps.
double nice_step(double range, int max_ticks) {
  double raw = range / max_ticks;
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 5.0, 10.0}) {
    if (factor * power >= raw) return factor * power;
  }
  return 10 * power;
}

double time_step(double range) {
  for (double step : {1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0,
                      3600.0, 7200.0, 10800.0, 21600.0, 43200.0, 86400.0}) {
    if (range / step <= 8) return step;
  }
  return nice_step(range / 86400.0, 8) * 86400.0;
}

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}

std::string points(const Layout& layout, const PlotData& data, const PlotLine& line) {
  std::string text;
  for (std::size_t i = 0; i < line.values.size(); ++i) {
    if (!text.empty()) text += ' ';
    text += number(layout.x(data.seconds[i])) + "," + number(layout.y(line.values[i]));
  }
  return text;
}

void write_axes(std::ostringstream& svg, const Layout& layout) {
  double bottom = layout.y(0), left = layout.x(0), right = layout.x(layout.max_seconds());
  svg << "<g class=\"axes\" stroke=\"#999\" font-size=\"12\" fill=\"#333\">\n";
  for (double value = 0; value <= layout.max_value() + 1e-9; value += layout.value_step()) {
    double y = layout.y(value);
    svg << "<line x1=\"" << number(left) << "\" y1=\"" << number(y) << "\" x2=\"" << number(right)
        << "\" y2=\"" << number(y) << "\" stroke=\"#e4e4e4\"/>"
        << "<text x=\"" << number(left - 8) << "\" y=\"" << number(y + 4)
        << "\" text-anchor=\"end\" stroke=\"none\">" << std::llround(value)
        << "</text>\n";
  }
  for (double seconds = 0; seconds <= layout.max_seconds() + 1e-9; seconds += layout.seconds_step()) {
    double x = layout.x(seconds);
    svg << "<line x1=\"" << number(x) << "\" y1=\"" << number(bottom) << "\" x2=\"" << number(x)
        << "\" y2=\"" << number(bottom + 5) << "\"/>"
        << "<text x=\"" << number(x) << "\" y=\"" << number(bottom + 20)
        << "\" text-anchor=\"middle\" stroke=\"none\">" << format_elapsed(seconds) << "</text>\n";
  }
  svg << "<line x1=\"" << number(left) << "\" y1=\"" << number(bottom) << "\" x2=\"" << number(right)
      << "\" y2=\"" << number(bottom) << "\" stroke=\"#333\"/>\n"
      << "<text x=\"" << number((left + right) / 2) << "\" y=\"" << number(bottom + 40)
      << "\" text-anchor=\"middle\" stroke=\"none\">time since the first snapshot</text>\n"
      << "<text x=\"16\" y=\"" << number(layout.y(layout.max_value() / 2))
      << "\" transform=\"rotate(-90 16 " << number(layout.y(layout.max_value() / 2))
      << ")\" text-anchor=\"middle\" stroke=\"none\">threads</text>\n</g>\n";
}

void write_line(std::ostringstream& svg, const Layout& layout, const PlotData& data,
                const PlotLine& line, const std::string& color, double width, int index) {
  svg << "<polyline class=\"line\" data-index=\"" << index << "\" fill=\"none\" stroke=\"" << color
      << "\" stroke-width=\"" << width << "\" stroke-linejoin=\"round\" points=\""
      << points(layout, data, line) << "\"><title>" << escape_markup(line.label)
      << "</title></polyline>\n";
}

void write_legend_entry(std::ostringstream& svg, double y, const PlotLine& line,
                        const std::string& color, int index) {
  double x = Layout::kWidth - Layout::kRight + 24;
  std::string growth = (line.growth >= 0 ? "+" : "") + std::to_string(line.growth);
  svg << "<g class=\"legend-entry\" data-index=\"" << index << "\">"
      << "<rect x=\"" << number(x) << "\" y=\"" << number(y - 9) << "\" width=\"14\" height=\"4\" fill=\""
      << color << "\"/><text x=\"" << number(x + 20) << "\" y=\"" << number(y - 3)
      << "\" font-size=\"12\"><tspan class=\"growth\" font-weight=\"bold\">" << growth
      << "</tspan> <tspan class=\"label\">" << escape_markup(shorten(line.label, kLegendLabelBytes))
      << "</tspan><title>" << escape_markup(line.label) << "</title></text></g>\n";
}

void write_legend(std::ostringstream& svg, const PlotData& data) {
  double y = Layout::kTop + 10;
  double x = Layout::kWidth - Layout::kRight + 24;
  svg << "<g class=\"legend\" fill=\"#222\">\n<text x=\"" << number(x) << "\" y=\"" << number(y - 18)
      << "\" font-size=\"12\" fill=\"#666\">growth from first to last snapshot</text>\n";
  write_legend_entry(svg, y, data.total, "#000", -1);
  for (std::size_t i = 0; i < data.groups.size(); ++i) {
    write_legend_entry(svg, y + 22.0 * static_cast<double>(i + 1), data.groups[i], line_color(i),
                       static_cast<int>(i));
  }
  if (data.has_other) {
    double other_y = y + 22.0 * static_cast<double>(data.groups.size() + 1);
    write_legend_entry(svg, other_y, data.other, "#bbb", static_cast<int>(data.groups.size()));
  }
  svg << "</g>\n";
}

void write_alerts(std::ostringstream& svg, const Layout& layout, const PlotData& data) {
  for (double seconds : data.alert_seconds) {
    double x = layout.x(seconds);
    svg << "<line class=\"alert\" x1=\"" << number(x) << "\" y1=\"" << number(layout.y(layout.max_value()))
        << "\" x2=\"" << number(x) << "\" y2=\"" << number(layout.y(0))
        << "\" stroke=\"#d00\" stroke-dasharray=\"4 3\"><title>growth alert</title></line>\n";
  }
}

}  // namespace

Layout::Layout(const PlotData& data) {
  if (!data.seconds.empty()) max_seconds_ = std::max(data.seconds.back(), 1.0);
  for (double value : data.total.values) max_value_ = std::max(max_value_, value);
  // Thread counts are whole numbers, so the grid never goes below 1.
  value_step_ = std::max(nice_step(max_value_, 8), 1.0);
  max_value_ = std::ceil(max_value_ / value_step_) * value_step_;
  seconds_step_ = time_step(max_seconds_);
}

double Layout::x(double seconds) const {
  return kLeft + seconds / max_seconds_ * (kWidth - kLeft - kRight);
}

double Layout::y(double value) const {
  return kHeight - kBottom - value / max_value_ * (kHeight - kTop - kBottom);
}

const char* line_color(std::size_t index) {
  static const char* const kColors[] = {"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd",
                                        "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};
  return kColors[index % (sizeof kColors / sizeof kColors[0])];
}

std::string format_elapsed(double seconds) {
  long whole = std::lround(seconds);
  char buffer[32];
  if (whole < 60) {
    std::snprintf(buffer, sizeof buffer, "%lds", whole);
  } else if (whole < 3600) {
    std::snprintf(buffer, sizeof buffer, whole % 60 ? "%ldm%02lds" : "%ldm", whole / 60, whole % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%ldh%02ldm", whole / 3600, whole % 3600 / 60);
  }
  return buffer;
}

std::string render_svg(const PlotData& data) {
  Layout layout(data);
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << Layout::kWidth << "\" height=\""
      << Layout::kHeight << "\" viewBox=\"0 0 " << Layout::kWidth << " " << Layout::kHeight
      << "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
      << "<text x=\"" << Layout::kLeft << "\" y=\"28\" font-size=\"16\" font-weight=\"bold\">"
      << escape_markup(data.title) << "</text>\n";
  if (data.seconds.empty()) {
    svg << "<text x=\"" << Layout::kLeft << "\" y=\"80\">no successful snapshot in the series</text>\n</svg>\n";
    return svg.str();
  }
  write_axes(svg, layout);
  write_alerts(svg, layout, data);
  if (data.has_other) write_line(svg, layout, data, data.other, "#bbb", 1.5, static_cast<int>(data.groups.size()));
  for (std::size_t i = data.groups.size(); i-- > 0;) {
    write_line(svg, layout, data, data.groups[i], line_color(i), 2, static_cast<int>(i));
  }
  write_line(svg, layout, data, data.total, "#000", 2.5, -1);
  write_legend(svg, data);
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace stray::plot
