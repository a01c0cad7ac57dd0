// A process with one or more threads parked in each class that classify/
// distinguishes. For every parked thread it prints
//   thread CLASS TID FUNCTION LINE
// where FUNCTION is the thread's entry function and LINE the source line of
// the call it blocks in, then "KEY VALUE" lines that name the wait objects,
// then "ready" once every thread is seen blocked in its expected syscall.
// It never exits on its own.
//
// A thread blocks in connect() on loopback because its listener has backlog
// 0 and one connection already fills the accept queue: Linux (checked on
// 6.x) then drops each SYN, and connect() waits through the SYN retries.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/futex.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr long kRunning = -1;  // expected "syscall" of a thread busy in user code

struct ParkedThread {
  const char* thread_class;
  const char* function;
  int line;
  pid_t tid;
  long syscall;  // the syscall /proc/self/task/TID/syscall must show once parked
};

std::mutex g_parked_mutex;
std::vector<ParkedThread> g_parked;

// Records each thread once, even when its blocking call returns and is
// called again.
void announce(const char* thread_class, const char* function, int line, long syscall) {
  thread_local bool announced = false;
  if (announced) return;
  announced = true;
  std::lock_guard<std::mutex> lock(g_parked_mutex);
  g_parked.push_back({thread_class, function, line, ::gettid(), syscall});
}

}  // namespace

// Records the calling thread as about to block in SYSCALL. The blocking call
// must be on the line right after PARK_HERE.
#define PARK_HERE(thread_class, syscall) announce(thread_class, __func__, __LINE__ + 1, syscall)

// The entry functions below are global, non-static and not clonable, so they
// keep their plain names ("park_pipe_read()") in the symbol table and in
// DWARF. Each blocks inside a loop, so the blocking call is never a tail
// call and the entry function keeps its own frame.
#define ENTRY __attribute__((noinline, noclone))

// Objects the parked threads wait on. main() sets them up before starting
// the threads and holds the locks forever.
std::mutex g_std_mutex;
pthread_mutex_t g_pthread_mutex = PTHREAD_MUTEX_INITIALIZER;
std::mutex g_condvar_mutex;
std::condition_variable g_condvar;
pthread_mutex_t g_timed_mutex = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_timed_cond = PTHREAD_COND_INITIALIZER;
pthread_rwlock_t g_rwlock = PTHREAD_RWLOCK_INITIALIZER;
sem_t g_semaphore;
int g_futex_word = 0;
volatile unsigned long g_spin = 0;

struct Fds {
  int pipe_read = -1;     // never written
  int pipe_write = -1;    // its pipe is full
  int poll_read = -1;     // never written
  int select_read = -1;   // never written
  int listener = -1;      // 127.0.0.1, no client connects
  int full_listener = -1; // backlog 0, accept queue full
  int epoll = -1;         // watches a pipe that is never written
  int unix_socket = -1;   // abstract datagram socket, never sent to
  int flock_second = -1;  // second open of a file whose lock is held
  sockaddr_in full_address{};
};
Fds g_fds;

ENTRY void park_std_mutex() {
  PARK_HERE("mutex", SYS_futex);
  for (;;) g_std_mutex.lock();
}

ENTRY void* park_pthread_mutex(void*) {
  PARK_HERE("mutex", SYS_futex);
  for (;;) pthread_mutex_lock(&g_pthread_mutex);
}

ENTRY void park_std_condvar() {
  std::unique_lock<std::mutex> lock(g_condvar_mutex);
  PARK_HERE("condvar", SYS_futex);
  for (;;) g_condvar.wait(lock);
}

ENTRY void* park_pthread_cond_timedwait(void*) {
  pthread_mutex_lock(&g_timed_mutex);
  timespec deadline{};
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 24 * 3600;
  PARK_HERE("condvar", SYS_futex);
  for (;;) pthread_cond_timedwait(&g_timed_cond, &g_timed_mutex, &deadline);
}

ENTRY void* park_rwlock(void*) {
  PARK_HERE("rwlock", SYS_futex);
  for (;;) pthread_rwlock_rdlock(&g_rwlock);
}

ENTRY void* park_semaphore(void*) {
  PARK_HERE("semaphore", SYS_futex);
  for (;;) sem_wait(&g_semaphore);
}

ENTRY void* park_join_target(void*) {
  timespec hour{3600, 0};
  PARK_HERE("sleep", SYS_clock_nanosleep);
  for (;;) clock_nanosleep(CLOCK_MONOTONIC, 0, &hour, nullptr);
}

ENTRY void* park_join(void*) {
  pthread_t target{};
  pthread_create(&target, nullptr, park_join_target, nullptr);
  PARK_HERE("join", SYS_futex);
  for (;;) pthread_join(target, nullptr);
}

ENTRY void park_pipe_read() {
  char byte = 0;
  PARK_HERE("read", SYS_read);
  for (;;) ::read(g_fds.pipe_read, &byte, 1);
}

ENTRY void* park_pipe_write(void*) {
  char byte = 0;
  PARK_HERE("write", SYS_write);
  for (;;) ::write(g_fds.pipe_write, &byte, 1);
}

ENTRY void park_accept() {
  PARK_HERE("accept", SYS_accept);
  for (;;) ::accept(g_fds.listener, nullptr, nullptr);
}

ENTRY void* park_connect(void*) {
  for (;;) {
    int client = ::socket(AF_INET, SOCK_STREAM, 0);
    PARK_HERE("connect", SYS_connect);
    ::connect(client, reinterpret_cast<sockaddr*>(&g_fds.full_address), sizeof g_fds.full_address);
    // connect() gives up after the SYN retries (about two minutes), so try again.
    ::close(client);
  }
}

ENTRY void* park_poll(void*) {
  pollfd watched{g_fds.poll_read, POLLIN, 0};
  PARK_HERE("poll", SYS_poll);
  for (;;) ::poll(&watched, 1, 3600 * 1000);
}

ENTRY void park_epoll() {
  epoll_event event{};
  PARK_HERE("epoll", SYS_epoll_wait);
  for (;;) ::epoll_wait(g_fds.epoll, &event, 1, -1);
}

ENTRY void park_nanosleep() {
  timespec hour{3600, 0};
  PARK_HERE("sleep", SYS_clock_nanosleep);
  for (;;) ::nanosleep(&hour, nullptr);
}

ENTRY void* park_sigwaitinfo(void*) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  PARK_HERE("signal_wait", SYS_rt_sigtimedwait);
  for (;;) sigwaitinfo(&set, nullptr);
}

ENTRY void* park_waitpid(void*) {
  pid_t parent = ::getpid();
  pid_t child = ::fork();
  if (child == 0) {
    // The death signal follows the thread that forked, which never exits
    // before the process does.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(0);
    for (;;) ::pause();
  }
  std::printf("child_pid %d\n", child);
  int status = 0;
  PARK_HERE("child_wait", SYS_wait4);
  for (;;) ::waitpid(child, &status, 0);
}

ENTRY void park_running() {
  PARK_HERE("running", kRunning);
  for (;;) g_spin = g_spin + 1;
}

ENTRY void* park_named_select(void*) {
  pthread_setname_np(pthread_self(), "stray-named");
  for (;;) {
    fd_set read_set;
    FD_ZERO(&read_set);
    FD_SET(g_fds.select_read, &read_set);
    PARK_HERE("poll", SYS_pselect6);  // glibc 2.36 select() calls pselect6
    ::select(g_fds.select_read + 1, &read_set, nullptr, nullptr, nullptr);
  }
}

ENTRY void* park_unix_recv(void*) {
  char byte = 0;
  PARK_HERE("read", SYS_recvfrom);
  for (;;) ::recv(g_fds.unix_socket, &byte, 1, 0);
}

ENTRY void* park_raw_futex(void*) {
  PARK_HERE("futex", SYS_futex);
  for (;;) ::syscall(SYS_futex, &g_futex_word, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
}

ENTRY void* park_flock(void*) {
  PARK_HERE("syscall", SYS_flock);
  for (;;) ::flock(g_fds.flock_second, LOCK_EX);
}

namespace {

void fail(const char* what) {
  std::fprintf(stderr, "classes: %s failed: %s\n", what, std::strerror(errno));
  std::exit(1);
}

int read_end_of_new_pipe() {
  int fds[2];
  if (::pipe(fds) != 0) fail("pipe");
  return fds[0];
}

// Returns the write end of a pipe filled to capacity, left in blocking mode.
int write_end_of_full_pipe() {
  int fds[2];
  if (::pipe(fds) != 0) fail("pipe");
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  char block[4096] = {};
  while (::write(fds[1], block, sizeof block) > 0) {
  }
  while (::write(fds[1], block, 1) > 0) {
  }
  ::fcntl(fds[1], F_SETFL, 0);
  std::printf("pipe_write_fd %d\n", fds[1]);
  return fds[1];
}

sockaddr_in loopback_listener(int backlog, int& fd) {
  fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail("bind");
  if (::listen(fd, backlog) != 0) fail("listen");
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return address;
}

void open_sockets() {
  sockaddr_in address = loopback_listener(16, g_fds.listener);
  std::printf("listener_fd %d\nlistener_port %d\n", g_fds.listener, ntohs(address.sin_port));

  // Backlog 0 still admits one connection; the filler takes that place.
  g_fds.full_address = loopback_listener(0, g_fds.full_listener);
  int filler = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(filler, reinterpret_cast<sockaddr*>(&g_fds.full_address),
                sizeof g_fds.full_address) != 0) {
    fail("connect");
  }
  std::printf("connect_port %d\n", ntohs(g_fds.full_address.sin_port));

  g_fds.unix_socket = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un unix_address{};
  unix_address.sun_family = AF_UNIX;
  std::string name = "stray-classes-" + std::to_string(::getpid());
  std::memcpy(unix_address.sun_path + 1, name.data(), name.size());
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (::bind(g_fds.unix_socket, reinterpret_cast<sockaddr*>(&unix_address), length) != 0) {
    fail("bind unix");
  }
  std::printf("unix_fd %d\nunix_name @%s\n", g_fds.unix_socket, name.c_str());
}

void open_files() {
  g_fds.pipe_read = read_end_of_new_pipe();
  std::printf("pipe_read_fd %d\n", g_fds.pipe_read);
  g_fds.pipe_write = write_end_of_full_pipe();
  g_fds.poll_read = read_end_of_new_pipe();
  std::printf("poll_fd %d\n", g_fds.poll_read);
  g_fds.select_read = read_end_of_new_pipe();

  g_fds.epoll = ::epoll_create1(0);
  epoll_event event{};
  event.events = EPOLLIN;
  int watched = read_end_of_new_pipe();
  ::epoll_ctl(g_fds.epoll, EPOLL_CTL_ADD, watched, &event);
  std::printf("epoll_fd %d\n", g_fds.epoll);

  int memfd = ::memfd_create("stray-flock", 0);
  if (memfd < 0 || ::flock(memfd, LOCK_EX) != 0) fail("flock");
  std::string path = "/proc/self/fd/" + std::to_string(memfd);
  g_fds.flock_second = ::open(path.c_str(), O_RDWR);
  std::printf("flock_fd %d\n", g_fds.flock_second);

  std::printf("futex_address %p\n", static_cast<void*>(&g_futex_word));
}

void hold_locks() {
  g_std_mutex.lock();
  pthread_mutex_lock(&g_pthread_mutex);
  pthread_rwlock_wrlock(&g_rwlock);
  sem_init(&g_semaphore, 0, 0);
}

void start_threads() {
  using PthreadEntry = void* (*)(void*);
  for (PthreadEntry entry :
       {park_pthread_mutex, park_pthread_cond_timedwait, park_rwlock, park_semaphore, park_join,
        park_pipe_write, park_connect, park_poll, park_sigwaitinfo, park_waitpid,
        park_named_select, park_unix_recv, park_raw_futex, park_flock}) {
    pthread_t thread{};
    if (pthread_create(&thread, nullptr, entry, nullptr) != 0) fail("pthread_create");
  }
  for (auto entry : {park_std_mutex, park_std_condvar, park_pipe_read, park_accept, park_epoll,
                     park_nanosleep, park_running}) {
    std::thread(entry).detach();
  }
}

// The syscall number the thread is in (-1 when running in user space), from
// /proc/self/task/TID/syscall, or -2 when the file cannot be read.
long current_syscall(pid_t tid) {
  std::ifstream file("/proc/self/task/" + std::to_string(tid) + "/syscall");
  std::string first;
  if (!(file >> first)) return -2;
  if (first == "running") return kRunning;
  return std::strtol(first.c_str(), nullptr, 10);
}

char task_state(pid_t tid) {
  std::ifstream file("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() ? '?' : text[paren + 2];
}

bool is_parked(const ParkedThread& thread) {
  if (thread.syscall == kRunning) return current_syscall(thread.tid) == kRunning;
  return task_state(thread.tid) == 'S' && current_syscall(thread.tid) == thread.syscall;
}

// Waits until every expected thread has announced itself and sits in its
// syscall. A thread announces just before its call, so seeing it in that
// syscall and sleeping means it is parked.
void wait_until_parked(std::size_t expected) {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(g_parked_mutex);
      bool all = g_parked.size() == expected;
      for (const auto& thread : g_parked) all = all && is_parked(thread);
      if (all) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

int main() {
  // Every thread inherits the blocked SIGUSR1 that sigwaitinfo() waits for.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  hold_locks();
  open_files();
  open_sockets();
  start_threads();
  // 14 pthread_create'd threads, the joined one, 7 std::threads.
  wait_until_parked(22);

  std::vector<ParkedThread> parked;
  {
    std::lock_guard<std::mutex> lock(g_parked_mutex);
    parked = g_parked;
  }
  for (const auto& thread : parked) {
    std::printf("thread %s %d %s %d\n", thread.thread_class, thread.tid, thread.function,
                thread.line);
  }
  std::printf("thread signal_wait %d main %d\nready\n", ::getpid(), __LINE__ + 1);
  for (;;) ::pause();
}
