// The growth plot: escaping of target strings, legend order, and the HTML
// page opened in a real headless Chromium.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

#include "plot/html_plot.hpp"
#include "plot/plot_data.hpp"
#include "plot/svg_plot.hpp"
#include "support/service.hpp"
#include "support/target_process.hpp"
#include "watch/series_json.hpp"

namespace stray::plot {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

watch::SeriesGroup named_group(const std::string& name, std::size_t count) {
  watch::SeriesGroup group;
  group.thread_name = name;
  group.thread_class = "sleep";
  group.count = count;
  return group;
}

// Five snapshots: "grower" rises by one each time, a hostile name stays.
watch::Series make_series(const std::string& hostile) {
  watch::Series series;
  series.header.pid = 7;
  series.header.comm = hostile;
  series.header.mode = watch::SeriesMode::light;
  for (std::size_t i = 0; i < 5; ++i) {
    watch::SeriesSample sample;
    sample.time = system_clock::time_point(seconds(1'700'000'000 + 10 * static_cast<long>(i)));
    sample.groups = {named_group("grower", 2 + i), named_group(hostile, 3), named_group("shrinker", 5 - i)};
    for (const auto& group : sample.groups) sample.threads += group.count;
    series.samples.push_back(sample);
  }
  return series;
}

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

TEST(PlotData, FastestGrowingGroupComesFirst) {
  PlotData data = make_plot_data(make_series("steady"));
  ASSERT_EQ(data.groups.size(), 3u);
  EXPECT_EQ(data.groups[0].label, "\"grower\" [sleep]");
  EXPECT_EQ(data.groups[0].growth, 4);
  EXPECT_EQ(data.groups[2].label, "\"shrinker\" [sleep]");
  EXPECT_EQ(data.groups[2].growth, -4);
  EXPECT_EQ(data.total.values.front(), 10.0);
  EXPECT_EQ(data.seconds.back(), 40.0);
  EXPECT_FALSE(data.has_other);
}

TEST(PlotData, GroupsBeyondLimitAreSummed) {
  PlotData data = make_plot_data(make_series("steady"), 1);
  ASSERT_EQ(data.groups.size(), 1u);
  ASSERT_TRUE(data.has_other);
  EXPECT_EQ(data.other.label, "2 other groups");
  EXPECT_EQ(data.other.values.front(), 8.0);
  EXPECT_EQ(data.other.values.back(), 4.0);
}

TEST(PlotData, FailedSnapshotsAreLeftOut) {
  watch::Series series = make_series("steady");
  watch::SeriesSample failed;
  failed.error = "permission denied";
  series.samples.insert(series.samples.begin() + 2, failed);
  PlotData data = make_plot_data(series);
  EXPECT_EQ(data.seconds.size(), 5u);
  EXPECT_EQ(data.failed, 1u);
}

TEST(PlotHtml, TargetStringsStayText) {
  std::string hostile = "<script>alert(1)</script>&\"'\xff";
  std::string html = render_html(make_plot_data(make_series(hostile)));
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(occurrences(html, "<script"), 2u) << "only the page's own data and code";
  EXPECT_EQ(occurrences(html, "</script"), 2u);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;\\xff"), std::string::npos);
  EXPECT_NE(html.find("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"), std::string::npos)
      << "the inline JSON escapes < and >";
}

TEST(PlotHtml, FetchesNothing) {
  std::string html = render_html(make_plot_data(make_series("steady")));
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find(" href="), std::string::npos);
  EXPECT_EQ(html.find("fetch("), std::string::npos);
  EXPECT_EQ(html.find("XMLHttpRequest"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  std::regex url("https?://(?!www\\.w3\\.org/2000/svg)");
  EXPECT_FALSE(std::regex_search(html, url)) << "the only URL is the SVG namespace name";
  EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
}

TEST(PlotSvg, TargetStringsStayText) {
  std::string svg = render_svg(make_plot_data(make_series("<script>x</script>")));
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;x&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(occurrences(svg, "<polyline class=\"line\""), 4u) << "total and three groups";
  EXPECT_EQ(occurrences(svg, "<g class=\"legend-entry\""), 4u);
}

TEST(PlotSvg, EmptySeriesSaysSo) {
  watch::Series series;
  std::string svg = render_svg(make_plot_data(series));
  EXPECT_NE(svg.find("no successful snapshot"), std::string::npos);
  EXPECT_EQ(svg.find("<polyline"), std::string::npos);
}

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

std::vector<std::string> chromium_command(const std::string& profile) {
  return {"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run",
          "--user-data-dir=" + profile, "--window-size=1200,700"};
}

TEST(PlotChromium, DrawsLinesAndLegend) {
  if (!test::have_program("chromium")) {
    GTEST_SKIP() << "chromium is not installed (Debian package chromium; .ci/run installs it)";
  }
  test::TargetProcess target("watch_leak", {"50"});
  ASSERT_GT(target.pid(), 0);
  std::string directory = std::string(STRAY_BUILD_DIR) + "/plot_chromium";
  std::filesystem::create_directories(directory);
  std::string series_path = directory + "/growth.jsonl", html_path = directory + "/growth.html";
  std::filesystem::remove(series_path);  // left by an earlier run, for inspection; a watch keeps it
  auto watch = test::run_command({STRAY_BINARY, "watch", std::to_string(target.pid()), "--interval", "100ms",
                                  "--count", "12", "--out", series_path, "--alert", "--alert-window", "5",
                                  "--alert-min-growth", "3"});
  ASSERT_EQ(watch.exit_code(), 0) << watch.err;
  auto plot = test::run_command({STRAY_BINARY, "plot", series_path, "-o", html_path});
  ASSERT_EQ(plot.exit_code(), 0) << plot.err;

  auto dump = chromium_command(directory + "/profile-dom");
  dump.push_back("--dump-dom");
  dump.push_back("file://" + html_path);
  auto dom = test::run_command(dump, std::chrono::seconds(90));
  ASSERT_EQ(dom.exit_code(), 0) << dom.err;
  std::smatch ready;
  ASSERT_TRUE(std::regex_search(dom.out, ready, std::regex("data-plot-ready=\"(\\d+)\"")))
      << "the page's script did not run: " << dom.out.substr(0, 2000);
  EXPECT_GE(std::stoi(ready[1]), 2) << "the total line and at least one group";
  EXPECT_GE(occurrences(dom.out, "class=\"legend-entry\""), 2u);
  EXPECT_NE(dom.out.find("leak_reader"), std::string::npos);
  EXPECT_NE(dom.out.find("class=\"alert\""), std::string::npos) << "the alert is marked";

  std::string screenshot = directory + "/growth.png";
  std::filesystem::remove(screenshot);
  auto shot = chromium_command(directory + "/profile-shot");
  shot.push_back("--screenshot=" + screenshot);
  shot.push_back("file://" + html_path);
  auto result = test::run_command(shot, std::chrono::seconds(90));
  ASSERT_EQ(result.exit_code(), 0) << result.err;
  std::string png = read_file(screenshot);
  ASSERT_GE(png.size(), 8u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  // Chromium's screenshot of an empty page at 1200x700 is about 4 KB
  // (measured with Debian's chromium package); the plot's lines, axes and
  // text make it over 50 KB.
  EXPECT_GT(png.size(), 20000u) << "the screenshot " << screenshot << " looks blank";
  std::cout << "screenshot: " << screenshot << "\n";
}

}  // namespace
}  // namespace stray::plot
