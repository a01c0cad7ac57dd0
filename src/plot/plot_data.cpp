#include "plot/plot_data.hpp"

#include <algorithm>
#include <map>

#include "report/time_format.hpp"

namespace stray::plot {

namespace {

using Clock = std::chrono::system_clock;

struct GroupTrack {
  std::string label;
  std::vector<double> values;
};

std::map<std::string, GroupTrack> track_groups(const std::vector<const watch::SeriesSample*>& samples) {
  std::map<std::string, GroupTrack> tracks;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    for (const watch::SeriesGroup& group : samples[i]->groups) {
      GroupTrack& track = tracks[group.key()];
      track.label = group.label();
      track.values.resize(samples.size(), 0.0);
      track.values[i] = static_cast<double>(group.count);
    }
  }
  for (auto& [key, track] : tracks) track.values.resize(samples.size(), 0.0);
  return tracks;
}

PlotLine to_line(GroupTrack&& track) {
  PlotLine line;
  line.label = std::move(track.label);
  line.values = std::move(track.values);
  line.growth = static_cast<long>(line.values.back()) - static_cast<long>(line.values.front());
  return line;
}

std::string make_title(const watch::SeriesHeader& header) {
  std::string title = "Threads of pid " + std::to_string(header.pid);
  if (!header.comm.empty()) title += " \"" + header.comm + "\"";
  if (header.mode == watch::SeriesMode::light) title += " (light mode: by name and class)";
  return title;
}

void rank_groups(PlotData& data, std::map<std::string, GroupTrack>&& tracks, std::size_t named) {
  std::vector<PlotLine> lines;
  for (auto& [key, track] : tracks) lines.push_back(to_line(std::move(track)));
  std::sort(lines.begin(), lines.end(), [](const PlotLine& a, const PlotLine& b) {
    if (a.growth != b.growth) return a.growth > b.growth;
    double peak_a = *std::max_element(a.values.begin(), a.values.end());
    double peak_b = *std::max_element(b.values.begin(), b.values.end());
    if (peak_a != peak_b) return peak_a > peak_b;
    return a.label < b.label;
  });
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i < named) {
      data.groups.push_back(std::move(lines[i]));
      continue;
    }
    if (!data.has_other) data.other.values.assign(data.seconds.size(), 0.0);
    data.has_other = true;
    for (std::size_t j = 0; j < lines[i].values.size(); ++j) data.other.values[j] += lines[i].values[j];
  }
  if (data.has_other) {
    data.other.growth = static_cast<long>(data.other.values.back() - data.other.values.front());
    data.other.label = std::to_string(lines.size() - named) + " other groups";
  }
}

}  // namespace

PlotData make_plot_data(const watch::Series& series, std::size_t named_groups) {
  PlotData data;
  data.title = make_title(series.header);
  std::vector<const watch::SeriesSample*> samples;
  for (const watch::SeriesSample& sample : series.samples) {
    if (sample.failed()) {
      ++data.failed;
    } else {
      samples.push_back(&sample);
    }
  }
  data.total.label = "all threads";
  if (samples.empty()) return data;

  Clock::time_point origin = samples.front()->time;
  auto since_origin = [&](Clock::time_point time) {
    return std::chrono::duration<double>(time - origin).count();
  };
  for (const watch::SeriesSample* sample : samples) {
    data.seconds.push_back(since_origin(sample->time));
    data.times.push_back(format_utc_ms(sample->time));
    data.total.values.push_back(static_cast<double>(sample->threads));
  }
  data.total.growth = static_cast<long>(data.total.values.back() - data.total.values.front());
  for (const watch::SeriesAlert& alert : series.alerts) data.alert_seconds.push_back(since_origin(alert.time));
  rank_groups(data, track_groups(samples), named_groups);
  return data;
}

}  // namespace stray::plot
