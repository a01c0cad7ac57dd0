// Renders the result of a leak check: text that lists only the unexpected
// survivors, and the snapshot JSON with a verdict on every thread.
#pragma once

#include <chrono>
#include <ostream>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/report.hpp"
#include "stray/check.hpp"
#include "stray/rules.hpp"

namespace stray {

// Writes a summary line, the number of threads each rule, the baseline and
// the main-thread rule excused, then each group of survivors like
// write_text does, followed by the rules that matched it but had reached
// their max:. Prints "no unexpected survivors" when there is none.
void write_verdict_text(std::ostream& out, const CheckResult& result, const std::vector<Rule>& rules,
                        const TextOptions& options = {});

// to_json(result.snapshot) with a "verdict" object in each thread and a
// "check" object at the top, both documented in docs/json.md.
nlohmann::json verdict_to_json(const CheckResult& result, const std::vector<Rule>& rules,
                               std::chrono::microseconds grace);

// One rule per line, each after a comment that describes its group, below
// a header line that names `command`, the command that wrote them
// ("stray check" or "stray run").
void write_generated_rules(std::ostream& out, std::string_view command, const Snapshot& snapshot,
                           const Judgement& judgement);

}  // namespace stray
