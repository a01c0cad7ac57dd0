// A small shared library that the benchmark target calls through, so that
// every parked stack crosses a second ELF module, as real services do.
#pragma once

namespace bench {

using Continuation = void (*)(void* context);

// Calls through `depth` frames of this library (at least one), then calls
// `next(context)`. Never returns while `next` does not.
void run_stages(int depth, Continuation next, void* context);

}  // namespace bench
