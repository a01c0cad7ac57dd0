// Rules generated for the survivors of a leak check, as a rules file.
#include "report/verdict_report.hpp"

namespace stray {

void write_generated_rules(std::ostream& out, std::string_view command, const Snapshot& snapshot,
                           const Judgement& judgement) {
  const std::vector<Rule> rules = generate_rules(snapshot, judgement);
  out << "# " << command << ": " << rules.size() << (rules.size() == 1 ? " rule" : " rules")
      << " for the unexpected survivors of pid " << snapshot.pid << '\n';
  for (const Rule& rule : rules) out << format_rule(rule) << '\n';
  std::size_t starting = 0;
  for (std::size_t i = 0; i < snapshot.threads.size() && i < judgement.verdicts.size(); ++i) {
    if (judgement.verdicts[i].kind == VerdictKind::survivor &&
        snapshot.threads[i].thread_class == ThreadClass::starting) {
      ++starting;
    }
  }
  if (starting > 0) {
    out << "# " << starting << (starting == 1 ? " survivor was" : " survivors were")
        << " still starting (class starting, no frame yet); no rule was made for "
        << (starting == 1 ? "it" : "them") << '\n';
  }
}

}  // namespace stray
