// Rules generated for the survivors of a leak check, as a rules file.
#include "report/verdict_report.hpp"

namespace stray {

void write_generated_rules(std::ostream& out, const Snapshot& snapshot, const Judgement& judgement) {
  const std::vector<Rule> rules = generate_rules(snapshot, judgement);
  out << "# stray check: " << rules.size() << (rules.size() == 1 ? " rule" : " rules")
      << " for the unexpected survivors of pid " << snapshot.pid << '\n';
  for (const Rule& rule : rules) out << format_rule(rule) << '\n';
}

}  // namespace stray
