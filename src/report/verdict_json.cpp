// JSON of a leak check: the snapshot schema of docs/json.md with a verdict
// on every thread and a summary of the check.
#include "report/escape.hpp"
#include "report/verdict_report.hpp"

namespace stray {

namespace {

using nlohmann::json;

json verdict_json(const ThreadVerdict& verdict, const std::vector<Rule>& rules) {
  json object{{"kind", to_string(verdict.kind)}};
  if (!verdict.rule) return object;
  const Rule& rule = rules[*verdict.rule];
  // For a survivor, the rule matched but had used up its max:.
  const char* field = verdict.kind == VerdictKind::rule ? "rule" : "rule_at_max";
  object[field] = json{{"origin", to_valid_utf8(rule.origin)}, {"text", to_valid_utf8(format_rule(rule))}};
  return object;
}

json rules_json(const std::vector<Rule>& rules, const Judgement& judgement) {
  json array = json::array();
  for (std::size_t r = 0; r < rules.size(); ++r) {
    json entry{{"origin", to_valid_utf8(rules[r].origin)},
               {"text", to_valid_utf8(format_rule(rules[r]))},
               {"excused", judgement.excused_by_rule[r]}};
    if (rules[r].max) entry["max"] = *rules[r].max;
    array.push_back(std::move(entry));
  }
  return array;
}

}  // namespace

json verdict_to_json(const CheckResult& result, const std::vector<Rule>& rules,
                     std::chrono::microseconds grace) {
  json object = to_json(result.snapshot);
  json& threads = object["threads"];
  for (std::size_t i = 0; i < threads.size(); ++i) {
    threads[i]["verdict"] = verdict_json(result.judgement.verdicts[i], rules);
  }
  object["check"] = json{{"survivors", result.judgement.survivors},
                         {"excused_by_baseline", result.judgement.excused_by_baseline},
                         {"rules", rules_json(rules, result.judgement)},
                         {"rechecks", result.rechecks},
                         {"grace_ns", std::chrono::nanoseconds(grace).count()},
                         {"duration_ns", result.duration.count()},
                         {"ended_during_grace", result.ended_during_grace}};
  return object;
}

}  // namespace stray
