// The seccomp filter that `stray run` installs in the test process before
// exec. It makes the kernel hold a thread that calls exit_group, or that
// sends itself a fatal signal, until stray answers through the listener fd.
#pragma once

namespace stray::run {

// Installs the filter in the calling process and returns the listener fd
// (SECCOMP_FILTER_FLAG_NEW_LISTENER, Linux 5.0). Without CAP_SYS_ADMIN this
// first sets PR_SET_NO_NEW_PRIVS, so setuid programs that the test runs do
// not gain privileges. Returns -errno on failure. Meant for the child
// between fork and exec: it only makes system calls.
int install_exit_filter();

// True for the signals that the filter reports when a thread sends them
// with kill, tkill or tgkill: those whose default action dumps core.
bool is_reported_signal(int signal);

}  // namespace stray::run
