/*
 * P2s's slow disk: an LD_PRELOAD shim that makes every successful fsync/fdatasync take
 * AGENTSTATE_BENCH_FLUSH_US microseconds longer (default 2000), for the daemon and the direct SQLite
 * baseline alike. Built by the bench (bench/slow-flush.ts) with the machine's C compiler.
 *
 * strace shows what the two sides call: SQLite (better-sqlite3, WAL, synchronous=FULL) fsync() only;
 * Node's fs (libuv thread pool) fdatasync() and fsync(). Neither uses sync_file_range or msync on
 * this path, so those are left alone. Both libraries call libc through the dynamic linker, which is
 * why interposing these two symbols is enough.
 *
 * With AGENTSTATE_BENCH_SYNC_STATS=<file>, every process using the shim adds to two counters in that
 * file, shared through mmap: [0] syncs, [1] nanoseconds spent in them (flush plus the added delay).
 * The bench reads the file before and after a run, so it counts flushes per acknowledged write
 * (how well group commit works) with no cooperation from the processes measured.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static long delay_ns = 2000000L;
static volatile uint64_t *stats;

__attribute__((constructor)) static void slow_flush_init(void) {
  real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  const char *us = getenv("AGENTSTATE_BENCH_FLUSH_US");
  if (us != NULL && *us != '\0') delay_ns = atol(us) * 1000L;
  const char *path = getenv("AGENTSTATE_BENCH_SYNC_STATS");
  if (path != NULL && *path != '\0') {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
      if (ftruncate(fd, 64) == 0) {
        void *p = mmap(NULL, 64, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED) stats = (volatile uint64_t *)p;
      }
      close(fd);
    }
  }
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int slowed(int (*real)(int), int fd) {
  int saved;
  uint64_t t0 = now_ns();
  int r = real(fd);
  saved = errno;
  if (r == 0 && delay_ns > 0) {
    struct timespec left = { delay_ns / 1000000000L, delay_ns % 1000000000L };
    while (nanosleep(&left, &left) == -1 && errno == EINTR) {
    }
  }
  if (stats != NULL) {
    __atomic_fetch_add(&stats[0], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&stats[1], now_ns() - t0, __ATOMIC_RELAXED);
  }
  errno = saved;
  return r;
}

int fsync(int fd) { return slowed(real_fsync, fd); }
int fdatasync(int fd) { return slowed(real_fdatasync, fd); }
