// A thread that measures stalls as the target process itself sees them:
// while armed it reads CLOCK_MONOTONIC in a tight loop and keeps the
// maximum gap between two consecutive reads. A ptrace freeze of the thread
// shows up as one long gap.
#pragma once

#include <cstdint>

namespace bench {

// Starts the heartbeat thread, disarmed (it then sleeps instead of
// spinning, so it costs no CPU between measurements). Returns false when
// the thread cannot be created.
bool start_heartbeat();

// Starts a measurement: clears the maximum gap and makes the thread spin.
// Returns once the thread is spinning.
void arm_heartbeat();

// Stops the measurement and returns the maximum gap seen since
// arm_heartbeat(), in nanoseconds.
std::int64_t disarm_heartbeat();

}  // namespace bench
