#include "stages.hpp"

namespace bench {

namespace {

struct Request {
  int remaining;
  Continuation next;
  void* context;
};

// The stage functions call each other in a cycle, one frame per stage.
// noipa keeps GCC from folding the three identical bodies into one, and the
// empty asm after each call keeps it from becoming a tail call, which would
// drop the frame.
void parse_stage(Request& request);
void validate_stage(Request& request);
void route_stage(Request& request);

[[gnu::always_inline]] inline bool exhausted(Request& request) {
  if (request.remaining-- > 0) return false;
  request.next(request.context);
  return true;
}

[[gnu::noipa]] void parse_stage(Request& request) {
  if (!exhausted(request)) validate_stage(request);
  asm volatile("" ::: "memory");
}

[[gnu::noipa]] void validate_stage(Request& request) {
  if (!exhausted(request)) route_stage(request);
  asm volatile("" ::: "memory");
}

[[gnu::noipa]] void route_stage(Request& request) {
  if (!exhausted(request)) parse_stage(request);
  asm volatile("" ::: "memory");
}

}  // namespace

void run_stages(int depth, Continuation next, void* context) {
  Request request{depth - 1, next, context};
  parse_stage(request);
  asm volatile("" ::: "memory");
}

}  // namespace bench
