// `stray plot FILE -o growth.html|growth.svg`: draws a series.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/report_output.hpp"
#include "plot/html_plot.hpp"
#include "plot/svg_plot.hpp"
#include "report/escape.hpp"
#include "stray/error.hpp"
#include "watch/series_json.hpp"

namespace stray::cli {

namespace {

constexpr const char* kPlotExitCodeHelp =
    "Exit codes:\n"
    "  0  the plot was written\n"
    "  2  invalid command line, or the series file is missing or malformed\n"
    "  6  the output file could not be written\n";

struct PlotArguments {
  std::string series_path;
  std::string output_path;
  std::size_t groups = plot::kDefaultNamedGroups;
};

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int run_plot(const PlotArguments& arguments) {
  bool svg = ends_with(arguments.output_path, ".svg");
  if (!svg && !ends_with(arguments.output_path, ".html") && !ends_with(arguments.output_path, ".htm")) {
    std::cerr << "stray: -o " << arguments.output_path
              << ": unknown output format; name the file *.html or *.svg\n";
    return kUsage;
  }
  watch::Series series = watch::read_series_file(arguments.series_path);
  for (const std::string& warning : series.warnings) std::cerr << "stray: warning: " << warning << '\n';
  plot::PlotData data = plot::make_plot_data(series, arguments.groups);
  std::string text = svg ? plot::render_svg(data) : plot::render_html(data);

  ReportOutput out(arguments.output_path, "output file " + escape_text(arguments.output_path),
                   ErrorKind::system);
  out.write(text);
  out.finish();
  return kSuccess;
}

}  // namespace

Action add_plot_command(CLI::App& app) {
  auto arguments = std::make_shared<PlotArguments>();
  CLI::App* command = app.add_subcommand(
      "plot", "Draw a series written by stray watch: total threads and the fastest-growing groups");
  command->add_option("file", arguments->series_path, "Series file (JSON Lines, docs/series.md)")->required();
  command->add_option("-o,--output", arguments->output_path,
                      "Output file: *.html (self-contained page with hover) or *.svg (static image)")
      ->required();
  command->add_option("--groups", arguments->groups,
                      "Groups drawn and named in the legend; the rest are summed into one line")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10}));
  command->footer(kPlotExitCodeHelp);
  return [command, arguments]() -> int {
    if (!command->parsed()) return -1;
    return run_plot(*arguments);
  };
}

}  // namespace stray::cli
