// The growth plot as one self-contained HTML page: the SVG inline, the
// point data as inline JSON and a small inline script for hovering. The
// page loads nothing from the network, and its Content-Security-Policy
// forbids it to.
#pragma once

#include <string>

#include "plot/plot_data.hpp"

namespace stray::plot {

// Once its script has run, the page's <body> carries the attribute
// data-plot-ready="N", N being the number of lines drawn.
std::string render_html(const PlotData& data);

}  // namespace stray::plot
