// The growth plot drawn as SVG: axes, the total line, one line per named
// group, alert markers and a legend. Used alone for `-o FILE.svg` and
// inline in the HTML page.
#pragma once

#include <string>
#include <vector>

#include "plot/plot_data.hpp"

namespace stray::plot {

// Maps plot values to SVG coordinates.
class Layout {
 public:
  explicit Layout(const PlotData& data);

  static constexpr double kWidth = 1200;
  static constexpr double kHeight = 640;
  static constexpr double kLeft = 70;    // room for the count axis labels
  static constexpr double kRight = 400;  // room for the legend
  static constexpr double kTop = 50;
  static constexpr double kBottom = 50;

  double x(double seconds) const;
  double y(double value) const;
  double max_seconds() const { return max_seconds_; }
  double max_value() const { return max_value_; }
  double value_step() const { return value_step_; }
  double seconds_step() const { return seconds_step_; }

 private:
  double max_seconds_ = 1;
  double max_value_ = 1;
  double value_step_ = 1;
  double seconds_step_ = 1;
};

// Color of the named group at `index` (the total line is black).
const char* line_color(std::size_t index);

// An <svg> element with the xmlns attribute, so the text is both a valid
// standalone SVG file and valid inline in HTML. Every target string is
// escaped with escape_markup.
std::string render_svg(const PlotData& data);

// "45s", "2m30s", "3h05m": elapsed time for axis labels.
std::string format_elapsed(double seconds);

}  // namespace stray::plot
